// A small streaming JSON writer for machine-readable output (the CLI, the REST API).
// Hand-written (no dependency) because namae only ever writes JSON; it
// escapes strings per RFC 8259 and keeps output valid UTF-8 even when handed
// arbitrary octets (those become \u00XX escapes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace namae {

/// Builds pretty-printed JSON (two-space indent) into a string. Calls must
/// nest correctly: key() only inside objects, values only after key() in
/// objects or directly in arrays.
class JsonWriter {
 public:
  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  /// Member name inside an object; the next call writes its value.
  void key(std::string_view k);
  void value(std::string_view s);
  void value(const char* s) { value(std::string_view(s)); }
  void value(int64_t n);
  void value(uint64_t n);
  void value(int n) { value(static_cast<int64_t>(n)); }
  void value(unsigned n) { value(static_cast<uint64_t>(n)); }
  void value(bool b);
  void null();

  /// key + value in one call.
  template <class T>
  void member(std::string_view k, const T& v) {
    key(k);
    value(v);
  }

  const std::string& str() const { return out_; }

 private:
  void before_value();
  void newline();

  std::string out_;
  // Per open container: whether it already has an element.
  std::vector<bool> has_items_;
  bool after_key_ = false;
};

/// `s` as a quoted JSON string literal.
std::string json_quote(std::string_view s);

}  // namespace namae
