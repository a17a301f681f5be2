// Parse and build of typical responses, namae against ldns, in one binary so
// both run on the same machine state. Messages are built once by namae's
// builder and checked to parse identically in ldns before timing starts.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "dns/message.h"
#include "dns/rdata.h"

// Last: ldns/common.h defines `true`/`false` as macros unless stdbool says
// they exist, which breaks libstdc++'s <optional> when it comes first.
#include <ldns/ldns.h>

using namespace namae::dns;

namespace {

struct Rr {
  const char* owner;
  uint16_t type;
  uint32_t ttl;
  const char* rdata;  // presentation form
};
struct Sample {
  const char* label;
  const char* qname;
  uint16_t qtype;
  std::vector<Rr> answer, authority, additional;
};

// Shapes seen on real authoritative servers: an address answer with the zone's
// NS and glue, a TLD-style referral, and an MX answer with addresses.
const std::vector<Sample>& samples() {
  static const std::vector<Sample> s = {
      {"answer",
       "www.example.com.",
       rrtype::A,
       {{"www.example.com.", rrtype::A, 300, "192.0.2.1"},
        {"www.example.com.", rrtype::A, 300, "192.0.2.2"}},
       {{"example.com.", rrtype::NS, 3600, "ns1.example.com."},
        {"example.com.", rrtype::NS, 3600, "ns2.example.com."}},
       {{"ns1.example.com.", rrtype::A, 3600, "192.0.2.53"},
        {"ns2.example.com.", rrtype::A, 3600, "198.51.100.53"},
        {"ns1.example.com.", rrtype::AAAA, 3600, "2001:db8::53"},
        {"ns2.example.com.", rrtype::AAAA, 3600, "2001:db8:1::53"}}},
      {"referral",
       "www.example.org.",
       rrtype::A,
       {},
       {{"org.", rrtype::NS, 172800, "a0.org.afilias-nst.info."},
        {"org.", rrtype::NS, 172800, "a2.org.afilias-nst.info."},
        {"org.", rrtype::NS, 172800, "b0.org.afilias-nst.org."},
        {"org.", rrtype::NS, 172800, "b2.org.afilias-nst.org."},
        {"org.", rrtype::NS, 172800, "c0.org.afilias-nst.info."},
        {"org.", rrtype::NS, 172800, "d0.org.afilias-nst.org."}},
       {{"a0.org.afilias-nst.info.", rrtype::A, 172800, "199.19.56.1"},
        {"a2.org.afilias-nst.info.", rrtype::A, 172800, "199.249.112.1"},
        {"b0.org.afilias-nst.org.", rrtype::A, 172800, "199.19.54.1"},
        {"b2.org.afilias-nst.org.", rrtype::A, 172800, "199.249.120.1"},
        {"c0.org.afilias-nst.info.", rrtype::A, 172800, "199.19.53.1"},
        {"d0.org.afilias-nst.org.", rrtype::A, 172800, "199.19.57.1"},
        {"a0.org.afilias-nst.info.", rrtype::AAAA, 172800, "2001:500:e::1"},
        {"b0.org.afilias-nst.org.", rrtype::AAAA, 172800, "2001:500:c::1"}}},
      {"mx",
       "example.net.",
       rrtype::MX,
       {{"example.net.", rrtype::MX, 3600, "10 mx1.example.net."},
        {"example.net.", rrtype::MX, 3600, "20 mx2.example.net."},
        {"example.net.", rrtype::MX, 3600, "30 mx3.example.net."}},
       {{"example.net.", rrtype::NS, 3600, "ns1.example.net."},
        {"example.net.", rrtype::NS, 3600, "ns2.example.net."}},
       {{"mx1.example.net.", rrtype::A, 3600, "192.0.2.25"},
        {"mx2.example.net.", rrtype::A, 3600, "192.0.2.26"},
        {"mx3.example.net.", rrtype::A, 3600, "192.0.2.27"},
        {"ns1.example.net.", rrtype::A, 3600, "192.0.2.53"},
        {"ns2.example.net.", rrtype::A, 3600, "192.0.2.54"}}},
  };
  return s;
}

struct Prepared {
  Name qname;
  uint16_t qtype;
  struct Rec {
    Section section;
    Name owner;
    uint16_t type;
    uint32_t ttl;
    RdataBytes rdata;
  };
  std::vector<Rec> recs;
  std::vector<uint8_t> wire;
};

size_t build(const Prepared& p, std::span<uint8_t> buf) {
  MessageBuilder b(buf, buf.size());
  b.header().id = 0x1234;
  b.header().qr = b.header().aa = true;
  b.add_question(p.qname, p.qtype, rrclass::IN);
  Section cur = Section::question;
  for (const auto& r : p.recs) {
    if (r.section != cur) b.begin(cur = r.section);
    b.add_record(r.owner, r.type, rrclass::IN, r.ttl, r.rdata);
  }
  Edns e;
  e.present = true;
  e.udp_size = 1232;
  b.add_opt(e);
  return b.finish();
}

Prepared prepare(const Sample& s) {
  Prepared p;
  Name root;
  p.qname = *Name::from_text(s.qname);
  p.qtype = s.qtype;
  auto add = [&](Section sec, const std::vector<Rr>& rrs) {
    for (const auto& r : rrs) {
      TextToken tok[2];
      std::string_view text = r.rdata;
      size_t n = 0, sp = text.find(' ');
      if (sp == std::string_view::npos) {
        tok[n++] = {text, false};
      } else {
        tok[n++] = {text.substr(0, sp), false};
        tok[n++] = {text.substr(sp + 1), false};
      }
      auto rd = rdata::from_text(r.type, std::span<const TextToken>(tok, n), root);
      if (!rd) {
        std::fprintf(stderr, "bad sample rdata %s: %s\n", r.rdata, rd.message().c_str());
        std::exit(1);
      }
      p.recs.push_back({sec, *Name::from_text(r.owner), r.type, r.ttl, *rd});
    }
  };
  add(Section::answer, s.answer);
  add(Section::authority, s.authority);
  add(Section::additional, s.additional);
  std::vector<uint8_t> buf(4096);
  size_t len = build(p, buf);
  p.wire.assign(buf.begin(), buf.begin() + len);
  // The same octets must parse in ldns with the same counts, or the comparison is moot.
  ldns_pkt* pkt = nullptr;
  if (ldns_wire2pkt(&pkt, p.wire.data(), p.wire.size()) != LDNS_STATUS_OK ||
      ldns_pkt_ancount(pkt) != s.answer.size() || ldns_pkt_nscount(pkt) != s.authority.size()) {
    std::fprintf(stderr, "ldns does not parse the %s sample the same way\n", s.label);
    std::exit(1);
  }
  ldns_pkt_free(pkt);
  return p;
}

const Prepared& prepared(int i) {
  static std::vector<Prepared> all = [] {
    std::vector<Prepared> v;
    for (const auto& s : samples()) v.push_back(prepare(s));
    return v;
  }();
  return all[i];
}

// namae parse: validate the whole message (what the server does per query).
void BM_namae_parse(benchmark::State& st) {
  const auto& p = prepared(st.range(0));
  for (auto _ : st) {
    MessageView v;
    benchmark::DoNotOptimize(v.parse(p.wire));
  }
  st.SetLabel(samples()[st.range(0)].label);
}

// namae parse + materialise every owner name and rdata (the work ldns_wire2pkt does).
void BM_namae_parse_decode(benchmark::State& st) {
  const auto& p = prepared(st.range(0));
  RdataBytes rd;
  rd.reserve(512);
  for (auto _ : st) {
    MessageView v;
    v.parse(p.wire);
    for (Section s : {Section::answer, Section::authority, Section::additional}) {
      auto c = v.records(s);
      RecordView rr;
      while (c.next(rr)) {
        Name owner = v.owner(rr);
        benchmark::DoNotOptimize(owner);
        rd.clear();
        rdata::decode(rr.type, v.data(), rr.rdata_offset, rr.rdlength, rd);
        benchmark::DoNotOptimize(rd.data());
      }
    }
  }
  st.SetLabel(samples()[st.range(0)].label);
}

void BM_ldns_parse(benchmark::State& st) {
  const auto& p = prepared(st.range(0));
  for (auto _ : st) {
    ldns_pkt* pkt = nullptr;
    ldns_wire2pkt(&pkt, p.wire.data(), p.wire.size());
    ldns_pkt_free(pkt);
  }
  st.SetLabel(samples()[st.range(0)].label);
}

void BM_namae_build(benchmark::State& st) {
  const auto& p = prepared(st.range(0));
  std::vector<uint8_t> buf(4096);
  for (auto _ : st) benchmark::DoNotOptimize(build(p, buf));
  st.SetLabel(samples()[st.range(0)].label);
}

// ldns build: serialise an already-constructed packet (the cheaper half of its work).
void BM_ldns_build(benchmark::State& st) {
  const auto& p = prepared(st.range(0));
  ldns_pkt* pkt = nullptr;
  ldns_wire2pkt(&pkt, p.wire.data(), p.wire.size());
  for (auto _ : st) {
    uint8_t* out = nullptr;
    size_t len = 0;
    ldns_pkt2wire(&out, pkt, &len);
    benchmark::DoNotOptimize(out);
    free(out);
  }
  ldns_pkt_free(pkt);
  st.SetLabel(samples()[st.range(0)].label);
}

}  // namespace

BENCHMARK(BM_namae_parse)->DenseRange(0, 2);
BENCHMARK(BM_namae_parse_decode)->DenseRange(0, 2);
BENCHMARK(BM_ldns_parse)->DenseRange(0, 2);
BENCHMARK(BM_namae_build)->DenseRange(0, 2);
BENCHMARK(BM_ldns_build)->DenseRange(0, 2);
BENCHMARK_MAIN();
