// SIG(0) transaction signatures (RFC 2931): a message signed by a public
// key, as SRP requesters (RFC 9665 3.3.3) and `nsupdate -k` with a KEY file
// sign their updates. The SIG RR is the last record of the additional
// section, owner root, class ANY, TTL 0, type covered 0 (RFC 2931 3);
// its signature covers the SIG rdata less the signature, then the message
// as it was before the SIG was appended (ARCOUNT one less, RFC 2931 3.1).
//
// Pure: bytes in, the verdict or the signed message out; the time is
// passed in. tests/fuzz/fuzz_srp feeds the verifier arbitrary messages.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "base/result.h"
#include "dns/message.h"
#include "dnssec/crypto.h"
#include "dnssec/rrsig.h"

namespace namae::dnssec {

/// A SIG(0) record found in a message.
struct Sig0 {
  size_t offset = 0;              // where the SIG RR starts (the signed part ends)
  std::span<const uint8_t> rdata;  // its rdata, in the message
  RrsigFields fields;             // the rdata split (same layout as RRSIG)
};

/// The SIG(0) of a parsed message: its last additional record when that is
/// a SIG of type covered 0. Nullopt when there is none; a SIG anywhere else,
/// or one whose rdata does not split, is an error (FORMERR).
Result<std::optional<Sig0>> find_sig0(const dns::MessageView& msg);

/// Accepted clock skew around a SIG(0)'s validity period, seconds (RFC 2931
/// 3.1 leaves the window to the signer; BIND's nsupdate signs now +- 300 s).
inline constexpr uint32_t kSig0Fudge = 300;

/// Does `sig` sign `msg` with the key whose KEY rdata is `key` (RFC 2931
/// 3.1: algorithm and key tag must match)? `now` checks the validity
/// period (widened by kSig0Fudge); nullopt skips that check.
Result<void> verify_sig0(std::span<const uint8_t> msg, const Sig0& sig,
                         std::span<const uint8_t> key, std::optional<uint32_t> now);

/// Append a SIG(0) by `key` (its KEY rdata `key_rdata`, owner `signer`) to
/// the complete message `msg` and count it in ARCOUNT.
Result<void> sign_sig0(Bytes& msg, const PrivateKey& key, std::span<const uint8_t> key_rdata,
                       const dns::Name& signer, Validity validity);

}  // namespace namae::dnssec
