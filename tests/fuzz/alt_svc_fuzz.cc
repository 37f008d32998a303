// Alt-Svc fields come from any server a client talks to. Input: the host
// the client asked for, a newline, the field. Whatever is offered must be
// usable, must not depend on the host when the host is not named, must
// survive being written back out, and its lifetime must make a sane deadline.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "src/http/alt_svc.h"
#include "src/net/deadline.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using triplex::fuzz::check;
using triplex::http::AltSvcH3;
using triplex::http::parse_alt_svc_h3;

bool same(const std::optional<AltSvcH3>& a, const std::optional<AltSvcH3>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->clear == b->clear && a->port == b->port && a->max_age == b->max_age);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string_view host = newline == std::string_view::npos ? "" : input.substr(0, newline);
  const std::string_view field =
      newline == std::string_view::npos ? input : input.substr(newline + 1);

  const auto offer = parse_alt_svc_h3(field, host);
  if (!offer) return 0;
  if (offer->clear) {
    check(offer->port == 0 && offer->max_age.count() == 0, "clear carries nothing else");
    return 0;
  }
  check(offer->port != 0, "an offer has a port");

  // Without the host named anywhere, only host-less alternatives matched: any
  // other unnamed host gets the same answer.
  constexpr std::string_view kOther = "\x01";
  if (field.find(kOther) == std::string_view::npos && !host.empty() &&
      field.find(host) == std::string_view::npos) {
    check(same(offer, parse_alt_svc_h3(field, kOther)), "an unnamed host does not matter");
  }

  const std::string again =
      "h3=\":" + std::to_string(offer->port) + "\"; ma=" + std::to_string(offer->max_age.count());
  check(same(offer, parse_alt_svc_h3(again, host)), "an offer written out reads back");

  // The client keeps the offer until now + ma: that must not wrap.
  const auto now = std::chrono::steady_clock::now();
  const auto expires = triplex::net::deadline_after(now, offer->max_age);
  check(expires >= now, "an offer never expires before it arrived");
  return 0;
}
