// Codecs of the field kinds that are more than a number, a name or a blob:
// each kind's wire check, presentation text and text parser, kept together
// per kind. Where an RFC leaves the text form open, BIND 9.18's (what
// named-checkzone accepts and prints) is the one followed; tests/data/rdata
// pins it.
#include <arpa/inet.h>
#include <netdb.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "dns/rdata_codec.h"
#include "dns/rrtype.h"
#include "dns/text.h"

namespace namae::dns::rdata::detail {
namespace {

void sep(std::string& out) {
  if (!out.empty()) out.push_back(' ');
}

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(static_cast<uint8_t>(a[i])) != ascii_lower(static_cast<uint8_t>(b[i])))
      return false;
  return true;
}

bool all_digits(std::string_view t) {
  return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
}

struct Mnemonic {
  uint16_t value;
  std::string_view text;
};

// RFC 4398 2.1 certificate types.
constexpr Mnemonic kCertTypes[] = {{1, "PKIX"},  {2, "SPKI"}, {3, "PGP"},    {4, "IPKIX"},
                                   {5, "ISPKI"}, {6, "IPGP"}, {7, "ACPKIX"}, {8, "IACPKIX"},
                                   {253, "URI"}, {254, "OID"}};
// DNSSEC algorithm mnemonics as BIND prints them (the IANA registry's, plus
// BIND's two short aliases, accepted on input only: they come last).
constexpr Mnemonic kSecAlgs[] = {{1, "RSAMD5"},
                                 {2, "DH"},
                                 {3, "DSA"},
                                 {5, "RSASHA1"},
                                 {6, "NSEC3DSA"},
                                 {7, "NSEC3RSASHA1"},
                                 {8, "RSASHA256"},
                                 {10, "RSASHA512"},
                                 {12, "ECCGOST"},
                                 {13, "ECDSAP256SHA256"},
                                 {14, "ECDSAP384SHA384"},
                                 {15, "ED25519"},
                                 {16, "ED448"},
                                 {252, "INDIRECT"},
                                 {253, "PRIVATEDNS"},
                                 {254, "PRIVATEOID"},
                                 {13, "ECDSA256"},
                                 {14, "ECDSA384"}};
constexpr Mnemonic kDsyncSchemes[] = {{1, "NOTIFY"}};

template <size_t N>
std::string mnemonic_text(const Mnemonic (&table)[N], uint16_t v) {
  for (const auto& m : table)
    if (m.value == v) return std::string(m.text);
  return std::to_string(v);
}

template <size_t N>
std::optional<uint16_t> mnemonic_value(const Mnemonic (&table)[N], std::string_view t,
                                       uint64_t max) {
  if (auto v = parse_uint(t, max)) return static_cast<uint16_t>(*v);
  for (const auto& m : table)
    if (iequal(m.text, t)) return m.value;
  return std::nullopt;
}

Result<std::string_view> need(size_t fi, TokenReader& r) {
  if (r.at_end()) return fail(r.where(fi) + "missing");
  return r.next().text;
}

Result<void> put_name(TokenReader& r, size_t fi, std::string_view t, const Name& origin,
                      RdataBytes& out) {
  auto n = Name::from_text(t, &origin);
  if (!n) return fail(r.where(fi) + n.message());
  auto w = n->wire();
  out.insert(out.end(), w.begin(), w.end());
  return {};
}

bool name_text(std::string& out, const uint8_t* d, size_t& pos, size_t end) {
  size_t used = 0;
  auto n = Name::from_wire_prefix({d + pos, end - pos}, used);
  if (!n) return false;
  sep(out);
  out += n->to_text();
  pos += used;
  return true;
}

bool skip_plain_name(const uint8_t* d, size_t& pos, size_t end) {
  size_t n = plain_name_length(d, pos, end);
  pos += n;
  return n != 0;
}

bool skip_fixed(size_t n, size_t& pos, size_t end) {
  if (end - pos < n) return false;
  pos += n;
  return true;
}

std::string address_text(int family, const uint8_t* p) {
  char buf[INET6_ADDRSTRLEN];
  if (!inet_ntop(family, p, buf, sizeof buf)) return {};
  return buf;
}

bool parse_address(int family, std::string_view t, uint8_t* out) {
  std::string s(t);
  return inet_pton(family, s.c_str(), out) == 1;
}

Result<uint64_t> number(TokenReader& r, size_t fi, std::string_view t, uint64_t max) {
  auto v = parse_uint(t, max);
  if (!v)
    return fail(r.where(fi) + quote(t) + (all_digits(t) ? " is out of range" : " is not a number"));
  return *v;
}

// The next token as a decimal number up to `max`.
Result<uint64_t> next_number(TokenReader& r, size_t fi, uint64_t max) {
  auto t = need(fi, r);
  if (!t) return Error{t.error()};
  return number(r, fi, *t, max);
}

// ---------------------------------------------------------------------------
// LOC (RFC 1876 2, 3).

constexpr uint32_t kEquator = 0x80000000u;  // latitude/longitude 0; altitude base is 10000000 cm
constexpr uint32_t kAltitudeZero = 10000000;
constexpr uint64_t kPow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};

bool loc_precision_ok(uint8_t c) {
  return c == 0 || ((c & 0xf) <= 9 && (c >> 4) >= 1 && (c >> 4) <= 9);
}

bool skip_loc(const uint8_t* d, size_t& pos, size_t end) {
  if (pos >= end) return false;
  if (d[pos] != 0) {  // another version: opaque, shown as \#
    pos = end;
    return true;
  }
  if (end - pos < 16) return false;
  if (!loc_precision_ok(d[pos + 1]) || !loc_precision_ok(d[pos + 2]) ||
      !loc_precision_ok(d[pos + 3]))
    return false;
  uint32_t lat = get_u32(d + pos + 4), lon = get_u32(d + pos + 8);
  if (lat < kEquator - 90u * 3600000 || lat > kEquator + 90u * 3600000) return false;
  if (lon < kEquator - 180u * 3600000 || lon > kEquator + 180u * 3600000) return false;
  pos += 16;
  return true;
}

std::string loc_precision_text(uint8_t c) {
  unsigned man = c >> 4, exp = c & 0xf;
  char buf[32];
  if (exp > 1)
    std::snprintf(buf, sizeof buf, "%llum", static_cast<unsigned long long>(man * kPow10[exp - 2]));
  else
    std::snprintf(buf, sizeof buf, "0.%02llum", static_cast<unsigned long long>(man * kPow10[exp]));
  return buf;
}

std::string loc_coordinate_text(uint32_t v, char positive, char negative) {
  bool pos = v >= kEquator;
  uint32_t a = pos ? v - kEquator : kEquator - v;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%u %u %u.%03u %c", a / 3600000, a / 60000 % 60, a / 1000 % 60,
                a % 1000, pos ? positive : negative);
  return buf;
}

bool loc_text(std::string& out, const uint8_t* d, size_t& pos, size_t end) {
  if (d[pos] != 0) return false;
  uint32_t alt = get_u32(d + pos + 12);
  bool below = alt < kAltitudeZero;
  uint32_t a = below ? kAltitudeZero - alt : alt - kAltitudeZero;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%u.%02um", below ? "-" : "", a / 100, a % 100);
  sep(out);
  out += loc_coordinate_text(get_u32(d + pos + 4), 'N', 'S') + " " +
         loc_coordinate_text(get_u32(d + pos + 8), 'E', 'W') + " " + buf + " " +
         loc_precision_text(d[pos + 1]) + " " + loc_precision_text(d[pos + 2]) + " " +
         loc_precision_text(d[pos + 3]);
  pos = end;
  return true;
}

enum class Parsed { ok, syntax, range };

// "12.34m" with precision 2 -> 1234: digits, up to `precision` decimals, an
// optional unit letter; the integer part at most `max`.
Parsed loc_decimal(std::string_view t, uint64_t max, unsigned precision, char unit, uint64_t& v) {
  size_t i = 0;
  bool any = false;
  v = 0;
  for (; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i, any = true) {
    v = v * 10 + static_cast<uint64_t>(t[i] - '0');
    if (v > 0xffffffffu) return Parsed::range;
  }
  if (i < t.size() && t[i] != '.' && t[i] != unit) return Parsed::syntax;
  if (v > max) return Parsed::range;
  unsigned k = 0;
  if (i < t.size() && t[i] == '.')
    for (++i; k < precision && i < t.size() && t[i] != unit; ++k, ++i, any = true) {
      if (t[i] < '0' || t[i] > '9') return Parsed::syntax;
      v = v * 10 + static_cast<uint64_t>(t[i] - '0');
    }
  for (; k < precision; ++k) v *= 10;
  if (unit && i < t.size() && t[i] == unit) ++i;
  return any && i == t.size() ? Parsed::ok : Parsed::syntax;
}

Error loc_error(TokenReader& r, size_t fi, std::string_view t, Parsed p) {
  return fail(r.where(fi) + quote(t) + (p == Parsed::range ? " is out of range" : " is not valid"));
}

// d [m [s]] DIR, as thousandths of an arc second from the equator/meridian.
Result<uint32_t> loc_coordinate(TokenReader& r, size_t fi, char positive, char negative,
                                uint64_t max_degrees) {
  auto deg = next_number(r, fi, max_degrees);
  if (!deg) return Error{deg.error()};
  uint64_t minutes = 0, millis = 0;
  int dir = 0;
  for (int i = 0; i < 3 && dir == 0; ++i) {
    auto t = need(fi, r);
    if (!t) return Error{t.error()};
    if (*t == std::string_view(&positive, 1) || *t == std::string_view(&negative, 1)) {
      dir = (*t)[0] == positive ? 1 : -1;
    } else if (i == 0) {
      auto m = number(r, fi, *t, 59);
      if (!m) return Error{m.error()};
      minutes = *m;
    } else if (Parsed p = i == 1 ? loc_decimal(*t, 59, 3, '\0', millis) : Parsed::syntax;
               p != Parsed::ok) {
      return loc_error(r, fi, *t, p);
    }
  }
  if (*deg == max_degrees && (minutes || millis))
    return fail(r.where(fi) + "more than " + std::to_string(max_degrees) + " degrees");
  uint32_t v = static_cast<uint32_t>((*deg * 3600 + minutes * 60) * 1000 + millis);
  return dir > 0 ? kEquator + v : kEquator - v;
}

Result<uint32_t> loc_altitude(TokenReader& r, size_t fi) {
  auto t = need(fi, r);
  if (!t) return Error{t.error()};
  bool below = !t->empty() && (*t)[0] == '-';
  uint64_t cm = 0;
  Parsed p = loc_decimal(below ? t->substr(1) : *t, below ? 100000 : 42849672, 2, 'm', cm);
  if (p == Parsed::ok && cm > (below ? uint64_t{kAltitudeZero} : 4284967295u)) p = Parsed::range;
  if (p != Parsed::ok) return loc_error(r, fi, *t, p);
  return static_cast<uint32_t>(below ? kAltitudeZero - cm : kAltitudeZero + cm);
}

// Size and precisions: metres with up to 2 decimals, kept as mantissa and
// power of ten in centimetres; like BIND, digits past the first are dropped.
Result<uint8_t> loc_precision(TokenReader& r, size_t fi, std::string_view t) {
  uint64_t cm = 0;
  Parsed p = loc_decimal(t, 90000000, 2, 'm', cm);
  if (p != Parsed::ok) return loc_error(r, fi, t, p);
  uint64_t m = cm / 100;
  cm %= 100;
  unsigned man, exp;
  if (m > 0) {
    for (exp = 0; exp < 7 && m >= kPow10[exp + 1]; ++exp) {
    }
    man = static_cast<unsigned>(m / kPow10[exp]);
    exp += 2;
  } else {
    man = static_cast<unsigned>(cm >= 10 ? cm / 10 : cm);
    exp = cm >= 10 ? 1 : 0;
  }
  return static_cast<uint8_t>(man << 4 | exp);
}

Result<void> loc_from_text(TokenReader& r, size_t fi, RdataBytes& out) {
  auto lat = loc_coordinate(r, fi, 'N', 'S', 90);
  if (!lat) return Error{lat.error()};
  auto lon = loc_coordinate(r, fi, 'E', 'W', 180);
  if (!lon) return Error{lon.error()};
  auto alt = loc_altitude(r, fi);
  if (!alt) return Error{alt.error()};
  uint8_t prec[3] = {0x12, 0x16, 0x13};  // RFC 1876 3 defaults: 1m, 10000m, 10m
  for (uint8_t& p : prec) {
    if (r.at_end()) break;
    auto v = loc_precision(r, fi, r.next().text);
    if (!v) return Error{v.error()};
    p = *v;
  }
  out.push_back(0);
  out.insert(out.end(), prec, prec + 3);
  put32(out, *lat);
  put32(out, *lon);
  put32(out, *alt);
  return {};
}

// ---------------------------------------------------------------------------
// SVCB/HTTPS SvcParams (RFC 9460 2.2, 7, 8; text per Appendix A, as BIND).

constexpr std::string_view kSvcKeys[] = {"mandatory", "alpn", "no-default-alpn", "port",
                                         "ipv4hint",  "ech",  "ipv6hint"};
constexpr uint16_t kMandatory = 0, kAlpn = 1, kNoDefaultAlpn = 2, kPort = 3, kIpv4Hint = 4,
                   kEch = 5, kIpv6Hint = 6, kDohPath = 7;

// RFC 9460 7, 8: the value formats of the keys that have one.
bool svc_value_ok(uint16_t key, const uint8_t* v, size_t len) {
  switch (key) {
    case kMandatory:
      if (len == 0 || len % 2) return false;
      for (size_t i = 2; i < len; i += 2)
        if (get_u16(v + i - 2) >= get_u16(v + i)) return false;
      return true;
    case kAlpn:
      if (len == 0) return false;
      for (size_t i = 0; i < len; i += 1 + size_t{v[i]})
        if (v[i] == 0 || v[i] > len - i - 1) return false;
      return true;
    case kNoDefaultAlpn:
      return len == 0;
    case kPort:
      return len == 2;
    case kIpv4Hint:
      return len && len % 4 == 0;
    case kIpv6Hint:
      return len && len % 16 == 0;
    default:
      return true;
  }
}

// Keys strictly ascending, each value well-formed, every key that mandatory
// lists present (2.2, 8), no-default-alpn only with alpn (7.1.1).
bool skip_svc_params(const uint8_t* d, size_t& pos, size_t end) {
  bool first = true, have_alpn = false;
  uint16_t last = 0, want = 0;
  const uint8_t* man = nullptr;
  size_t man_left = 0;
  bool man_pending = false;
  while (pos < end) {
    if (end - pos < 4) return false;
    uint16_t key = get_u16(d + pos);
    size_t len = get_u16(d + pos + 2);
    if ((!first && key <= last) || end - pos - 4 < len || !svc_value_ok(key, d + pos + 4, len))
      return false;
    if (man_pending && key > want) return false;
    if (man_pending && key == want) {
      man_pending = man_left >= 2;
      if (man_pending) {
        want = get_u16(man);
        man += 2;
        man_left -= 2;
      }
    }
    if (key == kAlpn) have_alpn = true;
    if (key == kNoDefaultAlpn && !have_alpn) return false;
    if (key == kMandatory) {
      want = get_u16(d + pos + 4);
      if (want == kMandatory) return false;
      man = d + pos + 6;
      man_left = len - 2;
      man_pending = true;
    }
    first = false;
    last = key;
    pos += 4 + len;
  }
  return !man_pending;
}

std::string svc_key_text(uint16_t key) {
  if (key < std::size(kSvcKeys)) return std::string(kSvcKeys[key]);
  return "key" + std::to_string(key);
}

// One alpn-id inside the quoted list: ',' and '\' get the value-list escape
// and then, with '"', the presentation escape; other octets as in strings.
void alpn_id_text(std::string& out, const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    uint8_t c = p[i];
    if (c == ',') {
      out += "\\\\,";
    } else if (c == '\\') {
      out += "\\\\\\\\";
    } else {
      std::string one = charstring_to_text({&c, 1});
      out.append(one, 1, one.size() - 2);
    }
  }
}

void svc_value_text(std::string& out, uint16_t key, const uint8_t* v, size_t len) {
  switch (key) {
    case kMandatory:
      for (size_t i = 0; i < len; i += 2) out += (i ? "," : "") + svc_key_text(get_u16(v + i));
      return;
    case kAlpn:
      out.push_back('"');
      for (size_t i = 0; i < len; i += 1 + size_t{v[i]}) {
        if (i) out.push_back(',');
        alpn_id_text(out, v + i + 1, v[i]);
      }
      out.push_back('"');
      return;
    case kPort:
      out += std::to_string(get_u16(v));
      return;
    case kIpv4Hint:
    case kIpv6Hint: {
      size_t step = key == kIpv4Hint ? 4 : 16;
      for (size_t i = 0; i < len; i += step)
        out += (i ? "," : "") + address_text(step == 4 ? AF_INET : AF_INET6, v + i);
      return;
    }
    case kEch:
      out += base64_encode({v, len});
      return;
    default:
      out += charstring_to_text({v, len});
  }
}

bool svc_params_text(std::string& out, const uint8_t* d, size_t& pos, size_t end) {
  while (pos < end) {
    uint16_t key = get_u16(d + pos);
    size_t len = get_u16(d + pos + 2);
    sep(out);
    out += svc_key_text(key);
    if (len) {
      out.push_back('=');
      svc_value_text(out, key, d + pos + 4, len);
    }
    pos += 4 + len;
  }
  return true;
}

// A key name: the registered names (any case) or keyNNNNN without leading zeros.
std::optional<uint16_t> svc_key_from_text(std::string_view t) {
  for (size_t k = 0; k < std::size(kSvcKeys); ++k)
    if (iequal(t, kSvcKeys[k])) return static_cast<uint16_t>(k);
  if (iequal(t, "dohpath")) return kDohPath;
  if (t.size() < 4 || t.substr(0, 3) != "key" || (t.size() > 4 && t[3] == '0')) return std::nullopt;
  auto v = parse_uint(t.substr(3), 0xffff);
  if (!v) return std::nullopt;
  return static_cast<uint16_t>(*v);
}

Result<std::vector<uint8_t>> svc_mandatory_from_text(std::string_view v) {
  std::vector<uint16_t> keys;
  for (size_t at = 0; at <= v.size();) {
    size_t comma = std::min(v.find(',', at), v.size());
    auto k = svc_key_from_text(v.substr(at, comma - at));
    if (!k) return fail("mandatory: " + quote(v.substr(at, comma - at)) + " is not a key");
    keys.push_back(*k);
    at = comma + 1;
  }
  std::sort(keys.begin(), keys.end());
  if (std::adjacent_find(keys.begin(), keys.end()) != keys.end())
    return fail("mandatory: a key is listed twice");
  std::vector<uint8_t> out;
  for (uint16_t k : keys) {
    out.push_back(static_cast<uint8_t>(k >> 8));
    out.push_back(static_cast<uint8_t>(k));
  }
  return out;
}

// Splits an already unescaped value list at commas; "\," and "\\" are a
// literal comma and backslash inside an item (RFC 9460 A.1).
std::vector<std::string> split_value_list(const std::vector<uint8_t>& v) {
  std::vector<std::string> items(1);
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) {
      items.back().push_back(static_cast<char>(v[++i]));
    } else if (v[i] == ',') {
      items.emplace_back();
    } else {
      items.back().push_back(static_cast<char>(v[i]));
    }
  }
  return items;
}

Result<std::vector<uint8_t>> svc_list_from_text(uint16_t key, const std::vector<uint8_t>& raw) {
  std::vector<uint8_t> out;
  for (const std::string& item : split_value_list(raw)) {
    if (key == kAlpn) {
      if (item.empty() || item.size() > 255) return fail("alpn: empty or over-long protocol id");
      out.push_back(static_cast<uint8_t>(item.size()));
      out.insert(out.end(), item.begin(), item.end());
      continue;
    }
    uint8_t a[16];
    int family = key == kIpv4Hint ? AF_INET : AF_INET6;
    if (!parse_address(family, item, a))
      return fail(svc_key_text(key) + ": " + quote(item) + " is not an address");
    out.insert(out.end(), a, a + (family == AF_INET ? 4 : 16));
  }
  return out;
}

// The value of a parameter given by its registered name (typed) or as
// keyNNNNN / another spelling of a name (the value's octets as they are).
Result<std::vector<uint8_t>> svc_value_from_text(uint16_t key, bool typed, std::string_view raw) {
  if (typed && key == kMandatory) return svc_mandatory_from_text(raw);
  auto bytes = unescape(raw);
  if (!bytes) return Error{bytes.error()};
  if (!typed || key == kDohPath) return std::move(bytes.value());
  switch (key) {
    case kAlpn:
    case kIpv4Hint:
    case kIpv6Hint:
      return svc_list_from_text(key, *bytes);
    case kPort: {
      std::string_view t(reinterpret_cast<const char*>(bytes->data()), bytes->size());
      auto v = parse_uint(t, 0xffff);
      if (!v) return fail("port: " + quote(t) + " is not a port number");
      return std::vector<uint8_t>{static_cast<uint8_t>(*v >> 8), static_cast<uint8_t>(*v)};
    }
    case kEch: {
      if (bytes->empty()) return std::move(bytes.value());
      return base64_decode(
          std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
    }
    default:
      return std::move(bytes.value());
  }
}

// `"..."` whose last quote is not escaped.
bool quoted_inside(std::string_view raw) {
  if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') return false;
  size_t backslashes = 0;
  for (size_t i = raw.size() - 1; i > 1 && raw[i - 1] == '\\'; --i) ++backslashes;
  return backslashes % 2 == 0;
}

struct SvcParam {
  uint16_t key;
  std::vector<uint8_t> value;
};

// One `key`, `key=value` or `key="value"`. The zone-file lexer hands a
// quoted value over as the next token; lexers that split at blanks only
// leave the quotes inside the token.
Result<SvcParam> svc_param_from_text(TokenReader& r) {
  const TextToken& tok = r.next();
  if (tok.quoted) return fail("unexpected quoted text " + quote(tok.text));
  size_t eq = tok.text.find('=');
  std::string_view name = tok.text.substr(0, eq), raw;
  if (eq != std::string_view::npos) {
    raw = tok.text.substr(eq + 1);
    if (raw.empty() && !r.at_end() && r.peek().quoted)
      raw = r.next().text;
    else if (quoted_inside(raw))
      raw = raw.substr(1, raw.size() - 2);
  }
  bool typed = false;
  for (auto k : kSvcKeys) typed = typed || name == k;
  typed = typed || name == "dohpath";
  auto key = svc_key_from_text(name);
  if (!key) return fail(quote(name) + " is not a SvcParamKey");
  if (typed && raw.empty() && *key != kNoDefaultAlpn && *key != kEch)
    return fail(std::string(name) + " needs a value");
  auto value = svc_value_from_text(*key, typed, raw);
  if (!value) return Error{value.error()};
  if (value->size() > 0xffff) return fail(std::string(name) + ": value too long");
  if (!svc_value_ok(*key, value->data(), value->size()))
    return fail(quote(tok.text) + " is not a valid " + svc_key_text(*key) + " value");
  return SvcParam{*key, std::move(value.value())};
}

Result<void> svc_params_from_text(TokenReader& r, size_t fi, RdataBytes& out) {
  std::vector<SvcParam> params;
  while (!r.at_end()) {
    auto p = svc_param_from_text(r);
    if (!p) return fail(r.where(fi) + p.message());
    params.push_back(std::move(p.value()));
  }
  std::stable_sort(params.begin(), params.end(),
                   [](const SvcParam& a, const SvcParam& b) { return a.key < b.key; });
  const size_t start = out.size();
  for (size_t i = 0; i < params.size(); ++i) {
    if (i && params[i].key == params[i - 1].key)
      return fail(r.where(fi) + svc_key_text(params[i].key) + " given twice");
    put16(out, params[i].key);
    put16(out, static_cast<uint16_t>(params[i].value.size()));
    out.insert(out.end(), params[i].value.begin(), params[i].value.end());
  }
  size_t pos = start;
  if (!skip_svc_params(out.data(), pos, out.size()))
    return fail(r.where(fi) +
                "a key that mandatory lists is missing (or mandatory lists itself), or "
                "no-default-alpn comes without alpn");
  return {};
}

// ---------------------------------------------------------------------------
// APL (RFC 3123 4).

constexpr uint16_t kFamilyIPv4 = 1, kFamilyIPv6 = 2;

bool skip_apl(const uint8_t* d, size_t& pos, size_t end) {
  while (pos < end) {
    if (end - pos < 4) return false;
    uint16_t family = get_u16(d + pos);
    unsigned prefix = d[pos + 2];
    size_t len = d[pos + 3] & 0x7f;
    if (end - pos - 4 < len) return false;
    if (family == kFamilyIPv4 && (prefix > 32 || len > 4)) return false;
    if (family == kFamilyIPv6 && (prefix > 128 || len > 16)) return false;
    if (len > 0 && d[pos + 3 + len] == 0) return false;  // 4.1: trailing zero octets dropped
    pos += 4 + len;
  }
  return true;
}

bool apl_text(std::string& out, const uint8_t* d, size_t& pos, size_t end) {
  while (pos < end) {
    uint16_t family = get_u16(d + pos);
    if (family != kFamilyIPv4 && family != kFamilyIPv6) return false;
    uint8_t addr[16] = {};
    size_t len = d[pos + 3] & 0x7f;
    if (len) std::memcpy(addr, d + pos + 4, len);
    sep(out);
    if (d[pos + 3] & 0x80) out.push_back('!');
    out += std::to_string(family) + ":" +
           address_text(family == kFamilyIPv4 ? AF_INET : AF_INET6, addr) + "/" +
           std::to_string(d[pos + 2]);
    pos += 4 + len;
  }
  return true;
}

Result<void> apl_item_from_text(std::string_view t, RdataBytes& out) {
  bool negated = !t.empty() && t[0] == '!';
  std::string_view body = t.substr(negated ? 1 : 0);
  size_t colon = body.find(':'), slash = body.rfind('/');
  if (colon == std::string_view::npos || slash == std::string_view::npos || slash < colon)
    return fail(quote(t) + " is not [!]family:address/prefix");
  auto family = parse_uint(body.substr(0, colon), 0xffff);
  if (!family || (*family != kFamilyIPv4 && *family != kFamilyIPv6))
    return fail(quote(t) + ": only address families 1 and 2 have a text form");
  bool v4 = *family == kFamilyIPv4;
  uint8_t addr[16] = {};
  auto prefix = parse_uint(body.substr(slash + 1), v4 ? 32 : 128);
  if (!parse_address(v4 ? AF_INET : AF_INET6, body.substr(colon + 1, slash - colon - 1), addr) ||
      !prefix)
    return fail(quote(t) + ": bad address or prefix length");
  size_t len = v4 ? 4 : 16;
  while (len > 0 && addr[len - 1] == 0) --len;
  put16(out, static_cast<uint16_t>(*family));
  out.push_back(static_cast<uint8_t>(*prefix));
  out.push_back(static_cast<uint8_t>(len | (negated ? 0x80 : 0)));
  out.insert(out.end(), addr, addr + len);
  return {};
}

// ---------------------------------------------------------------------------
// Gateways and relays chosen by a type octet (IPSECKEY RFC 4025 2.3-2.5,
// AMTRELAY RFC 8777 4.2.3): 0 none ("."), 1 IPv4, 2 IPv6, 3 a name.

bool skip_gateway(unsigned type, const uint8_t* d, size_t& pos, size_t end) {
  switch (type) {
    case 0:
      return true;
    case 1:
      return skip_fixed(4, pos, end);
    case 2:
      return skip_fixed(16, pos, end);
    case 3:
      return skip_plain_name(d, pos, end);
    default:
      return false;
  }
}

bool gateway_text(unsigned type, std::string& out, const uint8_t* d, size_t& pos, size_t end) {
  if (type == 3) return name_text(out, d, pos, end);
  sep(out);
  if (type == 0) {
    out.push_back('.');
    return true;
  }
  out += address_text(type == 1 ? AF_INET : AF_INET6, d + pos);
  pos += type == 1 ? 4 : 16;
  return true;
}

Result<void> gateway_from_text(unsigned type, TokenReader& r, size_t fi, const Name& origin,
                               RdataBytes& out) {
  auto t = need(fi, r);
  if (!t) return Error{t.error()};
  if (type == 3) return put_name(r, fi, *t, origin, out);
  if (type == 0) {
    if (*t != ".") return fail(r.where(fi) + "gateway type 0 takes '.', not " + quote(*t));
    return {};
  }
  uint8_t a[16];
  if (!parse_address(type == 1 ? AF_INET : AF_INET6, *t, a))
    return fail(r.where(fi) + quote(*t) + " is not an IPv" + (type == 1 ? "4" : "6") + " address");
  out.insert(out.end(), a, a + (type == 1 ? 4 : 16));
  return {};
}

// IPSECKEY: gateway type, algorithm, gateway.
bool skip_ipseckey(const uint8_t* d, size_t& pos, size_t end) {
  if (end - pos < 2) return false;
  unsigned type = d[pos];
  pos += 2;
  return skip_gateway(type, d, pos, end);
}

bool ipseckey_text(std::string& out, const uint8_t* d, size_t& pos, size_t end) {
  unsigned type = d[pos];
  sep(out);
  out += std::to_string(type) + " " + std::to_string(d[pos + 1]);
  pos += 2;
  return gateway_text(type, out, d, pos, end);
}

Result<void> ipseckey_from_text(TokenReader& r, size_t fi, const Name& origin, RdataBytes& out) {
  for (uint64_t max : {3u, 255u}) {
    auto v = next_number(r, fi, max);
    if (!v) return Error{v.error()};
    out.push_back(static_cast<uint8_t>(*v));
  }
  return gateway_from_text(out[out.size() - 2], r, fi, origin, out);
}

// AMTRELAY: discovery-optional bit and relay type in one octet, then the relay.
bool skip_amt_relay(const uint8_t* d, size_t& pos, size_t end) {
  if (pos >= end) return false;
  unsigned type = d[pos++] & 0x7f;
  if (type > 3) {  // a later relay type: opaque, shown as \#
    pos = end;
    return true;
  }
  return skip_gateway(type, d, pos, end);
}

bool amt_relay_text(std::string& out, const uint8_t* d, size_t& pos, size_t end) {
  unsigned type = d[pos] & 0x7f;
  if (type > 3) return false;
  sep(out);
  out += std::string(d[pos] & 0x80 ? "1 " : "0 ") + std::to_string(type);
  ++pos;
  return gateway_text(type, out, d, pos, end);
}

Result<void> amt_relay_from_text(TokenReader& r, size_t fi, const Name& origin, RdataBytes& out) {
  uint64_t v[2];
  for (int i = 0; i < 2; ++i) {
    auto n = next_number(r, fi, i == 0 ? 1 : 3);
    if (!n) return Error{n.error()};
    v[i] = *n;
  }
  out.push_back(static_cast<uint8_t>(v[0] << 7 | v[1]));
  return gateway_from_text(static_cast<unsigned>(v[1]), r, fi, origin, out);
}

// ---------------------------------------------------------------------------
// HIP (RFC 8005 5): HIT length, PK algorithm, PK length, HIT, PK; text
// "algorithm HIT public-key" with the rendezvous servers in names_rest.

bool skip_hip(const uint8_t* d, size_t& pos, size_t end) {
  if (end - pos < 4) return false;
  size_t hit = d[pos], pk = get_u16(d + pos + 2);
  if (hit == 0 || pk == 0) return false;
  return skip_fixed(4 + hit + pk, pos, end);
}

bool hip_text(std::string& out, const uint8_t* d, size_t& pos, size_t) {
  size_t hit = d[pos], pk = get_u16(d + pos + 2);
  sep(out);
  out += std::to_string(d[pos + 1]) + " " + hex_encode_upper({d + pos + 4, hit}) + " " +
         base64_encode({d + pos + 4 + hit, pk});
  pos += 4 + hit + pk;
  return true;
}

Result<void> hip_from_text(TokenReader& r, size_t fi, RdataBytes& out) {
  auto alg = next_number(r, fi, 255);
  if (!alg) return Error{alg.error()};
  auto ht = need(fi, r);
  if (!ht) return Error{ht.error()};
  auto hit = hex_decode(*ht);
  if (!hit || hit->empty() || hit->size() > 255)
    return fail(r.where(fi) + "HIT must be 1 to 255 octets of hex");
  auto kt = need(fi, r);
  if (!kt) return Error{kt.error()};
  auto pk = base64_decode(*kt);
  if (!pk || pk->empty() || pk->size() > 0xffff)
    return fail(r.where(fi) + "public key must be base64, 1 to 65535 octets");
  out.push_back(static_cast<uint8_t>(hit->size()));
  out.push_back(static_cast<uint8_t>(*alg));
  put16(out, static_cast<uint16_t>(pk->size()));
  out.insert(out.end(), hit->begin(), hit->end());
  out.insert(out.end(), pk->begin(), pk->end());
  return {};
}

// ---------------------------------------------------------------------------
// WKS (RFC 1035 3.4.2): protocol, then a bitmap of ports; names of
// protocols and services come from the system's tables, as in BIND.

constexpr size_t kMaxWksBitmap = 8192;  // ports 0-65535

Result<void> ip_protocol_from_text(TokenReader& r, size_t fi, RdataBytes& out) {
  auto t = need(fi, r);
  if (!t) return Error{t.error()};
  if (auto v = parse_uint(*t, 255)) {
    out.push_back(static_cast<uint8_t>(*v));
    return {};
  }
  std::string name(*t);
  protoent pe{}, *found = nullptr;
  char buf[1024];
  if (getprotobyname_r(name.c_str(), &pe, buf, sizeof buf, &found) != 0 || !found)
    return fail(r.where(fi) + "unknown protocol " + quote(*t));
  out.push_back(static_cast<uint8_t>(found->p_proto));
  return {};
}

std::optional<uint16_t> port_from_text(std::string_view t, uint8_t protocol) {
  if (auto v = parse_uint(t, 0xffff)) return static_cast<uint16_t>(*v);
  protoent pe{}, *proto = nullptr;
  servent se{}, *found = nullptr;
  char pbuf[1024], sbuf[1024];
  if (getprotobynumber_r(protocol, &pe, pbuf, sizeof pbuf, &proto) != 0 || !proto)
    return std::nullopt;
  std::string name(t);
  if (getservbyname_r(name.c_str(), proto->p_name, &se, sbuf, sizeof sbuf, &found) != 0 || !found)
    return std::nullopt;
  return ntohs(static_cast<uint16_t>(found->s_port));
}

Result<void> wks_ports_from_text(TokenReader& r, size_t fi, RdataBytes& out) {
  uint8_t protocol = out.empty() ? 0 : out.back();
  std::vector<uint8_t> bits;
  for (const auto& tok : r.rest()) {
    auto port = port_from_text(tok.text, protocol);
    if (!port) return fail(r.where(fi) + "unknown port or service " + quote(tok.text));
    if (bits.size() <= *port / 8u) bits.resize(*port / 8u + 1);
    bits[*port / 8] |= static_cast<uint8_t>(0x80 >> (*port % 8));
  }
  out.insert(out.end(), bits.begin(), bits.end());
  return {};
}

// Set bits of a bitmap as numbers (WKS ports) or type mnemonics (NXT).
void bitmap_numbers_text(std::string& out, const uint8_t* d, size_t pos, size_t end, bool types) {
  for (size_t i = 0; pos + i < end; ++i)
    for (unsigned bit = 0; bit < 8; ++bit)
      if (d[pos + i] & (0x80 >> bit)) {
        auto v = static_cast<uint16_t>(i * 8 + bit);
        sep(out);
        out += types ? type_to_text(v) : std::to_string(v);
      }
}

// NXT (RFC 2535 5.2): types 1-127 only, bit 0 clear, no trailing zero octet.
bool skip_nxt_bitmap(const uint8_t* d, size_t& pos, size_t end) {
  size_t len = end - pos;
  if (len > 0 && ((d[pos] & 0x80) || len > 16 || d[end - 1] == 0)) return false;
  pos = end;
  return true;
}

Result<void> nxt_bitmap_from_text(TokenReader& r, size_t fi, RdataBytes& out) {
  uint8_t bits[16] = {};
  size_t len = 0;
  for (const auto& tok : r.rest()) {
    auto type = type_from_text(tok.text);
    if (!type) return fail(r.where(fi) + "unknown type " + quote(tok.text));
    if (*type == 0 || *type > 127)
      return fail(r.where(fi) + quote(tok.text) + " is out of range (1-127)");
    bits[*type / 8] |= static_cast<uint8_t>(0x80 >> (*type % 8));
    len = std::max(len, size_t{*type} / 8 + 1);
  }
  out.insert(out.end(), bits, bits + len);
  return {};
}

// ---------------------------------------------------------------------------
// Octet strings with a text form of their own.

// NSAP (RFC 1706 5): "0x" and hex digits, dots allowed anywhere after it.
Result<void> nsap_from_text(TokenReader& r, size_t fi, RdataBytes& out) {
  auto t = need(fi, r);
  if (!t) return Error{t.error()};
  if (t->size() < 2 || (*t)[0] != '0' || ((*t)[1] != 'x' && (*t)[1] != 'X'))
    return fail(r.where(fi) + quote(*t) + " does not start with 0x");
  std::string hex;
  for (char c : t->substr(2))
    if (c != '.') hex.push_back(c);
  auto bytes = hex_decode(hex);
  if (!bytes || bytes->empty())
    return fail(r.where(fi) + quote(*t) + " is not an even number of hex digits");
  out.insert(out.end(), bytes->begin(), bytes->end());
  return {};
}

// ATMA: format 0 an AESA in hex, format 1 an E.164 number shown as "+digits".
bool skip_atma(const uint8_t* d, size_t& pos, size_t end) {
  if (end - pos < 2) return false;
  if (d[pos] == 1)
    for (size_t i = pos + 1; i < end; ++i)
      if (d[i] < '0' || d[i] > '9') return false;
  pos = end;
  return true;
}

bool atma_text(std::string& out, const uint8_t* d, size_t& pos, size_t end) {
  if (d[pos] > 1) return false;
  sep(out);
  if (d[pos] == 0)
    out += hex_encode({d + pos + 1, end - pos - 1});
  else
    out += "+" + std::string(reinterpret_cast<const char*>(d + pos + 1), end - pos - 1);
  pos = end;
  return true;
}

Result<void> atma_from_text(TokenReader& r, size_t fi, RdataBytes& out) {
  auto t = need(fi, r);
  if (!t) return Error{t.error()};
  if (!t->empty() && (*t)[0] == '+') {
    if (!all_digits(t->substr(1))) return fail(r.where(fi) + quote(*t) + " is not +digits");
    out.push_back(1);
    out.insert(out.end(), t->begin() + 1, t->end());
    return {};
  }
  auto bytes = hex_decode(*t);
  if (!bytes || bytes->empty())
    return fail(r.where(fi) + quote(*t) + " is not an even number of hex digits");
  out.push_back(0);
  out.insert(out.end(), bytes->begin(), bytes->end());
  return {};
}

// A6 (RFC 2874 3.1): prefix length, the 16 - len/8 address octets it leaves
// (bits inside the prefix zero), then a prefix name when the length is not 0.
size_t a6_suffix_octets(unsigned prefix) { return 16 - prefix / 8; }

bool skip_a6_suffix(const uint8_t* d, size_t& pos, size_t end) {
  if (pos >= end || d[pos] > 128) return false;
  unsigned prefix = d[pos];
  size_t n = a6_suffix_octets(prefix);
  if (end - pos - 1 < n) return false;
  if (n > 0 && (d[pos + 1] & ~(0xff >> (prefix % 8)))) return false;
  pos += 1 + n;
  return true;
}

bool a6_suffix_text(std::string& out, const uint8_t* d, size_t& pos, size_t) {
  unsigned prefix = d[pos];
  size_t n = a6_suffix_octets(prefix);
  uint8_t addr[16] = {};
  if (n) std::memcpy(addr + 16 - n, d + pos + 1, n);
  sep(out);
  // An empty suffix (prefix 128) still takes its place: "128  name", as BIND prints it.
  out += std::to_string(prefix) + " " + (n ? address_text(AF_INET6, addr) : "");
  pos += 1 + n;
  return true;
}

Result<void> a6_suffix_from_text(TokenReader& r, size_t fi, RdataBytes& out) {
  auto prefix = next_number(r, fi, 128);
  if (!prefix) return Error{prefix.error()};
  out.push_back(static_cast<uint8_t>(*prefix));
  size_t n = a6_suffix_octets(static_cast<unsigned>(*prefix));
  if (n == 0) return {};
  auto at = need(fi, r);
  if (!at) return Error{at.error()};
  uint8_t addr[16];
  if (!parse_address(AF_INET6, *at, addr))
    return fail(r.where(fi) + quote(*at) + " is not an IPv6 address");
  addr[16 - n] &= static_cast<uint8_t>(0xff >> (*prefix % 8));
  out.insert(out.end(), addr + 16 - n, addr + 16);
  return {};
}

// EUI-48/EUI-64 (RFC 7043): hex pairs joined by '-'.
bool eui_text(std::string& out, const uint8_t* d, size_t& pos, size_t n) {
  sep(out);
  for (size_t i = 0; i < n; ++i) {
    if (i) out.push_back('-');
    out += hex_encode({d + pos + i, 1});
  }
  pos += n;
  return true;
}

Result<void> eui_from_text(TokenReader& r, size_t fi, size_t n, RdataBytes& out) {
  auto t = need(fi, r);
  if (!t) return Error{t.error()};
  std::string hex;
  for (size_t i = 0; i < t->size(); ++i) {
    if (i % 3 == 2) {
      if ((*t)[i] != '-') hex = "!";
      continue;
    }
    hex.push_back((*t)[i]);
  }
  auto bytes = hex_decode(hex);
  if (t->size() != n * 3 - 1 || !bytes || bytes->size() != n)
    return fail(r.where(fi) + quote(*t) + " is not " + std::to_string(n) +
                " hex pairs joined by '-'");
  out.insert(out.end(), bytes->begin(), bytes->end());
  return {};
}

// ILNP 64-bit identifiers and locators (RFC 6742 2.1-2.3): four groups of
// one to four hex digits, shown without leading zeros.
bool ilnp64_text(std::string& out, const uint8_t* d, size_t& pos) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%x:%x:%x:%x", get_u16(d + pos), get_u16(d + pos + 2),
                get_u16(d + pos + 4), get_u16(d + pos + 6));
  sep(out);
  out += buf;
  pos += 8;
  return true;
}

Result<void> ilnp64_from_text(TokenReader& r, size_t fi, RdataBytes& out) {
  auto t = need(fi, r);
  if (!t) return Error{t.error()};
  size_t at = 0;
  for (int g = 0; g < 4; ++g) {
    size_t stop = g < 3 ? t->find(':', at) : t->size();
    std::string_view group =
        stop == std::string_view::npos ? std::string_view{} : t->substr(at, stop - at);
    std::string padded =
        std::string(4 - std::min<size_t>(group.size(), 4), '0') + std::string(group);
    auto v = hex_decode(padded);
    if (group.empty() || group.size() > 4 || !v)
      return fail(r.where(fi) + quote(*t) + " is not xxxx:xxxx:xxxx:xxxx");
    out.insert(out.end(), v->begin(), v->end());
    at = stop + 1;
  }
  return {};
}

Result<void> charstring_from_text(TokenReader& r, size_t fi, RdataBytes& out) {
  auto bytes = unescape(r.next().text);
  if (!bytes) return fail(r.where(fi) + bytes.message());
  if (bytes->size() > 255) return fail(r.where(fi) + "character-string longer than 255 octets");
  out.push_back(static_cast<uint8_t>(bytes->size()));
  out.insert(out.end(), bytes->begin(), bytes->end());
  return {};
}

Result<void> base64_rest_from_text(TokenReader& r, size_t fi, bool dash, RdataBytes& out) {
  if (r.at_end()) return dash ? fail(r.where(fi) + "missing") : Result<void>{};
  if (dash && r.remaining() == 1 && r.peek().text == "-") {
    r.next();
    return {};
  }
  std::string all;
  for (const auto& t : r.rest()) all += t.text;
  auto bytes = base64_decode(all);
  if (!bytes) return fail(r.where(fi) + bytes.message());
  out.insert(out.end(), bytes->begin(), bytes->end());
  return {};
}

template <size_t N>
Result<void> mnemonic_from_text(TokenReader& r, size_t fi, const Mnemonic (&table)[N],
                                size_t octets, RdataBytes& out) {
  auto t = need(fi, r);
  if (!t) return Error{t.error()};
  auto v = mnemonic_value(table, *t, octets == 1 ? 0xff : 0xffff);
  if (!v) return fail(r.where(fi) + quote(*t) + " is neither a number nor a known mnemonic");
  if (octets == 2) out.push_back(static_cast<uint8_t>(*v >> 8));
  out.push_back(static_cast<uint8_t>(*v));
  return {};
}

}  // namespace

bool is_special(Field f) { return f >= Field::loc; }

bool skip_special(Field f, const uint8_t* d, size_t start, size_t& pos, size_t end) {
  switch (f) {
    case Field::loc:
      return skip_loc(d, pos, end);
    case Field::svc_params:
      return skip_svc_params(d, pos, end);
    case Field::apl:
      return skip_apl(d, pos, end);
    case Field::ipseckey_gateway:
      return skip_ipseckey(d, pos, end);
    case Field::hip:
      return skip_hip(d, pos, end);
    case Field::names_rest:
      while (pos < end)
        if (!skip_plain_name(d, pos, end)) return false;
      return true;
    case Field::ip_protocol:
    case Field::secalg:
    case Field::dsync_scheme:
      return skip_fixed(1, pos, end);
    case Field::cert_type:
      return skip_fixed(2, pos, end);
    case Field::wks_ports:
      if (end - pos > kMaxWksBitmap) return false;
      pos = end;
      return true;
    case Field::nxt_bitmap:
      return skip_nxt_bitmap(d, pos, end);
    case Field::nsap:
      if (pos >= end) return false;
      pos = end;
      return true;
    case Field::atma:
      return skip_atma(d, pos, end);
    case Field::a6_suffix:
      return skip_a6_suffix(d, pos, end);
    case Field::a6_prefix:
      return d[start] == 0 || skip_plain_name(d, pos, end);
    case Field::eui48:
      return skip_fixed(6, pos, end);
    case Field::eui64:
    case Field::ilnp64:
      return skip_fixed(8, pos, end);
    case Field::charstring_opt:
      if (pos == end) return true;
      if (end - pos - 1 < d[pos]) return false;
      pos += 1 + size_t{d[pos]};
      return true;
    case Field::base64_dash:
    case Field::base64_opt:
      pos = end;
      return true;
    case Field::amt_relay:
      return skip_amt_relay(d, pos, end);
    default:
      return false;
  }
}

bool special_to_text(Field f, const uint8_t* d, size_t start, size_t& pos, size_t end,
                     std::string& out) {
  auto word = [&](std::string w, size_t n) {
    sep(out);
    out += w;
    pos += n;
    return true;
  };
  switch (f) {
    case Field::loc:
      return loc_text(out, d, pos, end);
    case Field::svc_params:
      return svc_params_text(out, d, pos, end);
    case Field::apl:
      return apl_text(out, d, pos, end);
    case Field::ipseckey_gateway:
      return ipseckey_text(out, d, pos, end);
    case Field::hip:
      return hip_text(out, d, pos, end);
    case Field::names_rest:
      while (pos < end)
        if (!name_text(out, d, pos, end)) return false;
      return true;
    case Field::ip_protocol:
      return word(std::to_string(d[pos]), 1);
    case Field::secalg:
      return word(mnemonic_text(kSecAlgs, d[pos]), 1);
    case Field::dsync_scheme:
      return word(mnemonic_text(kDsyncSchemes, d[pos]), 1);
    case Field::cert_type:
      return word(mnemonic_text(kCertTypes, get_u16(d + pos)), 2);
    case Field::wks_ports:
    case Field::nxt_bitmap:
      // A WKS bitmap with trailing zero octets has no text of its own: keep it as \#.
      if (pos < end && d[end - 1] == 0) return false;
      bitmap_numbers_text(out, d, pos, end, f == Field::nxt_bitmap);
      pos = end;
      return true;
    case Field::nsap:
      return word("0x" + hex_encode({d + pos, end - pos}), end - pos);
    case Field::atma:
      return atma_text(out, d, pos, end);
    case Field::a6_suffix:
      return a6_suffix_text(out, d, pos, end);
    case Field::a6_prefix:
      return d[start] == 0 || name_text(out, d, pos, end);
    case Field::eui48:
    case Field::eui64:
      return eui_text(out, d, pos, f == Field::eui48 ? 6 : 8);
    case Field::ilnp64:
      return ilnp64_text(out, d, pos);
    case Field::charstring_opt:
      return pos == end || word(charstring_to_text({d + pos + 1, d[pos]}), 1 + size_t{d[pos]});
    case Field::base64_dash:
      return word(pos == end ? "-" : base64_encode({d + pos, end - pos}), end - pos);
    case Field::base64_opt:
      return pos == end || word(base64_encode({d + pos, end - pos}), end - pos);
    case Field::amt_relay:
      return amt_relay_text(out, d, pos, end);
    default:
      return false;
  }
}

Result<void> special_from_text(Field f, size_t fi, TokenReader& r, const Name& origin,
                               RdataBytes& out) {
  switch (f) {
    case Field::loc:
      return loc_from_text(r, fi, out);
    case Field::svc_params:
      return svc_params_from_text(r, fi, out);
    case Field::apl:
      for (const auto& t : r.rest())
        if (auto e = apl_item_from_text(t.text, out); !e) return fail(r.where(fi) + e.message());
      return {};
    case Field::ipseckey_gateway:
      return ipseckey_from_text(r, fi, origin, out);
    case Field::hip:
      return hip_from_text(r, fi, out);
    case Field::names_rest:
      for (const auto& t : r.rest())
        if (auto e = put_name(r, fi, t.text, origin, out); !e) return e;
      return {};
    case Field::ip_protocol:
      return ip_protocol_from_text(r, fi, out);
    case Field::secalg:
      return mnemonic_from_text(r, fi, kSecAlgs, 1, out);
    case Field::dsync_scheme:
      return mnemonic_from_text(r, fi, kDsyncSchemes, 1, out);
    case Field::cert_type:
      return mnemonic_from_text(r, fi, kCertTypes, 2, out);
    case Field::wks_ports:
      return wks_ports_from_text(r, fi, out);
    case Field::nxt_bitmap:
      return nxt_bitmap_from_text(r, fi, out);
    case Field::nsap:
      return nsap_from_text(r, fi, out);
    case Field::atma:
      return atma_from_text(r, fi, out);
    case Field::a6_suffix:
      return a6_suffix_from_text(r, fi, out);
    case Field::a6_prefix: {
      if (out.empty() || out[0] == 0) return {};
      auto t = need(fi, r);
      if (!t) return Error{t.error()};
      return put_name(r, fi, *t, origin, out);
    }
    case Field::eui48:
    case Field::eui64:
      return eui_from_text(r, fi, f == Field::eui48 ? 6 : 8, out);
    case Field::ilnp64:
      return ilnp64_from_text(r, fi, out);
    case Field::charstring_opt:
      return r.at_end() ? Result<void>{} : charstring_from_text(r, fi, out);
    case Field::base64_dash:
    case Field::base64_opt:
      return base64_rest_from_text(r, fi, f == Field::base64_dash, out);
    case Field::amt_relay:
      return amt_relay_from_text(r, fi, origin, out);
    default:
      return fail(r.where(fi) + "unsupported field");
  }
}

}  // namespace namae::dns::rdata::detail

namespace namae::dns::rdata {

std::string algorithm_to_text(uint8_t algorithm) { return detail::mnemonic_text(detail::kSecAlgs, algorithm); }

std::optional<uint8_t> algorithm_from_text(std::string_view text) {
  auto v = detail::mnemonic_value(detail::kSecAlgs, text, 255);
  if (!v) return std::nullopt;
  return static_cast<uint8_t>(*v);
}

}  // namespace namae::dns::rdata
