#include "xfr/transfer_service.h"

#include "dns/rrtype.h"
#include "dns/wire.h"
#include "xfr/out_stream.h"

namespace namae::xfr {
namespace {

namespace rcode = dns::rcode;
constexpr size_t kOptSize = 11;

// The stream handed from handle() to take_stream(): the transport calls the
// one right after the other on the same thread, and a service is shared by
// every worker, so the hand-off slot is per thread.
thread_local std::unique_ptr<net::ResponseStream> t_pending;

// Octets of the TSIG answering `tv` (a BADTIME reply carries 6 more).
size_t tsig_reply_size(const dns::TsigVerification& tv) {
  const dns::TsigRecord& r = *tv.record;
  size_t mac = tv.key ? dns::tsig_digest_length(tv.key->algorithm) : 0;
  return r.key_name.wire().size() + 10 + r.algorithm.wire().size() + 16 + mac + 6;
}

// The SOA serial of the IXFR request's authority section (RFC 1995 3), read
// off the end of the rdata (five 32-bit fields follow the two names, which
// may be compressed). False when there is no such SOA for the zone.
bool client_serial(const dns::MessageView& v, uint32_t& serial) {
  if (v.count(dns::Section::authority) != 1) return false;
  auto c = v.records(dns::Section::authority);
  dns::RecordView rr;
  if (!c.next(rr) || rr.type != dns::rrtype::SOA || rr.rdlength < 22) return false;
  if (!(v.owner(rr) == v.qname())) return false;
  serial = dns::get_u32(v.raw_rdata(rr).data() + rr.rdlength - 20);
  return true;
}

}  // namespace

struct TransferService::Request {
  const dns::MessageView& view;
  std::span<uint8_t> response;
  const net::Peer& peer;
  const dns::TsigVerification* tv = nullptr;  // set for a signed request
  std::shared_ptr<const zone::ZoneVersion> zone;
  std::shared_ptr<const TransferOptions> opts;  // as they were when the request came

  // What every message of a streamed answer repeats.
  Envelope envelope(net::MetricsRegistry* metrics, uint16_t udp_size) const {
    Envelope e;
    e.id = view.header().id;
    e.rd = view.header().rd;
    auto raw = view.data().subspan(view.question_offset(), view.question_end() - 4 - view.question_offset());
    e.qname.assign(raw.begin(), raw.end());
    e.qtype = view.qtype();
    e.qclass = view.qclass();
    e.edns = view.edns().present;
    e.udp_size = udp_size;
    if (tv && tv->ok()) {
      e.key = *tv->key;
      e.request_mac = tv->record->mac;
    }
    if (metrics) e.bytes = &metrics->xfr_out_bytes;
    return e;
  }
  // The largest answer: a UDP client's EDNS size within [512, ours].
  size_t limit(uint16_t max_udp) const {
    if (peer.tcp) return std::min<size_t>(response.size(), 65535);
    size_t udp = 512;
    if (view.edns().present)
      udp = std::max<size_t>(512, std::min<size_t>(view.edns().udp_size, max_udp));
    return std::min(response.size(), udp);
  }
};

TransferService::TransferService(TransferOptions options)
    : opts_(std::make_shared<const TransferOptions>(std::move(options))) {}

void TransferService::set_options(TransferOptions options) {
  opts_.publish(std::make_shared<const TransferOptions>(std::move(options)));
}

std::unique_ptr<net::ResponseStream> TransferService::take_stream() { return std::move(t_pending); }

const TransferZone* TransferService::find(const TransferOptions& opts, const dns::Name& origin) const {
  for (const auto& z : opts.zones)
    if (z.origin == origin) return &z;
  return nullptr;
}

size_t TransferService::stream(std::unique_ptr<net::ResponseStream> s) {
  t_pending = std::move(s);
  return net::kStream;
}

size_t TransferService::handle(const dns::MessageView& query, std::span<uint8_t> response,
                               const net::Peer& peer, const zone::ZoneSet& zones) {
  Request r{query, response, peer, nullptr, nullptr, opts_.get()};
  dns::TsigVerification tv;
  if (query.has_tsig()) {
    dns::TsigVerifyParams params;
    params.now = dns::tsig_now();
    tv = dns::tsig_verify(query, r.opts->keys, params);
    if (tv.status == dns::TsigStatus::formerr) tv.record.reset();  // FORMERR goes out unsigned
    r.tv = &tv;
    if (!tv.ok()) return reply(r, tv.reply_rcode(), false);  // RFC 8945 5.2
  }
  const bool axfr = query.qtype() == dns::rrtype::AXFR;
  if (axfr && !peer.tcp) return reply(r, rcode::FORMERR, false);
  r.zone = zones.get(query.qname());
  if (!r.zone || query.qclass() != r.zone->rclass()) return reply(r, rcode::NOTAUTH, false);
  const TransferZone* tz = find(*r.opts, r.zone->origin());
  const dns::Name* key = tv.ok() ? &tv.key->name : nullptr;
  if (!tz || !tz->allow.allows(reinterpret_cast<const sockaddr*>(&peer.addr), peer.addr_len, key)) {
    if (r.opts->metrics) r.opts->metrics->xfr_out_refused.fetch_add(1, std::memory_order_relaxed);
    return reply(r, rcode::REFUSED, false);
  }
  if (!axfr) return answer_ixfr(r);
  if (r.opts->metrics) r.opts->metrics->xfr_out_axfr.fetch_add(1, std::memory_order_relaxed);
  return stream(std::make_unique<AxfrStream>(r.envelope(r.opts->metrics, r.opts->max_udp_payload), r.zone));
}

size_t TransferService::answer_ixfr(Request& r) {
  uint32_t theirs = 0;
  if (!client_serial(r.view, theirs)) return reply(r, rcode::FORMERR, false);
  const uint32_t ours = r.zone->serial();
  // RFC 1995 2: a client at our serial or newer gets the SOA alone.
  if (!update::serial_lt(theirs, ours)) return reply(r, rcode::NOERROR, true);

  // The journal's steps from their serial, cut at the version served (the
  // journal may already hold a change not yet published).
  std::vector<update::JournalEntry> steps;
  bool bridged = false;
  auto journal = r.opts->journal ? r.opts->journal(r.zone->origin()) : nullptr;
  if (journal) {
    if (auto entries = journal->entries_since(theirs)) {
      for (auto& e : *entries) {
        if (e.serial_from == e.serial_to) continue;  // leases only
        steps.push_back(std::move(e));
        if (steps.back().serial_to == ours) {
          bridged = true;
          break;
        }
      }
    }
  }
  Envelope env = r.envelope(r.opts->metrics, r.opts->max_udp_payload);
  std::unique_ptr<TransferStream> s;
  if (bridged) {
    auto ix = std::make_unique<IxfrStream>(std::move(env), r.zone, std::move(steps));
    if (ix->valid()) s = std::move(ix);
    else env = r.envelope(r.opts->metrics, r.opts->max_udp_payload);
  }
  const bool incremental = s != nullptr;
  if (!incremental) {
    // RFC 1995 4: the full zone AXFR-style; over UDP that never fits: the SOA.
    if (!r.peer.tcp) return reply(r, rcode::NOERROR, true);
    s = std::make_unique<AxfrStream>(std::move(env), r.zone);
  }
  if (r.opts->metrics)
    (incremental ? r.opts->metrics->xfr_out_ixfr : r.opts->metrics->xfr_out_axfr)
        .fetch_add(1, std::memory_order_relaxed);
  if (r.peer.tcp) return stream(std::move(s));
  // UDP: the differences if they fit in one datagram, else the SOA.
  size_t len = s->next(r.response.first(r.limit(r.opts->max_udp_payload)));
  if (len && s->done()) return len;
  return reply(r, rcode::NOERROR, true);
}

size_t TransferService::reply(Request& r, uint16_t rc, bool with_soa) {
  const dns::MessageView& v = r.view;
  dns::MessageBuilder b(r.response, r.limit(r.opts->max_udp_payload));
  dns::Header& h = b.header();
  h.id = v.header().id;
  h.qr = true;
  h.opcode = v.header().opcode;
  h.rd = v.header().rd;
  h.aa = rc == rcode::NOERROR && r.zone;
  dns::Edns re;
  re.present = v.edns().present;
  re.udp_size = r.opts->max_udp_payload;
  if (re.present) b.reserve(kOptSize);
  const bool sign = r.tv && r.tv->record;
  if (sign) b.reserve(tsig_reply_size(*r.tv));
  dns::set_full_rcode(rc, h, re);
  if (v.header().qdcount == 1) {
    auto raw = v.data().subspan(v.question_offset(), v.question_end() - 4 - v.question_offset());
    (void)b.add_question_raw(raw, v.qtype(), v.qclass());
  }
  if (with_soa) {
    auto soa = r.zone->soa();
    (void)b.add_record(r.zone->origin(), dns::rrtype::SOA, r.zone->rclass(), soa.ttl(), soa.first());
  }
  if (re.present) b.add_opt(re);
  size_t len = b.finish();
  if (sign) {
    auto signed_len = dns::tsig_sign_reply(r.response.first(b.limit()), len, *r.tv, dns::tsig_now());
    if (!signed_len) return 0;
    len = *signed_len;
  }
  return len;
}

}  // namespace namae::xfr
