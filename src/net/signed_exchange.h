// The client side of one request that may be signed with TSIG: sign it, send
// it to each server in turn (UDP, again over TCP when the reply comes back
// truncated, RFC 7766 5), and check that the reply answers the request and is
// signed over the request's MAC (RFC 8945 5.3). `namae query`, `namae update`
// and `namae ddns` all send through here; what they print stays theirs.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "base/result.h"
#include "dns/edns.h"
#include "dns/message.h"
#include "dns/tsig.h"
#include "net/client.h"

namespace namae::net {

/// A uniformly random message ID (RFC 5452 9.2: IDs must not be guessable).
uint16_t random_message_id();
/// Fill `out` from the kernel's random source (client cookies, IDs).
void random_bytes(std::span<uint8_t> out);

/// An RFC 2136 UPDATE under construction: the header (opcode UPDATE, `id`)
/// and, when `lease` is set, room kept for the OPT that asks for an
/// RFC 9664 lease (EDNS UPDATE-LEASE), which finish() adds.
class UpdateMessage {
 public:
  UpdateMessage(uint16_t id, std::optional<uint32_t> lease);
  /// The same with the whole option: LEASE and KEY-LEASE (SRP, RFC 9665).
  UpdateMessage(uint16_t id, std::optional<dns::UpdateLease> lease);
  UpdateMessage(const UpdateMessage&) = delete;
  UpdateMessage& operator=(const UpdateMessage&) = delete;
  /// Add the zone, prerequisite and update sections through this.
  dns::MessageBuilder& builder() { return builder_; }
  /// The wire octets; fails when the OPT no longer fits.
  Result<std::vector<uint8_t>> finish();

 private:
  std::vector<uint8_t> buffer_;
  dns::MessageBuilder builder_;
  std::vector<uint8_t> options_;
  dns::Edns edns_;
};

/// How to reach the servers.
struct SignedExchangeOptions {
  /// The first try of each server (its protocol may already be TCP). Its
  /// `local`, when set, also skips servers of the other address family.
  ExchangeOptions first;
  /// The retry over TCP after a truncated UDP reply.
  ExchangeOptions truncated;
  bool follow_truncation = true;
  /// Called before asking a server again over TCP.
  std::function<void(const Endpoint&)> on_truncated;
  /// Called for each server that gave no reply (after the TCP retry, if any).
  std::function<void(const Endpoint&, const Exchange&)> on_failure;
};

/// A reply and what was checked about it. `message` views
/// `exchange.response`: move a SignedReply, never copy it.
struct SignedReply {
  Endpoint server;
  Exchange exchange;
  dns::MessageView message;
  dns::WireError parse_error = dns::WireError::ok;
  bool answers_request = false;  // QR set, our ID and opcode
  uint16_t rcode = 0;            // with the EDNS extended bits (RFC 6891 6.1.3)
  std::optional<dns::TsigVerification> tsig;  // set when the request was signed

  SignedReply() = default;
  SignedReply(SignedReply&&) = default;
  SignedReply& operator=(SignedReply&&) = default;
  SignedReply(const SignedReply&) = delete;
  SignedReply& operator=(const SignedReply&) = delete;
};

/// One request, signed or not, and the checks of its replies.
class SignedRequest {
 public:
  /// Sign `wire` with `key` now (unsigned when there is no key).
  static Result<SignedRequest> make(std::vector<uint8_t> wire,
                                    const std::optional<dns::TsigKey>& key);

  std::span<const uint8_t> wire() const { return wire_; }

  /// Ask the servers in order until one replies and `accept` (when given)
  /// takes the checked reply. False when no server gave an accepted reply;
  /// `out` then holds the last try.
  bool send(Transport& transport, std::span<const Endpoint> servers,
            const SignedExchangeOptions& options, SignedReply& out,
            const std::function<bool(const SignedReply&)>& accept = {}) const;

  /// Parse `reply.exchange.response` and fill in the checks.
  void check(SignedReply& reply) const;

 private:
  std::vector<uint8_t> wire_;
  std::optional<dns::TsigKey> key_;
  std::vector<uint8_t> request_mac_;
  uint16_t id_ = 0;
  uint8_t opcode_ = 0;
};

}  // namespace namae::net
