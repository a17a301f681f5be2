#include "zonefile/lexer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace namae::zonefile {
namespace {

struct Lexed {
  std::vector<std::vector<std::string>> entries;
  std::vector<bool> blank;
  std::vector<uint32_t> lines;
  std::vector<std::string> errors;  // "line:col message"
};

Lexed lex(std::string_view text) {
  Lexed out;
  Lexer lx(text);
  Entry e;
  for (;;) {
    auto st = lx.next(e);
    if (st == Lexer::Status::end) break;
    if (st == Lexer::Status::error) {
      out.errors.push_back(std::to_string(lx.error().where.line) + ":" +
                           std::to_string(lx.error().where.column) + " " + lx.error().message);
      continue;
    }
    std::vector<std::string> toks;
    for (const auto& t : e.tokens) toks.push_back((t.quoted ? "Q:" : "") + std::string(t.text));
    out.entries.push_back(toks);
    out.blank.push_back(e.leading_blank);
    out.lines.push_back(e.line);
  }
  return out;
}

using V = std::vector<std::string>;

TEST(Lexer, SimpleLinesAndBlankLines) {
  auto r = lex("a A 1.2.3.4\n\n   \n\t\nb  IN\tA 5.6.7.8");
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.entries[0], (V{"a", "A", "1.2.3.4"}));
  EXPECT_EQ(r.entries[1], (V{"b", "IN", "A", "5.6.7.8"}));
  EXPECT_EQ(r.lines, (std::vector<uint32_t>{1, 5}));
  EXPECT_TRUE(r.errors.empty());
}

TEST(Lexer, LeadingWhitespaceMeansSameOwner) {
  auto r = lex("a A 1.2.3.4\n A 1.2.3.5\n\tTXT x\nb A 1.1.1.1\n");
  ASSERT_EQ(r.entries.size(), 4u);
  EXPECT_EQ(r.blank, (std::vector<bool>{false, true, true, false}));
}

TEST(Lexer, CommentsAreDropped) {
  auto r = lex("; whole line\na A 1.2.3.4 ; trailing\n   ; indented comment only\nb TXT \"x;y\" ; c\n");
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.entries[0], (V{"a", "A", "1.2.3.4"}));
  EXPECT_EQ(r.entries[1], (V{"b", "TXT", "Q:x;y"}));
  EXPECT_FALSE(r.blank[1]);
}

TEST(Lexer, ParenthesesSpanLines) {
  auto r = lex("@ SOA ns admin (\n  1 ; serial\n  2 3\n  4 5 )\nnext A 1.2.3.4\n");
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.entries[0], (V{"@", "SOA", "ns", "admin", "1", "2", "3", "4", "5"}));
  EXPECT_EQ(r.lines, (std::vector<uint32_t>{1, 5}));
}

TEST(Lexer, ParenthesesWithoutSpaces) {
  auto r = lex("x TXT(a)(b)\n");
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0], (V{"x", "TXT", "a", "b"}));
}

TEST(Lexer, QuotedStringsKeepEscapesRaw) {
  auto r = lex(R"(t TXT "a b" "say \"hi\"" "" "back\\slash" plain\ space)"
               "\n");
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0],
            (V{"t", "TXT", "Q:a b", R"(Q:say \"hi\")", "Q:", R"(Q:back\\slash)", R"(plain\ space)"}));
}

TEST(Lexer, EscapesOutsideQuotes) {
  auto r = lex("a\\.b\\;c A 1.2.3.4\nx\\(y TXT \\\"q\n");
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.entries[0][0], "a\\.b\\;c");
  EXPECT_EQ(r.entries[1], (V{"x\\(y", "TXT", "\\\"q"}));
}

TEST(Lexer, QuoteEndsAnUnquotedToken) {
  auto r = lex("t TXT ab\"cd\"\n");
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0], (V{"t", "TXT", "ab", "Q:cd"}));
}

TEST(Lexer, CrLfLineEndings) {
  auto r = lex("a A 1.2.3.4\r\n A 1.2.3.5\r\n");
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.entries[0], (V{"a", "A", "1.2.3.4"}));
  EXPECT_TRUE(r.blank[1]);
}

TEST(Lexer, ColumnsAreOneBased) {
  Lexer lx("abc  de\n  f");
  Entry e;
  ASSERT_EQ(lx.next(e), Lexer::Status::entry);
  EXPECT_EQ(e.positions[0].column, 1u);
  EXPECT_EQ(e.positions[1].column, 6u);
  ASSERT_EQ(lx.next(e), Lexer::Status::entry);
  EXPECT_EQ(e.positions[0].line, 2u);
  EXPECT_EQ(e.positions[0].column, 3u);
  EXPECT_EQ(lx.next(e), Lexer::Status::end);
}

TEST(Lexer, UnterminatedQuoteReportsAndRecovers) {
  auto r = lex("a TXT \"open\nb A 1.2.3.4\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], "1:7 unterminated quoted string");
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0][0], "b");
}

TEST(Lexer, UnbalancedCloseParen) {
  auto r = lex("a A 1.2.3.4 )\nb A 1.2.3.4\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], "1:13 unbalanced parentheses: ')' without '('");
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0][0], "b");
}

TEST(Lexer, UnclosedParenAtEof) {
  auto r = lex("a A 1.2.3.4\n@ SOA ( 1 2\n3 4\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], "2:7 unbalanced parentheses: '(' not closed before end of file");
  EXPECT_EQ(r.entries.size(), 1u);
}

TEST(Lexer, ErrorInsideParensSkipsTheWholeEntry) {
  auto r = lex("@ SOA ns admin ( \"bad\n 1 2 3 4 5 )\nok A 1.2.3.4\n");
  ASSERT_EQ(r.errors.size(), 1u);
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0][0], "ok");
}

TEST(Lexer, BackslashAtEndOfLineOrInput) {
  auto r = lex("a TXT x\\\nb A 1.2.3.4\nc TXT \\");
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0], "1:8 '\\' at end of line");
  EXPECT_EQ(r.errors[1], "3:7 '\\' at end of input");
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0][0], "b");
}

TEST(Lexer, NoTrailingNewline) {
  auto r = lex("a A 1.2.3.4");
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0].size(), 3u);
}

TEST(Lexer, EmptyInput) {
  EXPECT_TRUE(lex("").entries.empty());
  EXPECT_TRUE(lex("\n\n; x\n").entries.empty());
}

TEST(Lexer, LeadingBlankIsTakenFromTheFirstTokensLine) {
  // A comment-only indented line must not make the next record inherit.
  auto r = lex("a A 1.2.3.4\n   ; note\nb A 1.2.3.5\n");
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_FALSE(r.blank[1]);
}

}  // namespace
}  // namespace namae::zonefile
