#include "tests/support/route_table.h"

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <chrono>
#include <utility>

namespace triplex::http::testing {
namespace {

using namespace std::chrono_literals;
using RouteMap = std::map<std::string, Route, std::less<>>;

std::string reason_number(ResetReason reason) { return std::to_string(static_cast<int>(reason)); }

// Holds the table for as long as the request runs: the route's closure lives
// in it.
asio::awaitable<void> serve(std::shared_ptr<const RouteMap> table, std::shared_ptr<Exchange> ex,
                            std::shared_ptr<Probe> probe) {
  std::string path = ex->request().path;
  std::string route = path.substr(0, path.find('?'));
  ex->on_reset = [probe, route](ResetReason r) {
    probe->add("on_reset " + route + " " + reason_number(r));
  };
  try {
    auto found = table->find(route);
    if (found == table->end()) {
      ex->respond(head_with(404, {}));
    } else {
      co_await found->second(*ex, *probe, path);
    }
    probe->add("done " + route);
  } catch (const ExchangeReset& e) {
    probe->add("reset " + route + " " + reason_number(e.reason));
  }
}

// The routes below are plain coroutines taking their arguments by value;
// the Route lambdas that call them are not coroutines themselves, so no
// coroutine frame points into a closure.

asio::awaitable<void> respond_now(Exchange& ex, ResponseHead head) {
  ex.respond(std::move(head));
  co_return;
}

asio::awaitable<void> extra_header_route(Exchange& ex, Probe&, const std::string&) {
  ex.extra_response_headers.add("x-extra", "1");
  ex.respond(head_with(200, {}));
  co_return;
}

asio::awaitable<void> reset_now(Exchange& ex, ResetReason reason) {
  ex.reset(reason);
  co_return;
}

asio::awaitable<void> echo_body(Exchange& ex,
                                std::function<ResponseHead(const Exchange&, std::size_t)> head_for,
                                routes::EchoTrailer trailer) {
  std::string body = co_await read_all(ex);
  std::size_t size = body.size();
  Headers trailers;
  if (trailer == routes::EchoTrailer::kByteCount) {
    trailers.add("x-echo-bytes", std::to_string(size));
  }
  co_await reply(ex, head_for(ex, size), std::move(body), std::move(trailers));
}

asio::awaitable<void> stream_route(Exchange& ex, Probe&, const std::string& path) {
  std::size_t n = query_number(path, "n");
  std::size_t size = query_number(path, "size");
  ex.send_head(head_with(200, {}));
  for (std::size_t i = 0; i < n; ++i) {
    co_await ex.write(std::string(size, static_cast<char>('a' + i % 26)));
  }
  Headers trailers;
  trailers.add("x-chunks", std::to_string(n));
  ex.finish(std::move(trailers));
}

asio::awaitable<void> big_route(Exchange& ex, Probe& probe, const std::string& path) {
  std::size_t total = query_number(path, "total");
  ex.send_head(head_with(200, {}));
  std::size_t sent = 0;
  while (sent < total) {
    std::size_t n = std::min<std::size_t>(64 * 1024, total - sent);
    co_await ex.write(std::string(n, 'x'));
    sent += n;
    probe.written = sent;
  }
  ex.finish({});
  probe.add("big-done");
}

asio::awaitable<void> slow_route(Exchange& ex, Probe& probe, const std::string&) {
  probe.add("slow-started");
  co_await sleep_for(300ms);
  co_await reply(ex, head_with(200, {}), "slow");
}

asio::awaitable<void> sleep_route(Exchange& ex, Probe& probe, const std::string& path) {
  int now = ++probe.in_flight;
  int seen = probe.max_in_flight;
  while (now > seen && !probe.max_in_flight.compare_exchange_weak(seen, now)) {
  }
  probe.add("sleep-started");
  co_await sleep_for(std::chrono::milliseconds(query_number(path, "ms")));
  --probe.in_flight;
  co_await reply(ex, head_with(200, {}), "awake");
}

asio::awaitable<void> wait_body_route(Exchange& ex, Probe& probe, const std::string&) {
  std::string body = co_await read_all(ex);
  probe.add("read-done " + std::to_string(body.size()));
  ex.respond(head_with(200, {}));
}

asio::awaitable<void> gate_read_route(Exchange& ex, Probe& probe, const std::string&) {
  probe.add("gate-waiting");
  while (!probe.gate) co_await sleep_for(5ms);
  std::string first;
  co_await ex.read(first);
  probe.first_read = first.size();
  std::string rest = co_await read_all(ex);
  co_await reply(ex, head_with(200, {}), std::to_string(first.size() + rest.size()));
}

asio::awaitable<void> info_route(Exchange& ex, RequestText fields) {
  const auto& r = ex.request();
  std::string text = r.method + "\n" + r.path + "\n" + r.scheme + "\n" + r.authority + "\n";
  if (fields.version_and_alpn) {
    text +=
        std::string(http_version_name(ex.capabilities().version)) + "\n" + ex.peer().alpn + "\n";
  }
  for (const auto& h : r.headers) text += h.name + "=" + h.value + "\n";
  if (fields.client_subject && !ex.peer().client_subject.empty()) {
    text += "client=" + ex.peer().client_subject + "\n";
  }
  if (fields.early_data) text += std::string("early=") + (ex.is_early_data() ? "1" : "0") + "\n";
  co_await reply(ex, head_with(200, {}), std::move(text));
}

}  // namespace

RouteTable& RouteTable::add(std::string path, Route route) {
  routes_[std::move(path)] = std::move(route);
  return *this;
}

ExchangeHandler RouteTable::handler(std::shared_ptr<Probe> probe) const {
  auto table = std::make_shared<const RouteMap>(routes_);
  return [table, probe](std::shared_ptr<Exchange> ex) {
    auto executor = ex->executor();
    asio::co_spawn(executor, serve(table, std::move(ex), probe), asio::detached);
  };
}

asio::awaitable<void> reply(Exchange& ex, ResponseHead head, std::string body, Headers trailers) {
  ex.send_head(std::move(head));
  if (!body.empty()) co_await ex.write(std::move(body));
  ex.finish(std::move(trailers));
}

namespace routes {

Route fixed(ResponseHead head, std::string body) {
  return [head = std::move(head), body = std::move(body)](
             Exchange& ex, Probe&, const std::string&) { return reply(ex, head, body); };
}

Route respond(ResponseHead head) {
  return [head = std::move(head)](Exchange& ex, Probe&, const std::string&) {
    return respond_now(ex, head);
  };
}

Route extra_header() { return extra_header_route; }

Route reset(ResetReason reason) {
  return [reason](Exchange& ex, Probe&, const std::string&) { return reset_now(ex, reason); };
}

Route echo(std::function<ResponseHead(const Exchange&, std::size_t)> head_for,
           EchoTrailer trailer) {
  return [head_for = std::move(head_for), trailer](Exchange& ex, Probe&, const std::string&) {
    return echo_body(ex, head_for, trailer);
  };
}

Route echo(ResponseHead head, EchoTrailer trailer) {
  return echo([head = std::move(head)](const Exchange&, std::size_t) { return head; }, trailer);
}

Route stream() { return stream_route; }
Route big() { return big_route; }
Route slow() { return slow_route; }
Route sleep() { return sleep_route; }
Route wait_body() { return wait_body_route; }
Route gate_read() { return gate_read_route; }

Route info(RequestText fields) {
  return [fields](Exchange& ex, Probe&, const std::string&) { return info_route(ex, fields); };
}

}  // namespace routes
}  // namespace triplex::http::testing
