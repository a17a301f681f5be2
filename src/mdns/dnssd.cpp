#include "mdns/dnssd.h"

#include <arpa/inet.h>

#include <algorithm>

#include <fmt/format.h>

namespace namae::mdns {
namespace {

dns::RdataBytes name_rdata(const dns::Name& n) {
  auto w = n.wire();
  return dns::RdataBytes(w.begin(), w.end());
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

const dns::Name& services_name() {
  static const dns::Name n = *dns::Name::from_text("_services._dns-sd._udp.local.");
  return n;
}

Result<dns::RdataBytes> encode_txt(const std::vector<std::string>& items) {
  dns::RdataBytes out;
  for (const auto& s : items) {
    if (s.size() > 255) return fail("TXT string longer than 255 octets: " + s.substr(0, 20) + "...");
    auto eq = s.find('=');
    std::string key = s.substr(0, eq);
    // RFC 6763 6.4: the key is at least one printable US-ASCII character, no '='.
    if (key.empty()) return fail("TXT string '" + s + "' has an empty key");
    for (unsigned char c : key)
      if (c < 0x20 || c > 0x7e) return fail("TXT key '" + key + "' must be printable ASCII");
    out.push_back(static_cast<uint8_t>(s.size()));
    out.insert(out.end(), s.begin(), s.end());
  }
  if (out.empty()) out.push_back(0);  // RFC 6763 6.1: never empty rdata
  return out;
}

std::vector<std::string> decode_txt(std::span<const uint8_t> rdata) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < rdata.size()) {
    size_t len = rdata[i++];
    if (i + len > rdata.size()) break;
    if (len > 0) out.emplace_back(reinterpret_cast<const char*>(rdata.data() + i), len);
    i += len;
  }
  return out;
}

Result<dns::Name> service_type(const std::string& type, const std::string& domain) {
  std::string t = type;
  while (!t.empty() && t.back() == '.') t.pop_back();
  std::string d = "." + domain;
  if (ends_with(t, d)) t.resize(t.size() - d.size());
  if (!(ends_with(t, "._tcp") || ends_with(t, "._udp")) || t.empty() || t[0] != '_')
    return fail("service type '" + type + "' is not of the form _name._tcp or _name._udp");
  return dns::Name::from_text(t + "." + domain + ".");
}

Result<dns::Name> instance_name(const std::string& instance, const dns::Name& type) {
  if (instance.empty() || instance.size() > dns::Name::kMaxLabel)
    return fail("instance name must be 1 to 63 octets: '" + instance + "'");
  return type.prepend(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(instance.data()), instance.size()));
}

std::string instance_for_attempt(const std::string& instance, int attempt) {
  if (attempt <= 1) return instance;
  std::string suffix = fmt::format(" ({})", attempt);
  std::string base = instance;
  if (base.size() + suffix.size() > dns::Name::kMaxLabel) base.resize(dns::Name::kMaxLabel - suffix.size());
  return base + suffix;
}

std::string host_for_attempt(const std::string& host, int attempt) {
  return attempt <= 1 ? host : fmt::format("{}-{}", host, attempt);
}

std::string first_label(const dns::Name& name) {
  if (name.label_count() == 0) return "";
  auto l = name.label(0);
  return std::string(reinterpret_cast<const char*>(l.data()), l.size());
}

std::string display_name(const dns::Name& name) {
  if (name.label_count() < 3 || name.label(1).empty() || name.label(1)[0] != '_') return name.to_text();
  return first_label(name) + "." + name.strip_left(1).to_text();
}

Result<std::vector<Record>> service_records(const ServiceSpec& svc, const dns::Name& host, int attempt) {
  auto type = service_type(svc.type, svc.domain);
  if (!type) return type.error();
  auto inst = instance_name(instance_for_attempt(svc.instance, attempt), *type);
  if (!inst) return inst.error();
  auto txt = encode_txt(svc.txt);
  if (!txt) return txt.error();
  std::vector<Record> out;
  out.push_back(Record{{*type, dns::rrtype::PTR, dns::rrclass::IN, kOtherTtl, name_rdata(*inst)}, false});
  auto enumeration = dns::Name::from_text("_services._dns-sd._udp." + svc.domain + ".");
  if (!enumeration) return enumeration.error();
  out.push_back(Record{{*enumeration, dns::rrtype::PTR, dns::rrclass::IN, kOtherTtl, name_rdata(*type)}, false});
  for (const auto& sub : svc.subtypes) {
    auto sn = dns::Name::from_text(sub + "._sub." + type->to_text());
    if (!sn) return fail("subtype '" + sub + "': " + sn.message());
    out.push_back(Record{{*sn, dns::rrtype::PTR, dns::rrclass::IN, kOtherTtl, name_rdata(*inst)}, false});
  }
  dns::RdataBytes srv(6);
  dns::put_u16(srv.data() + 4, svc.port);  // priority 0, weight 0
  auto hw = host.wire();
  srv.insert(srv.end(), hw.begin(), hw.end());
  out.push_back(Record{{*inst, dns::rrtype::SRV, dns::rrclass::IN, kHostTtl, std::move(srv)}, true});
  out.push_back(Record{{*inst, dns::rrtype::TXT, dns::rrclass::IN, kOtherTtl, std::move(*txt)}, true});
  return out;
}

Result<dns::Name> reverse_name(const std::string& address) {
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) {
    auto* b = reinterpret_cast<const uint8_t*>(&v4);
    return dns::Name::from_text(fmt::format("{}.{}.{}.{}.in-addr.arpa.", b[3], b[2], b[1], b[0]));
  }
  if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
    std::string s;
    for (int i = 15; i >= 0; --i) s += fmt::format("{:x}.{:x}.", v6.s6_addr[i] & 0xf, v6.s6_addr[i] >> 4);
    return dns::Name::from_text(s + "ip6.arpa.");
  }
  return fail("not an address: " + address);
}

Result<std::vector<Record>> host_records(const dns::Name& host, const std::vector<std::string>& addresses) {
  std::vector<Record> out;
  for (const auto& a : addresses) {
    in_addr v4{};
    in6_addr v6{};
    Record r;
    r.owner = host;
    r.ttl = kHostTtl;
    r.unique = true;
    if (inet_pton(AF_INET, a.c_str(), &v4) == 1) {
      r.type = dns::rrtype::A;
      r.rdata.assign(reinterpret_cast<uint8_t*>(&v4), reinterpret_cast<uint8_t*>(&v4) + 4);
    } else if (inet_pton(AF_INET6, a.c_str(), &v6) == 1) {
      r.type = dns::rrtype::AAAA;
      r.rdata.assign(v6.s6_addr, v6.s6_addr + 16);
    } else {
      return fail("not an address: " + a);
    }
    out.push_back(r);
    auto rev = reverse_name(a);
    if (!rev) return rev.error();
    out.push_back(Record{{*rev, dns::rrtype::PTR, dns::rrclass::IN, kHostTtl, name_rdata(host)}, true});
  }
  return out;
}

std::string address_text(const Record& r) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (r.type == dns::rrtype::A && r.rdata.size() == 4) inet_ntop(AF_INET, r.rdata.data(), buf, sizeof buf);
  if (r.type == dns::rrtype::AAAA && r.rdata.size() == 16) inet_ntop(AF_INET6, r.rdata.data(), buf, sizeof buf);
  return buf;
}

std::optional<ServiceInfo> assemble_service(const dns::Name& name, const std::vector<Record>& records) {
  ServiceInfo info;
  info.name = name;
  info.instance = first_label(name);
  info.type = name.strip_left(1);
  bool have_srv = false;
  for (const auto& r : records) {
    if (!(r.owner == name)) continue;
    if (r.type == dns::rrtype::SRV && r.rdata.size() > 6) {
      info.priority = dns::get_u16(r.rdata.data());
      info.weight = dns::get_u16(r.rdata.data() + 2);
      info.port = dns::get_u16(r.rdata.data() + 4);
      auto t = dns::Name::from_wire(std::span<const uint8_t>(r.rdata).subspan(6));
      if (t) info.target = *t;
      have_srv = true;
    } else if (r.type == dns::rrtype::TXT) {
      info.txt = decode_txt(r.rdata);
    }
  }
  if (!have_srv) return std::nullopt;
  for (const auto& r : records)
    if (r.owner == info.target && (r.type == dns::rrtype::A || r.type == dns::rrtype::AAAA)) {
      auto a = address_text(r);
      if (std::find(info.addresses.begin(), info.addresses.end(), a) == info.addresses.end())
        info.addresses.push_back(a);
    }
  return info;
}

}  // namespace namae::mdns
