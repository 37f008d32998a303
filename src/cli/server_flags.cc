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
}

ServerOptions to_server_options(const ServerFlags& flags) {
  if (!flags.plaintext && !flags.self_signed && flags.cert.empty()) {
    throw CLI::ValidationError("TLS", "choose one of --cert/--key, --self-signed or --plaintext");
  }
  ServerOptions options;
  options.listen = {flags.listen};
  options.workers = flags.workers;
  options.tls = !flags.plaintext;
  options.tls_options.cert_file = flags.cert;
  options.tls_options.key_file = flags.key;
  options.tls_options.self_signed = flags.self_signed;
  options.tls_options.client_ca_file = flags.client_ca;
  options.tls_options.require_client_cert = flags.require_client_cert;
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
            << (flags.plaintext ? "h2c" : "HTTP/2 over TLS") << ")" << std::endl;
  server.wait();
  return 0;
}

}  // namespace triplex::cli
