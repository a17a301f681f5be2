#include "mdns/packet.h"

#include <algorithm>

#include "dns/wire.h"

namespace namae::mdns {

bool Question::matches(const Record& r) const {
  return (type == dns::rrtype::ANY || type == r.type) &&
         (rclass == dns::rrclass::ANY || rclass == r.rclass) && name == r.owner;
}

dns::WireError parse_message(std::span<const uint8_t> wire, Message& out) {
  // Walked here rather than through dns::MessageView: one record whose rdata
  // does not validate (python-zeroconf 0.47 sends NSEC bitmaps with trailing
  // zero octets, which RFC 4034 4.1.2 forbids) costs that record, not the
  // packet. Structure errors (names, counts, lengths) still reject it all.
  out = Message{};
  if (wire.size() < dns::kHeaderSize) return dns::WireError::truncated;
  const uint8_t* m = wire.data();
  out.header = dns::Header::read(m);
  const auto& h = out.header;
  // RFC 6762 18.3, 18.11: other opcodes and rcodes are silently ignored.
  if (h.opcode != dns::opcode::QUERY || h.rcode != 0) return dns::WireError::bad_count;
  size_t pos = dns::kHeaderSize;
  for (uint32_t i = 0; i < h.qdcount; ++i) {
    Question q;
    size_t next = 0;
    if (auto e = dns::read_name(wire, pos, q.name, next); e != dns::WireError::ok) return e;
    if (next + 4 > wire.size()) return dns::WireError::truncated;
    q.type = dns::get_u16(m + next);
    const uint16_t rclass = dns::get_u16(m + next + 2);
    q.rclass = rclass & ~kTopBit;
    q.unicast_response = rclass & kTopBit;
    out.questions.push_back(std::move(q));
    pos = next + 4;
  }
  std::vector<Record>* dest[3] = {&out.answers, &out.authority, &out.additional};
  const uint16_t counts[3] = {h.ancount, h.nscount, h.arcount};
  for (int s = 0; s < 3; ++s) {
    for (uint32_t i = 0; i < counts[s]; ++i) {
      Record r;
      size_t next = 0;
      if (auto e = dns::read_name(wire, pos, r.owner, next); e != dns::WireError::ok) return e;
      if (next + 10 > wire.size()) return dns::WireError::truncated;
      r.type = dns::get_u16(m + next);
      const uint16_t rclass = dns::get_u16(m + next + 2);
      r.ttl = dns::get_u32(m + next + 4);
      const uint16_t rdlength = dns::get_u16(m + next + 8);
      const size_t rd = next + 10;
      if (rd + rdlength > wire.size()) return dns::WireError::truncated;
      pos = rd + rdlength;
      if (r.type == dns::rrtype::OPT || r.type == dns::rrtype::TSIG) continue;
      r.rclass = rclass & ~kTopBit;
      r.unique = rclass & kTopBit;
      if (dns::rdata::decode(r.type, wire, rd, rdlength, r.rdata) != dns::WireError::ok) continue;
      dest[s]->push_back(std::move(r));
    }
  }
  return dns::WireError::ok;  // octets after the last record are ignored, as Avahi does
}

void PacketWriter::question(const Question& q) { questions_.push_back(q); }

void PacketWriter::record(dns::Section section, const Record& r, uint32_t ttl) {
  records_.push_back(Entry{section, r, ttl});
}

std::vector<std::vector<uint8_t>> PacketWriter::finish() {
  std::vector<std::vector<uint8_t>> out;
  if (questions_.empty() && records_.empty()) return out;
  std::stable_sort(records_.begin(), records_.end(),
                   [](const Entry& a, const Entry& b) { return a.section < b.section; });
  const bool query = !header.qr;
  std::vector<uint8_t> buf(limit_);
  size_t next = 0;
  bool first = true;
  while (first || next < records_.size()) {
    dns::MessageBuilder b(buf, limit_);
    b.header() = header;
    b.header().tc = header.tc;  // the caller may continue this message itself
    if (first) {
      for (const auto& q : questions_)
        b.add_question(q.name, q.type,
                       static_cast<uint16_t>(q.rclass | (q.unicast_response ? kTopBit : 0)));
    }
    size_t written = 0;
    bool full = false;
    for (; next < records_.size(); ++next) {
      const Entry& e = records_[next];
      b.begin(e.section);
      uint16_t rclass = e.rec.rclass;
      if (e.rec.unique && !legacy) rclass |= kTopBit;
      uint32_t ttl = e.ttl;
      if (ttl_cap && ttl > ttl_cap) ttl = ttl_cap;
      if (!b.add_record(e.rec.owner, e.rec.type, rclass, ttl, e.rec.rdata)) {
        if (e.section == dns::Section::additional) continue;  // optional: leave it out
        full = true;
        break;
      }
      ++written;
    }
    if (full && written == 0 && !first) ++next;  // a record larger than a packet: skip it
    if (full && (query || legacy)) b.set_truncated();
    size_t n = b.finish();
    out.emplace_back(buf.begin(), buf.begin() + static_cast<long>(n));
    first = false;
    if (full && legacy) break;  // one reply to a legacy resolver; TC tells it to retry over TCP
  }
  return out;
}

}  // namespace namae::mdns
