#pragma once
// The in-process test application the HTTP/1.1, HTTP/2 and HTTP/3 tests
// serve: a RouteTable that picks a handler coroutine by request path (the
// query left out), a Probe through which handlers report to the test
// thread, and the routes the versions share (echo, streamed and fixed
// replies, slow ones, resets). Each version's test support builds its own
// table, because what a route answers is part of what its tests check
// ("hello h2" or "hello h3", which fields /info reports); the dispatch,
// the reporting and the route bodies exist once, here.
//
// Concurrency: the handler and routes run on the server's workers; the
// Probe is the only state shared with the test thread (mutex, atomics).
#include <asio/awaitable.hpp>
#include <atomic>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "src/http/exchange.h"
#include "tests/support/exchange_test_kit.h"

namespace triplex::http::testing {

// What handlers report to the test thread: named events (EventLog) and
// counters. Every route reports "done ROUTE" when it returns, "reset ROUTE N"
// when it ends in ExchangeReset, and "on_reset ROUTE N" when the peer resets
// the stream (N: the ResetReason as a number). Thread-safe.
class Probe : public EventLog {
 public:
  std::atomic<std::size_t> written{0};     // bytes /big's write() calls returned for
  std::atomic<bool> gate{false};           // opens /gate-read
  std::atomic<std::size_t> first_read{0};  // bytes the first read() of /gate-read returned
  std::atomic<int> in_flight{0};           // /sleep handlers running
  std::atomic<int> max_in_flight{0};
};

// Serves one request. `path` is the whole request path, with its query.
using Route =
    std::function<asio::awaitable<void>(Exchange& ex, Probe& probe, const std::string& path)>;

class RouteTable {
 public:
  // `route` serves requests whose path, without its query, is `path`.
  RouteTable& add(std::string path, Route route);
  // The application: each request runs its route on a coroutine of its own
  // (unknown paths get a bodiless 404), reporting to `probe` as above.
  ExchangeHandler handler(std::shared_ptr<Probe> probe) const;

 private:
  std::map<std::string, Route, std::less<>> routes_;
};

// Sends `head`, then `body` (unless empty), then ends with `trailers`.
asio::awaitable<void> reply(Exchange& ex, ResponseHead head, std::string body,
                            Headers trailers = {});

// The request head as text, one item a line: method, path, scheme, authority,
// then with `version_and_alpn` the HTTP version and the ALPN, then each header
// field as name=value, then the fields below that are set.
struct RequestText {
  bool version_and_alpn = false;
  bool client_subject = false;  // "client=SUBJECT" when a client certificate came
  bool early_data = false;      // "early=0" or "early=1"
};

// The routes more than one version serves.
namespace routes {

// `head`, then `body`.
Route fixed(ResponseHead head, std::string body);
// respond(`head`) at once: a complete response with no body.
Route respond(ResponseHead head);
// respond(200) with Exchange::extra_response_headers holding x-extra: 1.
Route extra_header();
// reset(`reason`) at once.
Route reset(ResetReason reason);

enum class EchoTrailer { kNone, kByteCount };  // kByteCount: trailer x-echo-bytes
// Reads the whole body and answers it under the head `head_for` makes from
// the exchange and the body's size.
Route echo(std::function<ResponseHead(const Exchange&, std::size_t)> head_for, EchoTrailer trailer);
Route echo(ResponseHead head, EchoTrailer trailer);

// ?n=&size=: n writes of `size` bytes ('a', 'b', ...), trailer x-chunks: n.
Route stream();
// ?total=: `total` bytes of 'x' in 64 KiB writes, counted in Probe::written,
// then reports "big-done".
Route big();
// Reports "slow-started", answers "slow" after 300 ms.
Route slow();
// ?ms=: reports "sleep-started", answers "awake" after `ms`; counts the
// sleepers in Probe::in_flight and max_in_flight.
Route sleep();
// Reads the whole body, reports "read-done SIZE", then respond(200).
Route wait_body();
// Reports "gate-waiting", waits for Probe::gate, reads the body (the first
// read's size into Probe::first_read) and answers its size.
Route gate_read();
// The request head as text (RequestText).
Route info(RequestText fields);

}  // namespace routes
}  // namespace triplex::http::testing
