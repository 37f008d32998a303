#include "src/wire/compression.h"

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <array>
#include <bit>
#include <climits>
#include <cstdint>
#include <memory>
#include <new>

namespace triplex::wire {
namespace {

// Output grows geometrically from here, never past limit + 1 bytes: one byte
// beyond the limit is how a decoder shows there is more to come.
constexpr std::size_t kMinOutput = 4 * 1024;
constexpr std::size_t kMaxInitialOutput = 256 * 1024;
// zlib counts in 32-bit unsigned ints.
constexpr std::size_t kZlibChunk = UINT_MAX;

class OutputBuffer {
 public:
  OutputBuffer(std::string& out, std::size_t input_size, std::size_t limit)
      : out_(out), limit_(limit), cap_(limit == SIZE_MAX ? limit : limit + 1) {
    out_.clear();
    // Guess a 4x ratio to start with, within fixed bounds.
    initial_ = input_size >= kMaxInitialOutput / 4 ? kMaxInitialOutput
                                                   : std::max(input_size * 4, kMinOutput);
  }

  // Makes room to write; false when the buffer already holds cap_ bytes.
  bool reserve_space() {
    if (used_ < out_.size()) return true;
    if (out_.size() >= cap_) return false;
    const std::size_t grown = out_.empty() ? initial_ : out_.size() * 2;
    const std::size_t size = std::min(cap_, std::max(grown, out_.size() + 1));
    if (size > out_.capacity()) {
      // A fresh string gets exactly `size`; growing in place may double.
      std::string bigger;
      bigger.reserve(size);
      bigger.append(out_.data(), used_);
      out_.swap(bigger);
    }
    out_.resize(size);
    return true;
  }

  char* free_begin() { return out_.data() + used_; }
  std::size_t free_size() const { return out_.size() - used_; }
  void commit(std::size_t n) { used_ += n; }
  bool too_large() const { return used_ > limit_; }
  void finish() { out_.resize(used_); }

 private:
  std::string& out_;
  std::size_t limit_;
  std::size_t cap_;
  std::size_t initial_ = kMinOutput;
  std::size_t used_ = 0;
};

DecompressResult fail(std::string& out, DecompressResult result) {
  out.clear();
  return result;
}

// --- gzip and deflate (zlib) ---

constexpr int kGzipWindowBits = 15 + 16;
constexpr int kZlibWindowBits = 15;

class ZlibCompressor final : public Compressor {
 public:
  constexpr ZlibCompressor(std::string_view name, int window_bits, bool multi_member)
      : name_(name), window_bits_(window_bits), multi_member_(multi_member) {}

  std::string_view name() const override { return name_; }

  void compress(std::string_view in, std::string& out) const override {
    z_stream s{};
    if (deflateInit2(&s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits_, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
      throw std::bad_alloc();
    }
    out.resize(deflateBound(&s, in.size()));
    std::size_t remaining = in.size();
    std::size_t produced = 0;
    s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
      if (s.avail_in == 0 && remaining > 0) {
        s.avail_in = static_cast<uInt>(std::min(remaining, kZlibChunk));
        remaining -= s.avail_in;
      }
      if (produced == out.size()) out.resize(out.size() * 2 + 64);
      const auto room = static_cast<uInt>(std::min(out.size() - produced, kZlibChunk));
      s.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
      s.avail_out = room;
      rc = deflate(&s, remaining == 0 ? Z_FINISH : Z_NO_FLUSH);
      produced += room - s.avail_out;
      if (rc == Z_STREAM_ERROR) break;  // cannot happen with a valid stream
    }
    deflateEnd(&s);
    out.resize(produced);
  }

  DecompressResult decompress(std::string_view in, std::size_t limit,
                              std::string& out) const override {
    z_stream s{};
    if (inflateInit2(&s, window_bits_) != Z_OK) throw std::bad_alloc();
    const DecompressResult result = inflate_all(s, in, limit, out);
    inflateEnd(&s);
    return result;
  }

 private:
  DecompressResult inflate_all(z_stream& s, std::string_view in, std::size_t limit,
                               std::string& out) const {
    OutputBuffer buf(out, in.size(), limit);
    std::size_t remaining = in.size();
    s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    while (true) {
      if (s.avail_in == 0 && remaining > 0) {
        s.avail_in = static_cast<uInt>(std::min(remaining, kZlibChunk));
        remaining -= s.avail_in;
      }
      if (!buf.reserve_space()) return fail(out, DecompressResult::kTooLarge);
      const auto room = static_cast<uInt>(std::min(buf.free_size(), kZlibChunk));
      s.next_out = reinterpret_cast<Bytef*>(buf.free_begin());
      s.avail_out = room;
      const int rc = inflate(&s, Z_NO_FLUSH);
      buf.commit(room - s.avail_out);
      if (buf.too_large()) return fail(out, DecompressResult::kTooLarge);
      const bool input_done = s.avail_in == 0 && remaining == 0;
      if (rc == Z_STREAM_END) {
        if (input_done) break;
        // gzip allows concatenated members; anything else after the end is garbage.
        if (!multi_member_) return fail(out, DecompressResult::kCorrupt);
        inflateReset(&s);
      } else if (rc == Z_BUF_ERROR) {
        // No progress with room to write: the input ended mid-stream.
        if (input_done) return fail(out, DecompressResult::kCorrupt);
      } else if (rc != Z_OK) {
        return fail(out, DecompressResult::kCorrupt);
      }
    }
    buf.finish();
    return DecompressResult::kOk;
  }

  std::string_view name_;
  int window_bits_;
  bool multi_member_;
};

// --- zstd ---

struct ZstdDCtxDeleter {
  void operator()(ZSTD_DCtx* p) const { ZSTD_freeDCtx(p); }
};
struct ZstdCCtxDeleter {
  void operator()(ZSTD_CCtx* p) const { ZSTD_freeCCtx(p); }
};

constexpr int kZstdLevel = 3;
// The decoder allocates the window a frame declares, so it is bounded by the
// limit; 2 MiB (the default level's streaming window) is always accepted.
// Frames of today's format (RFC 8878) or skippable ones. Debian's libzstd
// also decodes legacy (pre-1.0) formats, which ignore the window limit and
// allocate what the frame header asks for: a 10-byte message could make it
// take 64 MiB.
bool current_format_frame(std::string_view in, std::size_t pos) {
  if (in.size() - pos < 4) return false;
  std::uint32_t magic = 0;
  for (int i = 3; i >= 0; --i) {
    magic = (magic << 8) | static_cast<unsigned char>(in[pos + static_cast<std::size_t>(i)]);
  }
  return magic == ZSTD_MAGICNUMBER ||
         (magic & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START;
}

constexpr int kZstdMinWindowLog = 21;
constexpr int kZstdMaxWindowLog = 27;

class ZstdCompressor final : public Compressor {
 public:
  std::string_view name() const override { return "zstd"; }

  void compress(std::string_view in, std::string& out) const override {
    std::unique_ptr<ZSTD_CCtx, ZstdCCtxDeleter> cctx(ZSTD_createCCtx());
    if (!cctx) throw std::bad_alloc();
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, kZstdLevel);
    out.resize(ZSTD_compressBound(in.size()));
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    ZSTD_outBuffer output{out.data(), out.size(), 0};
    // With the whole input and a bound-sized output, one ZSTD_e_end call ends
    // the frame and records the content size.
    while (true) {
      const std::size_t rc = ZSTD_compressStream2(cctx.get(), &output, &input, ZSTD_e_end);
      if (ZSTD_isError(rc)) throw std::bad_alloc();
      if (rc == 0) break;
      out.resize(out.size() + rc);
      output.dst = out.data();
      output.size = out.size();
    }
    out.resize(output.pos);
  }

  DecompressResult decompress(std::string_view in, std::size_t limit,
                              std::string& out) const override {
    std::unique_ptr<ZSTD_DCtx, ZstdDCtxDeleter> dctx(ZSTD_createDCtx());
    if (!dctx) throw std::bad_alloc();
    const int window_log =
        std::clamp(static_cast<int>(std::bit_width(limit)), kZstdMinWindowLog, kZstdMaxWindowLog);
    ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, window_log);

    OutputBuffer buf(out, in.size(), limit);
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    if (!current_format_frame(in, 0)) return fail(out, DecompressResult::kCorrupt);
    while (true) {
      if (!buf.reserve_space()) return fail(out, DecompressResult::kTooLarge);
      ZSTD_outBuffer output{buf.free_begin(), buf.free_size(), 0};
      const std::size_t rc = ZSTD_decompressStream(dctx.get(), &output, &input);
      buf.commit(output.pos);
      if (ZSTD_isError(rc)) {
        const bool window = ZSTD_getErrorCode(rc) == ZSTD_error_frameParameter_windowTooLarge;
        return fail(out, window ? DecompressResult::kTooLarge : DecompressResult::kCorrupt);
      }
      if (buf.too_large()) return fail(out, DecompressResult::kTooLarge);
      if (rc == 0) {
        // A frame ended; more input must be another whole frame.
        if (input.pos == input.size) break;
        if (!current_format_frame(in, input.pos)) return fail(out, DecompressResult::kCorrupt);
        continue;
      }
      // Room left but nothing more produced: the input ended mid-frame.
      if (input.pos == input.size && output.pos < output.size) {
        return fail(out, DecompressResult::kCorrupt);
      }
    }
    buf.finish();
    return DecompressResult::kOk;
  }
};

// --- brotli ---

struct BrotliEncoderDeleter {
  void operator()(BrotliEncoderState* p) const { BrotliEncoderDestroyInstance(p); }
};
struct BrotliDecoderDeleter {
  void operator()(BrotliDecoderState* p) const { BrotliDecoderDestroyInstance(p); }
};

// Quality 11 is far too slow for per-message use.
constexpr std::uint32_t kBrotliQuality = 5;

class BrotliCompressor final : public Compressor {
 public:
  std::string_view name() const override { return "br"; }

  void compress(std::string_view in, std::string& out) const override {
    std::unique_ptr<BrotliEncoderState, BrotliEncoderDeleter> enc(
        BrotliEncoderCreateInstance(nullptr, nullptr, nullptr));
    if (!enc) throw std::bad_alloc();
    BrotliEncoderSetParameter(enc.get(), BROTLI_PARAM_QUALITY, kBrotliQuality);
    const auto hint = static_cast<std::uint32_t>(std::min<std::size_t>(in.size(), 1u << 30));
    BrotliEncoderSetParameter(enc.get(), BROTLI_PARAM_SIZE_HINT, hint);

    // The bound is 0 when the input is too large to bound; then grow as needed.
    const std::size_t bound = BrotliEncoderMaxCompressedSize(in.size());
    out.resize(bound != 0 ? bound : in.size() / 2 + 64);
    std::size_t avail_in = in.size();
    const auto* next_in = reinterpret_cast<const std::uint8_t*>(in.data());
    std::size_t produced = 0;
    while (true) {
      if (produced == out.size()) out.resize(out.size() * 2);
      std::size_t avail_out = out.size() - produced;
      auto* next_out = reinterpret_cast<std::uint8_t*>(out.data() + produced);
      const std::size_t room = avail_out;
      if (!BrotliEncoderCompressStream(enc.get(), BROTLI_OPERATION_FINISH, &avail_in, &next_in,
                                       &avail_out, &next_out, nullptr)) {
        throw std::bad_alloc();
      }
      produced += room - avail_out;
      if (BrotliEncoderIsFinished(enc.get())) break;
    }
    out.resize(produced);
  }

  DecompressResult decompress(std::string_view in, std::size_t limit,
                              std::string& out) const override {
    std::unique_ptr<BrotliDecoderState, BrotliDecoderDeleter> dec(
        BrotliDecoderCreateInstance(nullptr, nullptr, nullptr));
    if (!dec) throw std::bad_alloc();
    OutputBuffer buf(out, in.size(), limit);
    std::size_t avail_in = in.size();
    const auto* next_in = reinterpret_cast<const std::uint8_t*>(in.data());
    while (true) {
      if (!buf.reserve_space()) return fail(out, DecompressResult::kTooLarge);
      const std::size_t room = buf.free_size();
      std::size_t avail_out = room;
      auto* next_out = reinterpret_cast<std::uint8_t*>(buf.free_begin());
      const BrotliDecoderResult rc = BrotliDecoderDecompressStream(dec.get(), &avail_in, &next_in,
                                                                   &avail_out, &next_out, nullptr);
      buf.commit(room - avail_out);
      if (buf.too_large()) return fail(out, DecompressResult::kTooLarge);
      if (rc == BROTLI_DECODER_RESULT_SUCCESS) {
        if (avail_in != 0) return fail(out, DecompressResult::kCorrupt);  // trailing bytes
        break;
      }
      // Needing more input means the stream was truncated.
      if (rc != BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) {
        return fail(out, DecompressResult::kCorrupt);
      }
    }
    buf.finish();
    return DecompressResult::kOk;
  }
};

// Constant-initialized, so lookups during other static initialization are safe.
constinit const ZlibCompressor kGzip("gzip", kGzipWindowBits, true);
constinit const ZlibCompressor kDeflate("deflate", kZlibWindowBits, false);
constinit const ZstdCompressor kZstd;
constinit const BrotliCompressor kBrotli;

constexpr std::array<const Compressor*, 4> kAll = {&kGzip, &kDeflate, &kZstd, &kBrotli};

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

}  // namespace

const Compressor* find_compressor(std::string_view name) {
  for (const Compressor* c : kAll) {
    if (equals_ignore_case(name, c->name())) return c;
  }
  return nullptr;
}

std::string_view supported_encodings() { return "gzip,deflate,zstd,br"; }

}  // namespace triplex::wire
