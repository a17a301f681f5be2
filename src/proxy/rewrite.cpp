#include "proxy/rewrite.h"

#include <array>
#include <string_view>
#include <vector>

#include "dns/rdata.h"
#include "dns/rrtype.h"

namespace namae::proxy {

namespace {

// `name` with its rightmost `drop` labels replaced by `suffix`.
std::optional<dns::Name> replace_suffix(const dns::Name& name, size_t drop, const dns::Name& suffix) {
  size_t keep = name.label_count() - drop;
  std::vector<std::string_view> labels;
  labels.reserve(keep);
  for (size_t i = 0; i < keep; ++i) {
    auto l = name.label(i);
    labels.emplace_back(reinterpret_cast<const char*>(l.data()), l.size());
  }
  auto prefix = dns::Name::from_labels(labels);
  if (!prefix) return std::nullopt;
  auto out = prefix->concat(suffix);
  if (!out) return std::nullopt;
  return *out;
}

}  // namespace

const dns::Name& local_domain() {
  static const dns::Name local = *dns::Name::from_text("local.");
  return local;
}

std::optional<dns::Name> Rewriter::to_local(const dns::Name& name) const {
  if (!name.is_subdomain_of(domain_)) return std::nullopt;
  return replace_suffix(name, domain_.label_count(), local_domain());
}

std::optional<dns::Name> Rewriter::from_local(const dns::Name& name) const {
  if (!name.is_subdomain_of(local_domain())) return name;
  return replace_suffix(name, 1, domain_);
}

bool is_link_local_address(const dns::Record& r) {
  if (r.type == dns::rrtype::A && r.rdata.size() == 4) return r.rdata[0] == 169 && r.rdata[1] == 254;
  if (r.type == dns::rrtype::AAAA && r.rdata.size() == 16) return r.rdata[0] == 0xfe && (r.rdata[1] & 0xc0) == 0x80;
  return false;
}

std::optional<dns::Record> Rewriter::from_link(const dns::Record& r, uint32_t ttl_cap) const {
  if (r.type == dns::rrtype::NSEC || is_link_local_address(r)) return std::nullopt;
  auto owner = from_local(r.owner);
  if (!owner) return std::nullopt;
  dns::Record out{*owner, r.type, r.rclass, ttl_cap && r.ttl > ttl_cap ? ttl_cap : r.ttl, {}};
  std::array<dns::RdataName, 8> names;
  size_t n = dns::rdata::names(r.type, r.rdata, names);
  size_t pos = 0;
  for (size_t i = 0; i < n && i < names.size(); ++i) {
    auto at = std::span<const uint8_t>(r.rdata).subspan(names[i].offset, names[i].length);
    auto name = dns::Name::from_wire(at);
    if (!name) return std::nullopt;
    auto moved = from_local(*name);
    if (!moved) return std::nullopt;
    out.rdata.insert(out.rdata.end(), r.rdata.begin() + pos, r.rdata.begin() + names[i].offset);
    out.rdata.insert(out.rdata.end(), moved->wire().begin(), moved->wire().end());
    pos = names[i].offset + names[i].length;
  }
  out.rdata.insert(out.rdata.end(), r.rdata.begin() + pos, r.rdata.end());
  if (out.rdata.size() > 65535) return std::nullopt;
  return out;
}

}  // namespace namae::proxy
