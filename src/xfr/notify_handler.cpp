#include "xfr/notify_handler.h"

#include <algorithm>
#include <cstring>

namespace namae::xfr {

NotifyHandler::NotifyHandler(SecondaryService& secondaries, std::vector<dns::TsigKey> keys,
                             const Clock& clock)
    : secondaries_(secondaries), keys_(std::make_shared<const std::vector<dns::TsigKey>>(std::move(keys))),
      clock_(clock) {}

void NotifyHandler::set_keys(std::vector<dns::TsigKey> keys) {
  keys_.publish(std::make_shared<const std::vector<dns::TsigKey>>(std::move(keys)));
}

uint16_t NotifyHandler::decide(const dns::MessageView& query, const net::Peer& peer,
                               const std::vector<dns::TsigKey>& keys, dns::TsigVerification& tv) {
  namespace rc = dns::rcode;
  if (query.header().qdcount != 1 || query.qtype() != dns::rrtype::SOA) return rc::FORMERR;
  if (query.has_tsig()) {
    tv = dns::tsig_verify(query, keys, {static_cast<uint64_t>(clock_.unix_time())});
    if (!tv.ok()) return tv.status == dns::TsigStatus::formerr ? rc::FORMERR : tv.reply_rcode();
  }
  std::shared_ptr<Secondary> s = secondaries_.find(query.qname());
  if (!s) return rc::NOTAUTH;
  net::Endpoint from;
  std::memcpy(&from.addr, &peer.addr, peer.addr_len);
  from.len = peer.addr_len;
  if (!s->is_primary(from)) return rc::REFUSED;
  // RFC 1996 has no signature of its own; with a transfer-key the primary
  // must prove itself with that key (as BIND's allow-notify with a key).
  auto key = s->key();
  if (key && !(tv.ok() && tv.key && tv.key->name == key->name)) return rc::NOTAUTH;
  secondaries_.notify(s->origin());
  return rc::NOERROR;
}

size_t NotifyHandler::handle(const dns::MessageView& query, std::span<uint8_t> response,
                             const net::Peer& peer, const zone::ZoneSet&) {
  const auto keys = keys_.get();  // held until the reply is signed: tv.key points into it
  dns::TsigVerification tv;
  const uint16_t rcode = decide(query, peer, *keys, tv);
  dns::MessageBuilder b(response, response.size());
  if (tv.record) b.reserve(400);  // the reply's TSIG
  b.header().id = query.header().id;
  b.header().qr = true;
  b.header().opcode = dns::opcode::NOTIFY;
  b.header().aa = rcode == dns::rcode::NOERROR;
  b.header().rcode = static_cast<uint8_t>(rcode & 0x0f);
  if (query.header().qdcount == 1) b.add_question(query.qname(), query.qtype(), query.qclass());
  size_t len = b.finish();
  if (tv.record) {
    auto signed_len = dns::tsig_sign_reply(response.first(b.limit()), len, tv,
                                           static_cast<uint64_t>(clock_.unix_time()));
    if (signed_len) len = *signed_len;
  }
  return len;
}

}  // namespace namae::xfr
