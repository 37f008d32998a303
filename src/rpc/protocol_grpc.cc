#include "src/rpc/protocol_grpc.h"

#include "src/wire/compression.h"
#include "src/wire/envelope.h"
#include "src/wire/metadata_codec.h"
#include "src/wire/percent.h"
#include "src/wire/timeout.h"

namespace triplex::rpc {
namespace {

constexpr std::string_view kContentType = "application/grpc";

bool is_grpc_content_type(std::string_view type) {
  if (!type.starts_with(kContentType)) return false;
  type.remove_prefix(kContentType.size());
  return type.empty() || type == "+proto" || type[0] == ';' || type.starts_with("+proto;");
}

class GrpcTransport final : public ServerTransport {
 public:
  GrpcTransport(std::shared_ptr<http::Exchange> exchange, const CallLimits& limits)
      : exchange_(std::move(exchange)), limits_(limits), reader_(limits.max_receive_message_size) {}

  Status start(CallStart& out) override {
    const auto& head = exchange_->request();
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
      } else if (!wire::is_reserved_header(h.name)) {
        if (!wire::decode_metadata_field(h.name, h.value, out.metadata)) {
          return Status(Code::kInternal, "malformed binary metadata: " + h.name);
        }
      }
    }
    out.codec = Codec::kProto;
    return Status();
  }

  asio::awaitable<std::optional<std::string>> read() override {
    wire::Envelope envelope;
    for (;;) {
      switch (reader_.next(envelope)) {
        case wire::EnvelopeReader::State::kMessage:
          co_return decode(std::move(envelope));
        case wire::EnvelopeReader::State::kTooLarge:
          throw Error(Code::kResourceExhausted,
                      "received message larger than max (" +
                          std::to_string(reader_.rejected_length()) + " vs. " +
                          std::to_string(limits_.max_receive_message_size) + ")");
        case wire::EnvelopeReader::State::kNeedMore:
          break;
      }
      if (request_ended_) {
        if (reader_.has_partial()) throw Error(Code::kInternal, "truncated gRPC message");
        co_return std::nullopt;
      }
      chunk_.clear();
      if (!co_await exchange_->read(chunk_)) {
        request_ended_ = true;
        continue;
      }
      reader_.feed(chunk_);
    }
  }

  void send_headers(const Metadata& headers) override {
    if (exchange_->head_sent() || exchange_->is_reset()) return;
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
    send_headers(headers);
    std::string framed;
    framed.reserve(payload.size() + wire::kEnvelopeHeaderSize);
    wire::append_envelope(framed, 0, payload);
    co_await exchange_->write(std::move(framed));
  }

  void finish(const Status& status, const Metadata& headers, const Metadata& trailers) override {
    if (finished_ || exchange_->is_reset()) return;
    finished_ = true;
    if (!exchange_->head_sent()) {
      // Trailers-Only: one HEADERS frame carries everything.
      http::ResponseHead head;
      add_response_fields(head.headers, headers);
      add_status_fields(head.headers, status, trailers);
      exchange_->respond(std::move(head));
      return;
    }
    http::Headers fields;
    add_status_fields(fields, status, trailers);
    exchange_->finish(std::move(fields));
  }

  http::Exchange& exchange() override { return *exchange_; }

 private:
  std::string decode(wire::Envelope envelope) {
    if (envelope.flags & ~wire::kFlagCompressed) {
      throw Error(Code::kInternal, "unknown gRPC message flags");
    }
    if (!(envelope.flags & wire::kFlagCompressed)) return std::move(envelope.payload);
    if (request_compressor_ == nullptr) {
      throw Error(Code::kInternal, "compressed message without grpc-encoding");
    }
    std::string out;
    switch (
        request_compressor_->decompress(envelope.payload, limits_.max_receive_message_size, out)) {
      case wire::DecompressResult::kOk:
        return out;
      case wire::DecompressResult::kTooLarge:
        throw Error(Code::kResourceExhausted, "decompressed message larger than max (" +
                                                  std::to_string(limits_.max_receive_message_size) +
                                                  ")");
      case wire::DecompressResult::kCorrupt:
        break;
    }
    throw Error(Code::kInternal, "cannot decompress gRPC message");
  }

  static void add_metadata(http::Headers& fields, const Metadata& md) {
    for (const auto& [key, value] : md) {
      if (wire::is_reserved_header(key)) continue;
      fields.add(key, wire::encode_metadata_value(key, value));
    }
  }

  static void add_response_fields(http::Headers& fields, const Metadata& headers) {
    fields.add("content-type", kContentType);
    fields.add("grpc-accept-encoding", wire::supported_encodings());
    add_metadata(fields, headers);
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
  wire::EnvelopeReader reader_;
  const wire::Compressor* request_compressor_ = nullptr;
  std::string chunk_;
  bool request_ended_ = false;
  bool finished_ = false;
};

}  // namespace

bool GrpcProtocol::accepts(const http::RequestHead& head) const {
  const std::string* type = head.headers.find("content-type");
  return type != nullptr && is_grpc_content_type(*type);
}

std::unique_ptr<ServerTransport> GrpcProtocol::open(std::shared_ptr<http::Exchange> exchange,
                                                    const CallLimits& limits) const {
  return std::make_unique<GrpcTransport>(std::move(exchange), limits);
}

}  // namespace triplex::rpc
