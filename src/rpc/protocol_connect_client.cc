#include "src/rpc/protocol_connect_client.h"

#include "src/rpc/codec.h"
#include "src/rpc/connect_json_parse.h"
#include "src/rpc/message_compression.h"
#include "src/rpc/query_string.h"
#include "src/wire/base64.h"
#include "src/wire/envelope.h"
#include "src/wire/http_status.h"
#include "src/wire/metadata_codec.h"

namespace triplex::rpc {
namespace {

std::string timeout_ms(std::chrono::nanoseconds timeout) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(timeout).count();
  return std::to_string(ms < 1 ? 1 : ms);
}

}  // namespace

ConnectClientTransport::ConnectClientTransport(ClientCallSpec spec, ExchangeOpener open)
    : ClientTransportBase(std::move(spec), std::move(open)) {}

std::string ConnectClientTransport::content_type() const {
  std::string codec(codec_name(spec_.codec));
  return unary() ? "application/" + codec : "application/connect+" + codec;
}

std::string ConnectClientTransport::open_unary(const std::string& message) {
  // Connect's GET form is for unary calls only (open_unary runs for those).
  if (spec_.get_allowed) {
    open_get(message);
    return {};
  }
  http::RequestHead head = base_head("POST", spec_.path);
  head.headers.add("content-type", content_type());
  head.headers.add("connect-protocol-version", "1");
  if (spec_.timeout) head.headers.add("connect-timeout-ms", timeout_ms(*spec_.timeout));
  head.headers.add("accept-encoding", wire::supported_encodings());
  std::string body;
  if (maybe_compress(spec_.compressor, message, body)) {
    head.headers.add("content-encoding", spec_.compressor->name());
  } else {
    body = message;
  }
  head.headers.add("content-length", std::to_string(body.size()));
  exchange_ = open_(std::move(head), body.empty());
  return body;
}

void ConnectClientTransport::open_get(const std::string& message) {
  std::string query = "?connect=v1&encoding=" + std::string(codec_name(spec_.codec));
  std::string compressed;
  bool compress = maybe_compress(spec_.compressor, message, compressed);
  if (compress) query += "&compression=" + std::string(spec_.compressor->name());
  if (spec_.codec == Codec::kJson && !compress) {
    query += "&message=" + query_escape(message);  // readable, and cacheable
  } else {
    const std::string& payload = compress ? compressed : message;
    query += "&base64=1&message=" +
             wire::base64_encode(payload, wire::Base64Alphabet::kUrlSafe, /*pad=*/false);
  }
  http::RequestHead head = base_head("GET", spec_.path + query);
  head.headers.add("connect-protocol-version", "1");
  if (spec_.timeout) head.headers.add("connect-timeout-ms", timeout_ms(*spec_.timeout));
  head.headers.add("accept-encoding", wire::supported_encodings());
  exchange_ = open_(std::move(head), true);
}

void ConnectClientTransport::open_streaming(std::optional<std::size_t> content_length) {
  http::RequestHead head = base_head("POST", spec_.path);
  head.headers.add("content-type", content_type());
  head.headers.add("connect-protocol-version", "1");
  if (spec_.timeout) head.headers.add("connect-timeout-ms", timeout_ms(*spec_.timeout));
  if (spec_.compressor != nullptr) {
    head.headers.add("connect-content-encoding", spec_.compressor->name());
  }
  head.headers.add("connect-accept-encoding", wire::supported_encodings());
  if (content_length) head.headers.add("content-length", std::to_string(*content_length));
  exchange_ = open_(std::move(head), false);
}

asio::awaitable<bool> ConnectClientTransport::send(std::string message) {
  if (done()) co_return false;
  std::string frame;
  if (unary()) {
    if (exchange_ != nullptr) {
      end(Status(Code::kInternal, "a unary call sends exactly one message"));
      co_return false;
    }
    frame = open_unary(message);
    if (frame.empty()) co_return true;  // GET, or an empty message: all sent
  } else {
    std::string compressed;
    bool compress = maybe_compress(spec_.compressor, message, compressed);
    wire::append_envelope(frame, compress ? wire::kFlagCompressed : 0,
                          compress ? compressed : message);
    if (exchange_ == nullptr) {
      bool one_message = spec_.kind == RpcKind::kServerStreaming;
      open_streaming(one_message ? std::optional<std::size_t>(frame.size()) : std::nullopt);
    }
  }
  try {
    co_await exchange_->write(std::move(frame));
    if (unary()) exchange_->finish();
  } catch (const http::ExchangeReset&) {
    co_return false;  // receive() learns why
  }
  co_return true;
}

asio::awaitable<void> ConnectClientTransport::close_send() {
  if (done()) co_return;
  if (exchange_ == nullptr) {
    if (unary()) {
      end(Status(Code::kInternal, "a unary call sends exactly one message"));
      co_return;
    }
    open_streaming();
  }
  exchange_->finish();
}

asio::awaitable<std::optional<std::string>> ConnectClientTransport::receive() {
  if (done()) co_return std::nullopt;
  if (exchange_ == nullptr) {
    if (unary()) {
      end(Status(Code::kInternal, "a unary call sends exactly one message"));
      co_return std::nullopt;
    }
    open_streaming();
  }
  try {
    if (unary()) co_return co_await receive_unary();
    co_return co_await receive_streaming();
  } catch (const http::ExchangeReset& e) {
    end(status_from_reset(e));
  } catch (const Error& e) {
    end(e.status());
  }
  co_return std::nullopt;
}

asio::awaitable<std::string> ConnectClientTransport::read_body() {
  std::string body;
  while (co_await exchange_->read(body)) {
    if (body.size() > spec_.max_receive_message_size) {
      throw Error(Code::kResourceExhausted, "received message larger than max (" +
                                                std::to_string(spec_.max_receive_message_size) +
                                                ")");
    }
  }
  co_return body;
}

asio::awaitable<std::optional<std::string>> ConnectClientTransport::receive_unary() {
  if (head_read_) {
    end(Status());  // the one message came already
    co_return std::nullopt;
  }
  http::ResponseHead head = co_await read_head();
  head_read_ = true;
  for (const auto& f : head.headers) {
    if (f.name.starts_with("trailer-")) continue;
    if (f.name.front() == ':' || wire::is_reserved_header(f.name)) continue;
    wire::decode_metadata_field(f.name, f.value, headers_);
  }
  collect_metadata(head.headers, trailers_, "trailer-");
  std::string body = co_await read_body();
  const std::string* encoding = head.headers.find("content-encoding");
  const wire::Compressor* compressor =
      encoding != nullptr ? wire::find_compressor(*encoding) : nullptr;
  if (encoding != nullptr && compressor == nullptr && *encoding != "identity") {
    throw Error(Code::kInternal,
                "response content-encoding \"" + *encoding + "\" is not supported");
  }
  if (compressor != nullptr) {
    body = decompress_message(*compressor, body, spec_.max_receive_message_size, Code::kInternal);
  }
  if (head.status != 200) {
    Status error;
    if (!parse_connect_error(body, error)) {
      error = Status(wire::code_from_http_status(head.status),
                     "HTTP status " + std::to_string(head.status) + " without a Connect error");
    }
    end(std::move(error));
    co_return std::nullopt;
  }
  const std::string* type = head.headers.find("content-type");
  std::string_view got = type != nullptr ? std::string_view(*type) : std::string_view();
  std::string expected = content_type();
  if (!got.starts_with(expected)) {
    // Connect's client rules (as connect-go applies them): a type that is not
    // even application/* is not a Connect response, so UNKNOWN; the wrong
    // codec is the server's mistake, so INTERNAL.
    throw Error(got.starts_with("application/") ? Code::kInternal : Code::kUnknown,
                "HTTP status 200 with content-type \"" + std::string(got) + "\", expected \"" +
                    expected + "\"");
  }
  co_return body;
}

asio::awaitable<std::optional<std::string>> ConnectClientTransport::receive_streaming() {
  if (!head_read_) {
    http::ResponseHead head = co_await read_head();
    head_read_ = true;
    collect_metadata(head.headers, headers_);
    if (head.status != 200) {
      end(Status(wire::code_from_http_status(head.status),
                 "HTTP status " + std::to_string(head.status) + " from a Connect server"));
      co_return std::nullopt;
    }
    const std::string* type = head.headers.find("content-type");
    std::string_view got = type != nullptr ? std::string_view(*type) : std::string_view();
    std::string expected = content_type();
    if (!got.starts_with(expected)) {
      // As for unary: not Connect streaming at all is UNKNOWN, the wrong codec INTERNAL.
      throw Error(got.starts_with("application/connect+") ? Code::kInternal : Code::kUnknown,
                  "HTTP status 200 with content-type \"" + std::string(got) + "\", expected \"" +
                      expected + "\"");
    }
    if (const std::string* encoding = head.headers.find("connect-content-encoding")) {
      response_encoding_ = *encoding;
      response_compressor_ = wire::find_compressor(*encoding);
    }
    auto exchange = exchange_;
    body_.emplace([exchange](std::string& out) { return exchange->read(out); },
                  spec_.max_receive_message_size, false, Code::kInternal);
  }
  std::optional<wire::Envelope> envelope = co_await body_->next();
  if (!envelope) throw Error(Code::kInternal, "the stream ended without an end-of-stream message");
  std::string payload = std::move(envelope->payload);
  if (envelope->flags & wire::kFlagCompressed) {
    if (response_compressor_ == nullptr) {
      throw Error(Code::kInternal, "compressed message with connect-content-encoding \"" +
                                       response_encoding_ + "\", which is not supported");
    }
    payload = decompress_message(*response_compressor_, payload, spec_.max_receive_message_size,
                                 Code::kInternal);
  }
  if ((envelope->flags & wire::kFlagConnectEndStream) == 0) co_return payload;
  Status status;
  if (!parse_connect_end_stream(payload, status, trailers_)) {
    status = Status(Code::kInternal, "malformed end-of-stream message");
  }
  end(std::move(status));
  co_return std::nullopt;
}

}  // namespace triplex::rpc
