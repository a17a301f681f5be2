// Shared helpers for the update tests: a small zone, RR construction from
// presentation text, and a dump that compares versions octet for octet.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "update/engine.h"
#include "update/zone_file.h"
#include "zone/load.h"

namespace namae::update::test {

inline const char* kZoneText = R"($ORIGIN example.net.
$TTL 300
@        SOA   ns1 hostmaster 100 3600 600 86400 300
@        NS    ns1
@        NS    ns2
ns1      A     192.0.2.1
ns2      A     192.0.2.2
www      A     192.0.2.10
www      A     192.0.2.11
www      TXT   "hello"
alias    CNAME www
a.b.c    A     192.0.2.20
sub      NS    ns.sub
ns.sub   A     192.0.2.30
)";

inline dns::Name name(const std::string& text) {
  auto n = dns::Name::from_text(text.back() == '.' ? text : text + ".");
  EXPECT_TRUE(n.ok()) << text;
  return *n;
}

inline const dns::Name& origin() {
  static const dns::Name o = name("example.net.");
  return o;
}

inline std::shared_ptr<const zone::ZoneVersion> load(const std::string& text = kZoneText) {
  std::vector<zonefile::Diagnostic> diags;
  auto v = zone::load_zone_text(text, "test.zone", origin(), diags);
  EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.message());
  return *v;
}

/// Rdata from presentation text (space-separated tokens, no quoting needed).
inline dns::RdataBytes rdata(uint16_t type, const std::string& text) {
  if (text.empty()) return {};
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;) words.push_back(w);
  std::vector<dns::TextToken> toks;
  for (const auto& w : words) toks.push_back({w, false});
  auto r = dns::rdata::from_text(type, toks, origin());
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.message());
  return r.ok() ? *r : dns::RdataBytes{};
}

/// One RR; `type` is a mnemonic, `cls` IN/ANY/NONE, names relative to example.net.
inline dns::Record rr(const std::string& owner, const std::string& type, uint16_t cls,
                      uint32_t ttl, const std::string& rd = "") {
  dns::Record r;
  r.owner = owner == "@" ? origin() : *dns::Name::from_text(owner, &origin());
  r.type = *dns::type_from_text(type);
  r.rclass = cls;
  r.ttl = ttl;
  r.rdata = rdata(r.type, rd);
  return r;
}

inline constexpr uint16_t IN = dns::rrclass::IN, ANY = dns::rrclass::ANY, NONE = dns::rrclass::NONE;

/// Text of the whole zone (every RR, SOA first): equal text == equal zone.
inline std::string dump(const zone::ZoneVersion& z) { return zone_to_text(z); }

inline Permission everything() {
  Permission p;
  p.everything = true;
  return p;
}

}  // namespace namae::update::test
