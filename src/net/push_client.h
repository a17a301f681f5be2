// The client side of one DNS Push subscription (RFC 8765) over a DNS
// Stateful Operations session (RFC 8490) over TLS: connect, SUBSCRIBE,
// hand every PUSH's changes to the caller, keep the session alive with
// Keepalive requests, and say why it ended (a fault, the server's Retry
// Delay, a SUBSCRIBE answered with an error, or the caller's stop).
// StubResolver::subscribe runs it on a thread of its own; `namae watch`
// through that, with its reconnection backoff around it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dns/dso.h"
#include "net/address.h"
#include "net/tls_client.h"

namespace namae::net {

struct PushEnd {
  enum class Why : uint8_t {
    fault,        // connection, TLS or a malformed message: reconnect after a backoff
    retry_delay,  // the server's Retry Delay (RFC 8490 7.2): reconnect after `wait`
    refused,      // the SUBSCRIBE's answer was not NOERROR (`rcode`): retrying will not help
    stopped,      // the caller asked
  };
  Why why = Why::fault;
  std::chrono::milliseconds wait{0};
  uint16_t rcode = 0;
  std::string message;
};

struct PushCallbacks {
  std::function<void()> subscribed;  // the SUBSCRIBE was answered NOERROR
  std::function<void(const std::vector<dns::dso::PushRecord>&)> changes;  // one PUSH's changes, in order
};

struct PushServer {
  Endpoint address;
  TlsClientOptions tls;
};

/// One session, on the caller's thread, until it ends; `stop` is looked at
/// at least four times a second.
PushEnd run_push_session(const PushServer& server, const dns::dso::Question& q, const PushCallbacks& cb,
                         const std::atomic<bool>& stop);

}  // namespace namae::net
