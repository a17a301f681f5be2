#include "validator/anchors.h"

#include <functional>

#include "dns/rrtype.h"
#include "zonefile/parser.h"

namespace namae::validator {

namespace {

constexpr const char* kRootAnchors =
    ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"
    ". IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16\n";

Result<void> read_anchors(zonefile::Parser& p, const std::string& name,
                          const std::function<void(const zonefile::Record&)>& add) {
  zonefile::Record r;
  size_t n = 0;
  while (p.next(r)) {
    if (r.type != dns::rrtype::DS && r.type != dns::rrtype::DNSKEY)
      return fail((r.file ? *r.file : name) + ":" + std::to_string(r.line) + ": a trust anchor is a DS or DNSKEY record, not " +
                  dns::type_to_text(r.type));
    add(r);
    ++n;
  }
  if (p.error_count() > 0) return fail(p.diagnostics().front().to_string());
  if (n == 0) return fail(name + ": no DS or DNSKEY record");
  return {};
}

}  // namespace

TrustAnchors TrustAnchors::builtin_root() {
  auto t = from_text(kRootAnchors, "built-in root anchors");
  return t ? std::move(*t) : TrustAnchors{};
}

Result<TrustAnchors> TrustAnchors::from_text(const std::string& text, const std::string& name) {
  zonefile::ParserOptions o;
  o.origin = dns::Name();
  o.allow_include = false;
  // Anchors are often written without a TTL, which a zone file needs.
  zonefile::Parser p("$TTL 0\n" + text, name, o);
  TrustAnchors out;
  auto r = read_anchors(p, name, [&](const dns::Record& rec) { out.add(rec); });
  if (!r) return r.error();
  return out;
}

Result<void> read_anchor_records(const std::string& path, const std::function<void(const zonefile::Record&)>& add) {
  zonefile::ParserOptions o;
  o.origin = dns::Name();
  // Included, so a TTL-less anchor line (RFC 7958's form) inherits $TTL 0
  // and diagnostics still name the file and its own line numbers.
  zonefile::Parser p("$TTL 0\n$INCLUDE \"" + path + "\"\n", path + " (trust anchors)", o);
  return read_anchors(p, path, add);
}

Result<TrustAnchors> TrustAnchors::from_file(const std::string& path) {
  TrustAnchors out;
  auto r = read_anchor_records(path, [&](const dns::Record& rec) { out.add(rec); });
  if (!r) return r.error();
  return out;
}

TrustAnchors TrustAnchors::from_anchors(std::vector<Anchor> anchors) {
  TrustAnchors out;
  out.anchors_ = std::move(anchors);
  return out;
}

void TrustAnchors::add(const dns::Record& r) {
  Anchor* a = nullptr;
  for (auto& x : anchors_)
    if (x.zone == r.owner) a = &x;
  if (!a) {
    anchors_.push_back(Anchor{r.owner, {}, {}});
    a = &anchors_.back();
  }
  (r.type == dns::rrtype::DS ? a->ds : a->dnskeys).push_back(r.rdata);
}

const Anchor* TrustAnchors::closest(const dns::Name& name) const {
  const Anchor* best = nullptr;
  for (const auto& a : anchors_)
    if (name.is_subdomain_of(a.zone) && (!best || a.zone.label_count() > best->zone.label_count()))
      best = &a;
  return best;
}

}  // namespace namae::validator
