#include "src/rpc/protocol_connect.h"

#include <charconv>
#include <functional>
#include <string_view>

#include "src/rpc/codec.h"
#include "src/rpc/connect_json.h"
#include "src/rpc/enveloped_body.h"
#include "src/rpc/message_compression.h"
#include "src/rpc/query_string.h"
#include "src/wire/base64.h"
#include "src/wire/envelope.h"
#include "src/wire/http_status.h"
#include "src/wire/metadata_codec.h"

namespace triplex::rpc {
namespace {

struct ConnectContentType {
  bool streaming = false;
  Codec codec = Codec::kProto;
};

std::optional<Codec> codec_from_name(std::string_view name) {
  if (name == "proto") return Codec::kProto;
  if (name == "json") return Codec::kJson;
  return std::nullopt;
}

std::optional<ConnectContentType> parse_content_type(std::string_view type) {
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  ConnectContentType out;
  if (type.starts_with("application/connect+")) {
    out.streaming = true;
    type.remove_prefix(20);
  } else if (type.starts_with("application/")) {
    type.remove_prefix(12);
  } else {
    return std::nullopt;
  }
  auto codec = codec_from_name(type);
  if (!codec) return std::nullopt;
  out.codec = *codec;
  return out;
}

// connect-timeout-ms: 1 to 10 digits.
std::optional<std::chrono::nanoseconds> parse_timeout_ms(std::string_view text) {
  std::uint64_t ms = 0;
  if (text.empty() || text.size() > 10) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return std::chrono::milliseconds(ms);
}

// Shared by both Connect shapes: header parsing, metadata and compression.
class ConnectTransportBase : public ServerTransport {
 public:
  ConnectTransportBase(std::shared_ptr<http::Exchange> exchange, const CallLimits& limits,
                       Codec codec)
      : exchange_(std::move(exchange)), limits_(limits), codec_(codec) {}

  http::Exchange& exchange() override { return *exchange_; }
  RpcProtocol protocol() const override { return RpcProtocol::kConnect; }
  std::string_view request_encoding() const override {
    return request_compressor_ != nullptr ? request_compressor_->name() : "";
  }

 protected:
  // Reads common request headers; `encoding_header`/`accept_header` name the
  // compression negotiation headers of this shape.
  Status parse_headers(CallStart& out, std::string_view encoding_header,
                       std::string_view accept_header) {
    out.codec = codec_;
    for (const auto& h : exchange_->request().headers) {
      if (h.name == "connect-protocol-version") {
        if (h.value != "1") {
          return Status(Code::kInvalidArgument, "connect-protocol-version must be \"1\"");
        }
      } else if (h.name == "connect-timeout-ms") {
        out.timeout = parse_timeout_ms(h.value);
        if (!out.timeout) {
          return Status(Code::kInvalidArgument, "malformed connect-timeout-ms: " + h.value);
        }
      } else if (h.name == encoding_header) {
        if (!set_request_compression(h.value)) {
          return Status(Code::kUnimplemented, "unsupported " + h.name + ": " + h.value);
        }
      } else if (h.name == accept_header) {
        response_compressor_ = negotiate_compressor(h.value);
      } else if (!wire::is_reserved_header(h.name)) {
        if (!wire::decode_metadata_field(h.name, h.value, out.metadata)) {
          return Status(Code::kInvalidArgument, "malformed binary metadata: " + h.name);
        }
      }
    }
    return Status();
  }

  bool set_request_compression(std::string_view name) {
    if (name.empty() || name == "identity") return true;
    request_compressor_ = wire::find_compressor(name);
    return request_compressor_ != nullptr;
  }

  std::string decompress(std::string payload) {
    last_read_compressed_ = request_compressor_ != nullptr;
    if (request_compressor_ == nullptr) return payload;
    return decompress_message(*request_compressor_, payload, limits_.max_receive_message_size,
                              Code::kInvalidArgument);
  }

  static void add_metadata(http::Headers& fields, const Metadata& md, std::string_view prefix) {
    for (const auto& [key, value] : md) {
      if (wire::is_reserved_header(key)) continue;
      fields.add(std::string(prefix) + key, wire::encode_metadata_value(key, value));
    }
  }

  std::shared_ptr<http::Exchange> exchange_;
  CallLimits limits_;
  Codec codec_;
  const wire::Compressor* request_compressor_ = nullptr;
  const wire::Compressor* response_compressor_ = nullptr;
  bool finished_ = false;
};

// Unary: POST with a bare message body, or GET with the message in the query.
class ConnectUnaryTransport final : public ConnectTransportBase {
 public:
  std::optional<RpcKind> framing_kind() const override { return RpcKind::kUnary; }
  using ConnectTransportBase::ConnectTransportBase;

  Status start(const MethodInfo* method, CallStart& out) override {
    const auto& head = exchange_->request();
    is_get_ = head.method == "GET";
    if (method != nullptr && method->kind != RpcKind::kUnary) {
      http_status_override_ = 415;
      return Status(Code::kUnimplemented, "streaming methods need application/connect+" +
                                              std::string(codec_name(codec_)));
    }
    Status s = parse_headers(out, "content-encoding", "accept-encoding");
    if (!s.ok()) return s;
    if (is_get_) return start_get(method, out);
    if (head.method != "POST") {
      http_status_override_ = 405;
      return Status(Code::kUnimplemented, "Connect unary calls use POST or GET");
    }
    return Status();
  }

  asio::awaitable<std::optional<std::string>> read() override {
    if (request_read_) co_return std::nullopt;
    request_read_ = true;
    if (is_get_) co_return decompress(std::move(get_message_));
    std::string body;
    std::string chunk;
    while (co_await exchange_->read(chunk)) {
      body.append(chunk);
      chunk.clear();
      if (body.size() > limits_.max_receive_message_size) {
        throw Error(
            Code::kResourceExhausted,
            "request larger than max (" + std::to_string(limits_.max_receive_message_size) + ")");
      }
    }
    co_return decompress(std::move(body));
  }

  void send_headers(const Metadata&) override {}  // they go with the response

  asio::awaitable<void> write(std::string_view payload, const Metadata&) override {
    if (response_) throw Error(Code::kInternal, "a unary call answers with one message");
    if (payload.size() > limits_.max_send_message_size) {
      throw Error(Code::kResourceExhausted, "response message larger than max");
    }
    response_.emplace(payload);
    co_return;
  }

  void finish(const Status& status, const Metadata& headers, const Metadata& trailers) override {
    if (finished_ || exchange_->is_reset()) return;
    finished_ = true;
    http::ResponseHead head;
    std::string body;
    if (status.ok() && response_) {
      head.headers.add("content-type", "application/" + std::string(codec_name(codec_)));
      if (maybe_compress(response_compressor_, *response_, body)) {
        head.headers.add("content-encoding", response_compressor_->name());
      } else {
        body = std::move(*response_);
      }
      if (is_get_ && !add_cache_validators(head, body)) return;
    } else {
      Status error = status.ok() ? Status(Code::kInternal, "no response message") : status;
      head.status =
          http_status_override_ ? http_status_override_ : wire::connect_http_status(error.code);
      head.headers.add("content-type", "application/json");
      body = connect_error_json(error);
    }
    head.headers.add("accept-encoding", wire::supported_encodings());
    add_metadata(head.headers, headers, "");
    add_metadata(head.headers, trailers, "trailer-");
    head.headers.add("content-length", std::to_string(body.size()));
    exchange_->send_head(std::move(head));
    exchange_->queue(std::move(body));
    exchange_->finish({});
  }

 private:
  Status start_get(const MethodInfo* method, CallStart& out) {
    if (method != nullptr && !method->no_side_effects) {
      http_status_override_ = 405;
      return Status(Code::kUnimplemented, "GET is only for methods without side effects");
    }
    QueryString query(exchange_->request().path);
    if (auto v = query.get("connect"); v && *v != "v1") {
      return Status(Code::kInvalidArgument, "connect query parameter must be v1");
    }
    auto encoding = query.get("encoding");
    auto codec = encoding ? codec_from_name(*encoding) : std::nullopt;
    if (!codec) {
      http_status_override_ = 415;
      return Status(Code::kUnimplemented, "encoding must be proto or json");
    }
    codec_ = *codec;
    out.codec = codec_;
    if (auto c = query.get("compression"); c && !set_request_compression(*c)) {
      return Status(Code::kUnimplemented, "unsupported compression: " + *c);
    }
    std::string message = query.get("message").value_or("");
    if (query.get("base64").value_or("") == "1") {
      auto decoded = wire::base64_decode(message);
      if (!decoded) return Status(Code::kInvalidArgument, "message is not valid base64");
      message = std::move(*decoded);
    }
    if (message.size() > limits_.max_receive_message_size) {
      return Status(Code::kResourceExhausted, "request larger than max");
    }
    get_message_ = std::move(message);
    return Status();
  }

  // ETag from the body so caches can revalidate; answers 304 itself when the
  // client already holds this version (returns false then).
  bool add_cache_validators(http::ResponseHead& head, const std::string& body) {
    // libstdc++'s string hash takes 8 bytes a step and has a fixed seed, so
    // the tag is the same in every process; a byte-wise hash cost 15% of the
    // time of serving a 16 MiB response.
    std::uint64_t hash = std::hash<std::string_view>()(body);
    char etag[24];
    std::snprintf(etag, sizeof etag, "\"%016llx\"", static_cast<unsigned long long>(hash));
    head.headers.add("etag", etag);
    head.headers.add("vary", "accept-encoding");
    const std::string* match = exchange_->request().headers.find("if-none-match");
    if (match == nullptr || match->find(etag) == std::string::npos) return true;
    http::ResponseHead not_modified;
    not_modified.status = 304;
    not_modified.headers.add("etag", etag);
    exchange_->respond(std::move(not_modified));
    return false;
  }

  bool is_get_ = false;
  bool request_read_ = false;
  int http_status_override_ = 0;
  std::string get_message_;
  std::optional<std::string> response_;
};

// Streaming: enveloped messages both ways, end-of-stream JSON last.
class ConnectStreamTransport final : public ConnectTransportBase {
 public:
  std::optional<RpcKind> framing_kind() const override { return RpcKind::kBidiStreaming; }
  ConnectStreamTransport(std::shared_ptr<http::Exchange> exchange, const CallLimits& limits,
                         Codec codec)
      : ConnectTransportBase(std::move(exchange), limits, codec),
        body_(*exchange_, limits.max_receive_message_size, false, Code::kInvalidArgument) {}

  Status start(const MethodInfo*, CallStart& out) override {
    if (exchange_->request().method != "POST") {
      return Status(Code::kUnimplemented, "Connect streaming calls use POST");
    }
    return parse_headers(out, "connect-content-encoding", "connect-accept-encoding");
  }

  asio::awaitable<std::optional<std::string>> read() override {
    auto envelope = co_await body_.next();
    if (!envelope) co_return std::nullopt;
    co_return decode(std::move(*envelope));
  }

  void send_headers(const Metadata& headers) override {
    if (exchange_->head_sent() || exchange_->is_reset()) return;
    http::ResponseHead head;
    head.headers.add("content-type", "application/connect+" + std::string(codec_name(codec_)));
    if (response_compressor_ != nullptr) {
      head.headers.add("connect-content-encoding", response_compressor_->name());
    }
    head.headers.add("connect-accept-encoding", wire::supported_encodings());
    add_metadata(head.headers, headers, "");
    exchange_->send_head(std::move(head));
  }

  asio::awaitable<void> write(std::string_view payload, const Metadata& headers) override {
    if (payload.size() > limits_.max_send_message_size) {
      throw Error(Code::kResourceExhausted, "response message larger than max");
    }
    send_headers(headers);
    std::string compressed;
    bool is_compressed = maybe_compress(response_compressor_, payload, compressed);
    std::string framed;
    wire::append_envelope(framed, is_compressed ? wire::kFlagCompressed : 0,
                          is_compressed ? std::string_view(compressed) : payload);
    co_await exchange_->write(std::move(framed));
  }

  void finish(const Status& status, const Metadata& headers, const Metadata& trailers) override {
    if (finished_ || exchange_->is_reset()) return;
    finished_ = true;
    send_headers(headers);
    std::string frame;
    wire::append_envelope(frame, wire::kFlagConnectEndStream,
                          connect_end_stream_json(status, trailers));
    exchange_->queue(std::move(frame));
    exchange_->finish({});
  }

 private:
  std::string decode(wire::Envelope envelope) {
    if (envelope.flags & ~wire::kFlagCompressed) {
      throw Error(Code::kInvalidArgument, "unexpected message flags from the client");
    }
    if (!(envelope.flags & wire::kFlagCompressed)) {
      last_read_compressed_ = false;
      return std::move(envelope.payload);
    }
    if (request_compressor_ == nullptr) {
      throw Error(Code::kInternal, "compressed message without connect-content-encoding");
    }
    return decompress(std::move(envelope.payload));
  }

  EnvelopedBodyReader body_;
};

}  // namespace

bool ConnectProtocol::accepts(const http::RequestHead& head) const {
  if (head.method == "GET") return head.path.find('?') != std::string::npos;
  const std::string* type = head.headers.find("content-type");
  return type != nullptr && parse_content_type(*type).has_value();
}

std::unique_ptr<ServerTransport> ConnectProtocol::open(std::shared_ptr<http::Exchange> exchange,
                                                       const CallLimits& limits) const {
  const std::string* type = exchange->request().headers.find("content-type");
  auto parsed = type ? parse_content_type(*type) : std::nullopt;
  if (parsed && parsed->streaming) {
    return std::make_unique<ConnectStreamTransport>(std::move(exchange), limits, parsed->codec);
  }
  return std::make_unique<ConnectUnaryTransport>(std::move(exchange), limits,
                                                 parsed ? parsed->codec : Codec::kProto);
}

}  // namespace triplex::rpc
