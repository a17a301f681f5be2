// mDNS messages as the protocol logic sees them: questions with their QU bit,
// records with their cache-flush bit and rdata decompressed. Parsing goes
// through dns::MessageView (every count, pointer and rdata checked), so a
// malformed packet is one clean error and never reaches the state machines.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dns/message.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "dns/record.h"
#include "dns/rrtype.h"

namespace namae::mdns {

/// The top bit of the class field: QU in questions, cache-flush in records (RFC 6762 5.4, 10.2).
inline constexpr uint16_t kTopBit = 0x8000;
/// UDP port of mDNS (RFC 6762 3).
inline constexpr uint16_t kPort = 5353;
/// Monotonic milliseconds. The protocol logic never reads a clock: callers pass `now`.
using Millis = int64_t;

/// One resource record owned or cached by mDNS: the shared record (class
/// without the top bit) and what mDNS adds to it.
struct Record : dns::Record {
  /// Unique (RFC 6762 2: one host owns the name and type; probed, sent with
  /// the cache-flush bit) or shared (PTR of DNS-SD, several answers normal).
  bool unique = false;
};

/// A question with its unicast-response bit split off.
struct Question {
  dns::Name name;
  uint16_t type = 0;
  uint16_t rclass = dns::rrclass::IN;
  bool unicast_response = false;  // QU (RFC 6762 5.4)

  /// True if `r` answers this question (type/class ANY match everything).
  bool matches(const Record& r) const;
};

/// A parsed mDNS message. `unique` of a parsed record carries its cache-flush bit.
struct Message {
  dns::Header header;
  std::vector<Question> questions;
  std::vector<Record> answers, authority, additional;

  bool is_query() const { return !header.qr; }
};

/// Parse `wire`. Messages with an opcode other than QUERY or a non-zero rcode
/// are rejected too (RFC 6762 18.3, 18.11: silently ignored).
dns::WireError parse_message(std::span<const uint8_t> wire, Message& out);

/// Writes mDNS messages, starting a new packet (TC set on the previous one
/// when asked) whenever the next record would not fit.
class PacketWriter {
 public:
  /// `limit`: largest packet (RFC 6762 17: 9000 at most; we use the Ethernet MTU's payload).
  explicit PacketWriter(size_t limit = 1440) : limit_(limit) {}

  /// Header fields copied into every packet (id, qr, aa; tc on the last one
  /// as given, the writer sets it on the others when it splits a query).
  dns::Header header;
  /// Clear the cache-flush bit and cap TTLs (legacy unicast replies, RFC 6762 6.7).
  bool legacy = false;
  uint32_t ttl_cap = 0;  // 0: no cap

  /// Add a question (all questions must come before records).
  void question(const Question& q);
  /// Add a record to `section` (answer, authority or additional); `ttl` overrides r.ttl.
  void record(dns::Section section, const Record& r, uint32_t ttl);
  void record(dns::Section section, const Record& r) { record(section, r, r.ttl); }
  /// Known-answer records of a query: when they overflow, TC is set on the
  /// packet and they continue in the next one (RFC 6762 7.2).
  void known_answer(const Record& r, uint32_t ttl) { record(dns::Section::answer, r, ttl); }

  /// The packets written (empty if nothing was added).
  std::vector<std::vector<uint8_t>> finish();

 private:
  struct Entry {
    dns::Section section;
    Record rec;
    uint32_t ttl;
  };
  std::vector<Question> questions_;
  std::vector<Entry> records_;
  size_t limit_;
};

}  // namespace namae::mdns
