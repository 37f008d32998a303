#pragma once
// Clock arithmetic that saturates instead of wrapping. Limits are
// std::chrono::milliseconds and kNever is Millis::max(): `now + kNever`
// overflows the clock's nanoseconds into the past, which would make a timer
// meant never to fire fire at once. Every deadline is computed here.
#include <chrono>

namespace triplex::net {

// `base + delay`, or time_point::max() when that is past the clock's range
// (kNever among them). A negative delay is taken as zero.
template <class TimePoint, class Rep, class Period>
TimePoint deadline_after(TimePoint base, std::chrono::duration<Rep, Period> delay) {
  using Delay = std::chrono::duration<Rep, Period>;
  if (delay <= Delay::zero()) return base;
  // Compare in the delay's own unit: converting a huge delay to the clock's
  // unit is what overflows.
  auto room = std::chrono::duration_cast<Delay>(TimePoint::max() - base);
  if (delay >= room) return TimePoint::max();
  return base + std::chrono::duration_cast<typename TimePoint::duration>(delay);
}

// a + b for non-negative durations, stopping at the type's maximum.
template <class Duration>
Duration saturating_add(Duration a, Duration b) {
  if (a > Duration::max() - b) return Duration::max();
  return a + b;
}

}  // namespace triplex::net
