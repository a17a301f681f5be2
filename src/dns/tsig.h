// TSIG (RFC 8945): HMAC transaction signatures for queries, responses,
// updates and zone transfers.
//
// The signer appends a TSIG record to a finished message; the verifier
// recomputes the MAC over the message as it was before the TSIG was added
// (original ID, ARCOUNT minus one). Both directions share one digest routine,
// so a client verifying a response and a server verifying a request run the
// same code. Keys are looked up by name and algorithm; a mismatch of either is
// BADKEY (RFC 8945 5.2.1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "dns/name.h"

namespace namae::dns {

class MessageView;

/// HMAC algorithms TSIG may use (RFC 8945 6). GSS-TSIG is not supported.
enum class TsigAlgorithm : uint8_t {
  hmac_md5,
  hmac_sha1,
  hmac_sha224,
  hmac_sha256,
  hmac_sha384,
  hmac_sha512,
};

/// The algorithm's domain name as it goes on the wire ("hmac-sha256.",
/// "hmac-md5.sig-alg.reg.int.").
const Name& tsig_algorithm_name(TsigAlgorithm alg);
/// Short text used on command lines and in config files ("hmac-sha256", "hmac-md5").
const char* tsig_algorithm_text(TsigAlgorithm alg);
/// Accepts the short text or the full wire name (case-insensitive, trailing dot optional).
std::optional<TsigAlgorithm> tsig_algorithm_from_text(std::string_view text);
/// Maps a wire algorithm name; nullopt for algorithms namae does not implement.
std::optional<TsigAlgorithm> tsig_algorithm_from_name(const Name& name);
/// Full HMAC output length in octets (16 for MD5 ... 64 for SHA-512).
size_t tsig_digest_length(TsigAlgorithm alg);
/// Shortest acceptable truncated MAC: max(10, half the output) (RFC 8945 5.2.2.1).
size_t tsig_min_mac_length(TsigAlgorithm alg);

/// A shared secret. Names compare case-insensitively, like every DNS name.
struct TsigKey {
  Name name;
  TsigAlgorithm algorithm = TsigAlgorithm::hmac_sha256;
  std::vector<uint8_t> secret;

  /// Parse dig/nsupdate's `-y [alg:]name:base64secret` form. The algorithm
  /// defaults to hmac-sha256; the key name is absolute whether or not it ends
  /// with a dot. An empty or non-base64 secret is an error.
  static Result<TsigKey> parse(std::string_view spec);
};

/// The fields of a TSIG record's rdata (RFC 8945 4.2). `mac` and `other_data`
/// are copies, so the record outlives the message it came from (a client
/// keeps the request's MAC to verify the response).
struct TsigRecord {
  Name key_name;              // the owner name of the TSIG RR
  Name algorithm;             // as sent, even if unknown to namae
  uint64_t time_signed = 0;   // 48 bits, seconds since the epoch
  uint16_t fudge = 300;
  std::vector<uint8_t> mac;
  uint16_t original_id = 0;
  uint16_t error = 0;         // TSIG extended rcode (BADSIG, BADKEY, BADTIME, BADTRUNC)
  std::vector<uint8_t> other_data;

  /// The 6-octet server time carried in Other Data of a BADTIME reply, if present.
  std::optional<uint64_t> other_time() const;
};

/// Parse the TSIG record of a message that MessageView::parse accepted (which
/// guarantees it is last in the additional section). Names are read with
/// decompression so a peer that compresses the owner still parses; nullopt
/// when the message has no TSIG or its rdata is malformed.
std::optional<TsigRecord> tsig_record(const MessageView& msg);

/// What to put in the TSIG record being added.
struct TsigSignParams {
  uint64_t time_signed = 0;  // now, normally; the request's time for a BADTIME reply
  uint16_t fudge = 300;
  uint16_t error = 0;        // non-zero only in error replies
  std::vector<uint8_t> other_data;  // server time (6 octets) in BADTIME replies
  /// For a response: the request's MAC (RFC 8945 4.3.2: the digest starts with
  /// it). For the second and later messages of a TCP stream: the previous
  /// message's MAC. nullptr for a request.
  const std::vector<uint8_t>* prior_mac = nullptr;
  /// Later messages of a multi-message response (RFC 8945 5.3.1): only time
  /// signed and fudge are digested, not the full variables.
  bool timers_only = false;
  /// Send a TSIG with an empty MAC (BADKEY/BADSIG replies must not be signed,
  /// RFC 8945 5.3.2). The key's name and algorithm still go in the record.
  bool unsigned_error = false;
};

/// Append a TSIG record to the complete message in buffer[0, length) and bump
/// ARCOUNT. Returns the new length; fails if the buffer is too small or the
/// message shorter than a header. `mac_out`, when given, receives the MAC (a
/// client keeps it to verify the reply, a streaming server to chain the next
/// message).
Result<size_t> tsig_sign(std::span<uint8_t> buffer, size_t length, const TsigKey& key,
                         const TsigSignParams& params, std::vector<uint8_t>* mac_out = nullptr);

/// Sign a whole client request held in a vector, now, with default parameters
/// (what `namae query -y` and `namae update` do); the vector grows by the TSIG
/// record and `mac_out` receives the request MAC for verifying the reply.
Result<void> tsig_sign_request(std::vector<uint8_t>& message, const TsigKey& key,
                               std::vector<uint8_t>* mac_out);

/// The same, taking the key's name and algorithm name separately: a server
/// answering BADKEY has no key, only the names the client sent.
Result<size_t> tsig_sign_raw(std::span<uint8_t> buffer, size_t length, const Name& key_name,
                             const Name& algorithm, std::span<const uint8_t> secret,
                             std::optional<TsigAlgorithm> alg, const TsigSignParams& params,
                             std::vector<uint8_t>* mac_out);

/// Outcome of checking a message's TSIG.
enum class TsigStatus : uint8_t {
  ok,        // signed with a known key and the MAC and time check out
  unsigned_message,  // no TSIG record
  formerr,   // malformed TSIG, or a MAC longer than the hash / shorter than allowed
  badkey,    // unknown key name or algorithm (or key/algorithm mismatch)
  badsig,    // MAC does not verify
  badtime,   // MAC verifies but time signed is outside now +- fudge
  badtrunc,  // MAC verifies but is truncated below local policy
  peer_error,  // (response verification) the peer's TSIG carries a non-zero error
};

/// Human text for a status ("BADSIG", "unsigned", ...), for messages and logs.
const char* tsig_status_text(TsigStatus s);

/// Result of verification. `record` is set whenever the TSIG parsed, so a
/// server can build its error reply from it; `key` points into the caller's
/// key list when the key was found.
struct TsigVerification {
  TsigStatus status = TsigStatus::unsigned_message;
  std::optional<TsigRecord> record;
  const TsigKey* key = nullptr;

  bool ok() const { return status == TsigStatus::ok; }
  /// The TSIG error code a server puts in its reply (0 when ok/unsigned).
  uint16_t error_code() const;
  /// The header rcode a server answers with: NOTAUTH for TSIG failures,
  /// FORMERR for malformed TSIG, NOERROR otherwise (RFC 8945 5.2).
  uint16_t reply_rcode() const;
};

/// Options for verification.
struct TsigVerifyParams {
  uint64_t now = 0;  // seconds since the epoch
  /// Shortest truncated MAC accepted by local policy; shorter (but RFC-legal)
  /// MACs give BADTRUNC (RFC 8945 5.2.4). 0 means the RFC minimum only.
  size_t min_mac_length = 0;
  /// For responses: the MAC of the request (or previous message) we sent.
  const std::vector<uint8_t>* prior_mac = nullptr;
  bool timers_only = false;  // continuation message of a stream
};

/// Server side: verify a request's TSIG against `keys` (RFC 8945 5.2: key,
/// then MAC, then time, then truncation policy).
TsigVerification tsig_verify(const MessageView& msg, std::span<const TsigKey> keys,
                             const TsigVerifyParams& params);

/// Client side: verify a response to a request we signed with `key`, whose MAC
/// is `params.prior_mac`. An unsigned response is `unsigned_message`; a TSIG
/// with a non-zero error (BADKEY/BADSIG with an empty MAC, or a signed
/// BADTIME) is `peer_error` once whatever MAC it carries verifies.
TsigVerification tsig_verify_response(const MessageView& msg, const TsigKey& key,
                                      const TsigVerifyParams& params);

/// Server side: append the TSIG for the reply to a verified request: signed
/// with the request MAC when ok/BADTIME/BADTRUNC (BADTIME carrying `now` in
/// Other Data and the client's time signed, RFC 8945 5.2.3), unsigned when
/// BADKEY/BADSIG (RFC 8945 5.3.2). Does nothing for unsigned requests.
Result<size_t> tsig_sign_reply(std::span<uint8_t> buffer, size_t length,
                               const TsigVerification& request, uint64_t now,
                               std::vector<uint8_t>* mac_out = nullptr);

/// Signs the messages of a multi-message response (AXFR/IXFR over TCP,
/// RFC 8945 5.3.1): the first with the request MAC and the full variables,
/// each later one chained to the previous MAC with timers only. A message
/// passed to skip() goes out unsigned and is covered by the next sign(); the
/// last message of a stream must be signed.
class TsigStreamSigner {
 public:
  /// `key` must outlive the signer; `request_mac` is the MAC of the signed request.
  TsigStreamSigner(const TsigKey& key, std::vector<uint8_t> request_mac, uint16_t fudge = 300);
  /// Append the TSIG to the complete message in buffer[0, length); returns the new length.
  Result<size_t> sign(std::span<uint8_t> buffer, size_t length, uint64_t now);
  /// Record a message sent without TSIG (digested by the next sign()).
  void skip(std::span<const uint8_t> message);

 private:
  const TsigKey* key_;
  std::vector<uint8_t> prior_mac_;
  std::vector<uint8_t> unsigned_;  // messages since the last signed one, back to back
  uint16_t fudge_;
  bool first_ = true;
};

/// Verifies the messages of a multi-message response in order (RFC 8945
/// 5.3.1): the first must be signed; later ones may come unsigned, at most 99
/// in a row, and are then covered by the next signed one. After a failure
/// every further call returns the same failure.
class TsigStreamVerifier {
 public:
  /// `key` must outlive the verifier; `request_mac` is the MAC of our request.
  TsigStreamVerifier(const TsigKey& key, std::vector<uint8_t> request_mac);
  /// ok for a verified signed message and for an acceptable unsigned one.
  TsigStatus next(const MessageView& msg, uint64_t now);
  /// True when no message failed and the last one was signed: the transfer
  /// may be used only then.
  bool complete() const { return status_ == TsigStatus::ok && last_signed_; }

  static constexpr int kMaxUnsigned = 99;

 private:
  const TsigKey* key_;
  std::vector<uint8_t> prior_mac_;
  std::vector<uint8_t> unsigned_;
  int unsigned_count_ = 0;
  bool first_ = true;
  bool last_signed_ = false;
  TsigStatus status_ = TsigStatus::ok;
};

/// Seconds since the epoch from the system clock (TSIG's notion of now).
uint64_t tsig_now();

}  // namespace namae::dns
