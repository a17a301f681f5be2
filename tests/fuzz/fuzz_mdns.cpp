// libFuzzer target for the mDNS protocol logic: arbitrary octets go through
// parse_message and, when they parse, into a Responder (with established
// host and service records) and a Querier, from an on-link or off-link
// source on port 5353 or a legacy port, followed by timer runs. Oracle:
// nothing crashes or trips a sanitizer, every packet the state machines
// send parses back, legacy replies carry no cache-flush bit and TTL <= 10,
// and off-link input produces no output at all.
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "mdns/dnssd.h"
#include "mdns/packet.h"
#include "mdns/querier.h"
#include "mdns/responder.h"

using namespace namae;
using namespace namae::mdns;

namespace {

[[noreturn]] void oops(const char* what) {
  std::fprintf(stderr, "fuzz_mdns: %s\n", what);
  std::abort();
}

class CheckingTransport : public Transport {
 public:
  void send(std::span<const uint8_t> packet, const Destination& to) override {
    ++sent;
    Message m;
    if (parse_message(packet, m) != dns::WireError::ok) oops("sent a packet that does not parse");
    if (!to.multicast && to.unicast.port() != kPort) {
      for (const auto& r : m.answers)
        if (r.unique || r.ttl > 10) oops("legacy reply with cache-flush bit or TTL > 10");
    }
  }
  int sent = 0;
};

dns::Name N(const char* t) { return *dns::Name::from_text(t); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  std::span<const uint8_t> packet(data + 1, size - 1);
  Message msg;
  if (parse_message(packet, msg) != dns::WireError::ok) return 0;

  CheckingTransport t;
  Rng rng(1);
  Responder responder(t, rng);
  Querier querier(t, rng);
  responder.add([](int a) { return *host_records(N((host_for_attempt("host", a) + ".local.").c_str()), {"192.0.2.1", "fe80::1"}); }, 0);
  ServiceSpec svc{"My Printer", "_ipp._tcp", 631, {"rp=queue1"}, {"_universal"}};
  responder.add([svc](int a) { return *service_records(svc, N("host.local."), a); }, 0);
  querier.start(Question{N("_ipp._tcp.local."), dns::rrtype::PTR}, 0);
  Millis now = 0;
  while (now < 5000) {
    Millis next = std::min(responder.next_timer(), querier.next_timer());
    if (next > 5000) break;
    now = std::max(now, next);
    responder.tick(now);
    querier.tick(now);
  }
  now = 5000;
  const bool on_link = !(mode & 1);
  Source from = Source::from(mode & 2 ? "fe80::2" : "192.0.2.2", mode & 4 ? 40000 : kPort, on_link);
  const int before = t.sent;
  for (int i = 0; i < 1 + (mode >> 5); ++i) {
    responder.receive(msg, from, now);
    querier.receive(msg, from, now);
    now += 10 * (mode >> 3 & 3);
  }
  if (!on_link && t.sent != before) oops("answered an off-link packet");
  for (int i = 0; i < 50; ++i) {
    Millis next = std::min(responder.next_timer(), querier.next_timer());
    if (next > now + 4 * 3600 * 1000) break;
    now = std::max(now, next);
    responder.tick(now);
    querier.tick(now);
  }
  responder.remove_all(now);
  return 0;
}
