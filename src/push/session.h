// One DNS Stateful Operations session's rules (RFC 8490), with no I/O and
// no clock of its own (times are passed in, as in src/mdns): what each
// received message means for the session, when it is established, and when
// the server gives up on a silent client. What an operation does (DNS Push,
// RFC 8765) is its owner's business: the session only says "operation".
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/dso.h"

namespace namae::push {

/// The server's timeouts (RFC 8490 6.2, 7.1), sent in its Keepalive TLV.
/// Each may be 0xFFFFFFFF, "infinity" (RFC 8490 6.4.2, 6.5.2).
struct SessionTimers {
  uint32_t inactivity_ms = 15000;  // an established session with nothing active may stay idle this long
  uint32_t keepalive_ms = 60000;   // the client sends something at least this often (>= 10 s, RFC 8490 6.5.2)
  bool operator==(const SessionTimers&) const = default;
};
/// RFC 8490 6.5.2: a server never dictates a shorter keepalive interval.
inline constexpr uint32_t kMinKeepaliveMs = 10000;

/// What to do with one received message.
enum class Act : uint8_t {
  reply,          // answer with `rcode` (a Keepalive request: with the server's Keepalive TLV)
  reply_close,    // answer with `rcode`, then close (a malformed request, RFC 8490 5.4)
  operation,      // an operation for the owner: SUBSCRIBE, UNSUBSCRIBE, RECONFIRM
  ignore,         // a unidirectional message with an unknown primary TLV (RFC 8490 5.4.5)
  abort,          // a fatal error with nothing to answer: close at once
};
struct Verdict {
  Act act = Act::ignore;
  uint16_t rcode = 0;
  bool keepalive = false;  // the reply carries the server's Keepalive TLV
};

class DsoSession {
 public:
  DsoSession(SessionTimers timers, int64_t now_ms) : timers_(timers), idle_since_(now_ms), last_heard_(now_ms) {}

  /// Parse `msg` into `out` and judge it; every message counts as the
  /// client being alive.
  Verdict receive(std::span<const uint8_t> msg, dns::dso::Message& out, int64_t now_ms);
  /// The owner answered an operation's request NOERROR: that establishes
  /// the session (RFC 8490 5.1) as a Keepalive request does.
  void establish() { established_ = true; }
  bool established() const { return established_; }
  /// How many long-lived operations (subscriptions) are active: while any
  /// is, the session is not idle (RFC 8490 6.2) and only the keepalive rule
  /// applies.
  void set_active(size_t n, int64_t now_ms);
  /// True once the client has broken its side of the timers: silent for
  /// twice the keepalive interval, or idle past the inactivity timeout and
  /// then twice that again or 5 s, whichever is longer (RFC 8490 6.4.1,
  /// 6.5.2). Before establishment the transport's idle timeout rules.
  bool expired(int64_t now_ms) const;
  const SessionTimers& timers() const { return timers_; }
  /// The server dictated new timers (its unsolicited Keepalive, RFC 8490
  /// 7.1, sent now): the client's keepalive clock starts over, and a
  /// shorter inactivity timeout gets the grace of 7.1.1 (a quarter of it or
  /// 5 s, whichever is longer) before an idle client counts as delinquent.
  void set_timers(SessionTimers timers, int64_t now_ms);
  /// Whether the client has padded a message (RFC 8490 7.3): then what the
  /// server sends on its own (PUSH, Keepalive, Retry Delay) is padded too.
  bool client_pads() const { return client_pads_; }

 private:
  Verdict request(const dns::dso::Message& m);
  Verdict unidirectional(const dns::dso::Message& m) const;
  SessionTimers timers_;
  bool established_ = false;
  bool client_pads_ = false;
  size_t active_ = 0;
  int64_t grace_until_ = 0;  // not delinquent for inactivity before this
  int64_t idle_since_;  // when the last operation ended (or the session began)
  int64_t last_heard_;  // the client's last message
};

}  // namespace namae::push
