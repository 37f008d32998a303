#!/usr/bin/env node
// Interop client for grpc.testing.TestService built on connect-node (@connectrpc/connect-node),
// with no generated code: the service schema comes from protoc's descriptor set at run time.
//
// usage: node connect_interop.mjs --port PORT [options]
//
//   --host HOST            server address (default 127.0.0.1)
//   --port PORT            server port (required)
//   --tls                  https:// (verify against --ca, or skip verification with --insecure)
//   --ca FILE              PEM root the server's certificate must chain to
//   --insecure             do not verify the server's certificate
//   --transport T          connect | grpcweb | grpc (default connect)
//   --http V               1.1 | 2 (default 2)
//   --codec LIST           binary, json or binary,json (default binary,json)
//   --only LIST            run only these cases (comma separated)
//   --proto-root DIR       holds grpc/testing/test.proto (default /usr/share/grpc-proto)
//   --protoc PATH          protoc executable (default protoc)
//   --peers DIR            the npm peers' node_modules (default tests/peers/node_modules)
//   --case-timeout-ms MS   abandon a case after this long (default 15000)
//
// Cases, per codec: unary (empty and large), server / client streaming, bidi ping-pong and error
// (full duplex: HTTP/2 only), half-duplex bidi, empty stream, error code + message + EchoStatus
// detail (also mid-stream and with unicode), unimplemented method, echoed metadata (header and
// -bin trailer; unary, streaming and on errors), deadlines (client-set, and server-enforced from
// a hand-set timeout header), gzip both ways (unary and streaming; encoding headers checked).
//
// Prints one PASS/FAIL/SKIP line per case and exits 1 if any case failed (77: peers missing).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

import {
  assert,
  assertEq,
  buildDescriptorSet,
  defaultPeers,
  hex,
  peerRequire,
  pushQueue,
  Runner,
  sameBytes,
} from "./lib.mjs";

const { values: opts } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string" },
    tls: { type: "boolean", default: false },
    ca: { type: "string" },
    insecure: { type: "boolean", default: false },
    transport: { type: "string", default: "connect" },
    http: { type: "string", default: "2" },
    codec: { type: "string", default: "binary,json" },
    only: { type: "string" },
    "proto-root": { type: "string", default: "/usr/share/grpc-proto" },
    protoc: { type: "string", default: "protoc" },
    peers: { type: "string", default: defaultPeers },
    "case-timeout-ms": { type: "string", default: "15000" },
  },
  strict: true,
});

function usage(message) {
  console.error(`connect_interop: ${message}`);
  process.exit(2);
}

if (!opts.port || !/^\d+$/.test(opts.port)) usage("--port PORT is required");
if (!["connect", "grpcweb", "grpc"].includes(opts.transport)) usage("bad --transport");
if (!["1.1", "2"].includes(opts.http)) usage("--http must be 1.1 or 2");
const codecs = opts.codec.split(",").filter(Boolean);
if (codecs.length === 0 || codecs.some((c) => c !== "binary" && c !== "json")) {
  usage("--codec must list binary and/or json");
}
if (opts.tls && !opts.ca && !opts.insecure) usage("--tls needs --ca FILE or --insecure");
const only = opts.only ? new Set(opts.only.split(",")) : null;
const caseTimeoutMs = Number(opts["case-timeout-ms"]);

const require = peerRequire(opts.peers, [
  "@bufbuild/protobuf",
  "@connectrpc/connect",
  "@connectrpc/connect-node",
]);
const { fromBinary, createFileRegistry } = require("@bufbuild/protobuf");
const { FileDescriptorSetSchema } = require("@bufbuild/protobuf/wkt");
const {
  Code,
  ConnectError,
  createClient,
  createContextKey,
  createContextValues,
  encodeBinaryHeader,
  decodeBinaryHeader,
} = require("@connectrpc/connect");
const {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  compressionGzip,
  Http2SessionManager,
} = require("@connectrpc/connect-node");

const registry = createFileRegistry(
  fromBinary(
    FileDescriptorSetSchema,
    buildDescriptorSet({
      protoc: opts.protoc,
      protoRoot: opts["proto-root"],
      proto: "grpc/testing/test.proto",
    }),
  ),
);
const TestService = registry.getService("grpc.testing.TestService");
const EchoStatus = registry.getMessage("grpc.testing.EchoStatus");
assert(TestService && EchoStatus, "grpc.testing descriptors are incomplete");

const baseUrl = `${opts.tls ? "https" : "http"}://${opts.host}:${opts.port}`;
const nodeOptions = {};
if (opts.tls) {
  if (opts.ca) nodeOptions.ca = readFileSync(opts.ca);
  else nodeOptions.rejectUnauthorized = false;
}
const h2 = opts.http === "2";
const sessions = [];

const createTransport = {
  connect: createConnectTransport,
  grpcweb: createGrpcWebTransport,
  grpc: createGrpcTransport,
}[opts.transport];

// The response header that names the encoding of response messages, per protocol and kind.
function responseEncodingHeader(streaming) {
  if (opts.transport === "connect") {
    return streaming ? "connect-content-encoding" : "content-encoding";
  }
  return "grpc-encoding";
}
const requestEncodingHeader = responseEncodingHeader;

function makeClient(codec, extra = {}) {
  const options = {
    baseUrl,
    httpVersion: opts.http,
    useBinaryFormat: codec === "binary",
    nodeOptions,
    acceptCompression: [],
    ...extra,
  };
  if (h2) {
    // Our own session manager, so the connection can be closed at the end.
    const manager = new Http2SessionManager(baseUrl, {}, nodeOptions);
    sessions.push(manager);
    options.sessionManager = manager;
  }
  return createClient(TestService, createTransport(options));
}

const zeros = (n) => new Uint8Array(n);
const payload = (n) => ({ body: zeros(n) });
const bodyLength = (p) => (p && p.body ? p.body.length : 0);

const initialValue = "test_initial_metadata_value";
const trailingValue = new Uint8Array([0xab, 0xab, 0xab]);
const echoHeaders = () => ({
  "x-grpc-test-echo-initial": initialValue,
  "x-grpc-test-echo-trailing-bin": encodeBinaryHeader(trailingValue),
});

function checkEchoedMetadata(header, trailer, where) {
  assertEq(header.get("x-grpc-test-echo-initial"), initialValue, `${where} header`);
  const raw = trailer.get("x-grpc-test-echo-trailing-bin");
  assert(raw !== null, `${where}: no x-grpc-test-echo-trailing-bin trailer`);
  const got = decodeBinaryHeader(raw);
  assert(sameBytes(got, trailingValue), `${where} trailer: got ${hex(got)}, want ababab`);
}

// Awaits `promise` and returns the ConnectError it must reject with.
async function expectError(promise, what) {
  try {
    await promise;
  } catch (err) {
    assert(err instanceof ConnectError, `${what}: not a ConnectError: ${err}`);
    return err;
  }
  throw new Error(`${what} succeeded; an error was expected`);
}

function checkStatus(err, code, message) {
  assertEq(Code[err.code], Code[code], `code (error: ${err.message})`);
  assertEq(err.rawMessage, message, "message");
  const details = err.findDetails(EchoStatus);
  assertEq(details.length, 1, "EchoStatus details");
  assertEq(details[0].code, code, "EchoStatus.code");
  assertEq(details[0].message, message, "EchoStatus.message");
}

async function collect(stream) {
  const out = [];
  for await (const m of stream) out.push(m);
  return out;
}

async function* fromArray(items) {
  for (const item of items) yield item;
}

const fullDuplexWhy = "full-duplex streaming needs HTTP/2 (half_duplex covers bidi methods here)";

function defineCases(codec) {
  const plain = makeClient(codec);
  const gzipped = makeClient(codec, {
    sendCompression: compressionGzip,
    acceptCompression: [compressionGzip],
    interceptors: [recordRequestHeaders],
  });
  const cases = [];
  const add = (name, fn, skipWhy) => cases.push({ name, fn, skipWhy });

  add("empty_unary", async (signal) => {
    const res = await plain.emptyCall({}, { signal });
    assertEq(res.$typeName, "grpc.testing.Empty", "response type");
  });

  add("large_unary", async (signal) => {
    const res = await plain.unaryCall(
      { responseSize: 314159, payload: payload(271828) },
      { signal },
    );
    assertEq(bodyLength(res.payload), 314159, "response payload size");
  });

  add("server_streaming", async (signal) => {
    const sizes = [31415, 9, 2653, 58979];
    const got = await collect(
      plain.streamingOutputCall(
        { responseParameters: sizes.map((size) => ({ size })) },
        { signal },
      ),
    );
    assertEq(
      got.map((m) => bodyLength(m.payload)),
      sizes,
      "response sizes",
    );
  });

  add("client_streaming", async (signal) => {
    const sizes = [27182, 8, 1828, 45904];
    const res = await plain.streamingInputCall(
      fromArray(sizes.map((n) => ({ payload: payload(n) }))),
      { signal },
    );
    assertEq(res.aggregatedPayloadSize, 74922, "aggregated payload size");
  });

  add(
    "ping_pong",
    async (signal) => {
      const requestSizes = [27182, 8, 1828, 45904];
      const responseSizes = [31415, 9, 2653, 58979];
      const requests = pushQueue();
      const responses = plain.fullDuplexCall(requests, { signal })[Symbol.asyncIterator]();
      for (let i = 0; i < requestSizes.length; i++) {
        requests.push({
          responseParameters: [{ size: responseSizes[i] }],
          payload: payload(requestSizes[i]),
        });
        const r = await responses.next();
        assert(!r.done, `stream ended before response ${i}`);
        assertEq(bodyLength(r.value.payload), responseSizes[i], `response ${i} size`);
      }
      requests.close();
      const end = await responses.next();
      assert(end.done, "extra response after the requests ended");
    },
    h2 ? null : fullDuplexWhy,
  );

  // A bidi method used half-duplex (all requests, then all responses) works over HTTP/1.1 too.
  add("half_duplex", async (signal) => {
    const responseSizes = [31415, 9, 2653, 58979];
    const got = await collect(
      plain.halfDuplexCall(
        fromArray(responseSizes.map((size) => ({ responseParameters: [{ size }] }))),
        { signal },
      ),
    );
    assertEq(got.map((m) => bodyLength(m.payload)), responseSizes, "response sizes");
  });

  add("empty_stream", async (signal) => {
    const got = await collect(plain.fullDuplexCall(fromArray([]), { signal }));
    assertEq(got.length, 0, "responses");
  });

  add("status_code_and_message", async (signal) => {
    const message = "test status message";
    const err = await expectError(
      plain.unaryCall({ responseStatus: { code: 2, message } }, { signal }),
      "UnaryCall",
    );
    checkStatus(err, Code.Unknown, message);
  });

  add("special_status_message", async (signal) => {
    const message = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \u{1f608}\t\n";
    const err = await expectError(
      plain.unaryCall({ responseStatus: { code: 5, message } }, { signal }),
      "UnaryCall",
    );
    checkStatus(err, Code.NotFound, message);
  });

  add("status_in_server_stream", async (signal) => {
    const message = "stream failed after one message";
    const got = [];
    const err = await expectError(
      (async () => {
        for await (const m of plain.streamingOutputCall(
          { responseParameters: [{ size: 10 }], responseStatus: { code: 9, message } },
          { signal },
        )) {
          got.push(bodyLength(m.payload));
        }
      })(),
      "StreamingOutputCall",
    );
    assertEq(got, [10], "messages before the error");
    checkStatus(err, Code.FailedPrecondition, message);
  });

  add(
    "status_in_bidi_stream",
    async (signal) => {
      const message = "bidi failed";
      const err = await expectError(
        collect(
          plain.fullDuplexCall(fromArray([{ responseStatus: { code: 7, message } }]), {
            signal,
          }),
        ),
        "FullDuplexCall",
      );
      checkStatus(err, Code.PermissionDenied, message);
    },
    h2 ? null : fullDuplexWhy,
  );

  add("unimplemented_method", async (signal) => {
    const err = await expectError(plain.unimplementedCall({}, { signal }), "UnimplementedCall");
    assertEq(Code[err.code], Code[Code.Unimplemented], `code (error: ${err.message})`);
  });

  add("custom_metadata_unary", async (signal) => {
    let header = null;
    let trailer = null;
    const res = await plain.unaryCall(
      { responseSize: 314159, payload: payload(271828) },
      {
        signal,
        headers: echoHeaders(),
        onHeader: (h) => (header = h),
        onTrailer: (t) => (trailer = t),
      },
    );
    assertEq(bodyLength(res.payload), 314159, "response payload size");
    assert(header && trailer, "onHeader/onTrailer not called");
    checkEchoedMetadata(header, trailer, "unary");
  });

  add("custom_metadata_server_streaming", async (signal) => {
    let header = null;
    let trailer = null;
    const got = await collect(
      plain.streamingOutputCall(
        { responseParameters: [{ size: 314159 }] },
        {
          signal,
          headers: echoHeaders(),
          onHeader: (h) => (header = h),
          onTrailer: (t) => (trailer = t),
        },
      ),
    );
    assertEq(got.map((m) => bodyLength(m.payload)), [314159], "response sizes");
    assert(header && trailer, "onHeader/onTrailer not called");
    checkEchoedMetadata(header, trailer, "server streaming");
  });

  add("error_metadata", async (signal) => {
    const err = await expectError(
      plain.unaryCall(
        { responseStatus: { code: 3, message: "with metadata" } },
        { signal, headers: echoHeaders() },
      ),
      "UnaryCall",
    );
    checkStatus(err, Code.InvalidArgument, "with metadata");
    checkEchoedMetadata(err.metadata, err.metadata, "error metadata");
  });

  add("timeout_on_paced_stream", async (signal) => {
    const started = Date.now();
    const got = [];
    const err = await expectError(
      (async () => {
        for await (const m of plain.streamingOutputCall(
          {
            responseParameters: Array.from({ length: 8 }, () => ({
              size: 1,
              intervalUs: 400000,
            })),
          },
          { signal, timeoutMs: 1000 },
        )) {
          got.push(bodyLength(m.payload));
        }
      })(),
      "StreamingOutputCall",
    );
    const elapsed = Date.now() - started;
    assertEq(Code[err.code], Code[Code.DeadlineExceeded], `code (error: ${err.message})`);
    assert(got.length >= 1 && got.length <= 3, `got ${got.length} messages in the 1 s deadline`);
    assert(elapsed < 2500, `the call took ${elapsed} ms with a 1000 ms deadline`);
  });

  // The same, but only the server knows the deadline: the timeout header is set by hand and the
  // client keeps no timer of its own, so DeadlineExceeded must come from the server.
  add("server_enforced_deadline", async (signal) => {
    const started = Date.now();
    const got = [];
    const timeoutHeader =
      opts.transport === "connect" ? { "connect-timeout-ms": "1000" } : { "grpc-timeout": "1000m" };
    const err = await expectError(
      (async () => {
        for await (const m of plain.streamingOutputCall(
          {
            responseParameters: Array.from({ length: 8 }, () => ({
              size: 1,
              intervalUs: 400000,
            })),
          },
          { signal, headers: timeoutHeader },
        )) {
          got.push(bodyLength(m.payload));
        }
      })(),
      "StreamingOutputCall",
    );
    const elapsed = Date.now() - started;
    assertEq(Code[err.code], Code[Code.DeadlineExceeded], `code (error: ${err.message})`);
    assert(got.length >= 1 && got.length <= 3, `got ${got.length} messages in the 1 s deadline`);
    assert(elapsed < 2500, `the call took ${elapsed} ms with a 1000 ms deadline`);
  });

  add("gzip_unary", async (signal) => {
    const seen = {};
    let header = null;
    const res = await gzipped.unaryCall(
      { responseSize: 4096, payload: payload(4096) },
      { signal, contextValues: requestHeadersSink(seen), onHeader: (h) => (header = h) },
    );
    assertEq(bodyLength(res.payload), 4096, "response payload size");
    assertEq(seen.header?.get(requestEncodingHeader(false)), "gzip", "request encoding");
    assertEq(header?.get(responseEncodingHeader(false)), "gzip", "response encoding header");
  });

  add("gzip_server_streaming", async (signal) => {
    let header = null;
    const sizes = [2048, 4096, 8];
    const got = await collect(
      gzipped.streamingOutputCall(
        { responseParameters: sizes.map((size) => ({ size })) },
        { signal, onHeader: (h) => (header = h) },
      ),
    );
    assertEq(got.map((m) => bodyLength(m.payload)), sizes, "response sizes");
    assertEq(header?.get(responseEncodingHeader(true)), "gzip", "response encoding header");
  });

  add("gzip_client_streaming", async (signal) => {
    const seen = {};
    const sizes = [2048, 4096, 8];
    const res = await gzipped.streamingInputCall(
      fromArray(sizes.map((n) => ({ payload: payload(n) }))),
      { signal, contextValues: requestHeadersSink(seen) },
    );
    assertEq(res.aggregatedPayloadSize, 6152, "aggregated payload size");
    assertEq(seen.header?.get(requestEncodingHeader(true)), "gzip", "request encoding");
  });

  return cases;
}

// The request headers as finally sent (the transport adds the encoding while serializing), handed
// to the case through a context value.
const sinkKey = createContextKey(null, { description: "request header sink" });
function requestHeadersSink(target) {
  return createContextValues().set(sinkKey, target);
}
function recordRequestHeaders(next) {
  return async (req) => {
    try {
      return await next(req);
    } finally {
      const sink = req.contextValues.get(sinkKey);
      if (sink) sink.header = req.header;
    }
  };
}

let ok = true;
for (const codec of codecs) {
  const runner = new Runner(
    `${opts.transport}/http${opts.http}/${codec}${opts.tls ? "/tls" : ""}`,
    caseTimeoutMs,
  );
  for (const c of defineCases(codec)) {
    if (only && !only.has(c.name)) continue;
    if (c.skipWhy) runner.skip(c.name, c.skipWhy);
    else await runner.run(c.name, c.fn);
  }
  ok = runner.summary() && ok;
}
for (const s of sessions) s.abort();
// Keep-alive sockets would hold the process open for a while; everything is reported by now.
process.exit(ok ? 0 : 1);
