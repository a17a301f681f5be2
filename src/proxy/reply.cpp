#include "proxy/reply.h"

#include <algorithm>

namespace namae::proxy {

QueryInfo QueryInfo::from(const dns::MessageView& q, bool tcp) {
  QueryInfo info;
  info.id = q.header().id;
  info.rd = q.header().rd;
  info.cd = q.header().cd;
  auto wire = q.data().subspan(q.question_offset(), q.qname().wire_length());
  info.qname.assign(wire.begin(), wire.end());
  info.qtype = q.qtype();
  info.qclass = q.qclass();
  info.edns = q.edns().present;
  info.udp_size = q.edns().present ? std::max<uint16_t>(q.edns().udp_size, 512) : 512;
  info.tcp = tcp;
  return info;
}

namespace {

// The records of one section; false when one did not fit.
bool add_section(dns::MessageBuilder& b, dns::Section s, const std::vector<dns::Record>& recs) {
  b.begin(s);
  for (const auto& r : recs)
    if (!b.add_record(r.owner, r.type, r.rclass, r.ttl, r.rdata)) return false;
  return true;
}

}  // namespace

size_t write_reply(const QueryInfo& q, const Answer& a, std::span<uint8_t> out, uint16_t max_udp) {
  size_t limit = q.tcp ? out.size() : std::min<size_t>({out.size(), q.udp_size, std::max<uint16_t>(max_udp, 512)});
  dns::MessageBuilder b(out, limit);
  dns::Header& h = b.header();
  h.id = q.id;
  h.qr = true;
  h.aa = true;
  h.rd = q.rd;
  h.cd = q.cd;
  h.rcode = static_cast<uint8_t>(a.rcode);
  dns::Edns edns;
  if (q.edns) {
    edns.present = true;
    edns.udp_size = std::max<uint16_t>(max_udp, 512);
    b.reserve(11);  // the OPT record, without options
  }
  b.add_question_raw(q.qname, q.qtype, q.qclass);
  auto whole = b.mark();
  if (!add_section(b, dns::Section::answer, a.answer) || !add_section(b, dns::Section::authority, a.authority)) {
    b.rollback(whole);
    b.set_truncated();
  } else {
    auto before_additional = b.mark();
    if (!add_section(b, dns::Section::additional, a.additional)) b.rollback(before_additional);
  }
  if (q.edns) b.add_opt(edns);
  return b.finish();
}

}  // namespace namae::proxy
