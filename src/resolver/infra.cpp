#include "resolver/infra.h"

#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/random.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fmt/format.h>

namespace namae::resolver {

namespace {
// Per-thread buffer of kernel randomness so an ID costs no system call.
struct RandomPool {
  uint8_t buf[512];
  size_t pos = sizeof buf;
  void fill(uint8_t* out, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (pos == sizeof buf) {
        size_t got = 0;
        while (got < sizeof buf) {
          ssize_t r = ::getrandom(buf + got, sizeof buf - got, 0);
          if (r > 0) got += static_cast<size_t>(r);
        }
        pos = 0;
      }
      out[i] = buf[pos++];
    }
  }
};
thread_local RandomPool pool;
}  // namespace

uint16_t random_u16() {
  uint8_t b[2];
  pool.fill(b, 2);
  return static_cast<uint16_t>(b[0] << 8 | b[1]);
}

size_t random_below(size_t n) {
  uint32_t v;
  pool.fill(reinterpret_cast<uint8_t*>(&v), sizeof v);
  return v % n;
}

Infra::Infra(const Clock& clock, size_t max_servers) : clock_(clock), max_servers_(max_servers) {
  pool.fill(cookie_secret_.data(), cookie_secret_.size());
}

// The address and port as bytes: looked up several times per upstream
// exchange, so not formatted as text (that was 2% of a cold run's CPU).
std::string Infra::key(const net::Endpoint& ep) {
  const auto* sa = reinterpret_cast<const sockaddr*>(&ep.addr);
  auto ip = net::address_octets(sa, ep.len);
  uint16_t port = sa->sa_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(sa)->sin6_port
                                            : reinterpret_cast<const sockaddr_in*>(sa)->sin_port;
  std::string k(reinterpret_cast<const char*>(ip.data()), ip.size());
  k.append(reinterpret_cast<const char*>(&port), sizeof port);
  return k;
}

// Under mu_. The HMAC is computed once per server address and remembered:
// OpenSSL's one-shot HMAC, twice per exchange, was 4% of a cold run's CPU.
std::array<uint8_t, 8> Infra::client_cookie(const net::Endpoint& server) const {
  if (client_cookies_.size() >= max_servers_) client_cookies_.clear();
  auto [it, added] = client_cookies_.try_emplace(key(server));
  if (!added) return it->second;
  const auto ip = net::address_octets(reinterpret_cast<const sockaddr*>(&server.addr), server.len);
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned digest_len = 0;
  HMAC(EVP_sha256(), cookie_secret_.data(), static_cast<int>(cookie_secret_.size()), ip.data(), ip.size(), digest,
       &digest_len);
  std::memcpy(it->second.data(), digest, it->second.size());
  return it->second;
}

CookieOption Infra::cookie_for(const net::Endpoint& server) const {
  CookieOption opt;
  std::lock_guard lock(mu_);
  auto client = client_cookie(server);
  std::memcpy(opt.data.data(), client.data(), client.size());
  opt.size = client.size();
  if (auto it = servers_.find(key(server)); it != servers_.end() && it->second.server_cookie_len) {
    std::memcpy(opt.data.data() + 8, it->second.server_cookie.data(), it->second.server_cookie_len);
    opt.size += it->second.server_cookie_len;
  }
  return opt;
}

bool Infra::take_reply_cookie(const net::Endpoint& server, std::span<const uint8_t> option) {
  // RFC 7873 4: 8 octets of client cookie, then 8 to 32 of server cookie;
  // a reply carries both (5.3).
  if (option.size() < 16 || option.size() > 40) return false;
  std::lock_guard lock(mu_);
  auto client = client_cookie(server);
  if (std::memcmp(option.data(), client.data(), client.size()) != 0) return false;
  ServerInfo& s = entry(server);
  s.server_cookie_len = static_cast<uint8_t>(option.size() - 8);
  std::memcpy(s.server_cookie.data(), option.data() + 8, s.server_cookie_len);
  return true;
}

ServerInfo& Infra::entry(const net::Endpoint& ep) {
  std::string k = key(ep);
  auto it = servers_.find(k);
  if (it != servers_.end()) return it->second;
  if (servers_.size() >= max_servers_) servers_.erase(servers_.begin());
  return servers_[k];
}

double Infra::effective_rtt(const net::Endpoint& server) const {
  std::lock_guard lock(mu_);
  auto it = servers_.find(key(server));
  if (it == servers_.end()) return kUnknownRttMs;
  const ServerInfo& s = it->second;
  double rtt = s.srtt_ms > 0 ? s.srtt_ms : kUnknownRttMs;
  // Each consecutive timeout doubles the estimate; after a while the
  // server is probed again (its penalty decays with time since the timeout).
  if (s.timeouts > 0) {
    int64_t since = clock_.now_ms() - s.last_timeout_ms;
    int shift = std::min(s.timeouts, 8);
    if (since < 60'000 * shift) rtt = std::max(rtt, 376.0) * (1 << shift);
  }
  return rtt;
}

std::chrono::milliseconds Infra::timeout_for(const net::Endpoint& server) const {
  std::lock_guard lock(mu_);
  auto it = servers_.find(key(server));
  double rto = 400;  // unknown server
  if (it != servers_.end() && it->second.srtt_ms > 0)
    rto = it->second.srtt_ms + 4 * std::max(it->second.rttvar_ms, 10.0);
  if (it != servers_.end() && it->second.timeouts > 0) rto *= 2;
  rto = std::clamp(rto, 50.0, 3000.0);
  return std::chrono::milliseconds(static_cast<int64_t>(rto));
}

size_t Infra::choose(std::span<const net::Endpoint> candidates, std::string* why) const {
  std::vector<double> rtt(candidates.size());
  double best = 1e18;
  for (size_t i = 0; i < candidates.size(); ++i) {
    rtt[i] = effective_rtt(candidates[i]);
    best = std::min(best, rtt[i]);
  }
  std::vector<size_t> band;
  for (size_t i = 0; i < candidates.size(); ++i)
    if (rtt[i] <= best + kBandMs) band.push_back(i);
  size_t pick = band[random_below(band.size())];
  if (why) {
    *why = fmt::format("rtt {:.1f} ms{}, chosen at random among {} of {} within {:.0f} ms of the best",
                       rtt[pick], rtt[pick] == kUnknownRttMs ? " (not measured yet)" : "",
                       band.size(), candidates.size(), kBandMs);
  }
  return pick;
}

void Infra::record_rtt(const net::Endpoint& server, std::chrono::microseconds rtt) {
  double ms = static_cast<double>(rtt.count()) / 1000.0;
  std::lock_guard lock(mu_);
  ServerInfo& s = entry(server);
  if (s.srtt_ms <= 0) {
    s.srtt_ms = ms;
    s.rttvar_ms = ms / 2;
  } else {  // RFC 6298 2.3
    s.rttvar_ms = 0.75 * s.rttvar_ms + 0.25 * std::fabs(s.srtt_ms - ms);
    s.srtt_ms = 0.875 * s.srtt_ms + 0.125 * ms;
  }
  s.timeouts = 0;
}

void Infra::record_timeout(const net::Endpoint& server) {
  std::lock_guard lock(mu_);
  ServerInfo& s = entry(server);
  s.timeouts++;
  s.last_timeout_ms = clock_.now_ms();
}

void Infra::set_edns_broken(const net::Endpoint& server) {
  std::lock_guard lock(mu_);
  entry(server).edns_broken = true;
}

bool Infra::edns_broken(const net::Endpoint& server) const {
  std::lock_guard lock(mu_);
  auto it = servers_.find(key(server));
  return it != servers_.end() && it->second.edns_broken;
}

ServerInfo Infra::info(const net::Endpoint& server) const {
  std::lock_guard lock(mu_);
  auto it = servers_.find(key(server));
  return it == servers_.end() ? ServerInfo{} : it->second;
}

}  // namespace namae::resolver
