#include "src/cli/server_flags.h"

#include <iostream>

namespace triplex::cli {

void add_server_flags(CLI::App& app, ServerFlags& flags) {
  app.add_option("--listen", flags.listen, "HOST:PORT to listen on (port 0 picks a free one)")
      ->capture_default_str();
  auto* cert = app.add_option("--cert", flags.cert, "PEM certificate chain");
  auto* key = app.add_option("--key", flags.key, "PEM private key");
  auto* self = app.add_flag("--self-signed", flags.self_signed,
                            "TLS with an in-memory certificate for localhost and 127.0.0.1");
  auto* plain = app.add_flag("--plaintext", flags.plaintext, "no TLS (h2c)");
  cert->needs(key);
  key->needs(cert);
  self->excludes(cert)->excludes(plain);
  plain->excludes(cert);
  app.add_option("--client-ca", flags.client_ca, "verify client certificates against this CA");
  app.add_flag("--require-client-cert", flags.require_client_cert,
               "reject clients without a verified certificate (mTLS)");
  app.add_option("--workers", flags.workers, "worker threads (default: one per core)");
  app.add_option("--cors-origin", flags.cors_origins,
                 "allow browsers from this origin (repeatable; * for any)")
      ->capture_default_str();
  app.add_flag("--no-reflection", flags.no_reflection,
               "do not serve grpc.reflection (service listing and schemas for grpcurl, buf curl)");
  app.add_option("--quic-retry", flags.quic_retry,
                 "HTTP/3: make clients prove their address with a Retry round trip "
                 "(never, always, under-load)")
      ->check(CLI::IsMember({"never", "always", "under-load"}))
      ->capture_default_str();
  auto* conn = app.add_option_group("connection", "HTTP/2 connection timers (milliseconds)");
  conn->add_option("--keepalive-time-ms", flags.keepalive_time_ms,
                   "PING a connection after this long without reading from it");
  conn->add_option("--keepalive-timeout-ms", flags.keepalive_timeout_ms,
                   "close when a keepalive PING is not answered within this");
  conn->add_option("--min-ping-interval-ms", flags.min_ping_interval_ms,
                   "client PINGs more often than this count as strikes (too_many_pings)");
  conn->add_flag("--permit-ping-without-calls", flags.permit_ping_without_calls,
                 "allow client PINGs while no call is active");
  conn->add_option("--idle-timeout-ms", flags.idle_timeout_ms,
                   "close connections with no streams and no traffic for this long");
  conn->add_option("--max-connection-idle-ms", flags.max_connection_idle_ms,
                   "graceful GOAWAY after this long without streams");
  conn->add_option("--max-connection-age-ms", flags.max_connection_age_ms,
                   "graceful GOAWAY when a connection gets this old");
  conn->add_option("--max-connection-age-grace-ms", flags.max_connection_age_grace_ms,
                   "close this long after the age GOAWAY, even with streams open");
  conn->add_option("--drain-timeout-ms", flags.drain_timeout_ms,
                   "on SIGTERM, wait this long for in-flight calls");
}

ServerOptions to_server_options(const ServerFlags& flags) {
  if (!flags.plaintext && !flags.self_signed && flags.cert.empty()) {
    throw CLI::ValidationError("TLS", "choose one of --cert/--key, --self-signed or --plaintext");
  }
  ServerOptions options;
  options.listen = {flags.listen};
  options.workers = flags.workers;
  options.cors_allowed_origins = flags.cors_origins;
  options.tls = !flags.plaintext;
  options.tls_options.cert_file = flags.cert;
  options.tls_options.key_file = flags.key;
  options.tls_options.self_signed = flags.self_signed;
  options.tls_options.client_ca_file = flags.client_ca;
  options.tls_options.require_client_cert = flags.require_client_cert;
  auto set = [](Millis& field, std::int64_t ms) {
    if (ms > 0) field = Millis(ms);
  };
  auto& c = options.connection;
  set(c.keepalive_time, flags.keepalive_time_ms);
  set(c.keepalive_timeout, flags.keepalive_timeout_ms);
  set(c.min_client_ping_interval, flags.min_ping_interval_ms);
  c.permit_ping_without_calls = flags.permit_ping_without_calls;
  set(c.idle_timeout, flags.idle_timeout_ms);
  set(c.max_connection_idle, flags.max_connection_idle_ms);
  set(c.max_connection_age, flags.max_connection_age_ms);
  set(c.max_connection_age_grace, flags.max_connection_age_grace_ms);
  set(c.drain_timeout, flags.drain_timeout_ms);
  if (flags.quic_retry == "never") c.quic_retry = QuicRetry::kNever;
  if (flags.quic_retry == "always") c.quic_retry = QuicRetry::kAlways;
  return options;
}

int run_server(Server& server, const ServerFlags& flags) {
  try {
    server.start();
  } catch (const std::exception& e) {
    std::cerr << "triplex: " << e.what() << "\n";
    return 1;
  }
  std::string host = flags.listen.substr(0, flags.listen.rfind(':'));
  std::cout << "listening on " << host << ":" << server.listening_port() << " ("
            << (flags.plaintext ? "HTTP/1.1 and h2c" : "HTTP/1.1, HTTP/2 over TLS; HTTP/3 on UDP")
            << ")" << std::endl;
  server.wait();
  return 0;
}

}  // namespace triplex::cli
