// The reader of zone transfer responses: fed the messages of one AXFR or
// IXFR response in order, it yields what the primary sent, checked, with no
// I/O (the client does the network, the secondary decides what to do with
// the result; tests/fuzz/fuzz_xfr feeds it arbitrary messages).
//
// Shapes (RFC 1995 4, RFC 5936 2.2):
//  - full zone: SOA(n), the zone's records, SOA(n) again; an AXFR, or an
//    IXFR the primary answers AXFR-style;
//  - incremental: SOA(n), then per step SOA(old) removals SOA(new) additions,
//    the steps chained old -> new, the last ending at n, then SOA(n);
//  - up to date: an IXFR answered by one message holding only SOA(n)
//    (RFC 1995 2: the client's serial is not older, or "use TCP"): the
//    secondary compares the serial itself.
// Every message must carry the request's ID, QR, opcode QUERY, NOERROR (any
// other rcode ends the transfer and is kept so the client can fall back
// from IXFR to AXFR), no TC and an empty authority section; its question, if
// any (the first message must have one, RFC 5936 2.2.1), must be the
// request's. Every record must be of the zone's class and at or below its
// origin: one record outside it throws the whole transfer away.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dns/message.h"
#include "dns/name.h"
#include "dns/record.h"
#include "zone/zone.h"

namespace namae::xfr {

/// What was asked: the reader checks every message against it.
struct XfrQuestion {
  uint16_t id = 0;
  dns::Name zone;
  uint16_t qtype = dns::rrtype::AXFR;  // AXFR or IXFR
  uint16_t rclass = dns::rrclass::IN;
};

/// Bounds on one transfer, so a primary cannot make us hold without end.
struct XfrLimits {
  size_t max_messages = 1 << 20;
  size_t max_records = 50'000'000;
};

/// One IXFR step (RFC 1995 4): the version `serial_from` becomes
/// `serial_to` by removing then adding the diff's records; the old SOA is
/// among the removals and the new one among the additions, as the journal
/// stores a change.
struct XfrStep {
  uint32_t serial_from = 0;
  uint32_t serial_to = 0;
  zone::ZoneDiff diff;
};

/// What a finished transfer gave.
struct XfrResult {
  enum class Kind : uint8_t { full, incremental, up_to_date };
  Kind kind = Kind::full;
  uint32_t serial = 0;               // the primary's serial (the first SOA)
  std::vector<dns::Record> records;  // full: every record, the SOA once and first
  std::vector<XfrStep> steps;        // incremental: in order
};

/// Reads one transfer response message by message.
class XfrReader {
 public:
  enum class Status : uint8_t { more, done, error };

  explicit XfrReader(XfrQuestion question, XfrLimits limits = {});

  /// Take the next message (already parsed). `more` until the closing SOA
  /// has been read; `done` then; `error` for anything wrong (error() says
  /// what), and every later call returns `error` too.
  Status feed(const dns::MessageView& msg);

  Status status() const { return status_; }
  const std::string& error() const { return error_; }
  /// The rcode of a response that ended the transfer with one (NOTIMP,
  /// REFUSED, NOTAUTH...), else 0.
  uint16_t rcode() const { return rcode_; }
  size_t messages() const { return messages_; }
  size_t records() const { return records_; }
  /// The result, once feed() returned `done`. Whether an IXFR's first step
  /// starts at the secondary's serial is the secondary's question.
  XfrResult take() { return std::move(result_); }

 private:
  // Where the next record of the stream goes (one handler per state).
  enum class State : uint8_t { first_soa, second, full, removals, additions, finished };

  Status fail(std::string why);
  Status check_header(const dns::MessageView& msg);
  Status check_question(const dns::MessageView& msg);
  Status read_record(const dns::MessageView& msg, const dns::RecordView& rr);
  Status on_first_soa(dns::Record rec);
  Status on_second(dns::Record rec);
  Status on_full(dns::Record rec);
  Status on_removal(dns::Record rec);
  Status on_addition(dns::Record rec);
  bool is_soa(const dns::Record& rec) const;

  XfrQuestion q_;
  XfrLimits limits_;
  State state_ = State::first_soa;
  Status status_ = Status::more;
  std::string error_;
  uint16_t rcode_ = 0;
  size_t messages_ = 0;
  size_t records_ = 0;
  dns::Record first_soa_;
  XfrResult result_;
};

}  // namespace namae::xfr
