// A scripted upstream network for resolver tests (after Unbound's replay
// tests): each fake server answers from real zone data through auth::AuthEngine
// or from a script, time is a FakeClock that moves by each exchange's RTT or
// timeout, and every exchange is logged so tests can count and inspect them.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "auth/engine.h"
#include "dns/message.h"
#include "net/client.h"
#include "base/clock.h"
#include "zone/load.h"
#include "zone/zone_set.h"

namespace namae::resolver::test {

inline net::Endpoint ep4(const char* addr, uint16_t port = 53) {
  net::Endpoint ep;
  auto* sin = reinterpret_cast<sockaddr_in*>(&ep.addr);
  sin->sin_family = AF_INET;
  sin->sin_port = htons(port);
  inet_pton(AF_INET, addr, &sin->sin_addr);
  ep.len = sizeof(sockaddr_in);
  return ep;
}

/// A client's question in wire form (what a stub sends to the resolver).
inline std::vector<uint8_t> client_query(const dns::Name& name, uint16_t type, uint16_t id = 4242,
                                         bool rd = true) {
  std::vector<uint8_t> q(512);
  dns::MessageBuilder b(q, q.size());
  b.header().id = id;
  b.header().rd = rd;
  b.add_question(name, type, 1);
  q.resize(b.finish());
  return q;
}

/// A client at `addr`:`port`, as a transport hands it to a handler.
inline net::Peer client_peer(const char* addr = "127.0.0.1", uint16_t port = 40000) {
  net::Peer p;
  auto ep = ep4(addr, port);
  p.addr = ep.addr;
  p.addr_len = ep.len;
  return p;
}

/// Ask `service` (answered synchronously, as the tests' fake network allows)
/// and parse the answer into `buf`.
template <class Service>
dns::MessageView ask_service(Service& service, const std::vector<uint8_t>& query,
                             const net::Peer& peer, std::vector<uint8_t>& buf) {
  buf.assign(65535, 0);
  buf.resize(service.answer(query, buf, peer));
  dns::MessageView v;
  EXPECT_EQ(v.parse(buf), dns::WireError::ok);
  return v;
}

struct LoggedQuery {
  std::string server;  // address only
  std::string qname;
  uint16_t qtype = 0;
  bool tcp = false;
  bool edns = false;
  bool rd = false;
};

/// A fake server: zones answered by AuthEngine, plus behaviours.
struct FakeServer {
  std::shared_ptr<const zone::ZoneSet> zones;
  bool dead = false;             // never answers (timeout)
  bool refuse_port = false;      // ICMP port unreachable
  bool formerr_on_edns = false;  // an old server: FORMERR (no OPT) to EDNS queries
  int64_t rtt_ms = 10;
  /// Replaces the answer when set: gets the query, returns the reply octets
  /// (empty: no reply, a timeout).
  std::function<std::vector<uint8_t>(std::span<const uint8_t>, bool tcp)> script;
};

class FakeNet final : public net::Transport {
 public:
  explicit FakeNet(FakeClock& clock) : clock_(clock) {}

  FakeServer& add(const char* addr) { return servers_[addr]; }
  FakeServer& server(const char* addr) { return servers_.at(addr); }

  net::Exchange exchange(const net::Endpoint& server, std::span<const uint8_t> query,
                         const net::ExchangeOptions& options) override {
    net::Exchange ex;
    ex.protocol = options.protocol;
    ex.attempts = 1;
    std::string addr = net::endpoint_address(server);
    bool tcp = options.protocol == net::ClientProtocol::tcp;
    dns::MessageView q;
    LoggedQuery lq;
    lq.server = addr;
    lq.tcp = tcp;
    if (q.parse(query) == dns::WireError::ok) {
      lq.qname = q.qname().to_text();
      lq.qtype = q.qtype();
      lq.edns = q.edns().present;
      lq.rd = q.header().rd;
    }
    log.push_back(lq);
    auto it = servers_.find(addr);
    if (it == servers_.end() || it->second.refuse_port) {
      ex.error = net::ExchangeError::refused;
      ex.message = addr + ": connection refused";
      return ex;
    }
    FakeServer& s = it->second;
    std::vector<uint8_t> reply;
    if (s.dead) {
    } else if (s.script) {
      reply = s.script(query, tcp);
    } else if (s.formerr_on_edns && q.edns().present) {
      reply.assign(query.begin(), query.begin() + q.question_end());
      reply[2] |= 0x80;
      reply[3] = (reply[3] & 0xf0) | dns::rcode::FORMERR;
      for (int i = 6; i < 12; ++i) reply[i] = 0;
    } else {
      reply.resize(65535);
      auth::AuthEngine engine(holder_dummy_);
      size_t n = engine.answer(*s.zones, query, reply, tcp);
      reply.resize(n);
    }
    if (reply.empty()) {
      clock_.advance_ms(options.timeout.count());
      ex.error = net::ExchangeError::timeout;
      ex.message = addr + ": timed out";
      return ex;
    }
    clock_.advance_ms(s.rtt_ms);
    ex.rtt = std::chrono::milliseconds(s.rtt_ms);
    ex.response = std::move(reply);
    return ex;
  }

  size_t count_to(const std::string& addr) const {
    size_t n = 0;
    for (const auto& l : log) n += l.server == addr;
    return n;
  }

  std::vector<LoggedQuery> log;

 private:
  FakeClock& clock_;
  std::map<std::string, FakeServer> servers_;
  zone::ZoneSetHolder holder_dummy_;
};

/// Zones from text: {origin, master-file text}.
inline std::shared_ptr<const zone::ZoneSet> make_zones(
    std::vector<std::pair<std::string, std::string>> texts) {
  std::vector<std::shared_ptr<const zone::ZoneVersion>> zs;
  for (auto& [origin, text] : texts) {
    std::vector<zonefile::Diagnostic> diags;
    auto o = dns::Name::from_text(origin);
    auto z = zone::load_zone_text(text, origin, *o, diags);
    if (!z) {
      std::string all;
      for (const auto& d : diags) all += d.to_string() + "\n";
      throw std::runtime_error("zone " + origin + ": " + z.message() + "\n" + all);
    }
    zs.push_back(*z);
  }
  return std::make_shared<zone::ZoneSet>(std::move(zs));
}

}  // namespace namae::resolver::test
