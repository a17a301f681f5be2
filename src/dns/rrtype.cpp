#include "dns/rrtype.h"

#include <array>
#include <charconv>

#include "dns/text.h"

namespace namae::dns {
namespace {

struct Mnemonic {
  uint16_t value;
  std::string_view text;
};

constexpr Mnemonic kClasses[] = {
    {1, "IN"}, {3, "CH"}, {4, "HS"}, {254, "NONE"}, {255, "ANY"},
};

// "TYPE123" / "CLASS123" (RFC 3597 5): prefix case-insensitive, decimal <= 65535.
std::optional<uint16_t> parse_generic(std::string_view text, std::string_view prefix) {
  if (text.size() <= prefix.size() || !iequal(text.substr(0, prefix.size()), prefix))
    return std::nullopt;
  std::string_view digits = text.substr(prefix.size());
  if (digits.size() > 5) return std::nullopt;
  uint32_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

template <size_t N>
std::string_view lookup(const Mnemonic (&table)[N], uint16_t value) {
  for (const auto& m : table)
    if (m.value == value) return m.text;
  return {};
}

}  // namespace

std::string type_to_text(uint16_t type) {
  for (const auto& row : detail::kTypeTable)
    if (row.type == type) return std::string(row.mnemonic);
  return "TYPE" + std::to_string(type);
}

std::optional<uint16_t> type_from_text(std::string_view text) {
  for (const auto& row : detail::kTypeTable)
    if (iequal(row.mnemonic, text)) return row.type;
  return parse_generic(text, "TYPE");
}

std::string class_to_text(uint16_t rclass) {
  std::string_view m = lookup(kClasses, rclass);
  if (!m.empty()) return std::string(m);
  return "CLASS" + std::to_string(rclass);
}

std::optional<uint16_t> class_from_text(std::string_view text) {
  for (const auto& m : kClasses)
    if (iequal(m.text, text)) return m.value;
  // Long spellings BIND also accepts.
  if (iequal(text, "CHAOS")) return rrclass::CH;
  if (iequal(text, "HESIOD")) return rrclass::HS;
  return parse_generic(text, "CLASS");
}

std::string opcode_to_text(uint8_t op) {
  switch (op) {
    case opcode::QUERY:
      return "QUERY";
    case opcode::IQUERY:
      return "IQUERY";
    case opcode::STATUS:
      return "STATUS";
    case opcode::NOTIFY:
      return "NOTIFY";
    case opcode::UPDATE:
      return "UPDATE";
    case opcode::DSO:
      return "DSO";  // RFC 8490
    default:
      return std::to_string(op);
  }
}

std::string rcode_to_text(uint16_t rc) {
  static constexpr std::string_view kLow[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                              "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                              "NXRRSET", "NOTAUTH", "NOTZONE",  "DSOTYPENI"};
  if (rc < std::size(kLow)) return std::string(kLow[rc]);
  switch (rc) {
    case rcode::BADVERS:
      return "BADVERS";
    case rcode::BADKEY:
      return "BADKEY";
    case rcode::BADTIME:
      return "BADTIME";
    case rcode::BADMODE:
      return "BADMODE";
    case rcode::BADNAME:
      return "BADNAME";
    case rcode::BADALG:
      return "BADALG";
    case rcode::BADTRUNC:
      return "BADTRUNC";
    case rcode::BADCOOKIE:
      return "BADCOOKIE";
    default:
      return "RCODE" + std::to_string(rc);
  }
}

std::string tsig_error_to_text(uint16_t e) {
  switch (e) {
    case 16:
      return "BADSIG";
    case 17:
      return "BADKEY";
    case 18:
      return "BADTIME";
    case 19:
      return "BADMODE";
    case 20:
      return "BADNAME";
    case 21:
      return "BADALG";
    case 22:
      return "BADTRUNC";
    case 23:
      return "BADCOOKIE";
    default:
      if (e < 12) return rcode_to_text(e);
      return std::to_string(e);
  }
}

}  // namespace namae::dns
