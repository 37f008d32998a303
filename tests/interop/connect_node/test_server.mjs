#!/usr/bin/env node
// grpc.testing.TestService on connect-node (@connectrpc/connect-node), serving gRPC, gRPC-Web and
// Connect, with the server features the gRPC interop cases use: sized payloads, echoed status and
// metadata, paced streams, and CompressedRequest (judged by the request's encoding header, as
// connect-node does not show per-message flags). No generated code: the schema comes from
// protoc's descriptor set at start-up.
//
// usage: node test_server.mjs --listen HOST:PORT (--plaintext [--http 1.1|2] | --cert F --key F)
//          [--proto-root DIR] [--protoc PATH] [--peers DIR]
//
// Plaintext serves HTTP/1.1 or h2c (prior knowledge), as --http says (default 2); TLS serves both
// by ALPN. Port 0 picks a free port. Prints "listening on HOST:PORT" once serving; exits 0 on
// SIGTERM/SIGINT (77 when the npm peers are missing).
import { readFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import { parseArgs } from "node:util";

import { buildDescriptorSet, defaultPeers, peerRequire } from "../node/lib.mjs";

const { values: opts } = parseArgs({
  options: {
    listen: { type: "string", default: "127.0.0.1:0" },
    plaintext: { type: "boolean", default: false },
    http: { type: "string", default: "2" },
    cert: { type: "string" },
    key: { type: "string" },
    "proto-root": { type: "string", default: "/usr/share/grpc-proto" },
    protoc: { type: "string", default: "protoc" },
    peers: { type: "string", default: defaultPeers },
  },
  strict: true,
});

function usage(message) {
  console.error(`test_server: ${message}`);
  process.exit(2);
}

const tls = Boolean(opts.cert || opts.key);
if (tls === opts.plaintext) usage("give --plaintext or --cert and --key");
if (tls && !(opts.cert && opts.key)) usage("TLS needs both --cert and --key");
if (!["1.1", "2"].includes(opts.http)) usage("--http must be 1.1 or 2");
const colon = opts.listen.lastIndexOf(":");
if (colon < 0) usage("--listen wants HOST:PORT");
const host = opts.listen.slice(0, colon).replace(/^\[|\]$/g, "");
const port = Number(opts.listen.slice(colon + 1));

const require = peerRequire(opts.peers, [
  "@bufbuild/protobuf",
  "@connectrpc/connect",
  "@connectrpc/connect-node",
]);
const { createFileRegistry, fromBinary } = require("@bufbuild/protobuf");
const { FileDescriptorSetSchema, MethodOptions_IdempotencyLevel } = require(
  "@bufbuild/protobuf/wkt",
);
const { Code, ConnectError } = require("@connectrpc/connect");
const { connectNodeAdapter } = require("@connectrpc/connect-node");

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
if (!TestService) usage("grpc.testing.TestService is not in the descriptor set");
// The interop suite's GET-able method; test.proto predates idempotency levels.
TestService.method.cacheableUnaryCall.idempotency = MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;

const kEchoInitial = "x-grpc-test-echo-initial";
const kEchoTrailing = "x-grpc-test-echo-trailing-bin";

function echoMetadata(ctx) {
  const initial = ctx.requestHeader.get(kEchoInitial);
  if (initial !== null) ctx.responseHeader.set(kEchoInitial, initial);
  // Still base64, as it came: it goes back out the same way.
  const trailing = ctx.requestHeader.get(kEchoTrailing);
  if (trailing !== null) ctx.responseTrailer.set(kEchoTrailing, trailing);
}

// CompressedRequest: a request expecting compression must have come with an encoding.
function checkCompressed(expect, ctx) {
  if (!expect || !expect.value) return;
  const h = ctx.requestHeader;
  const encoding =
    h.get("grpc-encoding") ?? h.get("connect-content-encoding") ?? h.get("content-encoding");
  if (!encoding || encoding === "identity") {
    throw new ConnectError("expected a compressed request", Code.InvalidArgument);
  }
}

function throwRequestedStatus(request) {
  const status = request.responseStatus;
  if (status && status.code !== 0) throw new ConnectError(status.message, status.code);
}

function payload(size) {
  if (size < 0) throw new ConnectError(`bad response size ${size}`, Code.InvalidArgument);
  return { type: 0, body: new Uint8Array(size) }; // COMPRESSABLE zeros
}

function sleepMicros(micros, signal) {
  if (micros <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, micros / 1000);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

async function* streamResponses(request, ctx) {
  for (const params of request.responseParameters) {
    await sleepMicros(params.intervalUs, ctx.signal);
    yield { payload: payload(params.size) };
  }
}

async function unaryCall(request, ctx) {
  echoMetadata(ctx);
  checkCompressed(request.expectCompressed, ctx);
  throwRequestedStatus(request);
  return { payload: payload(request.responseSize) };
}

const impl = {
  async emptyCall(_request, ctx) {
    echoMetadata(ctx);
    return {};
  },
  unaryCall,
  cacheableUnaryCall: unaryCall,
  async *streamingOutputCall(request, ctx) {
    echoMetadata(ctx);
    yield* streamResponses(request, ctx);
    throwRequestedStatus(request);
  },
  async streamingInputCall(requests, ctx) {
    echoMetadata(ctx);
    let total = 0;
    for await (const request of requests) {
      checkCompressed(request.expectCompressed, ctx);
      total += request.payload ? request.payload.body.length : 0;
    }
    return { aggregatedPayloadSize: total };
  },
  async *fullDuplexCall(requests, ctx) {
    echoMetadata(ctx);
    for await (const request of requests) {
      throwRequestedStatus(request);
      yield* streamResponses(request, ctx);
    }
  },
  async *halfDuplexCall(requests, ctx) {
    echoMetadata(ctx);
    const all = [];
    for await (const request of requests) all.push(request);
    for (const request of all) {
      throwRequestedStatus(request);
      yield* streamResponses(request, ctx);
    }
  },
  // UnimplementedCall is left out: connect-node answers it with UNIMPLEMENTED.
};

const handler = connectNodeAdapter({
  routes: (router) => router.service(TestService, impl),
  readMaxBytes: 16 * 1024 * 1024,
});

let server;
if (tls) {
  const creds = { cert: readFileSync(opts.cert), key: readFileSync(opts.key) };
  server = http2.createSecureServer({ ...creds, allowHTTP1: true }, handler);
} else if (opts.http === "2") {
  server = http2.createServer({}, handler);
} else {
  server = http.createServer(handler);
}
server.listen(port, host, () => {
  const shown = host.includes(":") ? `[${host}]` : host;
  console.log(`listening on ${shown}:${server.address().port}`);
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
