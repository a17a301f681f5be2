// Internal to the rdata codecs (rdata.cpp, rdata_fields.cpp): the token
// reader every from_text codec pulls from, small output helpers, and the
// codecs of the field kinds too special for rdata.cpp's generic switch
// (RFC 1876 LOC, RFC 9460 SvcParams, RFC 3123 APL, RFC 4025 gateways, ...).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "dns/name.h"
#include "dns/rdata.h"

namespace namae::dns::rdata::detail {

class TokenReader {
 public:
  TokenReader(const TypeInfo* info, std::span<const TextToken> tokens)
      : info_(info), tokens_(tokens) {}

  bool at_end() const { return i_ >= tokens_.size(); }
  const TextToken& next() { return tokens_[i_++]; }
  const TextToken& peek() const { return tokens_[i_]; }
  std::span<const TextToken> rest() {
    auto r = tokens_.subspan(i_);
    i_ = tokens_.size();
    return r;
  }
  size_t remaining() const { return tokens_.size() - i_; }

  // "MX preference: " — the prefix of every error about field `field`.
  std::string where(size_t field) const {
    return std::string(info_->mnemonic) + " " + std::string(info_->field_names[field]) + ": ";
  }

 private:
  const TypeInfo* info_;
  std::span<const TextToken> tokens_;
  size_t i_ = 0;
};

inline std::string quote(std::string_view t) { return "'" + std::string(t) + "'"; }

inline void put16(RdataBytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
inline void put32(RdataBytes& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v));
}

/// Length of an uncompressed name at d[pos] that must end by `end`; 0 if malformed.
size_t plain_name_length(const uint8_t* d, size_t pos, size_t end);

/// The special kinds (is_special() says which). `d` points at the buffer the
/// rdata lies in, `start` is the rdata's first octet there (a field may look
/// back at an earlier one: A6's prefix name exists iff its prefix length is
/// non-zero). All bounds-checked against `end`; none allocates or throws.
bool is_special(Field f);
bool skip_special(Field f, const uint8_t* d, size_t start, size_t& pos, size_t end);
/// Appends the field's text (preceded by a space unless `out` is empty).
/// False when it has no presentation form, so the caller prints `\#`.
bool special_to_text(Field f, const uint8_t* d, size_t start, size_t& pos, size_t end,
                     std::string& out);
Result<void> special_from_text(Field f, size_t fi, TokenReader& r, const Name& origin,
                               RdataBytes& out);

}  // namespace namae::dns::rdata::detail
