// Shared helpers for the Node interop clients: loading the npm peers, building the
// grpc.testing descriptors with protoc, bounded waits and PASS/FAIL reporting.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** The folder holding the npm peers' node_modules (tests/peers/node_modules by default). */
export const defaultPeers = resolve(here, "../../peers/node_modules");

/**
 * A require() that resolves packages from the peers' node_modules. Everything is loaded
 * through it (CommonJS builds), so all packages share one copy of @bufbuild/protobuf.
 */
export function peerRequire(peersDir, packages) {
  const dir = resolve(peersDir);
  const missing = packages.filter((p) => !existsSync(join(dir, p, "package.json")));
  if (missing.length > 0) {
    // 77 means skipped: scripts/setup installs the peers (npm install in tests/peers).
    console.error(`npm peers missing under ${dir}: ${missing.join(", ")}`);
    process.exit(77);
  }
  return createRequire(join(dir, "..", "package.json"));
}

/** Runs protoc and returns the FileDescriptorSet bytes for `proto` (with its imports). */
export function buildDescriptorSet({ protoc, protoRoot, proto, timeoutMs = 30000 }) {
  const dir = mkdtempSync(join(tmpdir(), "interop-fds-"));
  try {
    const out = join(dir, "set.binpb");
    execFileSync(
      protoc,
      ["--include_imports", `--descriptor_set_out=${out}`, "-I", protoRoot, proto],
      { timeout: timeoutMs, stdio: ["ignore", "ignore", "pipe"] },
    );
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export class AssertionError extends Error {}

export function assert(condition, message) {
  if (!condition) throw new AssertionError(message);
}

export function assertEq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new AssertionError(`${what}: got ${a}, want ${e}`);
}

/** Rejects with `what timed out` unless `promise` settles within `ms`. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Describes an error for a FAIL line, with the RPC code when it carries one. */
export function describeError(err) {
  if (err instanceof AssertionError) return err.message;
  if (err && typeof err === "object") {
    const parts = [];
    if (err.constructor && err.constructor.name) parts.push(err.constructor.name);
    if (err.code !== undefined) parts.push(`code=${err.code}`);
    if (err.details && typeof err.details === "string") parts.push(`details=${err.details}`);
    parts.push(String(err.message));
    if (err.cause) parts.push(`(cause: ${err.cause.message ?? err.cause})`);
    return parts.join(" ");
  }
  return String(err);
}

/**
 * Runs named cases one after another. Each case gets an AbortSignal that fires when its time
 * is up; the case is also abandoned then, so no wait is unbounded.
 */
export class Runner {
  constructor(prefix, caseTimeoutMs) {
    this.prefix = prefix;
    this.caseTimeoutMs = caseTimeoutMs;
    this.passed = 0;
    this.failed = 0;
    this.skipped = 0;
  }

  skip(name, why) {
    this.skipped++;
    console.log(`SKIP ${this.prefix} ${name}: ${why}`);
  }

  async run(name, fn) {
    const controller = new AbortController();
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => {
        const err = new Error(`timed out after ${this.caseTimeoutMs} ms`);
        controller.abort(err);
        reject(err);
      }, this.caseTimeoutMs);
    });
    const started = Date.now();
    try {
      const work = Promise.resolve().then(() => fn(controller.signal));
      work.catch(() => {}); // settles after the race when the case timed out
      await Promise.race([work, timeout]);
      this.passed++;
      console.log(`PASS ${this.prefix} ${name} (${Date.now() - started} ms)`);
    } catch (err) {
      this.failed++;
      console.log(`FAIL ${this.prefix} ${name}: ${describeError(err)}`);
    } finally {
      clearTimeout(timer);
      controller.abort(new Error("case finished"));
    }
  }

  summary() {
    console.log(
      `${this.prefix}: ${this.passed} passed, ${this.failed} failed, ${this.skipped} skipped`,
    );
    return this.failed === 0;
  }
}

/** An async iterable fed by push()/close(), for ping-pong streaming. */
export function pushQueue() {
  const items = [];
  let closed = false;
  let wake = null;
  const notify = () => {
    if (wake) {
      const w = wake;
      wake = null;
      w();
    }
  };
  return {
    push(item) {
      items.push(item);
      notify();
    },
    close() {
      closed = true;
      notify();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (items.length > 0) {
          yield items.shift();
        } else if (closed) {
          return;
        } else {
          await new Promise((r) => {
            wake = r;
          });
        }
      }
    },
  };
}

export function bytesOf(buffer) {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

export function sameBytes(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function hex(bytes) {
  return bytes ? Buffer.from(bytes).toString("hex") : String(bytes);
}
