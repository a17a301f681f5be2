// The messages of an outgoing zone transfer, pulled one at a time by the TCP
// transport (net::ResponseStream). AxfrStream walks an immutable ZoneVersion
// (RFC 5936 2.2: the SOA first and last, every RR once in between); IxfrStream
// sends journal differences (RFC 1995 4: the new SOA, then per serial step
// the old SOA, what was deleted, the new SOA, what was added, and the new SOA
// again). Each message holds as many RRs as fit in 64 KiB with name
// compression; the question only in the first one (RFC 5936 2.2.1 allows it
// in each); TSIG on every one when the request was signed (RFC 8945 5.3.1).
//
// The stream holds the version it started from (shared_ptr), so updates
// published meanwhile neither wait for the transfer nor change what it sends.
// AXFR generation allocates nothing per record: nodes are read in place and
// written straight into the transport's buffer by dns::MessageBuilder.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "dns/message.h"
#include "dns/tsig.h"
#include "net/handler.h"
#include "update/journal.h"
#include "zone/zone.h"

namespace namae::xfr {

/// What every message of one answer repeats from the request.
struct Envelope {
  uint16_t id = 0;
  bool rd = false;
  std::vector<uint8_t> qname;  // uncompressed, in the client's letter case
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  bool edns = false;
  uint16_t udp_size = 1232;  // advertised in our OPT
  /// Set when the request was signed and verified: every message is signed.
  std::optional<dns::TsigKey> key;
  std::vector<uint8_t> request_mac;
  /// Counts octets sent (nullptr: not counted).
  std::atomic<uint64_t>* bytes = nullptr;
};

/// The envelope of every message; subclasses supply the records.
class TransferStream : public net::ResponseStream {
 public:
  explicit TransferStream(Envelope env);
  size_t next(std::span<uint8_t> out) override;
  /// True once the last message has been written (or the stream failed).
  bool done() const { return done_; }
  /// Octets of the messages written so far.
  uint64_t bytes() const { return bytes_; }

 protected:
  /// Write records into the answer section until one does not fit (false:
  /// the same record goes first into the next message) or there are none
  /// left (true).
  virtual bool fill(dns::MessageBuilder& b) = 0;

 private:
  Envelope env_;
  std::optional<dns::TsigStreamSigner> signer_;  // refers to env_.key
  size_t tsig_size_ = 0;
  bool first_ = true;
  bool done_ = false;
  uint64_t bytes_ = 0;
};

/// A full zone, AXFR-style (also IXFR's full answer, RFC 1995 4).
class AxfrStream : public TransferStream {
 public:
  AxfrStream(Envelope env, std::shared_ptr<const zone::ZoneVersion> zone);

 protected:
  bool fill(dns::MessageBuilder& b) override;

 private:
  // Moves to the next RRset with records, skipping the apex SOA (sent first
  // and last); false at the end of the zone.
  bool advance();

  enum class Phase : uint8_t { first_soa, records, last_soa, end };
  std::shared_ptr<const zone::ZoneVersion> zone_;
  Phase phase_ = Phase::first_soa;
  size_t node_ = 0;
  zone::Node::Cursor rrsets_{nullptr, 0};
  zone::RRsetView set_;
  zone::RRsetView::Cursor rdatas_{nullptr, nullptr};
  std::span<const uint8_t> owner_;  // the current node's, in the version held
  bool new_owner_ = true;            // owner_ not yet written in this message
};

/// The differences from a client's serial to the version served (RFC 1995 4,
/// condensed per journal entry, not across entries).
class IxfrStream : public TransferStream {
 public:
  /// `entries` lead from the client's serial to `zone`'s, each changing the serial.
  IxfrStream(Envelope env, std::shared_ptr<const zone::ZoneVersion> zone,
             std::vector<update::JournalEntry> entries);
  /// False when an entry lacked its SOAs (send the zone instead).
  bool valid() const { return !order_.empty(); }

 protected:
  bool fill(dns::MessageBuilder& b) override;

 private:
  std::shared_ptr<const zone::ZoneVersion> zone_;
  std::vector<update::JournalEntry> entries_;
  std::vector<const dns::Record*> order_;  // the answer, in sending order
  dns::Record soa_;                         // the served version's SOA
  size_t pos_ = 0;
};

/// The answer's order of an IXFR from `entries` ending at `soa`: each entry's
/// old SOA, deletions, new SOA, additions, between `soa` first and last.
/// Empty when an entry lacks either SOA (the caller then sends the zone).
std::vector<const dns::Record*> ixfr_order(const std::vector<update::JournalEntry>& entries,
                                           const dns::Record& soa);

}  // namespace namae::xfr
