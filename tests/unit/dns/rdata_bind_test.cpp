// Every RR type against BIND 9.18's canonical text: tests/data/rdata holds a
// zone with records of every type named-checkzone reads (rdata.test.zone) and
// what `named-compilezone -s full -F text` prints for it (rdata.test.bind).
// namae must parse the input, print each record exactly as BIND does, and
// read BIND's text back to the same wire form. The system test
// test_rdata_bind.py reruns BIND so the stored text cannot drift.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "zonefile/parser.h"

namespace namae::dns {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<zonefile::Record> parse_zone(const std::string& path) {
  zonefile::ParserOptions o;
  o.origin = Name::from_text("rdata.test.").value();
  zonefile::Parser p(read_file(path), path, o);
  std::vector<zonefile::Record> out;
  zonefile::Record r;
  while (p.next(r)) out.push_back(r);
  for (const auto& d : p.diagnostics()) ADD_FAILURE() << d.to_string();
  EXPECT_EQ(p.error_count(), 0u);
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream ss(text);
  for (std::string l; std::getline(ss, l);) lines.push_back(l);
  return lines;
}

// The rdata of one line of BIND's dump: what follows the type column.
std::string bind_rdata_text(const std::string& line) {
  size_t pos = 0;
  for (int field = 0; field < 4; ++field) {
    pos = line.find_first_not_of(" \t", pos);
    pos = line.find_first_of(" \t", pos);
  }
  if (pos == std::string::npos) return {};
  size_t start = line.find_first_not_of(" \t", pos);
  // One separator follows the type; A6's empty suffix keeps the second space.
  if (start != std::string::npos && start > pos + 1 && line[pos] == ' ') start = pos + 1;
  return start == std::string::npos ? std::string() : line.substr(start);
}

bool blob_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '+' ||
         c == '/' || c == '=';
}

// BIND splits a trailing hex or base64 field into 56-character chunks
// separated by spaces; namae prints it whole. Join the chunks back.
std::string join_bind_chunks(uint16_t type, const std::string& text) {
  const rdata::TypeInfo* info = rdata::find(type);
  if (!info || info->fields.empty()) return text;
  rdata::Field last = info->fields.back();
  if (last != rdata::Field::hex_rest && last != rdata::Field::base64_rest &&
      last != rdata::Field::base64_opt)
    return text;
  std::string out;
  size_t chunk = 0;
  std::stringstream ss(text);
  for (std::string tok; std::getline(ss, tok, ' ');) {
    bool blob = std::all_of(tok.begin(), tok.end(), blob_char);
    if (chunk == 56 && blob && !tok.empty()) {
      out += tok;
    } else {
      if (!out.empty()) out.push_back(' ');
      out += tok;
    }
    chunk = blob ? tok.size() : 0;
  }
  return out;
}

using Key = std::tuple<std::string, uint16_t, RdataBytes>;

std::vector<Key> keys(const std::vector<zonefile::Record>& rs) {
  std::vector<Key> out;
  for (const auto& r : rs) {
    std::string owner = r.owner.to_text();
    std::transform(owner.begin(), owner.end(), owner.begin(),
                   [](char c) { return static_cast<char>(ascii_lower(static_cast<uint8_t>(c))); });
    out.emplace_back(owner, r.type, r.rdata);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());  // BIND drops duplicate rdata
  return out;
}

const std::string kDir = std::string(NAMAE_TEST_DATA) + "/rdata/";

TEST(RdataBind, InputCoversEveryDeclaredZoneFileType) {
  auto records = parse_zone(kDir + "rdata.test.zone");
  for (const auto& t : rdata::all_types()) {
    if (t.type == rrtype::OPT || t.type == rrtype::TSIG || t.type == 249) continue;  // meta
    if (t.mnemonic == "MD" || t.mnemonic == "MF") continue;  // BIND refuses zones with them
    bool seen = std::any_of(records.begin(), records.end(),
                            [&](const zonefile::Record& r) { return r.type == t.type; });
    EXPECT_TRUE(seen) << t.mnemonic << " has no record in rdata.test.zone";
  }
}

TEST(RdataBind, PrintsExactlyWhatBindPrints) {
  const std::string path = kDir + "rdata.test.bind";
  auto bind = parse_zone(path);
  auto lines = lines_of(read_file(path));
  ASSERT_GT(bind.size(), 150u);
  for (const auto& r : bind) {
    ASSERT_GE(r.line, 1u);
    ASSERT_LE(r.line, lines.size());
    const std::string& line = lines[r.line - 1];
    std::string theirs = join_bind_chunks(r.type, bind_rdata_text(line));
    EXPECT_EQ(rdata::to_text(r.type, r.rdata), theirs) << line;
  }
}

TEST(RdataBind, BindTextParsesToTheSameWire) {
  auto ours = keys(parse_zone(kDir + "rdata.test.zone"));
  auto theirs = keys(parse_zone(kDir + "rdata.test.bind"));
  EXPECT_EQ(ours.size(), theirs.size());
  for (const auto& k : ours)
    EXPECT_TRUE(std::binary_search(theirs.begin(), theirs.end(), k))
        << std::get<0>(k) << " " << type_to_text(std::get<1>(k)) << " "
        << rdata::to_text(std::get<1>(k), std::get<2>(k)) << " is not in BIND's output";
}

TEST(RdataBind, OwnTextRoundTrips) {
  const Name origin = Name::from_text(".").value();
  for (const auto& r : parse_zone(kDir + "rdata.test.zone")) {
    std::string text = rdata::to_text(r.type, r.rdata);
    // A one-record zone line through the real lexer keeps quoting intact.
    zonefile::ParserOptions o;
    o.origin = origin;
    zonefile::Parser p("x. 0 IN " + type_to_text(r.type) + " " + text + "\n", "roundtrip", o);
    zonefile::Record back;
    ASSERT_TRUE(p.next(back)) << text;
    EXPECT_EQ(back.rdata, r.rdata) << type_to_text(r.type) << " " << text;
  }
}

}  // namespace
}  // namespace namae::dns
