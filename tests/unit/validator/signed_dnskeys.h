// A root's KSKs and the DNSKEY RRsets they sign, for the RFC 5011 tests
// (the validator's states, the resolver's refresh timer).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "../dnssec/test_util.h"
#include "dns/record.h"
#include "dns/rrtype.h"
#include "dnssec/algorithm.h"
#include "dnssec/dnskey.h"
#include "dnssec/key_file.h"
#include "dnssec/rrsig.h"

namespace namae::validator::test {

constexpr int64_t kT0 = 1750000000;
constexpr uint32_t kDay = 86400;

struct Key {
  dnssec::ZoneKey k;
  explicit Key(uint16_t flags = dnssec::kFlagsKsk)
      : k(dnssec::generate_zone_key(dnssec::test::N("."), dnssec::alg::ED25519, flags, kT0).value()) {}
  // RFC 5011 7: the same key with the REVOKE bit (a new key tag).
  dns::RdataBytes revoked() const {
    auto r = k.dnskey;
    r[1] |= 0x80;
    return r;
  }
};

// The root's DNSKEY RRset of `shown` keys with `ttl`, signed by each of
// `signers` (rdata as shown, private key) from an hour before `now` until
// `valid_for` seconds after it.
struct Published {
  dns::RRset set;
  std::vector<dns::RdataBytes> sigs;
  Published(std::vector<dns::RdataBytes> shown, const std::vector<std::pair<dns::RdataBytes, const Key*>>& signers,
            int64_t now, uint32_t ttl = 3600, uint32_t valid_for = 10 * kDay) {
    set.owner = dnssec::test::N(".");
    set.type = dns::rrtype::DNSKEY;
    set.ttl = ttl;
    set.rdata = std::move(shown);
    dnssec::Validity v{static_cast<uint32_t>(now - 3600), static_cast<uint32_t>(now + valid_for)};
    for (const auto& [rdata, key] : signers)
      sigs.push_back(dnssec::sign_rrset(set, key->k.key, rdata, dnssec::test::N("."), v).value());
  }
};

}  // namespace namae::validator::test
