#include "auth/rrl.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "dns/message.h"
#include "dns/rrtype.h"
#include "net/address.h"

namespace namae::auth {
namespace {

// Entry layout: the account's full-again instant (GCRA's theoretical arrival
// time) in microseconds modulo 2^44 (about 203 days), the slip counter, and
// whether the account is in a limited run (already logged).
constexpr int kTimeBits = 44;
constexpr uint64_t kTimeMask = (uint64_t{1} << kTimeBits) - 1;
constexpr int kSlipShift = 44;
constexpr uint64_t kSlipMask = 0xff;
constexpr uint64_t kLimitedBit = uint64_t{1} << 52;
constexpr int64_t kSecondUs = 1'000'000;

uint64_t mix(uint64_t x) {  // splitmix64's finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// The client's address masked to its prefix: family, 16 octets (IPv4 in the
// first 4; an IPv4-mapped IPv6 client counts as IPv4). False for other families.
bool client_prefix(const sockaddr* sa, socklen_t len, unsigned v4, unsigned v6, int& family,
                   uint8_t (&out)[16]) {
  std::memset(out, 0, sizeof out);
  const auto address = net::address_octets(sa, len);
  if (address.empty()) return false;
  const uint8_t* a = address.data();
  family = address.size() == 4 ? AF_INET : AF_INET6;
  unsigned bits = family == AF_INET ? v4 : v6;
  if (family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(reinterpret_cast<const in6_addr*>(a)))
    a += 12, family = AF_INET, bits = v4;
  const unsigned octets = family == AF_INET ? 4 : 16;
  for (unsigned i = 0; i < octets && i * 8 < bits; ++i)
    out[i] = bits >= (i + 1) * 8 ? a[i] : static_cast<uint8_t>(a[i] & (0xff00 >> (bits - i * 8)));
  return true;
}

// a - b as a signed 44-bit difference (times wrap modulo 2^44).
int64_t time_diff(uint64_t a, uint64_t b) {
  uint64_t d = (a - b) & kTimeMask;
  return d & (uint64_t{1} << (kTimeBits - 1)) ? static_cast<int64_t>(d) - (int64_t{1} << kTimeBits)
                                              : static_cast<int64_t>(d);
}

}  // namespace

RateLimiter::RateLimiter(RrlOptions options, const Clock& clock)
    : opts_(std::move(options)), clock_(clock), start_ms_(clock.now_ms()) {
  size_t size = 1;
  while (size < std::max<uint32_t>(opts_.table_size, 1)) size <<= 1;
  mask_ = size - 1;
  const int64_t rate = std::max<uint32_t>(opts_.responses_per_second, 1);
  interval_us_ = std::max<int64_t>(kSecondUs / rate, 1);
  max_debt_us_ = (1 + static_cast<int64_t>(opts_.window)) * kSecondUs;
  table_ = std::make_unique<std::atomic<uint64_t>[]>(size);
  for (size_t i = 0; i < size; ++i) table_[i].store(0, std::memory_order_relaxed);
}

int64_t RateLimiter::now_us() const noexcept {
  // Offset so that an empty entry (time 0) reads as long since full.
  return (clock_.now_ms() - start_ms_) * 1000 + max_debt_us_ + kSecondUs;
}

std::atomic<uint64_t>* RateLimiter::entry(const sockaddr* sa, socklen_t len, RrlClass cls,
                                          uint64_t key) noexcept {
  int family = 0;
  uint8_t prefix[16];
  if (!client_prefix(sa, len, opts_.ipv4_prefix, opts_.ipv6_prefix, family, prefix)) return nullptr;
  uint64_t hi = 0, lo = 0;
  std::memcpy(&hi, prefix, 8);
  std::memcpy(&lo, prefix + 8, 8);
  uint64_t h = mix(hi ^ mix(lo ^ (static_cast<uint64_t>(family) << 8 | static_cast<uint64_t>(cls))));
  return &table_[mix(h ^ key) & mask_];
}

RrlVerdict RateLimiter::check(const sockaddr* sa, socklen_t len, RrlClass cls, uint64_t key) noexcept {
  std::atomic<uint64_t>* e = entry(sa, len, cls, key);
  if (!e) return {};
  const uint64_t now = static_cast<uint64_t>(now_us()) & kTimeMask;
  uint64_t old = e->load(std::memory_order_relaxed);
  for (;;) {
    // Debt: how long until the account is full again (a time past the
    // longest debt is a stale entry, wrapped around: full).
    int64_t debt = time_diff(old & kTimeMask, now);
    if (debt < 0 || debt > max_debt_us_) debt = 0;
    uint64_t slipped = debt == 0 ? 0 : (old >> kSlipShift) & kSlipMask;  // full again: a new run
    bool limited = debt == 0 ? false : (old & kLimitedBit) != 0;
    RrlVerdict v;
    if (debt + interval_us_ > kSecondUs) {  // the balance would go below zero
      v.action = RrlAction::drop;
      if (opts_.slip > 0) {
        if (slipped == 0) v.action = RrlAction::slip;
        slipped = (slipped + 1) % opts_.slip;
      }
      v.log = !limited;
      limited = true;
    } else {
      limited = false;
      slipped = 0;
    }
    const int64_t next_debt = std::min(debt + interval_us_, max_debt_us_);
    const uint64_t next = ((now + static_cast<uint64_t>(next_debt)) & kTimeMask) |
                          (slipped << kSlipShift) | (limited ? kLimitedBit : 0);
    if (e->compare_exchange_weak(old, next, std::memory_order_relaxed)) {
      if (v.log) v.log = log_allowed();
      return v;
    }
  }
}

bool RateLimiter::log_allowed() noexcept {
  const int64_t second = clock_.now_ms() / 1000;
  int64_t seen = log_second_.load(std::memory_order_relaxed);
  if (seen != second && log_second_.compare_exchange_strong(seen, second, std::memory_order_relaxed))
    logs_.store(0, std::memory_order_relaxed);
  return logs_.fetch_add(1, std::memory_order_relaxed) < kLogsPerSecond;
}

std::string RateLimiter::prefix_text(const sockaddr* sa, socklen_t len) const {
  int family = 0;
  uint8_t prefix[16];
  if (!client_prefix(sa, len, opts_.ipv4_prefix, opts_.ipv6_prefix, family, prefix)) return "?";
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, prefix, buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(family == AF_INET ? opts_.ipv4_prefix : opts_.ipv6_prefix);
}

std::optional<RrlAccount> classify_reply(std::span<const uint8_t> reply) {
  dns::MessageView v;
  if (v.parse(reply) != dns::WireError::ok || v.header().qdcount != 1) return std::nullopt;
  const dns::Header& h = v.header();
  if (h.rcode == dns::rcode::NXDOMAIN) return RrlAccount{RrlClass::nxdomain, v.qname().hash()};
  if (h.rcode != dns::rcode::NOERROR) return RrlAccount{RrlClass::error, h.rcode};
  if (h.ancount == 0) return RrlAccount{RrlClass::nodata, v.qname().hash()};
  return RrlAccount{RrlClass::answer, v.qname().hash() ^ (uint64_t{v.qtype()} << 48)};
}

size_t apply_rrl(RrlAction action, std::span<uint8_t> reply, size_t len) {
  if (action == RrlAction::send) return len;
  if (action == RrlAction::drop || len < dns::kHeaderSize) return 0;
  dns::MessageView v;
  dns::Header h = dns::Header::read(reply.data());
  size_t keep = dns::kHeaderSize;
  if (v.parse(reply.first(len)) == dns::WireError::ok && h.qdcount == 1) {
    keep = v.question_end();
  } else {
    h.qdcount = 0;
  }
  h.tc = true;
  h.ancount = h.nscount = h.arcount = 0;
  h.write(reply.data());
  return keep;
}

}  // namespace namae::auth
