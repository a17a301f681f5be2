// RR type, class, opcode and rcode numbers with their mnemonics.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace namae::dns {

/// RR types namae knows by name (IANA registry values). Every other value is
/// handled as an unknown type (RFC 3597).
namespace rrtype {
inline constexpr uint16_t A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, HINFO = 13, MX = 15,
                          TXT = 16, AAAA = 28, SRV = 33, NAPTR = 35, DNAME = 39, OPT = 41,
                          DS = 43, SSHFP = 44, RRSIG = 46, NSEC = 47, DNSKEY = 48, TSIG = 250,
                          IXFR = 251, AXFR = 252, ANY = 255, CAA = 257;
}  // namespace rrtype

namespace rrclass {
inline constexpr uint16_t IN = 1, CH = 3, HS = 4, NONE = 254, ANY = 255;
}  // namespace rrclass

namespace opcode {
inline constexpr uint8_t QUERY = 0, IQUERY = 1, STATUS = 2, NOTIFY = 4, UPDATE = 5;
}  // namespace opcode

/// Response codes, including the extended ones carried in OPT/TSIG (RFC 6891, 8945).
namespace rcode {
inline constexpr uint16_t NOERROR = 0, FORMERR = 1, SERVFAIL = 2, NXDOMAIN = 3, NOTIMP = 4,
                          REFUSED = 5, YXDOMAIN = 6, YXRRSET = 7, NXRRSET = 8, NOTAUTH = 9,
                          NOTZONE = 10, BADVERS = 16, BADSIG = 16, BADKEY = 17, BADTIME = 18,
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
