#pragma once
// The client side of TcpListener: resolves a host, connects to its addresses
// in order, and (with a ClientTlsContext) runs the TLS client handshake with
// SNI and certificate name checks, so the HTTP clients receive a ready
// ByteStream. Every TCP client connection starts here.
//
// Concurrency: the coroutine runs on `executor` and the stream it returns
// lives there.
#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "src/net/byte_stream.h"
#include "src/net/client_tls_context.h"

namespace triplex::net {

// When the phases of a connection attempt ended.
struct ConnectTimes {
  std::chrono::steady_clock::time_point connected;  // TCP
  std::chrono::steady_clock::time_point secured;    // TLS handshake (if any)
};

// Connects to `host`:`port`; `tls` null means plaintext. With TLS,
// `server_name` (or `host` when empty) is sent as SNI and the server's
// certificate must name it, unless the context is insecure. `timeout`
// bounds resolving, connecting and the handshake together (zero: none).
// Throws std::system_error for resolve/connect failures and timeouts
// ("connect to HOST:PORT: Connection refused") and std::runtime_error for
// TLS failures ("TLS: certificate verify failed: ..."). The strings are
// taken by value: a coroutine would otherwise keep references to the
// caller's temporaries. `tls` must outlive the coroutine.
asio::awaitable<std::unique_ptr<ByteStream>> connect_tcp(asio::any_io_executor executor,
                                                         std::string host, std::uint16_t port,
                                                         const ClientTlsContext* tls,
                                                         std::string server_name,
                                                         std::chrono::milliseconds timeout,
                                                         ConnectTimes* times = nullptr);

}  // namespace triplex::net
