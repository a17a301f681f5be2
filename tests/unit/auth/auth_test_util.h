// Helpers for auth engine tests: zones from text, queries, decoded responses.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "auth/engine.h"
#include "dns/message.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "zone/load.h"
#include "zone/zone_set.h"

namespace namae::auth::authtest {

/// Names in tests are absolute with or without the trailing dot.
inline dns::Name N(const std::string& text) {
  auto n = dns::Name::from_text(text.empty() || text.back() == '.' ? text : text + ".");
  EXPECT_TRUE(n.ok()) << text;
  return n.ok() ? *n : dns::Name();
}

/// Load zone text or fail the test with the diagnostics.
inline std::shared_ptr<const zone::ZoneVersion> make_zone(const std::string& origin,
                                                          const std::string& text) {
  std::vector<zonefile::Diagnostic> diags;
  auto z = zone::load_zone_text(text, origin + ".zone", N(origin), diags);
  std::string all;
  for (const auto& d : diags) all += d.to_string() + "\n";
  EXPECT_TRUE(z.ok()) << (z.ok() ? "" : z.message()) << "\n" << all;
  return z.ok() ? *z : nullptr;
}

struct QueryOpts {
  uint16_t id = 0x1234;
  bool rd = true;
  bool edns = false;
  uint16_t udp_size = 1232;
  uint8_t version = 0;
  bool do_bit = false;
  uint8_t opcode = 0;
  uint16_t qclass = dns::rrclass::IN;
};

inline std::vector<uint8_t> make_query(const std::string& name, uint16_t type, QueryOpts o = {}) {
  std::vector<uint8_t> buf(512);
  dns::MessageBuilder b(buf, buf.size());
  b.header().id = o.id;
  b.header().rd = o.rd;
  b.header().opcode = o.opcode;
  EXPECT_TRUE(b.add_question(N(name), type, o.qclass));
  if (o.edns) {
    dns::Edns e;
    e.present = true;
    e.udp_size = o.udp_size;
    e.version = o.version;
    e.do_bit = o.do_bit;
    EXPECT_TRUE(b.add_opt(e));
  }
  buf.resize(b.finish());
  return buf;
}

/// A decoded response: header, records per section as "owner TTL TYPE rdata".
struct Response {
  std::vector<uint8_t> wire;
  dns::Header h;
  uint16_t rcode = 0;  // full (with OPT's extended bits)
  bool has_opt = false;
  dns::Edns edns;
  std::string qname_raw;  // question name as sent, letter case kept
  std::vector<std::string> answer, authority, additional;
  bool empty() const { return wire.empty(); }
};

inline std::string record_text(const dns::MessageView& v, const dns::RecordView& rr) {
  dns::RdataBytes rd;
  EXPECT_EQ(dns::rdata::decode(rr.type, v.data(), rr.rdata_offset, rr.rdlength, rd),
            dns::WireError::ok);
  return v.owner(rr).to_text() + " " + std::to_string(rr.ttl) + " " + dns::type_to_text(rr.type) +
         " " + dns::rdata::to_text(rr.type, rd);
}

inline Response decode(std::vector<uint8_t> wire) {
  Response r;
  r.wire = std::move(wire);
  if (r.wire.empty()) return r;
  dns::MessageView v;
  EXPECT_EQ(v.parse(r.wire), dns::WireError::ok);
  r.h = v.header();
  r.has_opt = v.edns().present;
  r.edns = v.edns();
  r.rcode = r.has_opt ? v.edns().full_rcode(r.h.rcode) : r.h.rcode;
  if (r.h.qdcount == 1) {
    size_t end = v.question_end() - 4;
    r.qname_raw.assign(reinterpret_cast<const char*>(r.wire.data()) + v.question_offset(),
                       end - v.question_offset());
  }
  dns::RecordView rr;
  for (auto [sec, out] : {std::pair{dns::Section::answer, &r.answer},
                          std::pair{dns::Section::authority, &r.authority},
                          std::pair{dns::Section::additional, &r.additional}}) {
    auto c = v.records(sec);
    while (c.next(rr))
      if (rr.type != dns::rrtype::OPT) out->push_back(record_text(v, rr));
  }
  return r;
}

/// Runs queries through an engine over a fixed zone set.
class Server {
 public:
  explicit Server(std::vector<std::shared_ptr<const zone::ZoneVersion>> zones,
                  AuthOptions opts = {})
      : holder_(std::make_shared<const zone::ZoneSet>(std::move(zones))), engine_(holder_, opts) {}

  Response ask(const std::vector<uint8_t>& query, bool tcp = false, size_t bufsize = 65535) {
    std::vector<uint8_t> out(bufsize);
    net::Peer peer;
    peer.tcp = tcp;
    out.resize(engine_.handle(query, out, peer));
    return decode(std::move(out));
  }
  Response ask(const std::string& name, uint16_t type, QueryOpts o = {}, bool tcp = false) {
    return ask(make_query(name, type, o), tcp);
  }
  zone::ZoneSetHolder& holder() { return holder_; }
  AuthEngine& engine() { return engine_; }

 private:
  zone::ZoneSetHolder holder_;
  AuthEngine engine_;
};

}  // namespace namae::auth::authtest
