// Name: a domain name in uncompressed wire form with its label offsets.
//
// Fixed-size storage (no heap) so that the packet path can decode names into
// stack objects without allocating. Comparison is ASCII case-insensitive; the
// original case is kept so answers can echo the question's spelling.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"

namespace namae::dns {

enum class WireError : uint8_t;  // wire.h

class Name {
 public:
  static constexpr size_t kMaxWire = 255;   // RFC 1035 2.3.4, including the root octet
  static constexpr size_t kMaxLabel = 63;   // RFC 1035 2.3.4
  static constexpr size_t kMaxLabels = 128; // 127 one-octet labels + root

  /// The root name ".".
  Name();

  /// Parse presentation format: `www.example.com.`, `\.` and `\DDD` escapes, `@`
  /// for the origin. A name without a trailing dot is relative and gets `origin`
  /// appended; with origin == nullptr a relative name is an error.
  static Result<Name> from_text(std::string_view text, const Name* origin = nullptr);

  /// Parse an uncompressed wire name that must span exactly `wire` (length
  /// bytes, labels, terminating zero). Rejects compression pointers.
  static Result<Name> from_wire(std::span<const uint8_t> wire);

  /// Parse an uncompressed wire name at the start of `data`; `used` receives
  /// the number of octets consumed. Used for names inside rdata.
  static Result<Name> from_wire_prefix(std::span<const uint8_t> data, size_t& used);

  /// Build from labels given leftmost first (no length octets). Fails on limits.
  static Result<Name> from_labels(std::span<const std::string_view> labels);

  /// Uncompressed wire form including the terminating root octet.
  std::span<const uint8_t> wire() const { return {wire_.data(), len_}; }
  size_t wire_length() const { return len_; }

  /// Number of labels, not counting the root label (so "." has 0, "a.b." has 2).
  size_t label_count() const { return labels_; }
  /// Label i (0 = leftmost) without its length octet.
  std::span<const uint8_t> label(size_t i) const;
  bool is_root() const { return labels_ == 0; }
  /// True when the leftmost label is `*` (RFC 4592 wildcard).
  bool is_wildcard() const;

  /// Presentation form, always absolute (trailing dot), escaping per RFC 4343.
  std::string to_text() const;
  /// Presentation form relative to `origin` when this is at or below it ("@" at the apex).
  std::string to_text_relative(const Name& origin) const;

  /// Case-insensitive equality (RFC 4343).
  bool operator==(const Name& other) const;
  /// RFC 4034 6.1 canonical ordering: label by label from the right, lower-cased octets.
  std::strong_ordering operator<=>(const Name& other) const;
  int canonical_compare(const Name& other) const;

  /// True when this name equals `parent` or lies below it.
  bool is_subdomain_of(const Name& parent) const;
  /// The name with the leftmost `n` labels removed (root stays root).
  Name strip_left(size_t n = 1) const;
  /// The rightmost `n` labels of this name.
  Name suffix(size_t n) const { return strip_left(labels_ > n ? labels_ - n : 0); }
  /// This name (treated as relative: its root octet dropped) followed by `suffix`.
  Result<Name> concat(const Name& suffix) const;
  /// Prepend one label.
  Result<Name> prepend(std::span<const uint8_t> label) const;
  /// ASCII lower-cased copy, for canonical forms and keys.
  Name lower() const;
  /// Number of rightmost labels shared with `other` (case-insensitive).
  size_t common_suffix_labels(const Name& other) const;

  /// Key whose bytewise order equals canonical order: labels reversed,
  /// lower-cased, each followed by a 0 separator (Knot's lookup-format idea),
  /// with octets 0 and 1 inside labels escaped so the order holds for them too.
  std::string lookup_key() const;

  /// Case-insensitive hash (consistent with operator==).
  size_t hash() const;

 private:
  friend WireError read_name(std::span<const uint8_t>, size_t, Name&, size_t&);
  std::array<uint8_t, kMaxWire> wire_;
  std::array<uint8_t, kMaxLabels> offsets_;
  uint8_t len_ = 1;
  uint8_t labels_ = 0;

  void index();  // recompute offsets_ and labels_ from wire_/len_
};

/// Lower-case one ASCII octet (DNS names compare only A-Z case-insensitively).
inline uint8_t ascii_lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/// Hasher so Name works as an unordered_map key.
struct NameHash {
  size_t operator()(const Name& n) const { return n.hash(); }
};

}  // namespace namae::dns
