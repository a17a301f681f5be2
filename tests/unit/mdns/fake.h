// A Transport that keeps what it was asked to send, for driving the mDNS
// state machines with fake time.
#pragma once

#include <gtest/gtest.h>

#include "mdns/dnssd.h"
#include "mdns/packet.h"
#include "mdns/transport.h"

namespace namae::mdns::test {

struct Sent {
  Message msg;
  Destination to;
};

class FakeTransport : public Transport {
 public:
  void send(std::span<const uint8_t> packet, const Destination& to) override {
    Sent s;
    EXPECT_EQ(parse_message(packet, s.msg), dns::WireError::ok);
    s.to = to;
    sent.push_back(std::move(s));
    raw.emplace_back(packet.begin(), packet.end());
  }
  std::vector<Sent> sent;
  std::vector<std::vector<uint8_t>> raw;
};

inline dns::Name N(const char* t) { return *dns::Name::from_text(t); }

inline Record a_record(const char* name, const char* addr, uint32_t ttl = 120) {
  auto r = host_records(N(name), {addr});
  return r->front();
}

// Round-trip a PacketWriter's output through the parser, as a peer would see it.
inline Message wire(PacketWriter& w) {
  auto p = w.finish();
  Message m;
  EXPECT_EQ(parse_message(p.at(0), m), dns::WireError::ok);
  return m;
}

}  // namespace namae::mdns::test
