#include "update/srp.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "dns/rrtype.h"
#include "dnssec/algorithm.h"
#include "dnssec/dnskey.h"

namespace namae::update {

namespace rc = dns::rcode;
namespace rt = dns::rrtype;

namespace {

uint16_t formerr(std::string* reason, std::string why) {
  if (reason) *reason = "not an SRP update: " + std::move(why);
  return rc::FORMERR;
}

bool is_delete_all(const dns::Record& r) {
  return r.rclass == dns::rrclass::ANY && r.type == rt::ANY;
}

// What the update says about one service instance name.
struct Instance {
  bool discovered = false;  // named by a PTR add or delete
  bool removed = false;     // by a PTR delete
  bool cleared = false;     // delete all RRsets
  int srv = 0, txt = 0;
};

// RFC 6763 7.1: an instance is <label>.<type>; its PTR sits at <type> or at
// <subtype>._sub.<type>.
bool is_service_type(const dns::Name& type) {
  if (type.label_count() < 2) return false;
  auto proto = type.label(1), service = type.label(0);
  auto is = [&](const char* want) {
    return proto.size() == 4 && std::equal(proto.begin(), proto.end(), want,
                                           [](uint8_t a, char b) { return std::tolower(a) == b; });
  };
  return (is("_tcp") || is("_udp")) && service.size() >= 2 && service[0] == '_';
}

bool names_instance(const dns::Name& ptr_owner, const dns::Name& instance) {
  if (instance.label_count() < 1) return false;
  const dns::Name type = instance.strip_left();
  if (!is_service_type(type)) return false;
  if (ptr_owner == type) return true;
  static const uint8_t sub[] = {'_', 's', 'u', 'b'};
  auto expected = type.prepend(sub);
  return expected && ptr_owner.label_count() == expected->label_count() + 1 &&
         ptr_owner.strip_left() == *expected;
}

std::optional<dns::Name> rdata_name(std::span<const uint8_t> wire) {
  size_t used = 0;
  auto n = dns::Name::from_wire_prefix(wire, used);
  if (!n) return std::nullopt;
  return *n;
}

struct Reader {
  const UpdateMessage& msg;
  SrpClaim& out;
  std::string* reason;
  std::map<dns::Name, Instance> instances;
  std::vector<dns::Name> cleared;

  uint16_t service_discovery() {
    for (const auto& r : msg.updates) {
      if (r.type != rt::PTR) continue;
      if (r.rclass != msg.zclass && r.rclass != dns::rrclass::NONE)
        return formerr(reason, "PTR " + r.owner.to_text() + " is neither added nor deleted");
      auto target = rdata_name(r.rdata);
      if (!target || !names_instance(r.owner, *target))
        return formerr(reason, "PTR " + r.owner.to_text() + " does not name an instance of its type");
      Instance& in = instances[*target];
      in.discovered = true;
      in.removed = r.rclass == dns::rrclass::NONE;
      out.service_names.push_back(r.owner);
    }
    return rc::NOERROR;
  }

  uint16_t host_and_services() {
    for (const auto& r : msg.updates) {
      if (r.type == rt::PTR) continue;
      auto inst = instances.find(r.owner);
      if (is_delete_all(r)) {
        if (inst != instances.end()) inst->second.cleared = true;
        else cleared.push_back(r.owner);
        continue;
      }
      if (r.rclass != msg.zclass)
        return formerr(reason, r.owner.to_text() + ": only adds and whole-name deletes");
      uint16_t code = inst != instances.end() ? service_rr(r, inst->second) : host_rr(r);
      if (code != rc::NOERROR) return code;
    }
    return rc::NOERROR;
  }

  uint16_t service_rr(const dns::Record& r, Instance& in) {
    if (r.type == rt::SRV) {
      auto target = r.rdata.size() > 6 ? rdata_name(std::span(r.rdata).subspan(6)) : std::nullopt;
      if (!target) return formerr(reason, "SRV " + r.owner.to_text() + " is malformed");
      pending_srv_targets.push_back(*target);
      ++in.srv;
    } else if (r.type == rt::TXT) {
      ++in.txt;
    } else if (r.type == rt::KEY) {
      instance_keys.push_back(r.rdata);
    } else {
      return formerr(reason, dns::type_to_text(r.type) + " in a Service Description");
    }
    return rc::NOERROR;
  }

  uint16_t host_rr(const dns::Record& r) {
    const bool address = r.type == rt::A || r.type == rt::AAAA;
    if (!address && r.type != rt::KEY)
      return formerr(reason, dns::type_to_text(r.type) + " at " + r.owner.to_text());
    if (out.host.is_root()) out.host = r.owner;
    if (!(r.owner == out.host)) return formerr(reason, "more than one host name");
    if (address) {
      ++out.addresses;
      return rc::NOERROR;
    }
    if (!out.key.empty()) return formerr(reason, "more than one KEY");
    out.key = r.rdata;
    return rc::NOERROR;
  }

  uint16_t check_host() {
    if (out.key.empty()) return formerr(reason, "no Host Description KEY");
    auto k = dnssec::parse_dnskey(out.key);
    if (!k || k->algorithm != dnssec::alg::ECDSAP256SHA256 || k->key.size() != 64)
      return formerr(reason, "the KEY is not an ECDSA P-256 key");
    if (std::find(cleared.begin(), cleared.end(), out.host) == cleared.end())
      return formerr(reason, "the host name's RRsets are not deleted first");
    for (const auto& n : cleared)
      if (!(n == out.host)) return formerr(reason, "delete of " + n.to_text() + ", not a described name");
    for (const auto& t : pending_srv_targets)
      if (!(t == out.host)) return formerr(reason, "an SRV does not point at the host");
    for (const auto& k2 : instance_keys)
      if (k2 != out.key) return formerr(reason, "a Service Description KEY is not the host's");
    return rc::NOERROR;
  }

  uint16_t check_services() {
    for (const auto& [name, in] : instances) {
      if (!in.cleared) return formerr(reason, name.to_text() + ": its RRsets are not deleted first");
      if (!in.removed && (in.srv != 1 || in.txt != 1))
        return formerr(reason, name.to_text() + ": needs one SRV and one TXT");
      if (in.removed && (in.srv != 0 || in.txt != 0))
        return formerr(reason, name.to_text() + ": removed and described at once");
      if (name == out.host) return formerr(reason, "the host name is also an instance name");
      out.instances.push_back(name);
    }
    return rc::NOERROR;
  }

  std::vector<dns::Name> pending_srv_targets;
  std::vector<dns::RdataBytes> instance_keys;
};

// The KEY RRset at `name` in `zone`, empty when there is none.
std::vector<dns::RdataBytes> keys_at(const zone::Node& node) {
  std::vector<dns::RdataBytes> out;
  zone::RRsetView set = node.find(rt::KEY);
  if (!set) return out;
  auto cur = set.rdatas();
  for (std::span<const uint8_t> rd; cur.next(rd);) out.emplace_back(rd.begin(), rd.end());
  return out;
}

// A name held by no key may still be the key's through its SRV targets:
// an instance whose every SRV points at a host this key owns.
bool srv_targets_owned(const zone::ZoneVersion& zone, const zone::Node& node, const SrpClaim& c) {
  zone::RRsetView srv = node.find(rt::SRV);
  if (!srv || node.rrset_count() != 1 + (node.find(rt::TXT) ? 1 : 0)) return false;
  auto cur = srv.rdatas();
  for (std::span<const uint8_t> rd; cur.next(rd);) {
    auto target = rd.size() > 6 ? rdata_name(rd.subspan(6)) : std::nullopt;
    if (!target) return false;
    const zone::Node* host = zone.find(*target);
    auto keys = host ? keys_at(*host) : std::vector<dns::RdataBytes>{};
    if (keys.size() != 1 || keys[0] != c.key) return false;
  }
  return true;
}

bool owned_or_free(const zone::ZoneVersion& zone, const dns::Name& name, const SrpClaim& c) {
  const zone::Node* node = zone.find(name);
  if (!node || node->empty()) return true;
  auto keys = keys_at(*node);
  if (!keys.empty()) return keys.size() == 1 && keys[0] == c.key;
  return srv_targets_owned(zone, *node, c);
}

}  // namespace

bool srp_covers(const SrpClaim& claim, const dns::Name& owner) { return claim.covers(owner); }

bool SrpClaim::covers(const dns::Name& owner) const {
  auto in = [&](const std::vector<dns::Name>& v) { return std::find(v.begin(), v.end(), owner) != v.end(); };
  return owner == host || in(instances) || in(service_names);
}

uint16_t read_srp(const UpdateMessage& msg, SrpClaim& out, std::string* reason) {
  out = SrpClaim{};
  if (!msg.prerequisites.empty()) return formerr(reason, "it has prerequisites");
  Reader r{msg, out, reason, {}, {}, {}, {}};
  for (auto step : {&Reader::service_discovery, &Reader::host_and_services, &Reader::check_host,
                    &Reader::check_services})
    if (uint16_t code = (r.*step)(); code != rc::NOERROR) return code;
  return rc::NOERROR;
}

uint16_t check_srp_owner(const zone::ZoneVersion& zone, const SrpClaim& claim, std::string* reason) {
  std::vector<const dns::Name*> names{&claim.host};
  for (const auto& n : claim.instances) names.push_back(&n);
  for (const dns::Name* n : names) {
    if (owned_or_free(zone, *n, claim)) continue;
    if (reason) *reason = n->to_text() + " belongs to another key";
    return rc::YXDOMAIN;
  }
  return rc::NOERROR;
}

void srp_apply_form(UpdateMessage& msg, const SrpClaim& claim, bool remove, bool keep_key) {
  uint32_t key_ttl = 0;
  std::vector<dns::Record> kept;
  for (auto& r : msg.updates) {
    const bool add = r.rclass == msg.zclass;
    if (add && r.type == rt::KEY) {
      if (r.owner == claim.host) key_ttl = r.ttl;
      continue;  // the claim's KEY goes back below, at each of its names
    }
    if (!add || !remove)
      kept.push_back(std::move(r));
    else if (r.type == rt::PTR)
      kept.push_back({r.owner, rt::PTR, dns::rrclass::NONE, 0, std::move(r.rdata)});
  }
  if (!remove || keep_key) {
    kept.push_back({claim.host, rt::KEY, msg.zclass, key_ttl, claim.key});
    for (const auto& inst : claim.instances) kept.push_back({inst, rt::KEY, msg.zclass, key_ttl, claim.key});
  }
  msg.updates = std::move(kept);
}

}  // namespace namae::update
