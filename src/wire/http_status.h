#pragma once
// How RPC codes travel as HTTP statuses: Connect's code -> HTTP table for
// unary errors, and the HTTP -> code inference clients apply when a response
// carries no RPC status (gRPC's and Connect's tables differ).
#include "triplex/status.h"

namespace triplex::wire {

// Connect unary errors: canceled 499, invalid_argument 400, ... (see the
// Connect protocol's error code table).
int connect_http_status(Code code);
// What a client infers from an HTTP status when the response carries no RPC
// code: gRPC's table (PROTOCOL-HTTP2.md), which Connect adopted unchanged.
Code code_from_http_status(int http_status);

}  // namespace triplex::wire
