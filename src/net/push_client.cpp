#include "net/push_client.h"

#include <optional>

#include "dns/rrtype.h"

namespace namae::net {
namespace {

using namespace std::chrono_literals;
using namespace dns::dso;
using Clock = std::chrono::steady_clock;

// RFC 8490 6.5.2: no server asks for keepalives more often than every 10 s;
// a Keepalive request after 5 s of silence keeps any of them content.
constexpr auto kKeepaliveEvery = 5s;
constexpr auto kPoll = 250ms;
constexpr uint16_t kSubscribeId = 1;

// One message of the server's; a PushEnd when it ends the session.
std::optional<PushEnd> take(const std::vector<uint8_t>& bytes, bool& subscribed, const PushCallbacks& cb) {
  Message m;
  if (parse(bytes, m) != dns::dso::Error::ok) return PushEnd{PushEnd::Why::fault, 0ms, 0, "malformed message from the server"};
  if (m.kind == Kind::response) {
    if (subscribed || m.header.id != kSubscribeId) return std::nullopt;  // a Keepalive's answer
    if (m.header.rcode != dns::rcode::NOERROR)
      return PushEnd{PushEnd::Why::refused, 0ms, m.header.rcode, "SUBSCRIBE answered " + dns::rcode_to_text(m.header.rcode)};
    subscribed = true;
    if (cb.subscribed) cb.subscribed();
    return std::nullopt;
  }
  if (m.kind != Kind::unidirectional) return std::nullopt;
  const Tlv& p = *m.primary();
  uint32_t delay;
  if (p.type == tlv::RETRY_DELAY && read_retry_delay(p.data, delay))
    return PushEnd{PushEnd::Why::retry_delay, std::chrono::milliseconds(delay), m.header.rcode,
                   "the server asked to reconnect later"};
  if (p.type == tlv::PUSH) {
    std::vector<PushRecord> changes;
    if (!read_push(p.data, changes)) return PushEnd{PushEnd::Why::fault, 0ms, 0, "malformed PUSH from the server"};
    if (cb.changes) cb.changes(changes);
  }
  return std::nullopt;  // a Keepalive of the server's (RFC 8490 7.1) and anything unknown
}

}  // namespace

PushEnd run_push_session(const PushServer& server, const Question& q, const PushCallbacks& cb,
                         const std::atomic<bool>& stop) {
  auto conn = TlsClient::connect(server.address, server.tls, 10s);
  if (!conn) return {PushEnd::Why::fault, 0ms, 0, conn.message()};
  Writer sub(kSubscribeId, false);
  sub.subscribe(q);
  if (auto r = (*conn)->send(sub.take(), 10s); !r) return {PushEnd::Why::fault, 0ms, 0, r.message()};
  bool subscribed = false;
  uint16_t next_id = kSubscribeId + 1;
  auto last_sent = Clock::now();
  while (!stop.load()) {
    if (Clock::now() - last_sent >= kKeepaliveEvery) {
      Writer k(next_id, false);
      next_id = next_id == 0xffff ? kSubscribeId + 1 : next_id + 1;  // never 0, never the SUBSCRIBE's
      k.keepalive({0, 10000});
      if (auto r = (*conn)->send(k.take(), 10s); !r) return {PushEnd::Why::fault, 0ms, 0, r.message()};
      last_sent = Clock::now();
    }
    auto got = (*conn)->receive(kPoll);
    if (!got) return {PushEnd::Why::fault, 0ms, 0, got.message()};
    if (!*got) continue;
    if (auto end = take(**got, subscribed, cb)) return *end;
  }
  return {PushEnd::Why::stopped, 0ms, 0, "stopped"};
}

}  // namespace namae::net
