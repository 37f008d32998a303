#pragma once
// What the HTTP front end needs from a connection of any version: a way to
// ask it to finish gracefully (GOAWAY, then close once in-flight streams end).
#include <asio/any_io_executor.hpp>
#include <functional>

namespace triplex::http {

class ServerConnection {
 public:
  virtual ~ServerConnection() = default;
  virtual void drain() = 0;
  // The worker the connection lives on; drain() must run there.
  virtual asio::any_io_executor executor() = 0;
  // Called by the connection once it has closed (on its worker).
  std::function<void(ServerConnection*)> on_closed;
};

}  // namespace triplex::http
