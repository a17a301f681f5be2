#include "zonefile/lexer.h"

#include <array>

namespace namae::zonefile {
namespace {

// Character classes: one table lookup per byte keeps the hot loop branch-light.
enum : uint8_t { kWord = 0, kBlank, kNewline, kComment, kOpen, kClose, kQuote, kEscape };

constexpr std::array<uint8_t, 256> make_classes() {
  std::array<uint8_t, 256> t{};
  t[' '] = kBlank;
  t['\t'] = kBlank;
  t['\r'] = kBlank;
  t['\n'] = kNewline;
  t[';'] = kComment;
  t['('] = kOpen;
  t[')'] = kClose;
  t['"'] = kQuote;
  t['\\'] = kEscape;
  return t;
}
constexpr std::array<uint8_t, 256> kClass = make_classes();

inline uint8_t cls(char c) { return kClass[static_cast<unsigned char>(c)]; }

}  // namespace

Lexer::Lexer(std::string_view input, uint32_t first_line) : in_(input), line_(first_line) {}

Lexer::Status Lexer::fail(Position where, std::string message) {
  error_.where = where;
  error_.message = std::move(message);
  return Status::error;
}

void Lexer::skip_rest_of_line() {
  while (pos_ < in_.size() && in_[pos_] != '\n') ++pos_;
  if (pos_ < in_.size()) {
    ++pos_;
    ++line_;
    line_start_ = pos_;
  }
}

Lexer::Status Lexer::next(Entry& out) {
  out.tokens.clear();
  out.positions.clear();
  out.leading_blank = false;
  uint32_t depth = 0;
  Position open_paren;
  const size_t n = in_.size();
  auto here = [&](size_t at) {
    return Position{line_, static_cast<uint32_t>(at - line_start_ + 1)};
  };
  // After an error inside parentheses, skip the rest of the parenthesised
  // entry too, so one bad SOA does not turn into a cascade of errors.
  auto recover = [&](Status s) {
    if (depth > 0) {
      while (pos_ < n && in_[pos_] != ')') {
        if (in_[pos_] == '\n') {
          ++line_;
          line_start_ = pos_ + 1;
        }
        ++pos_;
      }
    }
    skip_rest_of_line();
    return s;
  };
  auto push = [&](std::string_view text, bool quoted, Position p) {
    if (out.tokens.empty()) {
      out.line = p.line;
      char first = in_[line_start_];
      out.leading_blank = first == ' ' || first == '\t';
    }
    out.tokens.push_back(dns::TextToken{text, quoted});
    out.positions.push_back(p);
  };

  while (pos_ < n) {
    const char c = in_[pos_];
    switch (cls(c)) {
      case kBlank:
        ++pos_;
        break;
      case kNewline:
        ++pos_;
        ++line_;
        line_start_ = pos_;
        if (depth == 0 && !out.tokens.empty()) return Status::entry;
        break;
      case kComment:
        while (pos_ < n && in_[pos_] != '\n') ++pos_;
        break;
      case kOpen:
        if (depth == 0) open_paren = here(pos_);
        ++depth;
        ++pos_;
        break;
      case kClose:
        if (depth == 0) return recover(fail(here(pos_), "unbalanced parentheses: ')' without '('"));
        --depth;
        ++pos_;
        break;
      case kQuote: {
        const Position start = here(pos_);
        const size_t begin = ++pos_;
        for (;;) {
          if (pos_ >= n) {
            return fail(start, "unterminated quoted string");
          }
          const char q = in_[pos_];
          if (q == '"') break;
          if (q == '\n') return recover(fail(start, "unterminated quoted string"));
          if (q == '\\') {
            if (pos_ + 1 >= n) {
              Position at = here(pos_);
              pos_ = n;
              return fail(at, "'\\' at end of input");
            }
            if (in_[pos_ + 1] == '\n') {
              // An escaped newline inside quotes: keep it (BIND accepts it too)
              // but keep line accounting right.
              pos_ += 2;
              ++line_;
              line_start_ = pos_;
              continue;
            }
            pos_ += 2;
            continue;
          }
          ++pos_;
        }
        push(in_.substr(begin, pos_ - begin), true, start);
        ++pos_;  // closing quote
        break;
      }
      default: {  // kWord, kEscape
        const Position start = here(pos_);
        const size_t begin = pos_;
        while (pos_ < n) {
          const uint8_t k = cls(in_[pos_]);
          if (k == kWord) {
            ++pos_;
          } else if (k == kEscape) {
            if (pos_ + 1 >= n) {
              Position at = here(pos_);
              pos_ = n;
              return fail(at, "'\\' at end of input");
            }
            if (in_[pos_ + 1] == '\n') return recover(fail(here(pos_), "'\\' at end of line"));
            pos_ += 2;
          } else {
            break;
          }
        }
        push(in_.substr(begin, pos_ - begin), false, start);
        break;
      }
    }
  }
  if (depth > 0) {
    return fail(open_paren, "unbalanced parentheses: '(' not closed before end of file");
  }
  return out.tokens.empty() ? Status::end : Status::entry;
}

}  // namespace namae::zonefile
