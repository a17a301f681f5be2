#include "resolver/sections.h"

#include <algorithm>

#include "dns/rrtype.h"

namespace namae::resolver {

namespace rrtype = dns::rrtype;
using dns::Name;

namespace {

void add_record(std::vector<dns::RRset>& out, const Name& owner, uint16_t type, uint16_t rclass,
                uint32_t ttl, dns::RdataBytes rd) {
  for (auto& rs : out) {
    if (rs.type == type && rs.rclass == rclass && rs.owner == owner) {
      rs.ttl = std::min(rs.ttl, ttl);
      if (std::find(rs.rdata.begin(), rs.rdata.end(), rd) == rs.rdata.end())
        rs.rdata.push_back(std::move(rd));
      return;
    }
  }
  dns::RRset rs;
  rs.owner = owner;
  rs.type = type;
  rs.rclass = rclass;
  rs.ttl = ttl;
  rs.rdata.push_back(std::move(rd));
  out.push_back(std::move(rs));
}

}  // namespace

bool split_sections(const dns::MessageView& v, Sections& out) {
  const dns::Section secs[3] = {dns::Section::answer, dns::Section::authority,
                                dns::Section::additional};
  std::vector<dns::RRset>* dst[3] = {&out.answer, &out.authority, &out.additional};
  for (int i = 0; i < 3; ++i) {
    auto cur = v.records(secs[i]);
    dns::RecordView rr;
    while (cur.next(rr)) {
      if (rr.type == rrtype::OPT || rr.type == rrtype::TSIG) continue;
      if (rr.rclass != dns::rrclass::IN) continue;
      dns::RdataBytes rd;
      if (dns::rdata::decode(rr.type, v.data(), rr.rdata_offset, rr.rdlength, rd) !=
          dns::WireError::ok)
        return false;
      add_record(*dst[i], v.owner(rr), rr.type, rr.rclass, rr.ttl, std::move(rd));
    }
  }
  return true;
}

const dns::RRset* find_rrset(const std::vector<dns::RRset>& v, const Name& owner, uint16_t type) {
  for (const auto& rs : v)
    if (rs.type == type && rs.owner == owner) return &rs;
  return nullptr;
}

std::optional<Name> rdata_name(const dns::RdataBytes& rd) {
  size_t used = 0;
  auto n = Name::from_wire_prefix(rd, used);
  if (!n) return std::nullopt;
  return *n;
}

}  // namespace namae::resolver
