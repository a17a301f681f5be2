#include "net/acl.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "net/address.h"

namespace namae::net {

namespace {

bool bits_match(const uint8_t* a, const uint8_t* b, unsigned bits) {
  unsigned full = bits / 8;
  if (std::memcmp(a, b, full) != 0) return false;
  unsigned rest = bits % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

}  // namespace

Result<AddressPrefix> parse_prefix(std::string_view text) {
  AddressPrefix p;
  std::string addr(text);
  std::string len_text;
  if (auto slash = addr.find('/'); slash != std::string::npos) {
    len_text = addr.substr(slash + 1);
    addr.resize(slash);
  }
  if (!addr.empty() && addr.front() == '[' && addr.back() == ']')
    addr = addr.substr(1, addr.size() - 2);
  unsigned max_len;
  if (inet_pton(AF_INET, addr.c_str(), p.bytes.data()) == 1) {
    p.family = AF_INET;
    max_len = 32;
  } else if (inet_pton(AF_INET6, addr.c_str(), p.bytes.data()) == 1) {
    p.family = AF_INET6;
    max_len = 128;
  } else {
    return fail("'" + std::string(text) + "' is not an address or address/length prefix");
  }
  p.length = max_len;
  if (!len_text.empty() || text.find('/') != std::string_view::npos) {
    if (len_text.empty() || len_text.size() > 3 ||
        len_text.find_first_not_of("0123456789") != std::string::npos)
      return fail("'" + std::string(text) + "': bad prefix length");
    unsigned n = static_cast<unsigned>(std::stoul(len_text));
    if (n > max_len)
      return fail("'" + std::string(text) + "': prefix length above " + std::to_string(max_len));
    p.length = n;
  }
  std::array<uint8_t, 16> masked{};
  masked = p.bytes;
  for (unsigned bit = p.length; bit < max_len; ++bit) masked[bit / 8] &= ~(0x80 >> (bit % 8));
  if (masked != p.bytes)
    return fail("'" + std::string(text) + "': address has bits set beyond the prefix length");
  return p;
}

bool AddressPrefix::contains(const sockaddr* sa, socklen_t len) const {
  auto octets = address_octets(sa, len);
  if (octets.empty()) return false;
  const uint8_t* a = octets.data();
  int fam = octets.size() == 4 ? AF_INET : AF_INET6;
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (fam == AF_INET6 && family == AF_INET && std::memcmp(a, mapped, 12) == 0) {
    a += 12;  // an IPv4 client on a dual-stack socket
    fam = AF_INET;
  }
  if (fam != family) return false;
  return bits_match(a, bytes.data(), length);
}

std::string AddressPrefix::to_text() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, bytes.data(), buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(length);
}

bool AddressAcl::allows(const sockaddr* sa, socklen_t len) const {
  for (const auto& p : prefixes)
    if (p.contains(sa, len)) return true;
  return false;
}

bool AddressAcl::allows(const sockaddr* sa, socklen_t len, const dns::Name* key) const {
  if (key)
    for (const auto& k : keys)
      if (k == *key) return true;
  return allows(sa, len);
}

Result<AddressAcl> parse_acl(const std::vector<std::string>& texts, AclKeys keys) {
  AddressAcl acl;
  for (const auto& t : texts) {
    if (keys == AclKeys::yes && t.rfind("key:", 0) == 0) {
      std::string name = t.substr(4);
      if (name.empty() || name.back() != '.') name += '.';
      auto n = dns::Name::from_text(name);
      if (!n || t.size() == 4) return fail("bad key entry '" + t + "'");
      acl.keys.push_back(*n);
      continue;
    }
    auto p = parse_prefix(t);
    if (!p) return p.error();
    acl.prefixes.push_back(*p);
  }
  return acl;
}

}  // namespace namae::net
