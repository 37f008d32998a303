#pragma once
#include "triplex/connection_options.h"

namespace triplex::http {
using triplex::ConnectionOptions;
using triplex::kNever;
using triplex::Millis;
}  // namespace triplex::http
