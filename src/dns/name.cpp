#include "dns/name.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace namae::dns {

Name::Name() {
  wire_[0] = 0;
  len_ = 1;
  labels_ = 0;
  offsets_[0] = 0;
}

void Name::index() {
  size_t pos = 0;
  labels_ = 0;
  while (wire_[pos] != 0) {
    offsets_[labels_++] = static_cast<uint8_t>(pos);
    pos += 1 + wire_[pos];
  }
  offsets_[labels_] = static_cast<uint8_t>(pos);
}

Result<Name> Name::from_text(std::string_view text, const Name* origin) {
  if (text.empty()) return fail("empty name");
  if (text == "@") {
    if (!origin) return fail("'@' used without an origin");
    return *origin;
  }
  if (text == ".") return Name();

  Name n;
  size_t label_start = 0;
  size_t label_len = 0;
  bool absolute = false;
  auto put = [&](uint8_t c) -> bool {
    if (label_len == kMaxLabel) return false;
    if (label_start + 1 + label_len >= kMaxWire - 1) return false;
    n.wire_[label_start + 1 + label_len] = c;
    ++label_len;
    return true;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      if (label_len == 0) return fail("empty label in name '" + std::string(text) + "'");
      n.wire_[label_start] = static_cast<uint8_t>(label_len);
      label_start += 1 + label_len;
      label_len = 0;
      if (i + 1 == text.size()) absolute = true;
      continue;
    }
    uint8_t octet;
    if (c == '\\') {
      if (i + 1 >= text.size()) return fail("dangling '\\' in name '" + std::string(text) + "'");
      if (std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
        if (i + 3 >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i + 2])) ||
            !std::isdigit(static_cast<unsigned char>(text[i + 3])))
          return fail("bad \\DDD escape in name '" + std::string(text) + "'");
        int v = (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
        if (v > 255) return fail("\\DDD escape above 255 in name '" + std::string(text) + "'");
        octet = static_cast<uint8_t>(v);
        i += 3;
      } else {
        octet = static_cast<uint8_t>(text[i + 1]);
        i += 1;
      }
    } else {
      octet = static_cast<uint8_t>(c);
    }
    if (!put(octet)) {
      if (label_len == kMaxLabel) return fail("label longer than 63 octets in '" + std::string(text) + "'");
      return fail("name longer than 255 octets: '" + std::string(text) + "'");
    }
  }
  if (label_len > 0) {
    n.wire_[label_start] = static_cast<uint8_t>(label_len);
    label_start += 1 + label_len;
  }
  if (label_start >= kMaxWire) return fail("name longer than 255 octets: '" + std::string(text) + "'");
  if (absolute) {
    n.wire_[label_start] = 0;
    n.len_ = static_cast<uint8_t>(label_start + 1);
    n.index();
    return n;
  }
  if (!origin) return fail("relative name '" + std::string(text) + "' without an origin");
  // Append the origin in place (zone files are mostly relative names: this
  // saves a second Name and its copy per name).
  if (label_start + origin->len_ > kMaxWire)
    return fail("name longer than 255 octets: '" + std::string(text) + "' + origin");
  std::memcpy(&n.wire_[label_start], origin->wire_.data(), origin->len_);
  n.len_ = static_cast<uint8_t>(label_start + origin->len_);
  n.index();
  return n;
}

Result<Name> Name::from_wire_prefix(std::span<const uint8_t> data, size_t& used) {
  size_t pos = 0;
  while (true) {
    if (pos >= data.size()) return fail("name runs past the end of its data");
    uint8_t len = data[pos];
    if (len == 0) break;
    if (len & 0xC0) return fail("compression pointer or bad label type in uncompressed name");
    pos += 1 + len;
    if (pos + 1 > kMaxWire) return fail("name longer than 255 octets");
  }
  ++pos;
  Name n;
  std::memcpy(n.wire_.data(), data.data(), pos);
  n.len_ = static_cast<uint8_t>(pos);
  n.index();
  used = pos;
  return n;
}

Result<Name> Name::from_wire(std::span<const uint8_t> wire) {
  size_t used = 0;
  auto n = from_wire_prefix(wire, used);
  if (!n) return n;
  if (used != wire.size()) return fail("trailing octets after name");
  return n;
}

Result<Name> Name::from_labels(std::span<const std::string_view> labels) {
  Name n;
  size_t pos = 0;
  for (auto l : labels) {
    if (l.empty()) return fail("empty label");
    if (l.size() > kMaxLabel) return fail("label longer than 63 octets");
    if (pos + 1 + l.size() + 1 > kMaxWire) return fail("name longer than 255 octets");
    n.wire_[pos] = static_cast<uint8_t>(l.size());
    std::memcpy(&n.wire_[pos + 1], l.data(), l.size());
    pos += 1 + l.size();
  }
  n.wire_[pos] = 0;
  n.len_ = static_cast<uint8_t>(pos + 1);
  n.index();
  return n;
}

std::span<const uint8_t> Name::label(size_t i) const {
  size_t off = offsets_[i];
  return {&wire_[off + 1], wire_[off]};
}

bool Name::is_wildcard() const { return labels_ > 0 && wire_[0] == 1 && wire_[1] == '*'; }

static void append_label_text(std::string& out, std::span<const uint8_t> label) {
  for (uint8_t c : label) {
    switch (c) {
      case '.': case '\\': case '"': case '(': case ')': case ';': case '@': case '$':
        out.push_back('\\');
        out.push_back(static_cast<char>(c));
        break;
      default:
        if (c <= 0x20 || c >= 0x7f) {
          char buf[5];
          buf[0] = '\\';
          buf[1] = static_cast<char>('0' + c / 100);
          buf[2] = static_cast<char>('0' + (c / 10) % 10);
          buf[3] = static_cast<char>('0' + c % 10);
          out.append(buf, 4);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
}

std::string Name::to_text() const {
  if (labels_ == 0) return ".";
  std::string out;
  out.reserve(len_ + 8);
  for (size_t i = 0; i < labels_; ++i) {
    append_label_text(out, label(i));
    out.push_back('.');
  }
  return out;
}

std::string Name::to_text_relative(const Name& origin) const {
  if (!is_subdomain_of(origin)) return to_text();
  size_t keep = labels_ - origin.labels_;
  if (keep == 0) return "@";
  std::string out;
  for (size_t i = 0; i < keep; ++i) {
    if (i) out.push_back('.');
    append_label_text(out, label(i));
  }
  return out;
}

bool Name::operator==(const Name& other) const {
  if (len_ != other.len_ || labels_ != other.labels_) return false;
  for (size_t i = 0; i < len_; ++i)
    if (ascii_lower(wire_[i]) != ascii_lower(other.wire_[i])) return false;
  return true;
}

int Name::canonical_compare(const Name& other) const {
  size_t a = labels_, b = other.labels_;
  while (a > 0 && b > 0) {
    --a;
    --b;
    auto la = label(a), lb = other.label(b);
    size_t n = std::min(la.size(), lb.size());
    for (size_t i = 0; i < n; ++i) {
      uint8_t x = ascii_lower(la[i]), y = ascii_lower(lb[i]);
      if (x != y) return x < y ? -1 : 1;
    }
    if (la.size() != lb.size()) return la.size() < lb.size() ? -1 : 1;
  }
  if (a == b) return 0;
  return a < b ? -1 : 1;  // the name with fewer labels (an ancestor) sorts first
}

std::strong_ordering Name::operator<=>(const Name& other) const {
  int c = canonical_compare(other);
  return c < 0 ? std::strong_ordering::less
               : (c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal);
}

size_t Name::common_suffix_labels(const Name& other) const {
  size_t a = labels_, b = other.labels_, n = 0;
  while (a > 0 && b > 0) {
    --a;
    --b;
    auto la = label(a), lb = other.label(b);
    if (la.size() != lb.size()) break;
    bool same = true;
    for (size_t i = 0; i < la.size(); ++i)
      if (ascii_lower(la[i]) != ascii_lower(lb[i])) { same = false; break; }
    if (!same) break;
    ++n;
  }
  return n;
}

bool Name::is_subdomain_of(const Name& parent) const {
  if (parent.labels_ > labels_) return false;
  return common_suffix_labels(parent) == parent.labels_;
}

Name Name::strip_left(size_t n) const {
  if (n >= labels_) return Name();
  Name out;
  size_t off = offsets_[n];
  out.len_ = static_cast<uint8_t>(len_ - off);
  std::memcpy(out.wire_.data(), &wire_[off], out.len_);
  out.index();
  return out;
}

Result<Name> Name::concat(const Name& suffix) const {
  size_t total = (len_ - 1) + suffix.len_;
  if (total > kMaxWire) return fail("name longer than 255 octets");
  Name out;
  std::memcpy(out.wire_.data(), wire_.data(), len_ - 1);
  std::memcpy(&out.wire_[len_ - 1], suffix.wire_.data(), suffix.len_);
  out.len_ = static_cast<uint8_t>(total);
  out.index();
  return out;
}

Result<Name> Name::prepend(std::span<const uint8_t> l) const {
  if (l.empty()) return fail("empty label");
  if (l.size() > kMaxLabel) return fail("label longer than 63 octets");
  if (len_ + 1 + l.size() > kMaxWire) return fail("name longer than 255 octets");
  Name out;
  out.wire_[0] = static_cast<uint8_t>(l.size());
  std::memcpy(&out.wire_[1], l.data(), l.size());
  std::memcpy(&out.wire_[1 + l.size()], wire_.data(), len_);
  out.len_ = static_cast<uint8_t>(len_ + 1 + l.size());
  out.index();
  return out;
}

Name Name::lower() const {
  Name out = *this;
  for (size_t i = 0; i < len_; ++i) out.wire_[i] = ascii_lower(wire_[i]);
  return out;
}

std::string Name::lookup_key() const {
  std::string key;
  key.reserve(len_);
  // Octets 0 and 1 are escaped as 1,1 and 1,2 so that a 0 inside a label can
  // never be mistaken for the separator and byte order still equals canonical
  // order (0 < 1 < 2.. and the separator 0 sorts below every escaped octet).
  for (size_t i = labels_; i-- > 0;) {
    for (uint8_t c : label(i)) {
      uint8_t l = ascii_lower(c);
      if (l <= 1) {
        key.push_back('\1');
        key.push_back(static_cast<char>(l + 1));
      } else {
        key.push_back(static_cast<char>(l));
      }
    }
    key.push_back('\0');
  }
  return key;
}

size_t Name::hash() const {
  // FNV-1a over the lower-cased wire form.
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < len_; ++i) {
    h ^= ascii_lower(wire_[i]);
    h *= 1099511628211ull;
  }
  return static_cast<size_t>(h);
}

}  // namespace namae::dns
