// Lexer for RFC 1035 master files (zone files).
//
// Splits the text into logical entries: one entry is one physical line, or
// several joined by parentheses. Tokens are string_views into the caller's
// buffer (no per-token allocation): escapes stay in the text and quotes are
// removed, which is exactly what dns::rdata::from_text and Name::from_text
// take. The token vectors are reused across entries, so after the first few
// lines the lexer does not allocate at all.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dns/rdata.h"

namespace namae::zonefile {

/// Line and column (both 1-based; column counts bytes) of a token or error.
struct Position {
  uint32_t line = 0;
  uint32_t column = 0;
};

/// One logical entry: a record or a directive, possibly spanning lines.
struct Entry {
  /// The tokens, in the form rdata::from_text takes.
  std::vector<dns::TextToken> tokens;
  /// Where each token starts (same index as `tokens`).
  std::vector<Position> positions;
  /// The entry's first line began with a space or tab: RFC 1035 5.1 says the
  /// owner is then the previous record's owner.
  bool leading_blank = false;
  /// Line the entry starts on.
  uint32_t line = 0;
};

/// A lexical error. After one, the lexer resumes at the next physical line.
struct LexError {
  Position where;
  std::string message;
};

/// Tokenizer over a complete zone-file buffer. The buffer must outlive the
/// lexer and every Entry it fills.
class Lexer {
 public:
  enum class Status { entry, end, error };

  /// `first_line` lets a sub-lexer (e.g. a $GENERATE right-hand side) report
  /// positions in the enclosing file.
  explicit Lexer(std::string_view input, uint32_t first_line = 1);

  /// Fill `out` with the next non-empty entry. Blank and comment-only lines
  /// are skipped. On Status::error, error() says what and where, and the
  /// next call continues after the offending physical line.
  Status next(Entry& out);

  const LexError& error() const { return error_; }

 private:
  Status fail(Position where, std::string message);
  void skip_rest_of_line();

  std::string_view in_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  size_t line_start_ = 0;  // offset of the current line's first byte
  LexError error_;
};

}  // namespace namae::zonefile
