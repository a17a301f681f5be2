// libFuzzer target for the message layer, with hickory-dns's round-trip
// oracle: whatever MessageView accepts must decode completely, re-encode with
// MessageBuilder, parse again, and come back as the same message. Any
// difference (or a crash, overread or UB the sanitizers see) aborts.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "dns/cookie.h"
#include "dns/edns.h"
#include "dns/message.h"
#include "dns/rdata.h"

using namespace namae::dns;

namespace {

struct Question {
  Name name;
  uint16_t type, rclass;
};

struct Record {
  Section section;
  Name owner;
  uint16_t type, rclass;
  uint32_t ttl;
  RdataBytes rdata;
};

[[noreturn]] void mismatch(const char* what) {
  std::fprintf(stderr, "round-trip mismatch: %s\n", what);
  std::abort();
}

// Compression may change the letter case of names it points at (matching is
// case-insensitive), so compressible rdata names compare lower-cased.
RdataBytes comparable(uint16_t type, const RdataBytes& rd) {
  RdataBytes out = rd;
  RdataName names[16];
  size_t n = rdata::names(type, rd, names);
  if (n > 16) n = 16;
  for (size_t i = 0; i < n; ++i) {
    if (!names[i].compressible) continue;
    if (size_t{names[i].offset} + names[i].length > out.size()) mismatch("rdata name out of range");
    for (size_t j = names[i].offset; j < names[i].offset + names[i].length; ++j)
      out[j] = ascii_lower(out[j]);
  }
  return out;
}

// Everything the view exposes, fully decoded. Aborts if a message that
// parse() accepted cannot be walked or decoded: parse promised it could.
void collect(const MessageView& v, std::vector<Question>& qs, std::vector<Record>& rs) {
  auto qc = v.records(Section::question);
  RecordView rr;
  while (qc.next(rr)) qs.push_back({v.owner(rr), rr.type, rr.rclass});
  if (qs.size() != v.header().qdcount) mismatch("question count");
  if (!qs.empty() &&
      !(qs[0].name == v.qname() && qs[0].name.wire_length() == v.qname().wire_length()))
    mismatch("qname");
  for (Section s : {Section::answer, Section::authority, Section::additional}) {
    auto c = v.records(s);
    size_t n = 0;
    while (c.next(rr)) {
      ++n;
      if (rr.section != s) mismatch("record section");
      Record r{s, v.owner(rr), rr.type, rr.rclass, rr.ttl, {}};
      // Empty rdata in UPDATE (RFC 2136 deletions/prerequisites) has no layout.
      if (rr.rdlength == 0 && v.header().opcode == opcode::UPDATE) {
        rs.push_back(std::move(r));
        continue;
      }
      WireError e = rdata::decode(rr.type, v.data(), rr.rdata_offset, rr.rdlength, r.rdata);
      if (e != WireError::ok) {
        std::fprintf(stderr, "type %u: check passed but decode failed: %s\n", rr.type,
                     wire_error_text(e));
        std::abort();
      }
      if (rr.type != rrtype::OPT) {
        auto valid = rdata::validate(rr.type, r.rdata);
        if (!valid) {
          std::fprintf(stderr, "type %u: decoded rdata does not validate: %s\n", rr.type,
                       valid.message().c_str());
          std::abort();
        }
      }
      rs.push_back(std::move(r));
    }
    if (n != v.count(s)) mismatch("section count");
  }
}

// Exercise the EDNS option helpers on whatever options arrived.
// The server side of RFC 7873 on whatever COOKIE option arrives: the verdict
// agrees with the client-side parser on what is well formed, and every
// reply echoes the client cookie with a 16-octet version-1 server cookie
// that the same server then accepts.
void check_server_cookie(std::span<const uint8_t> data) {
  static ServerCookies cookies(CookieSecretSchedule::shared(CookieSecret{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}));
  const uint8_t ip[4] = {192, 0, 2, 1};
  const uint32_t now = 1700000000;
  CookieReply reply{};
  const auto verdict = cookies.check(data, ip, now, reply);
  if ((verdict == CookieVerdict::malformed) != !parse_cookie(data)) mismatch("cookie verdict vs parser");
  if (verdict == CookieVerdict::malformed) return;
  if (!std::equal(data.begin(), data.begin() + 8, reply.begin()) || reply[8] != 1) mismatch("cookie reply");
  CookieReply again{};
  if (cookies.check(reply, ip, now, again) != CookieVerdict::valid) mismatch("own cookie not valid");
}

void walk_options(const Edns& e) {
  auto c = e.option_cursor();
  EdnsOption o;
  size_t total = 0;
  while (c.next(o)) {
    total += 4 + o.data.size();
    if (edns_option_to_text(o).empty()) mismatch("empty option text");
    if (auto l = parse_update_lease(o.data)) {
      if (encode_update_lease(*l).size() != o.data.size()) mismatch("UPDATE-LEASE re-encode");
    }
    if (auto ck = parse_cookie(o.data)) {
      if (ck->client.size() + ck->server.size() != o.data.size()) mismatch("cookie split");
    }
    if (o.code == edns_option::COOKIE) check_server_cookie(o.data);
  }
  if (total != e.options.size()) mismatch("option walk stopped early");
}

// Re-encode into a buffer too small for everything: records go in one at a
// time until one does not fit (which must leave the builder unchanged), and
// what was written must parse as exactly that prefix of the message.
void truncated_rebuild(const MessageView& v, const std::vector<Question>& qs,
                       const std::vector<Record>& rs, size_t limit) {
  static std::vector<uint8_t> buf(kMaxMessage);
  MessageBuilder b(buf, limit);
  b.header() = v.header();
  for (const auto& q : qs)
    if (!b.add_question(q.name, q.type, q.rclass)) return;
  size_t kept = 0;
  for (const auto& r : rs) {
    if (r.type == rrtype::OPT || r.type == rrtype::TSIG) break;
    b.begin(r.section);
    auto m = b.mark();
    if (!b.add_record(r.owner, r.type, r.rclass, r.ttl, r.rdata)) {
      if (b.size() != m.size || b.mark().compression_entries != m.compression_entries)
        mismatch("failed add_record changed the builder");
      b.set_truncated();
      break;
    }
    if (b.size() > limit) mismatch("builder exceeded its limit");
    ++kept;
  }
  size_t len = b.finish();
  MessageView w;
  WireError e = w.parse(std::span<const uint8_t>(buf.data(), len));
  if (e != WireError::ok) {
    std::fprintf(stderr, "truncated re-encoding does not parse: %s\n", wire_error_text(e));
    std::abort();
  }
  size_t i = 0;
  for (Section s : {Section::answer, Section::authority, Section::additional}) {
    auto c = w.records(s);
    RecordView rr;
    while (c.next(rr)) {
      if (i >= kept || rs[i].section != s || rr.type != rs[i].type || !(w.owner(rr) == rs[i].owner))
        mismatch("truncated prefix");
      ++i;
    }
  }
  if (i != kept) mismatch("truncated prefix length");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  MessageView v;
  if (v.parse(std::span<const uint8_t>(data, size)) != WireError::ok) return 0;

  std::vector<Question> qs;
  std::vector<Record> rs;
  collect(v, qs, rs);
  walk_options(v.edns());
  truncated_rebuild(v, qs, rs, kHeaderSize + size / 2);

  // Re-encode. A message can legitimately grow past 64 KiB when re-encoded
  // (its pointers may have reached places our table does not use); that is
  // not a mismatch, just nothing to compare.
  static std::vector<uint8_t> buf(kMaxMessage);
  MessageBuilder b(buf, buf.size());
  b.header() = v.header();
  for (const auto& q : qs)
    if (!b.add_question(q.name, q.type, q.rclass)) return 0;
  for (const auto& r : rs) {
    b.begin(r.section);
    bool ok;
    if (r.type == rrtype::OPT) {
      ok = b.add_opt(v.edns());
    } else {
      ok = b.add_record(r.owner, r.type, r.rclass, r.ttl, r.rdata);
    }
    if (!ok) return 0;
  }
  size_t len = b.finish();

  MessageView w;
  WireError e = w.parse(std::span<const uint8_t>(buf.data(), len));
  if (e != WireError::ok) {
    std::fprintf(stderr, "re-encoded message does not parse: %s\n", wire_error_text(e));
    std::abort();
  }
  const Header &h1 = v.header(), &h2 = w.header();
  if (h1.id != h2.id || h1.qr != h2.qr || h1.opcode != h2.opcode || h1.aa != h2.aa ||
      h1.tc != h2.tc || h1.rd != h2.rd || h1.ra != h2.ra || h1.z != h2.z || h1.ad != h2.ad ||
      h1.cd != h2.cd || h1.rcode != h2.rcode || h1.qdcount != h2.qdcount ||
      h1.ancount != h2.ancount || h1.nscount != h2.nscount || h1.arcount != h2.arcount)
    mismatch("header");
  if (w.qtype() != v.qtype() || w.qclass() != v.qclass() || !(w.qname() == v.qname()))
    mismatch("first question");
  const Edns &e1 = v.edns(), &e2 = w.edns();
  if (e1.present != e2.present || e1.udp_size != e2.udp_size || e1.ext_rcode != e2.ext_rcode ||
      e1.version != e2.version || e1.do_bit != e2.do_bit || e1.z != e2.z ||
      !std::equal(e1.options.begin(), e1.options.end(), e2.options.begin(), e2.options.end()))
    mismatch("EDNS");
  if (v.has_tsig() != w.has_tsig()) mismatch("TSIG presence");

  std::vector<Question> qs2;
  std::vector<Record> rs2;
  collect(w, qs2, rs2);
  if (qs.size() != qs2.size() || rs.size() != rs2.size()) mismatch("counts");
  for (size_t i = 0; i < qs.size(); ++i)
    if (!(qs[i].name == qs2[i].name) || qs[i].type != qs2[i].type || qs[i].rclass != qs2[i].rclass)
      mismatch("question");
  for (size_t i = 0; i < rs.size(); ++i) {
    const Record &a = rs[i], &c = rs2[i];
    if (a.section != c.section || !(a.owner == c.owner) || a.type != c.type ||
        a.rclass != c.rclass || a.ttl != c.ttl)
      mismatch("record fields");
    if (comparable(a.type, a.rdata) != comparable(c.type, c.rdata)) mismatch("rdata");
  }
  return 0;
}
