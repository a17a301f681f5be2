// DNS Stateful Operations messages (RFC 8490) and the TLVs of DNS Push
// Notifications (RFC 8765): parsing and building only. What a session does
// with them (establishment, timers, subscriptions) lives with its owner.
//
// A DSO message is a DNS header with opcode 6 and all four counts zero
// (RFC 8490 5.4), followed by TLVs: a 16-bit DSO-TYPE, a 16-bit DSO-LENGTH
// and that many octets. The first TLV of a request or unidirectional
// message is its primary TLV, the rest additional TLVs (RFC 8490 5.4.1);
// a response may carry no TLV at all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dns/message.h"
#include "dns/name.h"
#include "dns/record.h"

namespace namae::dns::dso {

/// DSO-TYPEs (RFC 8490 10.3, RFC 8765 10.2).
namespace tlv {
inline constexpr uint16_t KEEPALIVE = 1, RETRY_DELAY = 2, PADDING = 3;
inline constexpr uint16_t SUBSCRIBE = 0x40, PUSH = 0x41, UNSUBSCRIBE = 0x42, RECONFIRM = 0x43;
}  // namespace tlv

/// RFC 8765 6.3.1: the TTLs that mark a PUSH record as a removal.
inline constexpr uint32_t kRemoveRecord = 0xFFFFFFFF;      // this one RR
inline constexpr uint32_t kRemoveCollective = 0xFFFFFFFE;  // an RRset (TYPE) or every RRset (TYPE ANY)

/// More additional TLVs than any defined use needs: a message with more is
/// refused rather than walked.
inline constexpr size_t kMaxTlvs = 64;

/// RFC 8490 8.1: what the QR bit and the MESSAGE ID make of a message.
enum class Kind : uint8_t { request, response, unidirectional };

struct Tlv {
  uint16_t type = 0;
  std::span<const uint8_t> data;  // a view into the message
};

struct Message {
  Header header;
  Kind kind = Kind::request;
  std::vector<Tlv> tlvs;  // tlvs[0] is the primary TLV, if any
  const Tlv* primary() const { return tlvs.empty() ? nullptr : &tlvs.front(); }
};

/// Why a message is not a well-formed DSO message; each is FORMERR (or, for
/// a response or unidirectional message, a fatal session error).
enum class Error : uint8_t {
  ok = 0,
  short_header,   // fewer than 12 octets
  not_dso,        // opcode is not 6
  nonzero_count,  // RFC 8490 5.4: QDCOUNT, ANCOUNT, NSCOUNT and ARCOUNT MUST be zero
  response_no_id, // RFC 8490 8.1: QR=1 with MESSAGE ID zero
  truncated_tlv,  // a TLV header or its data runs past the end
  no_primary,     // a request or unidirectional message without a TLV
  too_many_tlvs,
};
const char* error_text(Error e);

/// Split `msg` into its header and TLVs (views into `msg`).
Error parse(std::span<const uint8_t> msg, Message& out);

/// RFC 8490 7.1: both values in milliseconds.
struct Keepalive {
  uint32_t inactivity_ms = 0;
  uint32_t interval_ms = 0;
};
bool read_keepalive(std::span<const uint8_t> data, Keepalive& out);  // exactly 8 octets
bool read_retry_delay(std::span<const uint8_t> data, uint32_t& ms);  // exactly 4 octets

/// RFC 8765 6.2: SUBSCRIBE's name (uncompressed), type and class.
struct Question {
  Name name;
  uint16_t type = 0;
  uint16_t rclass = rrclass::IN;
  bool operator==(const Question&) const = default;
};
bool read_subscribe(std::span<const uint8_t> data, Question& out);
/// RFC 8765 6.4: the MESSAGE ID of the SUBSCRIBE being cancelled.
bool read_unsubscribe(std::span<const uint8_t> data, uint16_t& id);
/// RFC 8765 6.5: name, type, class and rdata (the rest of the TLV); the
/// record's TTL is 0. The rdata must be valid for its type.
bool read_reconfirm(std::span<const uint8_t> data, Record& out);

/// One change of a PUSH TLV (RFC 8765 6.3.1).
enum class Change : uint8_t {
  add,            // a record (with its TTL)
  remove,         // this record (TTL 0xFFFFFFFF)
  remove_rrset,   // every record of record.type (TTL 0xFFFFFFFE, no rdata)
  remove_name,    // every record of the name (type ANY, TTL 0xFFFFFFFE, no rdata)
};
struct PushRecord {
  Change change = Change::add;
  Record record;
};
/// Every change of a PUSH TLV's data; false if any is malformed (a bad
/// name, a record running past the end, rdata invalid for its type, a
/// removal TTL with the wrong shape).
bool read_push(std::span<const uint8_t> data, std::vector<PushRecord>& out);

/// Builds one DSO message. TLVs are appended in order; a message never
/// passes 65535 octets (a TLV that would is refused and leaves the message
/// as it was).
class Writer {
 public:
  /// A request (id != 0), a response (`response`) or a unidirectional
  /// message (id 0, not a response).
  Writer(uint16_t id, bool response, uint8_t rcode = 0);

  bool tlv(uint16_t type, std::span<const uint8_t> data);
  bool keepalive(const Keepalive& k);
  bool retry_delay(uint32_t ms);
  bool subscribe(const Question& q);
  bool unsubscribe(uint16_t id);
  bool reconfirm(const Record& r);
  /// RFC 8467-style padding for the encryption padding TLV: `n` zero octets.
  bool padding(size_t n);
  /// Keep the message at most `n` octets (room left for padding added later).
  void limit(size_t n) { limit_ = n < kMaxMessage ? n : kMaxMessage; }

  /// A PUSH TLV built change by change: push_change() returns false, and
  /// writes nothing, when the change would not fit (send this message and
  /// start another). end_push() closes the TLV.
  void begin_push();
  bool push_change(const PushRecord& change);
  void end_push();

  size_t size() const { return buf_.size(); }
  std::vector<uint8_t> take() { return std::move(buf_); }

 private:
  bool fits(size_t n) const { return buf_.size() + n <= limit_; }
  std::vector<uint8_t> buf_;
  size_t limit_ = kMaxMessage;
  size_t open_ = 0;  // offset of the open PUSH TLV's header (0: none)
};

/// RFC 8467 4.1's block-length padding of a server's messages.
inline constexpr size_t kServerPaddingBlock = 468;
/// Append an Encryption Padding TLV (RFC 8490 7.3) that brings `msg` (a
/// whole DSO message) to a multiple of `block` octets; as close to it as
/// fits under 65535 octets, or nothing if not even the TLV's 4 octets do.
void pad_to_block(std::vector<uint8_t>& msg, size_t block = kServerPaddingBlock);

}  // namespace namae::dns::dso
