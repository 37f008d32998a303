#pragma once
/// @file
/// Limits and timers of server connections, shared by every HTTP version.
/// Defaults follow gRPC servers where gRPC has one.
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace triplex {

using Millis = std::chrono::milliseconds;
inline constexpr Millis kNever = Millis::max();

/// QUIC address validation: a Retry round trip makes a client prove it owns
/// its address before the server keeps state or sends a handshake flight
/// (which spoofed Initials could otherwise aim at a victim).
enum class QuicRetry {
  kNever,
  kAlways,
  kUnderLoad,  ///< once a worker has quic_retry_threshold handshakes in progress
};

struct ConnectionOptions {
  std::uint32_t max_concurrent_streams = 100;
  std::uint32_t max_header_list_size = 16 * 1024;
  /// Per-stream receive window: how much of a request body may be in flight
  /// before the handler reads it.
  std::uint32_t stream_window = 1 << 20;
  std::uint32_t connection_window = 16 << 20;
  /// A handler's write() suspends while more than this is queued on its stream.
  std::size_t stream_write_buffer = 256 * 1024;

  Millis idle_timeout = Millis(5 * 60 * 1000);  ///< no streams and nothing read
  /// HTTP/1.1: a request head must arrive within this; a handler waiting for
  /// request-body bytes gives up after body_idle_timeout of silence.
  Millis header_read_timeout = Millis(10 * 1000);
  Millis body_idle_timeout = Millis(30 * 1000);
  /// Keepalive as gRPC servers do it: PING after keepalive_time of silence,
  /// close if the ack takes longer than keepalive_timeout.
  Millis keepalive_time = Millis(2 * 3600 * 1000);
  Millis keepalive_timeout = Millis(20 * 1000);
  /// Client PING policy (gRPC's GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
  /// GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, GRPC_ARG_HTTP2_MAX_PING_STRIKES).
  Millis min_client_ping_interval = Millis(5 * 60 * 1000);
  bool permit_ping_without_calls = false;
  int max_ping_strikes = 2;
  /// Graceful two-phase GOAWAY after these; kNever switches them off.
  Millis max_connection_idle = kNever;
  Millis max_connection_age = kNever;
  Millis max_connection_age_grace = kNever;
  /// How long a drain (SIGTERM) waits for in-flight streams.
  Millis drain_timeout = Millis(30 * 1000);
  /// HTTP/2: after a complete response to a request still arriving (an early
  /// error), the rest of the request is read and dropped for this long, at
  /// most a stream window of it, before RST_STREAM(NO_ERROR) stops the client.
  /// Clients that send the rest see a clean end instead of a reset.
  Millis early_answer_discard = Millis(1000);

  /// nghttp2's rapid-reset and CONTINUATION-flood guards.
  std::uint64_t reset_burst = 1000;
  std::uint64_t reset_rate = 33;
  std::size_t max_continuations = 8;

  QuicRetry quic_retry = QuicRetry::kUnderLoad;
  std::size_t quic_retry_threshold = 100;
};

}  // namespace triplex
