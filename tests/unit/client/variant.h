#pragma once
// One protocol x HTTP version combination for the parameterised client suites.
// gtest prints a parameter into each test's CTest name: print the variant's
// name, so names stay the same from build to build (`ctest --rerun-failed`).
#include <ostream>

#include "triplex/client.h"

namespace triplex::testing {

struct Variant {
  RpcProtocol protocol;
  HttpVersion version;
  const char* name;
};

inline void PrintTo(const Variant& variant, std::ostream* out) { *out << variant.name; }

}  // namespace triplex::testing
