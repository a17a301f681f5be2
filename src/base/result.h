// Result<T>: a value or an error message, for code that must not throw across
// the packet path and must build with g++ 12 and clang++ 14 (no std::expected).
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace namae {

/// Error carried by Result: a human-readable reason. Callers that need to map
/// errors to protocol codes use their own enum (see dns::ParseError).
struct Error {
  std::string message;
};

/// Build an Error from a message (reads well at return sites: `return fail("...")`).
inline Error fail(std::string message) { return Error{std::move(message)}; }

/// A value of type T or an Error. Cheap to move; check ok() before value().
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }
  const std::string& message() const { return error().message; }

 private:
  std::variant<T, Error> v_;
};

/// Result for operations with no value.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { assert(!ok_); return error_; }
  const std::string& message() const { return error_.message; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace namae
