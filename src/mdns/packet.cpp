#include "mdns/packet.h"

#include <algorithm>

#include <fmt/format.h>

#include "dns/wire.h"

namespace namae::mdns {

std::string Record::to_text() const {
  return fmt::format("{} {} {} {} {}", name.to_text(), ttl, dns::class_to_text(rclass),
                     dns::type_to_text(type), dns::rdata::to_text(type, rdata));
}

bool Question::matches(const Record& r) const {
  return (type == dns::rrtype::ANY || type == r.type) &&
         (rclass == dns::rrclass::ANY || rclass == r.rclass) && name == r.name;
}

dns::WireError parse_message(std::span<const uint8_t> wire, Message& out) {
  dns::MessageView view;
  if (auto e = view.parse(wire); e != dns::WireError::ok) return e;
  const auto& h = view.header();
  if (h.opcode != dns::opcode::QUERY || h.rcode != 0) return dns::WireError::bad_count;
  out = Message{};
  out.header = h;
  dns::RecordView rr;
  auto qs = view.records(dns::Section::question);
  while (qs.next(rr)) {
    Question q;
    q.name = view.owner(rr);
    q.type = rr.type;
    q.rclass = rr.rclass & ~kTopBit;
    q.unicast_response = rr.rclass & kTopBit;
    out.questions.push_back(std::move(q));
  }
  std::vector<Record>* dest[4] = {nullptr, &out.answers, &out.authority, &out.additional};
  for (int s = 1; s <= 3; ++s) {
    auto cur = view.records(static_cast<dns::Section>(s));
    while (cur.next(rr)) {
      if (rr.type == dns::rrtype::OPT || rr.type == dns::rrtype::TSIG) continue;
      Record r;
      r.name = view.owner(rr);
      r.type = rr.type;
      r.rclass = rr.rclass & ~kTopBit;
      r.unique = rr.rclass & kTopBit;
      r.ttl = rr.ttl;
      if (auto e = dns::rdata::decode(rr.type, view.data(), rr.rdata_offset, rr.rdlength, r.rdata);
          e != dns::WireError::ok)
        return e;
      dest[s]->push_back(std::move(r));
    }
  }
  return dns::WireError::ok;
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
    b.header().tc = false;
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
      if (!b.add_record(e.rec.name, e.rec.type, rclass, ttl, e.rec.rdata)) {
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
