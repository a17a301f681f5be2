// Helpers shared by the dnssec tests: names, records and RRsets from text.
#pragma once

#include <string>
#include <vector>

#include "dns/name.h"
#include "dns/record.h"
#include "zonefile/parser.h"

namespace namae::dnssec::test {

inline dns::Name N(const std::string& t) { return dns::Name::from_text(t).value(); }

/// Records of a zone-file text (absolute names or relative to `origin`).
inline std::vector<dns::Record> records(const std::string& text, const std::string& origin = ".") {
  zonefile::ParserOptions o;
  o.origin = N(origin);
  zonefile::Parser p("$TTL 3600\n" + text, "test", o);
  std::vector<dns::Record> out;
  zonefile::Record r;
  while (p.next(r)) out.push_back(r);
  EXPECT_EQ(p.error_count(), 0u) << (p.diagnostics().empty() ? "" : p.diagnostics()[0].to_string());
  return out;
}

/// The one RRset the text's records make.
inline dns::RRset rrset(const std::string& text) {
  dns::RRset s;
  for (const auto& r : records(text)) {
    s.owner = r.owner;
    s.type = r.type;
    s.rclass = r.rclass;
    s.ttl = r.ttl;
    s.rdata.push_back(r.rdata);
  }
  return s;
}

inline dns::RdataBytes rdata(const std::string& line) { return records(line).at(0).rdata; }

}  // namespace namae::dnssec::test
