#!/usr/bin/env node
// Interop client for grpc.testing.TestService on @grpc/grpc-js (HTTP/2, h2c or TLS), with the
// service loaded from the .proto files by @grpc/proto-loader.
//
// usage: node grpc_js_interop.mjs --port PORT [options]
//
//   --host HOST            server address (default 127.0.0.1)
//   --port PORT            server port (required)
//   --tls                  TLS, trusting only --ca
//   --ca FILE              PEM root the server's certificate must chain to (required with --tls)
//   --only LIST            run only these cases (comma separated)
//   --proto-root DIR       holds grpc/testing/test.proto (default /usr/share/grpc-proto)
//   --peers DIR            the npm peers' node_modules (default tests/peers/node_modules)
//   --case-timeout-ms MS   abandon a case after this long (default 15000)
//
// Prints one PASS/FAIL line per case and exits 1 if any case failed (77: peers missing).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";

import { assert, assertEq, defaultPeers, hex, peerRequire, Runner, sameBytes } from "./lib.mjs";

const { values: opts } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string" },
    tls: { type: "boolean", default: false },
    ca: { type: "string" },
    only: { type: "string" },
    "proto-root": { type: "string", default: "/usr/share/grpc-proto" },
    peers: { type: "string", default: defaultPeers },
    "case-timeout-ms": { type: "string", default: "15000" },
  },
  strict: true,
});

function usage(message) {
  console.error(`grpc_js_interop: ${message}`);
  process.exit(2);
}
if (!opts.port || !/^\d+$/.test(opts.port)) usage("--port PORT is required");
if (opts.tls && !opts.ca) usage("--tls needs --ca FILE");
const only = opts.only ? new Set(opts.only.split(",")) : null;

const require = peerRequire(opts.peers, ["@grpc/grpc-js", "@grpc/proto-loader"]);
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");
// protobufjs as proto-loader itself uses it.
const protobuf = createRequire(require.resolve("@grpc/proto-loader"))("protobufjs");

const definition = protoLoader.loadSync("grpc/testing/test.proto", {
  includeDirs: [opts["proto-root"]],
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
});
const TestService = grpc.loadPackageDefinition(definition).grpc.testing.TestService;

const target = `${opts.host}:${opts.port}`;
const credentials = opts.tls
  ? grpc.credentials.createSsl(readFileSync(opts.ca))
  : grpc.credentials.createInsecure();
const clients = [];
// The test certificate names localhost (and 127.0.0.1); an IP address is no TLS server name.
const channelDefaults = opts.tls ? { "grpc.ssl_target_name_override": "localhost" } : {};
function makeClient(options = {}) {
  const client = new TestService(target, credentials, { ...channelDefaults, ...options });
  clients.push(client);
  return client;
}
const plain = makeClient();
const gzipped = makeClient({ "grpc.default_compression_algorithm": 2 /* gzip */ });

const payload = (n) => ({ body: Buffer.alloc(n) });
const bodyLength = (p) => (p && p.body ? p.body.length : 0);

// Every call is cancelled when its case is abandoned.
function bindCancel(call, signal) {
  const cancel = () => call.cancel();
  if (signal.aborted) cancel();
  else signal.addEventListener("abort", cancel, { once: true });
  return call;
}

function unary(client, method, request, signal, { metadata, deadlineMs, onMetadata } = {}) {
  return new Promise((resolve, reject) => {
    const options = deadlineMs ? { deadline: new Date(Date.now() + deadlineMs) } : {};
    const call = client[method](
      request,
      metadata ?? new grpc.Metadata(),
      options,
      (err, response) => (err ? reject(err) : resolve(response)),
    );
    if (onMetadata) call.on("metadata", onMetadata);
    bindCancel(call, signal);
  });
}

// Reads a server stream to its end: resolves {messages, status}, or rejects with the error
// (which carries .received, the messages that came before it).
function readAll(call, signal) {
  bindCancel(call, signal);
  return new Promise((resolve, reject) => {
    const messages = [];
    let status = null;
    let ended = false;
    let error = null;
    const settle = () => {
      if (error) {
        error.received = messages;
        reject(error);
      } else if (ended && status) {
        resolve({ messages, status });
      }
    };
    call.on("data", (m) => messages.push(m));
    call.on("error", (err) => {
      error = err;
      settle();
    });
    call.on("status", (s) => {
      status = s;
      settle();
    });
    call.on("end", () => {
      ended = true;
      settle();
    });
  });
}

async function expectError(promise, what) {
  try {
    await promise;
  } catch (err) {
    assert(err && err.code !== undefined, `${what}: not a gRPC error: ${err}`);
    return err;
  }
  throw new Error(`${what} succeeded; an error was expected`);
}

function codeName(code) {
  return Object.keys(grpc.status).find((k) => grpc.status[k] === code) ?? String(code);
}

// grpc-status-details-bin is a google.rpc.Status; decoded by hand as no .proto for it is at hand.
function decodeRpcStatus(bytes) {
  const reader = protobuf.Reader.create(bytes);
  const status = { code: 0, message: "", details: [] };
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    switch (tag >>> 3) {
      case 1: status.code = reader.int32(); break;
      case 2: status.message = reader.string(); break;
      case 3: {
        const any = protobuf.Reader.create(reader.bytes());
        const detail = { typeUrl: "", value: new Uint8Array() };
        while (any.pos < any.len) {
          const t = any.uint32();
          if (t >>> 3 === 1) detail.typeUrl = any.string();
          else if (t >>> 3 === 2) detail.value = any.bytes();
          else any.skipType(t & 7);
        }
        status.details.push(detail);
        break;
      }
      default: reader.skipType(tag & 7);
    }
  }
  return status;
}

function decodeEchoStatus(bytes) {
  const reader = protobuf.Reader.create(bytes);
  const echo = { code: 0, message: "" };
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1) echo.code = reader.int32();
    else if (tag >>> 3 === 2) echo.message = reader.string();
    else reader.skipType(tag & 7);
  }
  return echo;
}

function checkStatus(err, code, message) {
  assertEq(codeName(err.code), codeName(code), `code (error: ${err.message})`);
  assertEq(err.details, message, "status message");
  const raw = err.metadata?.get("grpc-status-details-bin") ?? [];
  assertEq(raw.length, 1, "grpc-status-details-bin values");
  const status = decodeRpcStatus(raw[0]);
  assertEq(status.code, code, "google.rpc.Status.code");
  assertEq(status.message, message, "google.rpc.Status.message");
  assertEq(status.details.map((d) => d.typeUrl), ["type.googleapis.com/grpc.testing.EchoStatus"],
    "detail type URLs");
  assertEq(decodeEchoStatus(status.details[0].value), { code, message }, "EchoStatus detail");
}

const initialValue = "test_initial_metadata_value";
const trailingValue = Buffer.from([0xab, 0xab, 0xab]);
function echoMetadata() {
  const md = new grpc.Metadata();
  md.set("x-grpc-test-echo-initial", initialValue);
  md.set("x-grpc-test-echo-trailing-bin", trailingValue);
  return md;
}
function checkEchoed(initial, trailing, where) {
  assert(initial, `${where}: no response metadata`);
  assertEq(initial.get("x-grpc-test-echo-initial"), [initialValue], `${where} initial metadata`);
  const got = trailing?.get("x-grpc-test-echo-trailing-bin") ?? [];
  assert(
    got.length === 1 && sameBytes(got[0], trailingValue),
    `${where} trailing metadata: got [${got.map(hex)}], want [ababab]`,
  );
}

const cases = [];
const add = (name, fn) => cases.push({ name, fn });

add("empty_unary", async (signal) => {
  const res = await unary(plain, "emptyCall", {}, signal);
  assertEq(res, {}, "response");
});

add("large_unary", async (signal) => {
  const res = await unary(plain, "unaryCall", { responseSize: 314159, payload: payload(271828) },
    signal);
  assertEq(bodyLength(res.payload), 314159, "response payload size");
});

add("server_streaming", async (signal) => {
  const sizes = [31415, 9, 2653, 58979];
  const { messages } = await readAll(
    plain.streamingOutputCall({ responseParameters: sizes.map((size) => ({ size })) }),
    signal,
  );
  assertEq(messages.map((m) => bodyLength(m.payload)), sizes, "response sizes");
});

add("client_streaming", async (signal) => {
  const sizes = [27182, 8, 1828, 45904];
  const res = await new Promise((resolve, reject) => {
    const call = plain.streamingInputCall((err, r) => (err ? reject(err) : resolve(r)));
    bindCancel(call, signal);
    for (const n of sizes) call.write({ payload: payload(n) });
    call.end();
  });
  assertEq(res.aggregatedPayloadSize, 74922, "aggregated payload size");
});

add("ping_pong", async (signal) => {
  const requestSizes = [27182, 8, 1828, 45904];
  const responseSizes = [31415, 9, 2653, 58979];
  const call = bindCancel(plain.fullDuplexCall(), signal);
  const got = [];
  const done = new Promise((resolve, reject) => {
    let i = 0;
    const next = () =>
      call.write({
        responseParameters: [{ size: responseSizes[i] }],
        payload: payload(requestSizes[i]),
      });
    call.on("data", (m) => {
      got.push(bodyLength(m.payload));
      if (++i < requestSizes.length) next();
      else call.end();
    });
    call.on("error", reject);
    call.on("status", (s) => (s.code === grpc.status.OK ? resolve() : reject(s)));
    next();
  });
  await done;
  assertEq(got, responseSizes, "response sizes");
});

add("empty_stream", async (signal) => {
  const call = plain.fullDuplexCall();
  const result = readAll(call, signal);
  call.end();
  const { messages } = await result;
  assertEq(messages.length, 0, "responses");
});

add("status_code_and_message", async (signal) => {
  const message = "test status message";
  const err = await expectError(
    unary(plain, "unaryCall", { responseStatus: { code: 2, message } }, signal),
    "UnaryCall",
  );
  checkStatus(err, grpc.status.UNKNOWN, message);
});

add("special_status_message", async (signal) => {
  const message = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \u{1f608}\t\n";
  const err = await expectError(
    unary(plain, "unaryCall", { responseStatus: { code: 5, message } }, signal),
    "UnaryCall",
  );
  checkStatus(err, grpc.status.NOT_FOUND, message);
});

add("status_in_bidi_stream", async (signal) => {
  const message = "bidi failed";
  const call = plain.fullDuplexCall();
  const result = readAll(call, signal);
  call.write({ responseStatus: { code: 7, message } });
  call.end();
  const err = await expectError(result, "FullDuplexCall");
  checkStatus(err, grpc.status.PERMISSION_DENIED, message);
});

add("unimplemented_method", async (signal) => {
  const err = await expectError(unary(plain, "unimplementedCall", {}, signal), "UnimplementedCall");
  assertEq(codeName(err.code), "UNIMPLEMENTED", `code (error: ${err.message})`);
});

add("custom_metadata_unary", async (signal) => {
  let initial = null;
  let trailing = null;
  const res = await new Promise((resolve, reject) => {
    const call = plain.unaryCall(
      { responseSize: 314159, payload: payload(271828) },
      echoMetadata(),
      (err, r) => (err ? reject(err) : resolve(r)),
    );
    call.on("metadata", (md) => (initial = md));
    call.on("status", (s) => (trailing = s.metadata));
    bindCancel(call, signal);
  });
  assertEq(bodyLength(res.payload), 314159, "response payload size");
  // The status event may follow the callback.
  await new Promise((r) => setImmediate(r));
  checkEchoed(initial, trailing, "unary");
});

add("custom_metadata_bidi", async (signal) => {
  let initial = null;
  const call = plain.fullDuplexCall(echoMetadata());
  call.on("metadata", (md) => (initial = md));
  const result = readAll(call, signal);
  call.write({ responseParameters: [{ size: 314159 }], payload: payload(271828) });
  call.end();
  const { messages, status } = await result;
  assertEq(messages.map((m) => bodyLength(m.payload)), [314159], "response sizes");
  checkEchoed(initial, status.metadata, "bidi");
});

add("timeout_on_sleeping_server", async (signal) => {
  const started = Date.now();
  const call = plain.streamingOutputCall(
    { responseParameters: Array.from({ length: 8 }, () => ({ size: 1, intervalUs: 400000 })) },
    { deadline: new Date(Date.now() + 1000) },
  );
  const err = await expectError(readAll(call, signal), "StreamingOutputCall");
  const elapsed = Date.now() - started;
  assertEq(codeName(err.code), "DEADLINE_EXCEEDED", `code (error: ${err.message})`);
  assert(err.received.length >= 1 && err.received.length <= 3,
    `got ${err.received.length} messages in the 1 s deadline`);
  assert(elapsed < 2500, `the call took ${elapsed} ms with a 1000 ms deadline`);
});

// The request messages go out gzip-compressed; grpc-js advertises gzip and consumes the
// grpc-encoding response header itself, so the response side is checked by decoding alone (the
// connect-node tests assert the response encoding header).
add("gzip_unary", async (signal) => {
  const res = await unary(gzipped, "unaryCall", { responseSize: 4096, payload: payload(4096) },
    signal);
  assertEq(bodyLength(res.payload), 4096, "response payload size");
});

add("gzip_client_streaming", async (signal) => {
  const sizes = [2048, 4096, 8];
  const res = await new Promise((resolve, reject) => {
    const call = gzipped.streamingInputCall((err, r) => (err ? reject(err) : resolve(r)));
    bindCancel(call, signal);
    for (const n of sizes) call.write({ payload: payload(n) });
    call.end();
  });
  assertEq(res.aggregatedPayloadSize, 6152, "aggregated payload size");
});

const runner = new Runner(
  `grpc-js/${opts.tls ? "tls" : "h2c"}`,
  Number(opts["case-timeout-ms"]),
);
for (const c of cases) {
  if (only && !only.has(c.name)) continue;
  await runner.run(c.name, c.fn);
}
const ok = runner.summary();
for (const client of clients) client.close();
process.exit(ok ? 0 : 1);
