#include "base/json.h"

namespace namae {

std::string json_quote(std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        // Control characters must be escaped (RFC 8259 7); octets >= 0x7f are
        // escaped too because DNS text is octets, not necessarily UTF-8.
        if (c < 0x20 || c >= 0x7f) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0x0f]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

void JsonWriter::newline() {
  out_.push_back('\n');
  out_.append(2 * has_items_.size(), ' ');
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (has_items_.empty()) return;  // top-level value
  if (has_items_.back()) out_.push_back(',');
  has_items_.back() = true;
  newline();
}

void JsonWriter::begin_object() {
  before_value();
  out_.push_back('{');
  has_items_.push_back(false);
}

void JsonWriter::end_object() {
  bool items = has_items_.back();
  has_items_.pop_back();
  if (items) newline();
  out_.push_back('}');
  if (has_items_.empty()) out_.push_back('\n');
}

void JsonWriter::begin_array() {
  before_value();
  out_.push_back('[');
  has_items_.push_back(false);
}

void JsonWriter::end_array() {
  bool items = has_items_.back();
  has_items_.pop_back();
  if (items) newline();
  out_.push_back(']');
  if (has_items_.empty()) out_.push_back('\n');
}

void JsonWriter::key(std::string_view k) {
  if (has_items_.back()) out_.push_back(',');
  has_items_.back() = true;
  newline();
  out_ += json_quote(k);
  out_ += ": ";
  after_key_ = true;
}

void JsonWriter::value(std::string_view s) {
  before_value();
  out_ += json_quote(s);
}

void JsonWriter::value(int64_t n) {
  before_value();
  out_ += std::to_string(n);
}

void JsonWriter::value(uint64_t n) {
  before_value();
  out_ += std::to_string(n);
}

void JsonWriter::value(bool b) {
  before_value();
  out_ += b ? "true" : "false";
}

void JsonWriter::null() {
  before_value();
  out_ += "null";
}

}  // namespace namae
