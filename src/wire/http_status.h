#pragma once
// How RPC codes travel as HTTP statuses: Connect's code -> HTTP table for
// unary errors, and the HTTP -> code inference clients apply when a response
// carries no RPC status (gRPC's and Connect's tables differ).
#include "triplex/status.h"

namespace triplex::wire {

// Connect unary errors: canceled 499, invalid_argument 400, ... (see the
// Connect protocol's error code table).
int connect_http_status(Code code);
// Connect clients, when an error body has no code.
Code code_from_connect_http_status(int http_status);
// gRPC clients (PROTOCOL-HTTP2.md) when a response lacks grpc-status.
Code code_from_grpc_http_status(int http_status);

}  // namespace triplex::wire
