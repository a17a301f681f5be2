#include "push/session.h"

#include <algorithm>

namespace namae::push {

using namespace dns::dso;

Verdict DsoSession::receive(std::span<const uint8_t> msg, Message& out, int64_t now_ms) {
  last_heard_ = now_ms;
  if (active_ == 0) idle_since_ = now_ms;
  dns::dso::Error e = parse(msg, out);
  if (e != dns::dso::Error::ok) {
    // A request gets FORMERR before the close; anything else has no one to answer.
    bool request = msg.size() >= dns::kHeaderSize && out.header.id != 0 && !out.header.qr;
    return {request && e != dns::dso::Error::not_dso ? Act::reply_close : Act::abort, dns::rcode::FORMERR};
  }
  for (size_t i = 1; i < out.tlvs.size(); ++i) client_pads_ |= out.tlvs[i].type == tlv::PADDING;
  switch (out.kind) {
    case Kind::request:
      return request(out);
    case Kind::unidirectional:
      return unidirectional(out);
    case Kind::response:
      break;  // the server sends no requests: a response answers nothing
  }
  return {Act::abort};
}

// RFC 8490 8.2's table: which primary TLVs a client may send in a request.
Verdict DsoSession::request(const Message& m) {
  const Tlv& p = *m.primary();
  switch (p.type) {
    case tlv::KEEPALIVE: {
      Keepalive k;
      if (!read_keepalive(p.data, k)) return {Act::reply_close, dns::rcode::FORMERR};
      established_ = true;
      return {Act::reply, dns::rcode::NOERROR, true};
    }
    case tlv::SUBSCRIBE:
      return {Act::operation};
    case tlv::RETRY_DELAY:
    case tlv::PADDING:
    case tlv::PUSH:
    case tlv::UNSUBSCRIBE:
    case tlv::RECONFIRM:
      return {Act::reply_close, dns::rcode::FORMERR};  // never a client's request
    default:
      return {Act::reply, dns::rcode::DSOTYPENI};  // 5.4.4: the session stays as it was
  }
}

Verdict DsoSession::unidirectional(const Message& m) const {
  if (!established_) return {Act::abort};  // 5.1: nothing unidirectional before establishment
  switch (m.primary()->type) {
    case tlv::UNSUBSCRIBE:
    case tlv::RECONFIRM:
      return {Act::operation};
    case tlv::KEEPALIVE:
    case tlv::RETRY_DELAY:
    case tlv::PADDING:
    case tlv::SUBSCRIBE:
    case tlv::PUSH:
      return {Act::abort};  // 8.2: not a client's unidirectional message
    default:
      return {Act::ignore};
  }
}

void DsoSession::set_active(size_t n, int64_t now_ms) {
  if (active_ && !n) idle_since_ = now_ms;
  active_ = n;
}

void DsoSession::set_timers(SessionTimers timers, int64_t now_ms) {
  if (timers.inactivity_ms < timers_.inactivity_ms)
    grace_until_ = now_ms + std::max<int64_t>(timers.inactivity_ms / 4, 5000);
  timers_ = timers;
  last_heard_ = now_ms;
}

bool DsoSession::expired(int64_t now_ms) const {
  if (!established_) return false;
  if (now_ms - last_heard_ >= 2 * static_cast<int64_t>(timers_.keepalive_ms)) return true;
  if (active_ || now_ms < grace_until_) return false;
  int64_t grace = std::max<int64_t>(2 * static_cast<int64_t>(timers_.inactivity_ms), 5000);
  return now_ms - idle_since_ >= timers_.inactivity_ms + grace;
}

}  // namespace namae::push
