#include "src/rpc/protocol_grpc.h"

#include "src/rpc/enveloped_body.h"
#include "src/rpc/message_compression.h"
#include "src/wire/base64.h"
#include "src/wire/envelope.h"
#include "src/wire/metadata_codec.h"
#include "src/wire/percent.h"
#include "src/wire/timeout.h"

namespace triplex::rpc {
namespace {

// What a content type says: which flavour, which codec; nullopt if not ours.
struct GrpcContentType {
  bool web = false;
  bool text = false;
  // application/x-protobuf, taken by the bridge: one message, no envelope.
  bool unframed = false;
  Codec codec = Codec::kProto;
};

constexpr std::string_view kUnframedType = "application/x-protobuf";

std::optional<GrpcContentType> parse_content_type(std::string_view type) {
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (type == kUnframedType) return GrpcContentType{.unframed = true};
  constexpr std::string_view kPrefix = "application/grpc";
  if (!type.starts_with(kPrefix)) return std::nullopt;
  type.remove_prefix(kPrefix.size());
  GrpcContentType out;
  if (type.starts_with("-web-text")) {
    out.web = out.text = true;
    type.remove_prefix(9);
  } else if (type.starts_with("-web")) {
    out.web = true;
    type.remove_prefix(4);
  }
  if (type.empty() || type == "+proto") return out;
  if (type == "+json") {
    out.codec = Codec::kJson;
    return out;
  }
  return std::nullopt;
}

class GrpcTransport final : public ServerTransport {
 public:
  GrpcTransport(std::shared_ptr<http::Exchange> exchange, const CallLimits& limits,
                const Http1BridgeOptions& bridge, GrpcContentType type)
      : exchange_(std::move(exchange)),
        limits_(limits),
        bridge_options_(bridge),
        type_(type),
        body_(*exchange_, limits.max_receive_message_size, type.text, Code::kInternal),
        // Without trailers, plain gRPC falls back to the HTTP/1.1 bridge.
        bridge_(type.unframed || (!type.web && !exchange_->capabilities().trailers)) {}

  Status start(const MethodInfo* method, CallStart& out) override {
    const auto& head = exchange_->request();
    out.codec = type_.codec;
    if (head.method != "POST") {
      return Status(Code::kUnimplemented, "gRPC requires POST, got " + head.method);
    }
    for (const auto& h : head.headers) {
      if (h.name == "grpc-timeout") {
        out.timeout = wire::parse_grpc_timeout(h.value);
        if (!out.timeout) return Status(Code::kInternal, "malformed grpc-timeout: " + h.value);
      } else if (h.name == "grpc-encoding") {
        if (h.value != "identity") {
          request_compressor_ = wire::find_compressor(h.value);
          if (request_compressor_ == nullptr) {
            return Status(Code::kUnimplemented, "unsupported grpc-encoding: " + h.value);
          }
        }
      } else if (h.name == "grpc-accept-encoding") {
        response_compressor_ = negotiate_compressor(h.value);
      } else if (!wire::is_reserved_header(h.name)) {
        if (!wire::decode_metadata_field(h.name, h.value, out.metadata)) {
          return Status(Code::kInternal, "malformed binary metadata: " + h.name);
        }
      }
    }
    // Reply in the client's encoding when it compressed and accepts that.
    if (response_compressor_ != request_compressor_) response_compressor_ = nullptr;
    if (bridge_ && method != nullptr && method->kind != RpcKind::kUnary) {
      return Status(Code::kUnimplemented, std::string(kBridgeStreaming));
    }
    return Status();
  }

  asio::awaitable<std::optional<std::string>> read() override {
    if (type_.unframed) co_return co_await read_unframed();
    auto envelope = co_await body_.next();
    if (!envelope) co_return std::nullopt;
    // The bridge answers one message with one: a second means a streaming
    // method, which it cannot carry (the method's kind may be unknown here,
    // e.g. behind a proxy).
    if (bridge_ && ++messages_read_ > 1)
      throw Error(Code::kUnimplemented, std::string(kBridgeStreaming));
    co_return decode(std::move(*envelope));
  }

  void send_headers(const Metadata& headers) override {
    if (bridge_ || exchange_->head_sent() || exchange_->is_reset()) return;
    http::ResponseHead head;
    add_response_fields(head.headers, headers);
    exchange_->send_head(std::move(head));
  }

  asio::awaitable<void> write(std::string_view payload, const Metadata& headers) override {
    if (payload.size() > limits_.max_send_message_size) {
      throw Error(Code::kResourceExhausted,
                  "response message larger than max (" + std::to_string(payload.size()) + " vs. " +
                      std::to_string(limits_.max_send_message_size) + ")");
    }
    if (bridge_) {
      buffer_bridged(payload);
      co_return;
    }
    std::string compressed;
    bool is_compressed = maybe_compress(response_compressor_, payload, compressed);
    if (is_compressed) payload = compressed;
    std::string framed;
    framed.reserve(payload.size() + wire::kEnvelopeHeaderSize);
    wire::append_envelope(framed, is_compressed ? wire::kFlagCompressed : 0, payload);
    send_headers(headers);
    // Kept out of the co_await expression: GCC 12 mishandles temporaries there.
    if (type_.text) framed = wire::base64_encode(framed);
    co_await exchange_->write(std::move(framed));
  }

  void finish(const Status& status, const Metadata& headers, const Metadata& trailers) override {
    if (finished_ || exchange_->is_reset()) return;
    finished_ = true;
    if (bridge_) return finish_bridged(status, headers, trailers);
    if (!exchange_->head_sent() && !type_.web) {
      // Trailers-Only: one HEADERS frame carries everything.
      http::ResponseHead head;
      add_response_fields(head.headers, headers);
      add_status_fields(head.headers, status, trailers);
      exchange_->respond(std::move(head));
      return;
    }
    if (type_.web) {
      send_headers(headers);
      http::Headers fields;
      add_status_fields(fields, status, trailers);
      std::string block;
      for (const auto& f : fields) block.append(f.name).append(":").append(f.value).append("\r\n");
      std::string frame;
      wire::append_envelope(frame, wire::kFlagWebTrailers, block);
      // The last bytes of the response: queued, then the stream ends.
      exchange_->queue(type_.text ? wire::base64_encode(frame) : std::move(frame));
      exchange_->finish({});
      return;
    }
    http::Headers fields;
    add_status_fields(fields, status, trailers);
    exchange_->finish(std::move(fields));
  }

  http::Exchange& exchange() override { return *exchange_; }
  RpcProtocol protocol() const override {
    return type_.web ? RpcProtocol::kGrpcWeb : RpcProtocol::kGrpc;
  }
  std::string_view request_encoding() const override {
    return request_compressor_ != nullptr ? request_compressor_->name() : "";
  }

 private:
  static constexpr std::string_view kBridgeStreaming =
      "the HTTP/1.1 bridge carries unary calls only: streaming methods over HTTP/1.1 need "
      "`TE: trailers` (or use gRPC-Web or Connect)";

  // The bridge answers once, when the call ends, with one message; its buffer
  // is bounded so a large upstream answer cannot grow it without limit.
  void buffer_bridged(std::string_view payload) {
    if (++messages_written_ > 1) throw Error(Code::kUnimplemented, std::string(kBridgeStreaming));
    std::size_t size = payload.size() + (type_.unframed ? 0 : wire::kEnvelopeHeaderSize);
    if (size > bridge_options_.max_buffer_size) {
      throw Error(Code::kResourceExhausted, "response of " + std::to_string(size) +
                                                " bytes exceeds the HTTP/1.1 bridge's buffer of " +
                                                std::to_string(bridge_options_.max_buffer_size) +
                                                " bytes");
    }
    if (type_.unframed) {
      bridged_body_.assign(payload);
      return;
    }
    std::string compressed;
    bool is_compressed = maybe_compress(response_compressor_, payload, compressed);
    if (is_compressed) payload = compressed;
    wire::append_envelope(bridged_body_, is_compressed ? wire::kFlagCompressed : 0, payload);
  }

  // application/x-protobuf: the whole body is the one request message.
  asio::awaitable<std::optional<std::string>> read_unframed() {
    if (unframed_read_) co_return std::nullopt;
    unframed_read_ = true;
    std::string body;
    while (co_await exchange_->read(body)) {
      if (body.size() > limits_.max_receive_message_size) {
        throw Error(Code::kResourceExhausted, "request body larger than max (" +
                                                  std::to_string(limits_.max_receive_message_size) +
                                                  " bytes)");
      }
    }
    co_return body;
  }

  void finish_bridged(const Status& status, const Metadata& headers, const Metadata& trailers) {
    // Envoy's grpc_http1_bridge: 200 only for OK, else 503; status in headers.
    // A failed call's answer carries no message: a unary call has none to
    // give, and what a streaming one buffered before it failed is not one.
    http::ResponseHead head;
    head.status = status.ok() ? 200 : 503;
    add_response_fields(head.headers, headers);
    add_status_fields(head.headers, status, trailers);
    if (bridged_body_.empty() || !status.ok()) {
      exchange_->respond(std::move(head));
      return;
    }
    head.headers.add("content-length", std::to_string(bridged_body_.size()));
    exchange_->send_head(std::move(head));
    exchange_->queue(std::move(bridged_body_));
    exchange_->finish({});
  }

  std::string decode(wire::Envelope envelope) {
    if (envelope.flags & ~wire::kFlagCompressed) {
      throw Error(Code::kInternal, "unknown gRPC message flags");
    }
    last_read_compressed_ = (envelope.flags & wire::kFlagCompressed) != 0;
    if (!last_read_compressed_) return std::move(envelope.payload);
    if (request_compressor_ == nullptr) {
      throw Error(Code::kInternal, "compressed message without grpc-encoding");
    }
    return decompress_message(*request_compressor_, envelope.payload,
                              limits_.max_receive_message_size, Code::kInternal);
  }

  static void add_metadata(http::Headers& fields, const Metadata& md) {
    for (const auto& [key, value] : md) {
      if (wire::is_reserved_header(key)) continue;
      fields.add(key, wire::encode_metadata_value(key, value));
    }
  }

  void add_response_fields(http::Headers& fields, const Metadata& headers) const {
    fields.add("content-type", response_content_type());
    if (response_compressor_ != nullptr) fields.add("grpc-encoding", response_compressor_->name());
    fields.add("grpc-accept-encoding", wire::supported_encodings());
    add_metadata(fields, headers);
  }

  std::string response_content_type() const {
    if (type_.unframed) return std::string(kUnframedType);
    std::string type = type_.web
                           ? (type_.text ? "application/grpc-web-text" : "application/grpc-web")
                           : "application/grpc";
    if (type_.codec == Codec::kJson) return type + "+json";
    return type_.web ? type + "+proto" : type;
  }

  static void add_status_fields(http::Headers& fields, const Status& status,
                                const Metadata& trailers) {
    fields.add("grpc-status", std::to_string(static_cast<int>(status.code)));
    if (!status.message.empty()) fields.add("grpc-message", wire::percent_encode(status.message));
    if (!status.details.empty()) {
      fields.add("grpc-status-details-bin",
                 wire::encode_metadata_value("grpc-status-details-bin", status.details));
    }
    add_metadata(fields, trailers);
  }

  std::shared_ptr<http::Exchange> exchange_;
  CallLimits limits_;
  Http1BridgeOptions bridge_options_;
  GrpcContentType type_;
  EnvelopedBodyReader body_;
  const wire::Compressor* request_compressor_ = nullptr;
  const wire::Compressor* response_compressor_ = nullptr;
  bool bridge_;
  std::string bridged_body_;
  int messages_read_ = 0;
  int messages_written_ = 0;
  bool unframed_read_ = false;
  bool finished_ = false;
};

}  // namespace

bool GrpcProtocol::accepts(const http::RequestHead& head) const {
  const std::string* type = head.headers.find("content-type");
  if (type == nullptr) return false;
  auto parsed = parse_content_type(*type);
  if (parsed && parsed->unframed) return !web_ && bridge_.upgrade_protobuf_to_grpc;
  return parsed && parsed->web == web_;
}

std::unique_ptr<ServerTransport> GrpcProtocol::open(std::shared_ptr<http::Exchange> exchange,
                                                    const CallLimits& limits) const {
  auto type = parse_content_type(*exchange->request().headers.find("content-type"));
  return std::make_unique<GrpcTransport>(std::move(exchange), limits, bridge_, *type);
}

}  // namespace triplex::rpc
