#pragma once
// HTTP/2 error codes <-> the version-neutral ResetReason, for both sides.
#include <nghttp2/nghttp2.h>

#include <cstdint>

#include "src/http/exchange.h"

namespace triplex::http {

inline std::uint32_t h2_error_code(ResetReason reason) {
  switch (reason) {
    case ResetReason::kRefused:
      return NGHTTP2_REFUSED_STREAM;
    case ResetReason::kInternal:
      return NGHTTP2_INTERNAL_ERROR;
    case ResetReason::kEnhanceYourCalm:
      return NGHTTP2_ENHANCE_YOUR_CALM;
    case ResetReason::kProtocol:
      return NGHTTP2_PROTOCOL_ERROR;
    default:
      return NGHTTP2_CANCEL;
  }
}

inline ResetReason h2_reset_reason(std::uint32_t error_code) {
  switch (error_code) {
    case NGHTTP2_REFUSED_STREAM:
      return ResetReason::kRefused;
    case NGHTTP2_ENHANCE_YOUR_CALM:
      return ResetReason::kEnhanceYourCalm;
    case NGHTTP2_PROTOCOL_ERROR:
      return ResetReason::kProtocol;
    case NGHTTP2_INTERNAL_ERROR:
      return ResetReason::kInternal;
    default:
      return ResetReason::kCancel;
  }
}

}  // namespace triplex::http
