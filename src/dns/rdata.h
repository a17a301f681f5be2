// Rdata: every RR type's fields declared once (dns/rrtypes.def and the layouts
// in rdata_types.cpp), and the generic codecs that table drives: message
// decode (decompressing names), validation, presentation text both ways,
// canonical form, and the positions of embedded names so the message builder
// can compress them.
//
// Rdata is always held in uncompressed wire form. Types without a declaration
// use RFC 3597's generic `\# len hex` text form.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "dns/name.h"
#include "dns/wire.h"

namespace namae::dns {

/// One presentation-format token handed from a lexer (zone file, nsupdate
/// input, command line). `text` is raw: escapes are still in it and quotes
/// are already removed, `quoted` says whether the token was in quotes.
struct TextToken {
  std::string_view text;
  bool quoted = false;
};

/// Uncompressed rdata octets.
using RdataBytes = std::vector<uint8_t>;

/// Where a domain name sits inside uncompressed rdata.
struct RdataName {
  uint16_t offset = 0;      // first octet of the name inside the rdata
  uint16_t length = 0;      // its uncompressed wire length
  bool compressible = false;  // RFC 3597 4: only RFC 1035 types' names may be compressed
};

namespace rdata {

/// Kinds of field a type's rdata is made of, in order. Drives every codec.
enum class Field : uint8_t {
  u8,            // decimal
  u16,           // decimal
  u32,           // decimal
  ttl,           // u32 written in zone files as seconds or 1h30m style
  type,          // u16 written as a type mnemonic (RRSIG type covered)
  ipv4,          // 4 octets, dotted quad
  ipv6,          // 16 octets, RFC 4291 text
  name,          // domain name, not compressible on output (post-RFC 1035 types)
  cname,         // domain name, compressible (RFC 1035 types: NS, CNAME, SOA, PTR, MX)
  charstring,    // one <character-string>: length octet + up to 255 octets
  charstrings,   // one or more character-strings to the end (TXT); zero allowed in wire? no: >= 1
  time,          // u32 shown as YYYYMMDDHHmmSS (RRSIG), accepts either form
  hex_rest,      // hex to the end of rdata (SSHFP fingerprint, DS digest), may be split by spaces
  base64_rest,   // base64 to the end (DNSKEY key, RRSIG signature), may be split by spaces
  hex_u8len,     // hex with a length octet ("-" for empty) (NSEC3 salt)
  base64_u16len, // base64 with a u16 length (TSIG MAC, other data)
  u48,           // 48-bit (TSIG time signed)
  type_bitmap,   // RFC 4034 4.1.2 window/bitmap list of type mnemonics (NSEC)
  caa_tag,       // CAA tag: length octet + alphanumeric tag, shown bare
  caa_value,     // CAA value (also URI target): the rest, shown as one quoted string
  raw_rest,      // uninterpreted octets to the end (OPT options), shown as generic hex
  base32hex_u8len,  // base32hex with a length octet, at least 1 (NSEC3 next hashed owner)
  tsig_error,    // u16 TSIG error shown as an rcode mnemonic (16 is BADSIG here)
  // Kinds with codecs of their own (rdata_fields.cpp):
  loc,           // RFC 1876 2: version 0 body, 16 octets (other versions: generic text)
  svc_params,    // RFC 9460 2.2: SvcParams to the end, keys ascending, mandatory honoured
  apl,           // RFC 3123 4: address prefix items to the end, possibly none
  ipseckey_gateway,  // RFC 4025 2.3-2.5: gateway type, algorithm, gateway by type
  hip,           // RFC 8005 5: HIT and PK lengths, PK algorithm, HIT, public key
  names_rest,    // zero or more uncompressed names to the end (HIP rendezvous servers)
  ip_protocol,   // u8 IP protocol number, also "tcp"/"udp" in text (WKS)
  wks_ports,     // RFC 1035 3.4.2: port bitmap to the end, shown as port numbers
  nxt_bitmap,    // RFC 2535 5.2: types 1-127 bitmap to the end (NXT)
  cert_type,     // u16 with RFC 4398 2.1's mnemonics (PKIX, PGP, URI, ...)
  secalg,        // u8 DNSSEC algorithm with its mnemonic (CERT)
  nsap,          // RFC 1706 5: octets to the end as "0x" hex, at least one
  atma,          // ATM Forum AESA/E.164: format octet + address
  a6_suffix,     // RFC 2874 3.1: prefix length + the address octets it leaves
  a6_prefix,     // RFC 2874 3.1: prefix name, present iff the prefix length is not 0
  eui48,         // RFC 7043 3: 6 octets as xx-xx-xx-xx-xx-xx
  eui64,         // RFC 7043 4: 8 octets as xx-xx-xx-xx-xx-xx-xx-xx
  ilnp64,        // RFC 6742 2.1: 8 octets as four 16-bit hex groups (NID, L64)
  charstring_opt,  // an optional character-string (ISDN subaddress)
  base64_dash,   // base64 to the end, "-" when empty (DOA data)
  base64_opt,    // base64 to the end, possibly empty and then not shown (SINK data)
  amt_relay,     // RFC 8777 4.2: D bit, relay type, relay by type
  dsync_scheme,  // u8 DSYNC scheme, 1 shown as NOTIFY
};

/// A declared type (a row of dns/rrtypes.def with a layout): mnemonic and its fields.
struct TypeInfo {
  uint16_t type;
  std::string_view mnemonic;
  std::span<const Field> fields;
  /// What each field is called ("preference", "exchange"), parallel to `fields`;
  /// used in error messages and by tools that describe a record.
  std::span<const std::string_view> field_names;
  /// RFC 4034 6.2 (as amended by RFC 6840 5.1): embedded names are lower-cased
  /// in canonical form.
  bool canonical_lowercase = false;
  /// Index into `fields` of the name that gets additional-section processing
  /// (MX exchange, SRV target...), or -1 (dns/rrtypes.def's additional column).
  int8_t additional = -1;
};

/// Every declared type, in type-number order (for tools and tests).
std::span<const TypeInfo> all_types();

/// The declaration for `type`, or nullptr for types handled generically.
const TypeInfo* find(uint16_t type);

/// Decode the rdata of one record from a message: `offset`/`rdlength` locate
/// it in `msg`; compressed names are expanded. The result is appended to `out`.
/// Validates the type's layout; unknown types are copied as they are.
WireError decode(uint16_t type, std::span<const uint8_t> msg, size_t offset, size_t rdlength,
                 RdataBytes& out);

/// Allocation-free check of a record's rdata inside a message (names may be
/// compressed): the layout fits the type and ends exactly at rdlength.
WireError check(uint16_t type, std::span<const uint8_t> msg, size_t offset, size_t rdlength);

/// Check uncompressed rdata against its type's layout.
Result<void> validate(uint16_t type, std::span<const uint8_t> rdata);

/// Names inside uncompressed rdata, at most `out.size()` of them; returns how many.
/// Used by the message builder (compression) and canonical form (lower-casing).
size_t names(uint16_t type, std::span<const uint8_t> rdata, std::span<RdataName> out);

/// Presentation form of the rdata (no owner/TTL/class/type). Unknown types and
/// rdata that does not fit its declaration come out as RFC 3597 `\# len hex`.
std::string to_text(uint16_t type, std::span<const uint8_t> rdata);

/// RFC 3597 generic form: `\# 3 abcdef` (and `\# 0` for empty rdata).
std::string to_generic_text(std::span<const uint8_t> rdata);

/// Parse presentation tokens (everything after the type) into wire form.
/// Relative names are completed with `origin`. `\#` generic form is accepted
/// for every type (and then validated for known ones). Errors say which field.
Result<RdataBytes> from_text(uint16_t type, std::span<const TextToken> tokens, const Name& origin);

/// RFC 4034 6.2 canonical form: embedded names lower-cased for the types that
/// list requires (NS, CNAME, SOA, PTR, MX, ..., RRSIG, NSEC...).
RdataBytes canonical(uint16_t type, std::span<const uint8_t> rdata);

/// Equal in canonical form (names inside rdata compare without case for the
/// types RFC 4034 6.2 lower-cases): the same RR per RFC 2181 5.
bool equal_canonical(uint16_t type, std::span<const uint8_t> a, std::span<const uint8_t> b);

/// DNSSEC algorithm mnemonic as BIND prints it ("ECDSAP256SHA256"), or the number.
std::string algorithm_to_text(uint8_t algorithm);
/// A mnemonic (either case, BIND's aliases too) or a decimal number.
std::optional<uint8_t> algorithm_from_text(std::string_view text);

/// RFC 4034 4.1.2: append the window/bitmap form of `types` (any order,
/// duplicates allowed) to `out` (NSEC, NSEC3, CSYNC type bitmaps).
void append_type_bitmap(std::vector<uint16_t> types, RdataBytes& out);

/// The types a window/bitmap list holds, ascending; nullopt when it breaks
/// RFC 4034 4.1.2 (windows out of order, a zero or over-long bitmap length).
std::optional<std::vector<uint16_t>> type_bitmap_types(std::span<const uint8_t> bitmap);

}  // namespace rdata
}  // namespace namae::dns
