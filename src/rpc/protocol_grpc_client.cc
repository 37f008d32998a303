#include "src/rpc/protocol_grpc_client.h"

#include "src/rpc/codec.h"
#include "src/rpc/message_compression.h"
#include "src/wire/base64.h"
#include "src/wire/envelope.h"
#include "src/wire/http_status.h"
#include "src/wire/percent.h"
#include "src/wire/timeout.h"

namespace triplex::rpc {
namespace {

// A gRPC-Web trailer frame: "name: value\r\n" lines, names lowercased.
http::Headers parse_trailer_block(std::string_view block) {
  http::Headers fields;
  while (!block.empty()) {
    auto eol = block.find("\r\n");
    std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 2);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    fields.add(name, value);
  }
  return fields;
}

}  // namespace

GrpcClientTransport::GrpcClientTransport(ClientCallSpec spec, ExchangeOpener open, bool web)
    : ClientTransportBase(std::move(spec), std::move(open)), web_(web) {}

void GrpcClientTransport::open_exchange(std::optional<std::size_t> content_length) {
  http::RequestHead head = base_head("POST", spec_.path);
  std::string type = web_ ? "application/grpc-web" : "application/grpc";
  if (spec_.codec == Codec::kJson) type += "+json";
  if (web_ && spec_.codec == Codec::kProto) type += "+proto";
  head.headers.add("content-type", type);
  if (web_) {
    head.headers.add("x-grpc-web", "1");
  } else {
    head.headers.add("te", "trailers");
  }
  if (spec_.timeout) head.headers.add("grpc-timeout", wire::format_grpc_timeout(*spec_.timeout));
  if (spec_.compressor != nullptr) head.headers.add("grpc-encoding", spec_.compressor->name());
  head.headers.add("grpc-accept-encoding", wire::supported_encodings());
  if (content_length) head.headers.add("content-length", std::to_string(*content_length));
  exchange_ = open_(std::move(head), false);
}

asio::awaitable<bool> GrpcClientTransport::send(std::string message) {
  if (done()) co_return false;
  std::string compressed;
  bool compress = maybe_compress(spec_.compressor, message, compressed);
  std::string frame;
  wire::append_envelope(frame, compress ? wire::kFlagCompressed : 0,
                        compress ? compressed : message);
  if (exchange_ == nullptr) {
    bool one_message = spec_.kind == RpcKind::kUnary || spec_.kind == RpcKind::kServerStreaming;
    open_exchange(one_message ? std::optional<std::size_t>(frame.size()) : std::nullopt);
  }
  try {
    co_await exchange_->write(std::move(frame));
  } catch (const http::ExchangeReset&) {
    co_return false;  // receive() learns why
  }
  co_return true;
}

asio::awaitable<void> GrpcClientTransport::close_send() {
  if (done()) co_return;
  if (exchange_ == nullptr) open_exchange();
  exchange_->finish();
}

asio::awaitable<std::optional<std::string>> GrpcClientTransport::receive() {
  if (done()) co_return std::nullopt;
  if (exchange_ == nullptr) open_exchange();
  try {
    co_return co_await next_message();
  } catch (const http::ExchangeReset& e) {
    end(status_from_reset(e));
  } catch (const Error& e) {
    end(e.status());
  }
  co_return std::nullopt;
}

asio::awaitable<std::optional<std::string>> GrpcClientTransport::next_message() {
  if (!head_read_) {
    http::ResponseHead head = co_await read_head();
    head_read_ = true;
    if (!on_head(head)) co_return std::nullopt;
  }
  std::optional<wire::Envelope> envelope = co_await body_->next();
  if (!envelope) {
    finish_with(exchange_->trailers());
    co_return std::nullopt;
  }
  if (envelope->flags & wire::kFlagWebTrailers) {
    if (!web_) throw Error(Code::kInternal, "gRPC-Web trailer frame in a gRPC response");
    finish_with(parse_trailer_block(envelope->payload));
    co_return std::nullopt;
  }
  if ((envelope->flags & wire::kFlagCompressed) == 0) co_return std::move(envelope->payload);
  if (response_compressor_ == nullptr) {
    throw Error(Code::kInternal, "compressed message with grpc-encoding \"" + response_encoding_ +
                                     "\", which is not supported");
  }
  co_return decompress_message(*response_compressor_, envelope->payload,
                               spec_.max_receive_message_size, Code::kInternal);
}

bool GrpcClientTransport::on_head(const http::ResponseHead& head) {
  collect_metadata(head.headers, headers_);
  if (head.headers.find("grpc-status") != nullptr) {
    finish_with(head.headers);  // Trailers-Only
    return false;
  }
  if (head.status != 200) {
    end(Status(wire::code_from_http_status(head.status),
               "HTTP status " + std::to_string(head.status) + " from a gRPC server"));
    return false;
  }
  const std::string* type = head.headers.find("content-type");
  std::string_view expected = web_ ? "application/grpc-web" : "application/grpc";
  if (type == nullptr || !std::string_view(*type).starts_with(expected)) {
    // Not a gRPC response, and its HTTP status (200) names no failure to map:
    // UNKNOWN, as grpc-go and connect-go report it.
    end(Status(Code::kUnknown, "HTTP status 200 with content-type \"" +
                                   (type ? *type : std::string()) + "\": not a " +
                                   (web_ ? "gRPC-Web" : "gRPC") + " response"));
    return false;
  }
  bool text = web_ && std::string_view(*type).starts_with("application/grpc-web-text");
  if (const std::string* encoding = head.headers.find("grpc-encoding")) {
    response_encoding_ = *encoding;
    response_compressor_ = wire::find_compressor(*encoding);
  }
  auto exchange = exchange_;
  body_.emplace([exchange](std::string& out) { return exchange->read(out); },
                spec_.max_receive_message_size, text, Code::kInternal);
  return true;
}

void GrpcClientTransport::finish_with(const http::Headers& fields) {
  collect_metadata(fields, trailers_);
  const std::string* status = fields.find("grpc-status");
  if (status == nullptr) {
    end(Status(Code::kInternal, "the server ended the call without a grpc-status"));
    return;
  }
  auto code = code_from_number(*status);
  if (!code) {
    end(Status(Code::kUnknown, "invalid grpc-status \"" + *status + "\""));
    return;
  }
  std::string message;
  if (const std::string* m = fields.find("grpc-message")) message = wire::percent_decode(*m);
  std::string details;
  if (const std::string* d = fields.find("grpc-status-details-bin")) {
    details = wire::base64_decode(*d).value_or(std::string());
  }
  end(Status(*code, std::move(message), std::move(details)));
}

}  // namespace triplex::rpc
