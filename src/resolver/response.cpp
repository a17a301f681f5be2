// The client's response, written from an Answer (cache entries) straight
// into the transport's buffer.
#include <algorithm>
#include <array>

#include "dns/edns.h"
#include "dns/message.h"
#include "dns/rrtype.h"
#include "resolver/resolver.h"
#include "validator/keys.h"

namespace namae::resolver {

namespace {
constexpr size_t kMaxEdeText = 200;

// Header and question of a response to `query`.
bool begin(const dns::MessageView& query, dns::MessageBuilder& b, uint16_t rcode, bool ra) {
  auto& h = b.header();
  h.id = query.header().id;
  h.qr = true;
  h.opcode = query.header().opcode;
  h.rd = query.header().rd;
  h.cd = query.header().cd;
  h.ra = ra;
  h.rcode = static_cast<uint8_t>(rcode & 0x0f);
  if (query.header().qdcount >= 1) {
    auto raw = query.data().subspan(query.question_offset(), query.qname().wire_length());
    if (!b.add_question_raw(raw, query.qtype(), query.qclass())) return false;
  }
  return true;
}

// With `sigs` (a DO=1 client, RFC 4035 3.2.1): the RRSIGs over the RRset
// go with it, or neither does.
bool add_rrset(dns::MessageBuilder& b, const dns::RRset& rs, uint32_t ttl,
               const std::vector<dns::RdataBytes>* sigs = nullptr) {
  auto m = b.mark();
  for (const auto& rd : rs.rdata) {
    if (!b.add_record(rs.owner, rs.type, rs.rclass, ttl, rd)) {
      b.rollback(m);
      return false;
    }
  }
  if (sigs)
    for (const auto& rd : *sigs) {
      if (!b.add_record(rs.owner, dns::rrtype::RRSIG, rs.rclass, ttl, rd)) {
        b.rollback(m);
        return false;
      }
    }
  return true;
}

// RFC 4035 3.1.3: the NSEC/NSEC3 records (and all RRSIGs) of the
// authority section that prove a negative or wildcard answer.
bool add_proof(dns::MessageBuilder& b, const CacheEntry& e, uint32_t ttl) {
  if (!e.dnssec.proof) return true;
  for (const auto& rs : *e.dnssec.proof)
    if (!add_rrset(b, rs, ttl)) return false;
  return true;
}
}  // namespace

size_t write_response(const dns::MessageView& query, const Answer& answer, int64_t now_ms,
                      uint32_t stale_ttl, uint16_t max_udp, bool tcp, std::span<uint8_t> out) {
  size_t limit = out.size();
  const dns::Edns& qe = query.edns();
  if (!tcp) {
    size_t want = qe.present ? std::max<size_t>(512, qe.udp_size) : 512;
    limit = std::min({limit, want, std::max<size_t>(512, max_udp)});
  }
  dns::MessageBuilder b(out, std::min<size_t>(limit, 65535));
  // RFC 8914: why the answer is what it is, for a client with EDNS (3).
  // The extra text is cut short rather than crowd out the answer of a
  // 512-octet datagram.
  std::array<uint8_t, dns::ede_option_size(kMaxEdeText)> ede{};
  const std::string_view text = std::string_view(answer.ede_text).substr(0, kMaxEdeText);
  const size_t ede_size = qe.present && answer.ede != 0xffff ? dns::write_ede_option(ede, answer.ede, text) : 0;
  if (qe.present) b.reserve(11 + ede_size);
  if (!begin(query, b, answer.rcode, true)) return 0;
  // RFC 6840 5.7: AD for a client that shows it understands it (DO or AD).
  b.header().ad = answer.security == validator::Security::secure && (qe.do_bit || query.header().ad);
  auto ttl_of = [&](const CacheEntry& e) {
    return answer.stale ? stale_ttl : e.ttl_left(now_ms);
  };
  bool truncated = false;
  const CacheEntry* wildcard = nullptr;
  b.begin(dns::Section::answer);
  for (const auto& e : answer.chain) {
    if (!add_rrset(b, e->rrset, ttl_of(*e), qe.do_bit ? &e->dnssec.sigs : nullptr)) {
      truncated = true;
      break;
    }
    if (qe.do_bit && validator::wildcard_parent(e->rrset, e->dnssec.sigs)) wildcard = e.get();
  }
  if (!truncated && answer.negative && answer.negative->soa) {
    b.begin(dns::Section::authority);
    // RFC 2308 3: the SOA's TTL is the negative answer's remaining TTL.
    if (!add_rrset(b, *answer.negative->soa, ttl_of(*answer.negative)) ||
        (qe.do_bit && !add_proof(b, *answer.negative, ttl_of(*answer.negative))))
      truncated = true;
  }
  if (!truncated && wildcard) {
    b.begin(dns::Section::authority);
    if (!add_proof(b, *wildcard, ttl_of(*wildcard))) truncated = true;
  }
  if (!truncated && answer.referral) {
    b.begin(dns::Section::authority);
    if (!add_rrset(b, answer.referral->rrset, ttl_of(*answer.referral))) truncated = true;
    b.begin(dns::Section::additional);
    for (const auto& g : answer.glue)  // optional data: dropped, not truncated, when full
      if (!add_rrset(b, g->rrset, ttl_of(*g))) break;
  }
  if (!truncated && !answer.referral && !answer.glue.empty()) {
    // Additional data of a positive answer (the mDNS bridge's SRV/TXT/addresses).
    b.begin(dns::Section::additional);
    for (const auto& g : answer.glue)
      if (!add_rrset(b, g->rrset, ttl_of(*g))) break;
  }
  if (truncated) b.set_truncated();
  if (qe.present) {
    dns::Edns e;
    e.present = true;
    e.udp_size = max_udp;
    e.do_bit = qe.do_bit;  // RFC 3225 3: echoed
    e.options = std::span<const uint8_t>(ede.data(), ede_size);
    b.begin(dns::Section::additional);
    b.add_opt(e);
  }
  return b.finish();
}

size_t write_error(const dns::MessageView& query, uint16_t rcode, bool ra, std::span<uint8_t> out) {
  dns::MessageBuilder b(out, std::min<size_t>(out.size(), 512));
  if (!begin(query, b, rcode, ra)) return 0;
  return b.finish();
}

size_t write_prohibited(const dns::MessageView& query, std::span<uint8_t> out) {
  dns::MessageBuilder b(out, std::min<size_t>(out.size(), 512));
  const bool edns = query.edns().present;
  std::array<uint8_t, dns::ede_option_size(0)> ede{};
  if (edns) b.reserve(11 + ede.size());
  // RA=0: this client gets no recursion from us.
  if (!begin(query, b, dns::rcode::REFUSED, false)) return 0;
  if (edns) {
    // RFC 8914 4.19 "Prohibited"; only with EDNS (RFC 8914 3).
    dns::Edns e;
    e.present = true;
    e.udp_size = 512;
    e.options = std::span<const uint8_t>(ede.data(), dns::write_ede_option(ede, dns::ede::PROHIBITED));
    b.begin(dns::Section::additional);
    b.add_opt(e);
  }
  return b.finish();
}

}  // namespace namae::resolver
