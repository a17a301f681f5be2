// The type table: each RR type's rdata declared once as a list of fields.
// Every codec in rdata.cpp is driven by these declarations.
#include <array>

#include "dns/rdata.h"
#include "dns/rrtype.h"

namespace namae::dns::rdata {
namespace {

struct FieldDecl {
  Field kind;
  std::string_view name;
};

// Storage for one declaration; TypeInfo's spans point into it.
template <size_t N>
struct Layout {
  std::array<Field, N> fields{};
  std::array<std::string_view, N> names{};
};

template <size_t N>
constexpr Layout<N> layout(const FieldDecl (&decl)[N]) {
  Layout<N> l;
  for (size_t i = 0; i < N; ++i) {
    l.fields[i] = decl[i].kind;
    l.names[i] = decl[i].name;
  }
  return l;
}

using F = Field;

constexpr auto kA = layout({{F::ipv4, "address"}});
constexpr auto kAAAA = layout({{F::ipv6, "address"}});
constexpr auto kOneCname = layout({{F::cname, "target"}});  // NS, CNAME, PTR, MB, MD, MF, MG, MR
constexpr auto kSOA = layout({{F::cname, "mname"},
                              {F::cname, "rname"},
                              {F::u32, "serial"},
                              {F::ttl, "refresh"},
                              {F::ttl, "retry"},
                              {F::ttl, "expire"},
                              {F::ttl, "minimum"}});
constexpr auto kHINFO = layout({{F::charstring, "cpu"}, {F::charstring, "os"}});
constexpr auto kMINFO = layout({{F::cname, "rmailbx"}, {F::cname, "emailbx"}});
constexpr auto kMX = layout({{F::u16, "preference"}, {F::cname, "exchange"}});
constexpr auto kTXT = layout({{F::charstrings, "text"}});
constexpr auto kRP = layout({{F::name, "mbox"}, {F::name, "txt"}});
constexpr auto kPrefName = layout({{F::u16, "preference"}, {F::name, "host"}});  // AFSDB RT KX
constexpr auto kPX = layout({{F::u16, "preference"}, {F::name, "map822"}, {F::name, "mapx400"}});
constexpr auto kSRV =
    layout({{F::u16, "priority"}, {F::u16, "weight"}, {F::u16, "port"}, {F::name, "target"}});
constexpr auto kNAPTR = layout({{F::u16, "order"},
                                {F::u16, "preference"},
                                {F::charstring, "flags"},
                                {F::charstring, "services"},
                                {F::charstring, "regexp"},
                                {F::name, "replacement"}});
constexpr auto kDNAME = layout({{F::name, "target"}});
constexpr auto kOPT = layout({{F::raw_rest, "options"}});
constexpr auto kDS = layout(
    {{F::u16, "key tag"}, {F::u8, "algorithm"}, {F::u8, "digest type"}, {F::hex_rest, "digest"}});
constexpr auto kSSHFP =
    layout({{F::u8, "algorithm"}, {F::u8, "fingerprint type"}, {F::hex_rest, "fingerprint"}});
constexpr auto kRRSIG = layout({{F::type, "type covered"},
                                {F::u8, "algorithm"},
                                {F::u8, "labels"},
                                {F::u32, "original TTL"},  // BIND takes no units here
                                {F::time, "expiration"},
                                {F::time, "inception"},
                                {F::u16, "key tag"},
                                {F::name, "signer"},
                                {F::base64_rest, "signature"}});
constexpr auto kNSEC = layout({{F::name, "next name"}, {F::type_bitmap, "types"}});
constexpr auto kDNSKEY = layout(
    {{F::u16, "flags"}, {F::u8, "protocol"}, {F::u8, "algorithm"}, {F::base64_rest, "public key"}});
constexpr auto kBase64Only = layout({{F::base64_rest, "data"}});  // DHCID, OPENPGPKEY
constexpr auto kNSEC3 = layout({{F::u8, "hash algorithm"},
                                {F::u8, "flags"},
                                {F::u16, "iterations"},
                                {F::hex_u8len, "salt"},
                                {F::base32hex_u8len, "next hashed owner"},
                                {F::type_bitmap, "types"}});
constexpr auto kNSEC3PARAM = layout(
    {{F::u8, "hash algorithm"}, {F::u8, "flags"}, {F::u16, "iterations"}, {F::hex_u8len, "salt"}});
constexpr auto kTLSA = layout({{F::u8, "usage"},
                               {F::u8, "selector"},
                               {F::u8, "matching type"},
                               {F::hex_rest, "certificate data"}});
constexpr auto kCSYNC = layout({{F::u32, "serial"}, {F::u16, "flags"}, {F::type_bitmap, "types"}});
constexpr auto kZONEMD = layout(
    {{F::u32, "serial"}, {F::u8, "scheme"}, {F::u8, "hash algorithm"}, {F::hex_rest, "digest"}});
constexpr auto kTSIG = layout({{F::name, "algorithm"},
                               {F::u48, "time signed"},
                               {F::u16, "fudge"},
                               {F::base64_u16len, "MAC"},
                               {F::u16, "original id"},
                               {F::tsig_error, "error"},
                               {F::base64_u16len, "other data"}});
constexpr auto kURI = layout({{F::u16, "priority"}, {F::u16, "weight"}, {F::caa_value, "target"}});
constexpr auto kCAA = layout({{F::u8, "flags"}, {F::caa_tag, "tag"}, {F::caa_value, "value"}});

template <size_t N>
constexpr TypeInfo def(uint16_t type, std::string_view mnemonic, const Layout<N>& l,
                       bool canonical_lowercase) {
  return TypeInfo{type, mnemonic, l.fields, l.names, canonical_lowercase};
}

// Sorted by type number. The last column is RFC 4034 6.2's list as amended by
// RFC 6840 5.1 (NSEC removed); types without names carry false.
constexpr TypeInfo kTypes[] = {
    def(1, "A", kA, false),
    def(2, "NS", kOneCname, true),
    def(3, "MD", kOneCname, true),
    def(4, "MF", kOneCname, true),
    def(5, "CNAME", kOneCname, true),
    def(6, "SOA", kSOA, true),
    def(7, "MB", kOneCname, true),
    def(8, "MG", kOneCname, true),
    def(9, "MR", kOneCname, true),
    def(12, "PTR", kOneCname, true),
    def(13, "HINFO", kHINFO, false),
    def(14, "MINFO", kMINFO, true),
    def(15, "MX", kMX, true),
    def(16, "TXT", kTXT, false),
    def(17, "RP", kRP, true),
    def(18, "AFSDB", kPrefName, true),
    def(21, "RT", kPrefName, true),
    def(24, "SIG", kRRSIG, true),
    def(25, "KEY", kDNSKEY, false),
    def(26, "PX", kPX, true),
    def(28, "AAAA", kAAAA, false),
    def(33, "SRV", kSRV, true),
    def(35, "NAPTR", kNAPTR, true),
    def(36, "KX", kPrefName, true),
    def(39, "DNAME", kDNAME, true),
    def(41, "OPT", kOPT, false),
    def(43, "DS", kDS, false),
    def(44, "SSHFP", kSSHFP, false),
    def(46, "RRSIG", kRRSIG, true),
    def(47, "NSEC", kNSEC, false),
    def(48, "DNSKEY", kDNSKEY, false),
    def(49, "DHCID", kBase64Only, false),
    def(50, "NSEC3", kNSEC3, false),
    def(51, "NSEC3PARAM", kNSEC3PARAM, false),
    def(52, "TLSA", kTLSA, false),
    def(53, "SMIMEA", kTLSA, false),
    def(59, "CDS", kDS, false),
    def(60, "CDNSKEY", kDNSKEY, false),
    def(61, "OPENPGPKEY", kBase64Only, false),
    def(62, "CSYNC", kCSYNC, false),
    def(63, "ZONEMD", kZONEMD, false),
    def(99, "SPF", kTXT, false),
    def(250, "TSIG", kTSIG, false),
    def(256, "URI", kURI, false),
    def(257, "CAA", kCAA, false),
};

// Direct index for the hot path (decode/check look the type up per record).
constexpr size_t kIndexSize = 512;
constexpr auto kIndex = [] {
  std::array<uint8_t, kIndexSize> idx{};
  for (size_t i = 0; i < std::size(kTypes); ++i) idx[kTypes[i].type] = static_cast<uint8_t>(i + 1);
  return idx;
}();

static_assert(std::size(kTypes) < 255);
static_assert(
    [] {
      for (const auto& t : kTypes)
        if (t.type >= kIndexSize || t.fields.size() != t.field_names.size()) return false;
      for (size_t i = 1; i < std::size(kTypes); ++i)
        if (kTypes[i - 1].type >= kTypes[i].type) return false;
      return true;
    }(),
    "type table must be sorted, below kIndexSize, and fully named");

}  // namespace

const TypeInfo* find(uint16_t type) {
  if (type < kIndexSize) {
    uint8_t i = kIndex[type];
    return i ? &kTypes[i - 1] : nullptr;
  }
  return nullptr;  // every declared type is below kIndexSize (static_assert above)
}

std::span<const TypeInfo> all_types() { return kTypes; }

}  // namespace namae::dns::rdata
