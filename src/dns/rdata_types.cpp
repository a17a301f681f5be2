// The rdata side of the type table (dns/rrtypes.def): each layout declared
// once as a list of fields, and the rows that name them. Every codec in
// rdata.cpp is driven by these declarations.
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
constexpr auto kWKS = layout(
    {{F::ipv4, "address"}, {F::ip_protocol, "protocol"}, {F::wks_ports, "ports"}});
constexpr auto kOneCharstring = layout({{F::charstring, "address"}});  // X25
constexpr auto kISDN =
    layout({{F::charstring, "address"}, {F::charstring_opt, "subaddress"}});
constexpr auto kNSAP = layout({{F::nsap, "address"}});
constexpr auto kGPOS =
    layout({{F::charstring, "longitude"}, {F::charstring, "latitude"}, {F::charstring, "altitude"}});
constexpr auto kLOC = layout({{F::loc, "location"}});
constexpr auto kNXT = layout({{F::name, "next name"}, {F::nxt_bitmap, "types"}});
constexpr auto kHexOnly = layout({{F::hex_rest, "data"}});  // EID, NIMLOC
constexpr auto kATMA = layout({{F::atma, "address"}});
constexpr auto kCERT = layout({{F::cert_type, "certificate type"},
                               {F::u16, "key tag"},
                               {F::secalg, "algorithm"},
                               {F::base64_rest, "certificate"}});
constexpr auto kA6 = layout({{F::a6_suffix, "address suffix"}, {F::a6_prefix, "prefix name"}});
constexpr auto kSINK = layout(
    {{F::u8, "meaning"}, {F::u8, "coding"}, {F::u8, "subcoding"}, {F::base64_opt, "data"}});
constexpr auto kAPL = layout({{F::apl, "items"}});
constexpr auto kIPSECKEY = layout({{F::u8, "precedence"},
                                   {F::ipseckey_gateway, "gateway"},
                                   {F::base64_rest, "public key"}});
constexpr auto kHIP = layout({{F::hip, "host identity"}, {F::names_rest, "rendezvous servers"}});
constexpr auto kTwoNames = layout({{F::name, "previous"}, {F::name, "next"}});  // TALINK
constexpr auto kSVCB = layout({{F::u16, "priority"}, {F::name, "target"}, {F::svc_params, "params"}});
constexpr auto kDSYNC = layout(
    {{F::type, "type"}, {F::dsync_scheme, "scheme"}, {F::u16, "port"}, {F::name, "target"}});
constexpr auto kBase64Rest = layout({{F::base64_rest, "data"}});  // HHIT, BRID
constexpr auto kNID = layout({{F::u16, "preference"}, {F::ilnp64, "node id"}});
constexpr auto kL32 = layout({{F::u16, "preference"}, {F::ipv4, "locator"}});
constexpr auto kL64 = layout({{F::u16, "preference"}, {F::ilnp64, "locator"}});
constexpr auto kLP = layout({{F::u16, "preference"}, {F::name, "fqdn"}});
constexpr auto kEUI48 = layout({{F::eui48, "address"}});
constexpr auto kEUI64 = layout({{F::eui64, "address"}});
constexpr auto kTKEY = layout({{F::name, "algorithm"},
                               {F::time, "inception"},
                               {F::time, "expiration"},
                               {F::u16, "mode"},
                               {F::tsig_error, "error"},
                               {F::base64_u16len, "key"},
                               {F::base64_u16len, "other data"}});
constexpr auto kDOA = layout({{F::u32, "enterprise"},
                              {F::u32, "type"},
                              {F::u8, "location"},
                              {F::charstring, "media type"},
                              {F::base64_dash, "data"}});
constexpr auto kAMTRELAY = layout({{F::u8, "precedence"}, {F::amt_relay, "relay"}});

// A row whose rdata is `generic` has no declaration (RFC 3597 handling).
struct Generic {};
constexpr Generic generic{};

// One row of dns/rrtypes.def with its layout; `declared` is false for generic ones.
struct Row {
  TypeInfo info;
  bool declared;
};

// Not constexpr: reaching it while building kRows stops the compile.
void bad_additional_column(const char*) {}

// Index of the field called `name`, or -1 for "" (no additional processing).
// A name that is not a domain-name field of the layout fails to compile.
constexpr int8_t field_index(std::span<const Field> fields, std::span<const std::string_view> names,
                             std::string_view name) {
  if (name.empty()) return -1;
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name && (fields[i] == Field::name || fields[i] == Field::cname))
      return static_cast<int8_t>(i);
  bad_additional_column("the additional column names no domain-name field of the layout");
  return -1;
}

template <size_t N>
constexpr Row row(uint16_t type, std::string_view mnemonic, const Layout<N>& l, uint8_t flags,
                  std::string_view additional) {
  return {TypeInfo{type, mnemonic, l.fields, l.names, (flags & rrflag::lower) != 0,
                   field_index(l.fields, l.names, additional)},
          true};
}

constexpr Row row(uint16_t type, std::string_view mnemonic, Generic, uint8_t,
                  std::string_view additional) {
  if (!additional.empty()) bad_additional_column("a generic type has no field to name");
  return {TypeInfo{type, mnemonic, {}, {}, false, -1}, false};
}

constexpr Row kRows[] = {
#define NAMAE_RRTYPE(c, number, mnemonic, rdata, flag_bits, field) \
  row(                                                             \
      number, mnemonic, rdata,                                     \
      [] {                                                         \
        using namespace rrflag;                                    \
        return static_cast<uint8_t>(flag_bits);                    \
      }(),                                                         \
      field),
#include "dns/rrtypes.def"
#undef NAMAE_RRTYPE
};

// The declared rows, in type-number order.
constexpr size_t kDeclared = [] {
  size_t n = 0;
  for (const auto& r : kRows) n += r.declared;
  return n;
}();
constexpr auto kTypes = [] {
  std::array<TypeInfo, kDeclared> out{};
  size_t n = 0;
  for (const auto& r : kRows)
    if (r.declared) out[n++] = r.info;
  return out;
}();

// Direct index for the hot path (decode/check look the type up per record).
constexpr size_t kIndexSize = 512;
constexpr auto kIndex = [] {
  std::array<uint8_t, kIndexSize> idx{};
  for (size_t i = 0; i < std::size(kTypes); ++i)
    if (kTypes[i].type < kIndexSize) idx[kTypes[i].type] = static_cast<uint8_t>(i + 1);
  return idx;
}();

static_assert(std::size(kTypes) < 255);
static_assert(
    [] {
      for (const auto& t : kTypes)
        if (t.fields.size() != t.field_names.size()) return false;
      return true;
    }(),
    "declared types must be fully named");

}  // namespace

const TypeInfo* find(uint16_t type) {
  if (type < kIndexSize) {
    uint8_t i = kIndex[type];
    return i ? &kTypes[i - 1] : nullptr;
  }
  // The few declared types above the index (TA, DLV): a short sorted tail.
  for (size_t i = std::size(kTypes); i-- > 0 && kTypes[i].type >= kIndexSize;)
    if (kTypes[i].type == type) return &kTypes[i];
  return nullptr;
}

std::span<const TypeInfo> all_types() { return kTypes; }

}  // namespace namae::dns::rdata
