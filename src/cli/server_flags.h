#pragma once
// The flags every serving command shares: where to listen and how to do TLS.
//   --listen HOST:PORT  [--cert F --key F | --self-signed | --plaintext]
#include <CLI/CLI.hpp>
#include <string>

#include "triplex/server.h"

namespace triplex::cli {

struct ServerFlags {
  std::string listen = "127.0.0.1:8080";
  std::string cert;
  std::string key;
  bool self_signed = false;
  bool plaintext = false;
  std::string client_ca;
  bool require_client_cert = false;
  std::size_t workers = 0;
  std::vector<std::string> cors_origins;  // browsers' origins allowed (CORS); "*" for any
  bool no_reflection = false;             // leave out grpc.reflection (on by default for tools)
  // Connection timers in milliseconds; 0 keeps the default.
  std::int64_t keepalive_time_ms = 0;
  std::int64_t keepalive_timeout_ms = 0;
  std::int64_t min_ping_interval_ms = 0;
  bool permit_ping_without_calls = false;
  std::int64_t idle_timeout_ms = 0;
  std::int64_t max_connection_idle_ms = 0;
  std::int64_t max_connection_age_ms = 0;
  std::int64_t max_connection_age_grace_ms = 0;
  std::int64_t drain_timeout_ms = 0;
  // QUIC address validation: "never", "always" or "under-load".
  std::string quic_retry = "under-load";
};

void add_server_flags(CLI::App& app, ServerFlags& flags);
// Throws CLI::ValidationError when the TLS choice is incomplete or ambiguous.
ServerOptions to_server_options(const ServerFlags& flags);
// Starts, prints "listening on HOST:PORT (...)" to stdout, waits until shut down.
int run_server(Server& server, const ServerFlags& flags);

}  // namespace triplex::cli
