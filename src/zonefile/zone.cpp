#include "zonefile/zone.h"

#include <algorithm>
#include <cstring>

#include "dns/rrtype.h"
#include "dns/wire.h"
#include "zonefile/writer.h"

namespace namae::zonefile {

using dns::Name;
namespace rrtype = dns::rrtype;

namespace {

void add(LoadedZone& z, Severity s, const Record& r, std::string message) {
  z.diagnostics.push_back(Diagnostic{s, r.file ? *r.file : std::string(), r.line, 0, std::move(message)});
  if (s == Severity::error) ++z.errors;
}

void add(LoadedZone& z, Severity s, std::string file, std::string message) {
  z.diagnostics.push_back(Diagnostic{s, std::move(file), 0, 0, std::move(message)});
  if (s == Severity::error) ++z.errors;
}

/// The domain name a record points at for the address checks, if any.
std::optional<Name> target_of(const Record& r) {
  size_t skip = 0;
  switch (r.type) {
    case rrtype::NS: skip = 0; break;
    case rrtype::MX: skip = 2; break;
    case rrtype::SRV: skip = 6; break;
    default: return std::nullopt;
  }
  if (r.rdata.size() <= skip) return std::nullopt;
  size_t used = 0;
  auto n = Name::from_wire_prefix(std::span<const uint8_t>(r.rdata).subspan(skip), used);
  if (!n) return std::nullopt;
  return n.value();
}

/// RRSIGs are grouped by the type they cover, as every server stores them.
uint32_t rrset_type(const Record& r) {
  uint32_t t = r.type;
  if (r.type == rrtype::RRSIG && r.rdata.size() >= 2) t = t << 16 | dns::get_u16(r.rdata.data());
  return t;
}

/// Records in [first, last) owned by `name` (records in canonical order).
std::pair<size_t, size_t> find_owner(const std::vector<Record>& rs, const Name& name) {
  auto lo = std::lower_bound(rs.begin(), rs.end(), name, [](const Record& r, const Name& n) {
    return r.owner.canonical_compare(n) < 0;
  });
  auto hi = lo;
  while (hi != rs.end() && hi->owner == name) ++hi;
  return {static_cast<size_t>(lo - rs.begin()), static_cast<size_t>(hi - rs.begin())};
}

std::string zone_label(const Name& origin) {
  std::string s = origin.to_text();
  if (s.size() > 1 && s.back() == '.') s.pop_back();
  return s;
}

LoadedZone load(const std::function<Result<std::unique_ptr<Parser>>(std::optional<Name>)>& make,
                const std::string& file_name, const LoadOptions& options) {
  LoadedZone z;
  z.rclass = options.parser.rclass;
  auto take_diags = [&](const Parser& p) {
    for (const auto& d : p.diagnostics()) {
      z.diagnostics.push_back(d);
      if (d.severity == Severity::error) ++z.errors;
    }
  };
  std::optional<Name> origin = options.origin;
  if (!origin) {
    // First pass: only as far as the first SOA, whose owner is the origin.
    auto p = make(std::nullopt);
    if (!p) {
      add(z, Severity::error, file_name, p.message());
      return z;
    }
    Record r;
    while ((*p)->next(r)) {
      if (r.type == rrtype::SOA) {
        origin = r.owner;
        break;
      }
    }
    if ((*p)->error_count() > 0) {
      take_diags(**p);
      return z;
    }
    if (!origin) {
      add(z, Severity::error, file_name, "no SOA record found, so the origin is unknown (give --origin)");
      return z;
    }
  }
  z.origin = *origin;
  z.origin_known = true;
  auto p = make(origin);
  if (!p) {
    add(z, Severity::error, file_name, p.message());
    return z;
  }
  std::vector<Record> records;
  records.reserve((*p)->input_size() / 32 + 16);  // typical lines are longer than 32 octets
  Record r;
  while ((*p)->next(r)) records.push_back(std::move(r));
  take_diags(**p);
  build_zone(z, std::move(records));
  return z;
}

}  // namespace

LoadedZone load_zone(const std::string& path, const LoadOptions& options) {
  return load(
      [&](std::optional<Name> origin) {
        ParserOptions po = options.parser;
        po.origin = std::move(origin);
        return Parser::open(path, std::move(po));
      },
      path, options);
}

LoadedZone load_zone_text(std::string text, const std::string& file_name, const LoadOptions& options) {
  return load(
      [&](std::optional<Name> origin) -> Result<std::unique_ptr<Parser>> {
        ParserOptions po = options.parser;
        po.origin = std::move(origin);
        return std::make_unique<Parser>(text, file_name, std::move(po));
      },
      file_name, options);
}

void build_zone(LoadedZone& z, std::vector<Record> input) {
  const Name& origin = z.origin;
  const bool parse_failed = z.errors > 0;

  // 1. Out-of-zone data (filtered in place: records are large, avoid copies).
  std::vector<Record>& in = input;
  size_t kept = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    Record& r = in[i];
    if (!r.owner.is_subdomain_of(origin)) {
      add(z, Severity::error, r,
          "out-of-zone data: " + r.owner.to_text() + " is not at or below " + origin.to_text());
      continue;
    }
    if (kept != i) in[kept] = std::move(r);
    ++kept;
  }
  in.resize(kept);

  // 2. Sort an index by (owner, RRset type, canonical rdata, file order).
  // Canonical rdata is only computed when owner and type tie, so the common
  // case allocates nothing per comparison.
  // The owner's lookup key orders bytewise as canonical name order, so the
  // sort compares with memcmp instead of label-by-label lower-casing.
  struct Key {
    std::string owner;
    uint32_t index;
    uint32_t type;
  };
  std::vector<Key> keys(in.size());
  for (uint32_t i = 0; i < in.size(); ++i) keys[i] = Key{in[i].owner.lookup_key(), i, rrset_type(in[i])};
  auto rdata_cmp = [&](uint32_t a, uint32_t b) {
    return compare_rdata(in[a].type, in[a].rdata, in[b].rdata);
  };
  std::sort(keys.begin(), keys.end(), [&](const Key& a, const Key& b) {
    if (int c = a.owner.compare(b.owner)) return c < 0;
    if (a.type != b.type) return a.type < b.type;
    if (int c = rdata_cmp(a.index, b.index)) return c < 0;
    return a.index < b.index;
  });

  // 3. Per RRset: the TTL of the RRset's first record in file order wins (as
  // BIND does), duplicates are dropped.
  std::vector<uint8_t> drop(in.size(), 0);
  for (size_t i = 0; i < keys.size();) {
    size_t j = i;
    uint32_t first = keys[i].index;
    while (j < keys.size() && keys[j].type == keys[i].type && keys[j].owner == keys[i].owner) {
      first = std::min(first, keys[j].index);
      ++j;
    }
    const uint32_t ttl = in[first].ttl;
    for (size_t k = i; k < j; ++k) {
      Record& r = in[keys[k].index];
      if (k > i && rdata_cmp(keys[k].index, keys[k - 1].index) == 0) {
        add(z, Severity::note, r,
            "duplicate record " + r.owner.to_text() + " " + dns::type_to_text(r.type) + " ignored");
        drop[keys[k].index] = 1;
        continue;
      }
      if (r.ttl != ttl) {
        add(z, Severity::warning, r,
            "TTL " + std::to_string(r.ttl) + " differs from the RRset's first TTL; set to " +
                std::to_string(ttl));
        r.ttl = ttl;
      }
    }
    i = j;
  }
  // One move of each kept record into its sorted place.
  std::vector<Record> out;
  out.reserve(in.size());
  for (const Key& k : keys)
    if (!drop[k.index]) out.push_back(std::move(in[k.index]));
  in.clear();
  in.shrink_to_fit();
  in = std::move(out);
  keys.clear();
  keys.shrink_to_fit();
  z.records = std::move(in);
  if (parse_failed) return;  // structure checks on partial data only confuse

  // 4. Structure, one owner at a time (canonical order keeps each subtree
  // contiguous, so the current delegation is a single name).
  const auto& rs = z.records;
  std::optional<Name> cut;  // delegation point or DNAME owner we are below
  bool cut_is_dname = false; // below a DNAME even addresses are occluded (no glue)
  size_t soa_count = 0;
  bool apex_ns = false;
  const std::string zone = zone_label(origin);
  for (size_t i = 0; i < rs.size();) {
    size_t j = i;
    while (j < rs.size() && rs[j].owner == rs[i].owner) ++j;
    const Name& owner = rs[i].owner;
    const bool apex = owner == origin;
    size_t cnames = 0, dnames = 0, others = 0;
    bool has_ns = false, has_soa = false, has_nonglue = false, has_cut_other = false;
    for (size_t k = i; k < j; ++k) {
      const uint16_t t = rs[k].type;
      switch (t) {
        case rrtype::CNAME: ++cnames; break;
        case rrtype::DNAME: ++dnames; ++others; break;
        case rrtype::RRSIG: case rrtype::NSEC: break;
        case rrtype::NS: has_ns = true; ++others; break;
        case rrtype::SOA:
          has_soa = true;
          ++others;
          if (!apex) {
            add(z, Severity::error, rs[k], "SOA record not at top of zone (" + owner.to_text() + ")");
          } else if (++soa_count == 2) {
            add(z, Severity::error, rs[k], "multiple SOA records at the apex (an SOA is a singleton)");
          } else if (soa_count == 1) {
            // SOA rdata: mname, rname, serial, ...
            size_t used1 = 0, used2 = 0;
            std::span<const uint8_t> rd(rs[k].rdata);
            if (Name::from_wire_prefix(rd, used1) &&
                Name::from_wire_prefix(rd.subspan(used1), used2) && rd.size() >= used1 + used2 + 4)
              z.serial = dns::get_u32(rd.data() + used1 + used2);
          }
          break;
        default: ++others; break;
      }
      if (t != rrtype::A && t != rrtype::AAAA) has_nonglue = true;
      if (t != rrtype::NS && t != rrtype::DS && t != rrtype::RRSIG && t != rrtype::NSEC &&
          t != rrtype::A && t != rrtype::AAAA)
        has_cut_other = true;
    }
    (void)has_soa;
    if (apex && has_ns) apex_ns = true;
    // Point at the record that broke the rule: the last CNAME/DNAME in file order.
    auto last_of = [&](uint16_t type) -> const Record& {
      size_t best = i;
      uint32_t line = 0;
      for (size_t k = i; k < j; ++k)
        if (rs[k].type == type && rs[k].line >= line) best = k, line = rs[k].line;
      return rs[best];
    };
    if (cnames > 1) add(z, Severity::error, last_of(rrtype::CNAME), owner.to_text() + ": multiple CNAME records");
    if (dnames > 1) add(z, Severity::error, last_of(rrtype::DNAME), owner.to_text() + ": multiple DNAME records");
    if (cnames > 0 && others > 0)
      add(z, Severity::error, last_of(rrtype::CNAME), owner.to_text() + ": CNAME and other data");

    if (cut && !owner.is_subdomain_of(*cut)) cut.reset();
    if (cut && owner != *cut) {
      if (has_nonglue || cut_is_dname)
        add(z, Severity::warning, rs[i],
            owner.to_text() + ": data below the delegation/DNAME at " + cut->to_text() +
                " is occluded (only address glue belongs there)");
    } else if (!apex && (has_ns || dnames > 0)) {
      if (has_ns && has_cut_other)
        add(z, Severity::warning, rs[i],
            owner.to_text() + ": data at a delegation point other than NS/DS/glue is occluded");
      cut = owner;
      cut_is_dname = !has_ns;
    }
    i = j;
  }
  const std::string main_file = rs.empty() || !rs[0].file ? std::string() : *rs[0].file;
  if (soa_count == 0) add(z, Severity::error, main_file, "zone " + zone + ": has no SOA record");
  if (!apex_ns) add(z, Severity::error, main_file, "zone " + zone + ": has no NS records");

  // 5. Targets inside the zone need addresses (NS: error; MX/SRV: warning).
  for (const Record& r : rs) {
    auto target = target_of(r);
    if (!target || target->is_root() || !target->is_subdomain_of(origin)) continue;
    auto [lo, hi] = find_owner(rs, *target);
    bool address = false, cname = false;
    for (size_t k = lo; k < hi; ++k) {
      address |= rs[k].type == rrtype::A || rs[k].type == rrtype::AAAA;
      cname |= rs[k].type == rrtype::CNAME;
    }
    const std::string what = r.owner.to_text() + " " + dns::type_to_text(r.type) + " '" +
                             target->to_text() + "'";
    const Severity s = r.type == rrtype::NS ? Severity::error : Severity::warning;
    if (cname)
      add(z, s, r, what + " is a CNAME (illegal, RFC 2181 10.3)");
    else if (!address)
      add(z, s, r, what + " has no address records (A or AAAA)");
  }
}

}  // namespace namae::zonefile
