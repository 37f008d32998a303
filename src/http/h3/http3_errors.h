#pragma once
// HTTP/3 error codes <-> the version-neutral ResetReason (gRFC G2's mapping
// for HTTP/3 where it has one).
#include <nghttp3/nghttp3.h>

#include <cstdint>

#include "src/http/exchange.h"

namespace triplex::http {

inline std::uint64_t h3_error_code(ResetReason reason) {
  switch (reason) {
    case ResetReason::kRefused:
      return NGHTTP3_H3_REQUEST_REJECTED;
    case ResetReason::kInternal:
      return NGHTTP3_H3_INTERNAL_ERROR;
    case ResetReason::kEnhanceYourCalm:
      return NGHTTP3_H3_EXCESSIVE_LOAD;
    case ResetReason::kProtocol:
      return NGHTTP3_H3_MESSAGE_ERROR;
    default:
      return NGHTTP3_H3_REQUEST_CANCELLED;
  }
}

inline ResetReason reason_of(std::uint64_t app_error_code) {
  switch (app_error_code) {
    case NGHTTP3_H3_REQUEST_REJECTED:
      return ResetReason::kRefused;
    case NGHTTP3_H3_EXCESSIVE_LOAD:
      return ResetReason::kEnhanceYourCalm;
    case NGHTTP3_H3_MESSAGE_ERROR:
    case NGHTTP3_H3_GENERAL_PROTOCOL_ERROR:
      return ResetReason::kProtocol;
    case NGHTTP3_H3_INTERNAL_ERROR:
      return ResetReason::kInternal;
    default:
      return ResetReason::kCancel;
  }
}

}  // namespace triplex::http
