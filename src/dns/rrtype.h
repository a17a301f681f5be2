// RR type, class, opcode and rcode numbers with their mnemonics.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace namae::dns {

/// Flags of an RR type, set in dns/rrtypes.def (which documents each one).
namespace rrflag {
inline constexpr uint8_t meta = 1;         // never data (RFC 6895 3.1)
inline constexpr uint8_t question = 2;     // a QTYPE (RFC 6895 3.1)
inline constexpr uint8_t obsolete = 4;     // retired by an RFC
inline constexpr uint8_t lower = 8;        // RFC 4034 6.2 canonical lower-casing
inline constexpr uint8_t additional = 16;  // a name in the rdata gets additional-section processing
}  // namespace rrflag

/// RR types namae knows by name (IANA registry values), one per row of
/// dns/rrtypes.def. Every other value is handled as an unknown type (RFC 3597).
namespace rrtype {
#define NAMAE_RRTYPE(constant, number, mnemonic, rdata, flags, additional) \
  inline constexpr uint16_t constant = number;
#include "dns/rrtypes.def"
#undef NAMAE_RRTYPE
}  // namespace rrtype

/// One row of dns/rrtypes.def, without its rdata layout (dns/rdata.h has that).
struct TypeTraits {
  uint16_t type;
  std::string_view mnemonic;
  uint8_t flags;                // rrflag bits
  std::string_view additional;  // field whose name gets additional processing, or ""
};

namespace detail {
using namespace rrflag;
inline constexpr TypeTraits kTypeTable[] = {
// (Parameter names differ from the rrflag names the flags column uses.)
#define NAMAE_RRTYPE(c, number, mnemonic, r, flag_bits, field)                                     \
  {number, mnemonic,                                                                               \
   static_cast<uint8_t>((flag_bits) | (std::string_view(field).empty() ? 0 : rrflag::additional)), \
   field},
#include "dns/rrtypes.def"
#undef NAMAE_RRTYPE
};

// Flags of types 0..kDirect-1 by direct index (every flagged row is below it).
// RFC 6895 3.1 adds by rule: type 0 is reserved and 128-255 are Q/Meta types,
// so an unassigned number there can never be data either.
inline constexpr size_t kDirect = 512;
inline constexpr auto kDirectFlags = [] {
  std::array<uint8_t, kDirect> f{};
  f[0] = rrflag::meta;
  for (size_t t = 128; t <= 255; ++t) f[t] = rrflag::meta;
  for (const auto& row : kTypeTable)
    if (row.type < kDirect) f[row.type] |= row.flags;
  return f;
}();

static_assert(
    [] {
      for (size_t i = 1; i < std::size(kTypeTable); ++i)
        if (kTypeTable[i - 1].type >= kTypeTable[i].type) return false;
      for (const auto& row : kTypeTable)
        if (row.type >= kDirect && row.flags & ~rrflag::obsolete) return false;
      return true;
    }(),
    "dns/rrtypes.def: rows sorted by number, and only `obsolete` allowed at or above kDirect");
}  // namespace detail

/// The rrflag bits of `type` (0 for a type without a row and outside the rules).
constexpr uint8_t type_flags(uint16_t type) {
  if (type < detail::kDirect) return detail::kDirectFlags[type];
  for (const auto& row : detail::kTypeTable)
    if (row.type == type) return row.flags;
  return 0;
}

/// Never data: type 0, OPT, TKEY, TSIG and all of 128-255 (RFC 6895 3.1),
/// so never stored in a zone, added by an update or read from a zone file.
/// Includes the QTYPEs.
constexpr bool is_meta_type(uint16_t type) { return type_flags(type) & rrflag::meta; }
/// May appear only in a question: IXFR, AXFR, MAILB, MAILA, ANY (RFC 6895 3.1).
constexpr bool is_question_only(uint16_t type) { return type_flags(type) & rrflag::question; }
/// Retired by an RFC (dns/rrtypes.def names which): MD, MF, NXT, A6, MAILA, DLV.
constexpr bool is_obsolete(uint16_t type) { return type_flags(type) & rrflag::obsolete; }
/// Its rdata names a host that gets additional-section processing (RFC 1035
/// 3.3: NS, MX...); rdata::TypeInfo::additional says which field.
constexpr bool needs_additional(uint16_t type) { return type_flags(type) & rrflag::additional; }

namespace rrclass {
inline constexpr uint16_t IN = 1, CH = 3, HS = 4, NONE = 254, ANY = 255;
}  // namespace rrclass

namespace opcode {
inline constexpr uint8_t QUERY = 0, IQUERY = 1, STATUS = 2, NOTIFY = 4, UPDATE = 5, DSO = 6;
}  // namespace opcode

/// Response codes, including the extended ones carried in OPT/TSIG (RFC 6891, 8945).
namespace rcode {
inline constexpr uint16_t NOERROR = 0, FORMERR = 1, SERVFAIL = 2, NXDOMAIN = 3, NOTIMP = 4,
                          REFUSED = 5, YXDOMAIN = 6, YXRRSET = 7, NXRRSET = 8, NOTAUTH = 9,
                          NOTZONE = 10, DSOTYPENI = 11, BADVERS = 16, BADSIG = 16, BADKEY = 17, BADTIME = 18,
                          BADMODE = 19, BADNAME = 20, BADALG = 21, BADTRUNC = 22,
                          BADCOOKIE = 23;
}  // namespace rcode

/// "A", "MX", ... or "TYPE65534" for types without a mnemonic.
std::string type_to_text(uint16_t type);
/// Accepts mnemonics (case-insensitive) and RFC 3597 "TYPEnnn".
std::optional<uint16_t> type_from_text(std::string_view text);
/// "IN", "CH", "HS", "NONE", "ANY" or "CLASSnnn".
std::string class_to_text(uint16_t rclass);
std::optional<uint16_t> class_from_text(std::string_view text);
/// "QUERY", "NOTIFY", "UPDATE", ... or the number.
std::string opcode_to_text(uint8_t op);
/// "NOERROR", "NXDOMAIN", ..., "BADVERS", or "RCODEnnn".
std::string rcode_to_text(uint16_t rc);
/// A TSIG record's error field: the TSIG-specific names of 16..23 (RFC 8945
/// 3, 6.3: 16 there is BADSIG, not BADVERS), else the rcode's name.
std::string tsig_error_to_text(uint16_t e);

}  // namespace namae::dns
