#include "zonefile/parser.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "dns/rrtype.h"
#include "zonefile/writer.h"

namespace namae::zonefile {
namespace {

using dns::Name;

Name N(const char* s) { return Name::from_text(s).value(); }

struct Parsed {
  std::vector<std::string> lines;  // format_record() of each record
  std::vector<Record> records;
  std::vector<std::string> diags;  // Diagnostic::to_string()
  size_t errors = 0;
};

Parsed parse(std::string text, ParserOptions o = {}, std::map<std::string, std::string> files = {}) {
  if (!o.include_reader) {
    o.include_reader = [files](const std::string& path) -> Result<std::string> {
      auto it = files.find(path);
      if (it == files.end()) return fail(path + ": No such file or directory");
      return it->second;
    };
  }
  Parser p(std::move(text), "z/main.db", std::move(o));
  Parsed out;
  Record r;
  while (p.next(r)) {
    out.lines.push_back(format_record(r));
    out.records.push_back(r);
  }
  for (const auto& d : p.diagnostics()) out.diags.push_back(d.to_string());
  out.errors = p.error_count();
  return out;
}

ParserOptions with_origin(const char* origin) {
  ParserOptions o;
  o.origin = N(origin);
  return o;
}

using V = std::vector<std::string>;

TEST(Parser, OriginAtAndRelativeNames) {
  auto r = parse("$TTL 60\n@ A 192.0.2.1\nwww A 192.0.2.2\nabs.other. A 192.0.2.3\n", with_origin("example."));
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.lines, (V{"example.\t60\tIN\tA\t192.0.2.1", "www.example.\t60\tIN\tA\t192.0.2.2",
                        "abs.other.\t60\tIN\tA\t192.0.2.3"}));
}

TEST(Parser, OriginDirectiveAbsoluteAndRelative) {
  auto r = parse(
      "$TTL 60\n$ORIGIN example.\na A 192.0.2.1\n$ORIGIN sub\nb A 192.0.2.2\n$origin other.\nc CNAME b.sub.example.\n"
      "d MX 10 c\n");
  EXPECT_EQ(r.errors, 0u) << ::testing::PrintToString(r.diags);
  EXPECT_EQ(r.lines, (V{"a.example.\t60\tIN\tA\t192.0.2.1", "b.sub.example.\t60\tIN\tA\t192.0.2.2",
                        "c.other.\t60\tIN\tCNAME\tb.sub.example.", "d.other.\t60\tIN\tMX\t10 c.other."}));
}

TEST(Parser, NoOriginRejectsRelativeNames) {
  auto r = parse("$TTL 60\nabs.example. A 192.0.2.1\nrel A 192.0.2.2\n@ A 192.0.2.3\n"
                 "x.example. NS ns\nx.example. NS ns.example.\n");
  EXPECT_EQ(r.errors, 3u);
  EXPECT_EQ(r.lines, (V{"abs.example.\t60\tIN\tA\t192.0.2.1", "x.example.\t60\tIN\tNS\tns.example."}));
  ASSERT_GE(r.diags.size(), 3u);
  EXPECT_EQ(r.diags[0], "z/main.db:3:1: error: relative name 'rel' before any $ORIGIN (give an origin)");
  EXPECT_EQ(r.diags[1], "z/main.db:4:1: error: '@' used before any $ORIGIN (give an origin)");
  EXPECT_EQ(r.diags[2],
            "z/main.db:5:15: error: relative name in NS rdata before any $ORIGIN (give an origin)");
}

TEST(Parser, OwnerInheritance) {
  auto r = parse("$TTL 60\na A 192.0.2.1\n A 192.0.2.2\n\tTXT \"t\"\nb A 192.0.2.3\n", with_origin("ex."));
  EXPECT_EQ(r.errors, 0u);
  ASSERT_EQ(r.records.size(), 4u);
  EXPECT_EQ(r.records[1].owner, N("a.ex."));
  EXPECT_EQ(r.records[2].owner, N("a.ex."));
  EXPECT_EQ(r.records[3].owner, N("b.ex."));
}

TEST(Parser, RepeatedOwnerTextFollowsOriginChanges) {
  // The parser reuses the previous owner when its text repeats; a new
  // $ORIGIN (or an included file) must not leak the old name.
  auto r = parse("$TTL 60\nx A 192.0.2.1\nx A 192.0.2.2\n$ORIGIN b.ex.\nx A 192.0.2.3\n"
                 "x TXT t\n@ A 192.0.2.4\n$ORIGIN c.ex.\n@ A 192.0.2.5\n$INCLUDE i.db\nx TXT u\n",
                 with_origin("ex."), {{"z/i.db", "x A 192.0.2.6\n"}});
  EXPECT_EQ(r.errors, 0u) << ::testing::PrintToString(r.diags);
  ASSERT_EQ(r.records.size(), 8u);
  const char* want[] = {"x.ex.",   "x.ex.",   "x.b.ex.", "x.b.ex.",
                        "b.ex.",   "c.ex.",   "x.c.ex.", "x.c.ex."};
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(r.records[i].owner.to_text(), want[i]) << i;
}

TEST(Parser, BlankOwnerWithoutPreviousIsAnError) {
  auto r = parse("$TTL 60\n  A 192.0.2.1\n", with_origin("ex."));
  EXPECT_EQ(r.errors, 1u);
  EXPECT_EQ(r.diags[0], "z/main.db:2:1: error: no previous owner name to inherit");
}

TEST(Parser, TtlAndClassInEitherOrderWithUnits) {
  auto r = parse("a 1h30m IN A 192.0.2.1\nb IN 2d A 192.0.2.2\nc in 1W TXT x\nd 10 A 192.0.2.3\n",
                 with_origin("ex."));
  EXPECT_EQ(r.errors, 0u) << ::testing::PrintToString(r.diags);
  ASSERT_EQ(r.records.size(), 4u);
  EXPECT_EQ(r.records[0].ttl, 5400u);
  EXPECT_EQ(r.records[1].ttl, 172800u);
  EXPECT_EQ(r.records[2].ttl, 604800u);
  EXPECT_EQ(r.records[3].ttl, 10u);
  for (const auto& rec : r.records) EXPECT_EQ(rec.rclass, dns::rrclass::IN);
}

TEST(Parser, ClassMismatchAndDoubleTtl) {
  auto r = parse("a CH A 192.0.2.1\nb 10 20 A 192.0.2.2\nc 1x A 192.0.2.3\n", with_origin("ex."));
  EXPECT_EQ(r.errors, 3u);
  EXPECT_EQ(r.diags[0], "z/main.db:1:3: error: class CH does not match the zone's class IN");
  EXPECT_EQ(r.diags[1], "z/main.db:2:6: error: unexpected '20': TTL given twice");
  EXPECT_EQ(r.diags[2].substr(0, 35), "z/main.db:3:3: error: bad TTL '1x':");
}

TEST(Parser, DollarTtlWins) {
  auto r = parse("$TTL 1h\na A 192.0.2.1\nb 5 A 192.0.2.2\nc A 192.0.2.3\n", with_origin("ex."));
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0].ttl, 3600u);
  EXPECT_EQ(r.records[1].ttl, 5u);
  EXPECT_EQ(r.records[2].ttl, 3600u);  // RFC 2308: $TTL, not the previous TTL
}

TEST(Parser, SoaMinimumBecomesDefaultTtlWithoutDollarTtl) {
  // named-checkzone: "no TTL specified; using SOA MINTTL instead", and the
  // value then acts as the default for the rest of the file.
  auto r = parse("@ SOA ns admin 1 2 3 4 77\nns 600 A 192.0.2.1\nb A 192.0.2.2\n", with_origin("ex."));
  EXPECT_EQ(r.errors, 0u);
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0].ttl, 77u);
  EXPECT_EQ(r.records[1].ttl, 600u);
  EXPECT_EQ(r.records[2].ttl, 77u);
  EXPECT_EQ(r.diags[0], "z/main.db:1:1: warning: no TTL specified; using SOA MINIMUM (77) instead");
}

TEST(Parser, Rfc1035PreviousTtlWithoutDollarTtl) {
  auto r = parse("@ 300 SOA ns admin 1 2 3 4 5\na 600 A 192.0.2.1\nb A 192.0.2.2\n", with_origin("ex."));
  EXPECT_EQ(r.errors, 0u);
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[2].ttl, 600u);
  ASSERT_EQ(r.diags.size(), 1u);
  EXPECT_NE(r.diags[0].find("warning: no TTL and no $TTL"), std::string::npos);
}

TEST(Parser, NoTtlAtAllIsAnError) {
  auto r = parse("a A 192.0.2.1\n", with_origin("ex."));
  EXPECT_EQ(r.errors, 1u);
  EXPECT_EQ(r.diags[0], "z/main.db:1:1: error: no TTL specified and no $TTL or earlier TTL to inherit");
}

TEST(Parser, TtlAboveMaxIsZeroed) {
  auto r = parse("a 2147483648 A 192.0.2.1\nb 2147483647 A 192.0.2.1\n", with_origin("ex."));
  EXPECT_EQ(r.errors, 0u);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].ttl, 0u);
  EXPECT_EQ(r.records[1].ttl, 2147483647u);
}

TEST(Parser, EscapedOwnerNames) {
  auto r = parse("$TTL 1\na\\.b A 192.0.2.1\n\\065bc A 192.0.2.2\nsp\\ ace TXT x\n", with_origin("ex."));
  EXPECT_EQ(r.errors, 0u) << ::testing::PrintToString(r.diags);
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0].owner.label_count(), 2u);
  EXPECT_EQ(r.records[0].owner.to_text(), "a\\.b.ex.");
  EXPECT_EQ(r.records[1].owner, N("abc.ex."));
  EXPECT_EQ(r.records[2].owner.label(0).size(), 6u);
}

TEST(Parser, UnknownTypeMetaTypeAndBadRdata) {
  auto r = parse("$TTL 1\na FOO 1\nb ANY 1\nc A 300.1.1.1\nd A\ne\nf TYPE65280 \\# 2 abcd\ng OPT \\# 0\n",
                 with_origin("ex."));
  EXPECT_EQ(r.errors, 6u) << ::testing::PrintToString(r.diags);
  EXPECT_EQ(r.diags[0], "z/main.db:2:3: error: unknown RR type 'FOO'");
  EXPECT_EQ(r.diags[1], "z/main.db:3:3: error: meta type ANY is not allowed in zone data");
  EXPECT_EQ(r.diags[2].substr(0, 34), "z/main.db:4:5: error: bad A rdata:") << r.diags[2];
  EXPECT_NE(r.diags[3].find("z/main.db:5:3: error: bad A rdata"), std::string::npos) << r.diags[3];
  EXPECT_EQ(r.diags[4], "z/main.db:6:1: error: missing RR type");
  EXPECT_EQ(r.diags[5], "z/main.db:8:3: error: meta type OPT is not allowed in zone data");
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].type, 65280);
  EXPECT_EQ(r.records[0].rdata, (dns::RdataBytes{0xab, 0xcd}));
}

TEST(Parser, ManyErrorsReportedWithPositionsAndParsingContinues) {
  std::string text = "$TTL 1\n";
  for (int i = 0; i < 5; ++i) text += "bad" + std::to_string(i) + " A not-an-address\nok" + std::to_string(i) + " A 192.0.2.1\n";
  auto r = parse(text, with_origin("ex."));
  EXPECT_EQ(r.errors, 5u);
  EXPECT_EQ(r.records.size(), 5u);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(r.diags[i].substr(0, r.diags[i].find(" error")),
              "z/main.db:" + std::to_string(2 + 2 * i) + ":8:")
        << r.diags[i];
}

TEST(Parser, ErrorsAreBounded) {
  std::string text;
  for (int i = 0; i < 500; ++i) text += "x BOGUS 1\n";
  text += "$TTL 1\nlast A 192.0.2.1\n";
  ParserOptions o = with_origin("ex.");
  o.max_errors = 10;
  auto r = parse(text, o);
  EXPECT_EQ(r.errors, 10u);
  EXPECT_TRUE(r.records.empty());  // parsing stopped
  EXPECT_NE(r.diags.back().find("too many errors"), std::string::npos);
}

TEST(Parser, UnknownDirectiveAndDirectiveArity) {
  auto r = parse("$FOO bar\n$TTL\n$TTL 1 2\n$ORIGIN\n$TTL bad\n$ORIGIN a..b.\n", with_origin("ex."));
  EXPECT_EQ(r.errors, 6u);
  EXPECT_EQ(r.diags[0], "z/main.db:1:1: error: unknown directive '$FOO'");
  EXPECT_EQ(r.diags[1], "z/main.db:2:1: error: $TTL takes exactly one TTL");
  EXPECT_EQ(r.diags[4].substr(0, 30), "z/main.db:5:6: error: bad $TTL");
  EXPECT_EQ(r.diags[5].substr(0, 36), "z/main.db:6:9: error: bad $ORIGIN: e");
}

TEST(Parser, EscapedDollarOwnerIsNotADirective) {
  auto r = parse("$TTL 1\n\\$x A 192.0.2.1\n", with_origin("ex."));
  EXPECT_EQ(r.errors, 0u);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].owner.label(0).size(), 2u);  // "$x"
  EXPECT_EQ(r.records[0].owner.to_text(), "\\$x.ex.");  // BIND escapes '$' too
}

TEST(Parser, LexErrorsCarryFileLineColumn) {
  auto r = parse("$TTL 1\na TXT \"open\nb A 192.0.2.1 )\nc A 192.0.2.2\n", with_origin("ex."));
  EXPECT_EQ(r.errors, 2u);
  EXPECT_EQ(r.diags[0], "z/main.db:2:7: error: unterminated quoted string");
  EXPECT_EQ(r.diags[1], "z/main.db:3:15: error: unbalanced parentheses: ')' without '('");
  EXPECT_EQ(r.lines, (V{"c.ex.\t1\tIN\tA\t192.0.2.2"}));
}

TEST(Parser, MultiLineSoaAndQuotedTxt) {
  auto r = parse(
      "$TTL 1\n@ IN SOA ns.ex. host\\.master.ex. (\n 2024010101 ; serial\n 1h 15m 1w 1d )\n"
      "t TXT \"a \\\"quoted\\\" word\" \"semi;colon\" (\n \"second\" )\n",
      with_origin("ex."));
  EXPECT_EQ(r.errors, 0u) << ::testing::PrintToString(r.diags);
  EXPECT_EQ(r.lines, (V{"ex.\t1\tIN\tSOA\tns.ex. host\\.master.ex. 2024010101 3600 900 604800 86400",
                        "t.ex.\t1\tIN\tTXT\t\"a \\\"quoted\\\" word\" \"semi;colon\" \"second\""}));
  EXPECT_EQ(r.records[1].line, 5u);
}

// --- $INCLUDE ---------------------------------------------------------------

TEST(Parser, IncludeRelativeToIncludingFileWithOriginAndRestores) {
  std::map<std::string, std::string> files = {
      {"z/inc.db", " A 192.0.2.2\nx A 192.0.2.3\n$ORIGIN deeper.ex.\ny A 192.0.2.4\n"},
      {"z/sub/other.db", "o A 192.0.2.5\n"},
  };
  auto r = parse(
      "$TTL 1\npar A 192.0.2.1\n$INCLUDE inc.db\n A 192.0.2.9\nafter A 192.0.2.6\n"
      "$INCLUDE sub/other.db in2\nz A 192.0.2.7\n",
      with_origin("ex."), files);
  EXPECT_EQ(r.errors, 0u) << ::testing::PrintToString(r.diags);
  EXPECT_EQ(r.lines, (V{"par.ex.\t1\tIN\tA\t192.0.2.1", "par.ex.\t1\tIN\tA\t192.0.2.2",
                        "x.ex.\t1\tIN\tA\t192.0.2.3", "y.deeper.ex.\t1\tIN\tA\t192.0.2.4",
                        // back in the parent: its owner and origin again (BIND does the same)
                        "par.ex.\t1\tIN\tA\t192.0.2.9", "after.ex.\t1\tIN\tA\t192.0.2.6",
                        "o.in2.ex.\t1\tIN\tA\t192.0.2.5", "z.ex.\t1\tIN\tA\t192.0.2.7"}));
  EXPECT_EQ(*r.records[1].file, "z/inc.db");
  EXPECT_EQ(r.records[1].line, 1u);
  EXPECT_EQ(*r.records[4].file, "z/main.db");
}

TEST(Parser, IncludeKeepsTtlLikeBind) {
  std::map<std::string, std::string> files = {{"z/inc.db", "$TTL 77\nb A 192.0.2.2\n"}};
  auto r = parse("$TTL 5\n$INCLUDE inc.db\nafter A 192.0.2.1\n", with_origin("ex."), files);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[1].ttl, 77u);
}

TEST(Parser, IncludeErrorsNameTheIncludedFile) {
  std::map<std::string, std::string> files = {{"z/inc.db", "$TTL 1\nok A 192.0.2.1\nbad A x\n"}};
  auto r = parse("$INCLUDE inc.db\n$INCLUDE missing.db\n", with_origin("ex."), files);
  EXPECT_EQ(r.errors, 2u);
  EXPECT_EQ(r.diags[0].substr(0, 26), "z/inc.db:3:7: error: bad A");
  EXPECT_EQ(r.diags[1].substr(0, 56), "z/main.db:2:10: error: cannot read $INCLUDE file: z/miss");
}

TEST(Parser, IncludeLoopIsDetected) {
  std::map<std::string, std::string> files = {{"z/a.db", "$INCLUDE b.db\n"},
                                              {"z/b.db", "$INCLUDE a.db\n"}};
  auto r = parse("$INCLUDE a.db\n", with_origin("ex."), files);
  EXPECT_EQ(r.errors, 1u);
  EXPECT_EQ(r.diags[0], "z/b.db:1:10: error: $INCLUDE loop: z/a.db is already being read");
  auto self = parse("$INCLUDE main.db\n", with_origin("ex."), {{"z/main.db", "x"}});
  EXPECT_EQ(self.errors, 1u);
}

TEST(Parser, IncludeDepthIsLimited) {
  // Different paths each time (a/a/a/...), so only the depth limit stops it.
  ParserOptions o = with_origin("ex.");
  o.max_include_depth = 4;
  int reads = 0;
  o.include_reader = [&](const std::string&) -> Result<std::string> {
    ++reads;
    return std::string("$INCLUDE a/x.db\n");
  };
  auto r = parse("$INCLUDE a/x.db\n", o);
  EXPECT_EQ(r.errors, 1u);
  EXPECT_EQ(reads, 4);
  EXPECT_NE(r.diags[0].find("nested more than 4 deep"), std::string::npos);
}

TEST(Parser, IncludeCanBeDisabled) {
  ParserOptions o = with_origin("ex.");
  o.allow_include = false;
  auto r = parse("$INCLUDE /etc/passwd\n", o);
  EXPECT_EQ(r.errors, 1u);
  EXPECT_EQ(r.diags[0], "z/main.db:1:1: error: $INCLUDE is not allowed here");
}

// --- $GENERATE --------------------------------------------------------------

TEST(Parser, GenerateBasicAndStep) {
  auto r = parse("$TTL 1\n$GENERATE 1-5/2 host$ A 10.0.0.$\nafter A 192.0.2.1\n", with_origin("ex."));
  EXPECT_EQ(r.errors, 0u) << ::testing::PrintToString(r.diags);
  EXPECT_EQ(r.lines, (V{"host1.ex.\t1\tIN\tA\t10.0.0.1", "host3.ex.\t1\tIN\tA\t10.0.0.3",
                        "host5.ex.\t1\tIN\tA\t10.0.0.5", "after.ex.\t1\tIN\tA\t192.0.2.1"}));
  EXPECT_EQ(r.records[0].line, 2u);
}

TEST(Parser, GenerateModifiers) {
  auto r = parse(
      "$TTL 1\n"
      "$GENERATE 10-11 a${0,4,d} TXT x\n"
      "$GENERATE 10-10 b${-2,0,o} TXT x\n"
      "$GENERATE 255-255 c${0,3,x}-${1,0,X} TXT x\n"
      "$GENERATE 26-26 ${0,4,n} PTR h$\n"  // width counts the dots: "a.1." (absolute, as in BIND)
      "$GENERATE 26-26 ${0,0,N}.r PTR h$\n"
      "$GENERATE 1-1 d${5} TXT x\n",
      with_origin("ex."));
  EXPECT_EQ(r.errors, 0u) << ::testing::PrintToString(r.diags);
  EXPECT_EQ(r.lines,
            (V{"a0010.ex.\t1\tIN\tTXT\t\"x\"", "a0011.ex.\t1\tIN\tTXT\t\"x\"", "b10.ex.\t1\tIN\tTXT\t\"x\"",
               "c0ff-100.ex.\t1\tIN\tTXT\t\"x\"", "a.1.\t1\tIN\tPTR\th26.ex.",
               "A.1.r.ex.\t1\tIN\tPTR\th26.ex.", "d6.ex.\t1\tIN\tTXT\t\"x\""}));
}

TEST(Parser, GenerateEscapedDollarTtlClassAndAt) {
  auto r = parse("$TTL 1\n$GENERATE 1-2 x\\$$ 30 IN CNAME @\n$GENERATE 3-3 @ IN 40 TXT \"v$ \\$\"\n",
                 with_origin("ex."));
  EXPECT_EQ(r.errors, 0u) << ::testing::PrintToString(r.diags);
  EXPECT_EQ(r.lines, (V{"x\\$1.ex.\t30\tIN\tCNAME\tex.", "x\\$2.ex.\t30\tIN\tCNAME\tex.",
                        "ex.\t40\tIN\tTXT\t\"v3\" \"$\""}));
}

TEST(Parser, GenerateDoesNotChangeTheCurrentOwner) {
  auto r = parse("$TTL 1\nown A 192.0.2.1\n$GENERATE 1-1 g$ A 10.0.0.$\n A 192.0.2.2\n", with_origin("ex."));
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[2].owner, N("own.ex."));
}

TEST(Parser, GenerateErrors) {
  ParserOptions o = with_origin("ex.");
  o.max_generate = 100;
  auto r = parse(
      "$TTL 1\n"
      "$GENERATE 5-1 a$ A 10.0.0.$\n"        // 2: start > stop
      "$GENERATE 1-2/0 a$ A 10.0.0.$\n"      // 3: zero step
      "$GENERATE x a$ A 10.0.0.$\n"          // 4: no range
      "$GENERATE 1-2 a$ A\n"                 // 5: no rhs
      "$GENERATE 1-2 a$ A 10.0.0.$ extra\n"  // 6: extra token
      "$GENERATE 1-2 a${-5} A 10.0.0.1\n"    // 7: negative
      "$GENERATE 1-2 a${0,3,q} A 10.0.0.1\n" // 8: bad base
      "$GENERATE 1-2 a${0 A 10.0.0.1\n"      // 9: no }
      "$GENERATE 250-260 a$ A 10.0.0.$\n"    // 10: 256 is not an octet
      "$GENERATE 0-1000 a$ A 10.0.0.1\n"     // 11: over max_generate
      "$GENERATE 1-2 a$ BOGUS x\n",          // 12: bad type
      o);
  EXPECT_EQ(r.errors, 11u) << ::testing::PrintToString(r.diags);
  std::vector<uint32_t> lines;
  for (const auto& d : r.diags) lines.push_back(std::stoul(d.substr(10, d.find(':', 10) - 10)));
  EXPECT_EQ(lines, (std::vector<uint32_t>{2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
  // 250..255 were generated before 256 failed.
  EXPECT_EQ(r.records.size(), 6u);
}

TEST(Parser, GenerateNeedsAnOrigin) {
  auto r = parse("$TTL 1\n$GENERATE 1-2 a$ A 10.0.0.$\n");
  EXPECT_EQ(r.errors, 1u);
}

}  // namespace
}  // namespace namae::zonefile
