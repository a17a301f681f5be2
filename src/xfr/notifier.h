// Outgoing NOTIFY (RFC 1996): after a zone gets a new version, tell each of
// its `notify` targets that the SOA changed, so secondaries refresh now
// instead of at the next SOA refresh timer.
//
// Two rooms, as src/mdns has them:
// - Notifier: the protocol with no I/O. It is told about new versions
//   (zone_changed), answers (receive) and time (tick, read from a Clock), and
//   hands finished datagrams to a NotifySink. Unit tests drive it with a
//   FakeClock and a recording sink.
// - NotifyService (notify_service.h): the socket and the thread.
//
// Per (zone, target) at most one NOTIFY is in flight (RFC 1996 3.6 has the
// primary resend it until a matching answer comes or it gives up). A newer
// version while one is in flight is remembered, not sent: when the in-flight
// one is answered, the newest SOA goes out once. A burst of 1,000 updates thus
// gives one NOTIFY in flight plus one for the last serial, not 1,000.
// A flight left unanswered past `supersede_after_ms` (the target was down or
// the datagram lost) is no reason to hold a newer serial back for the whole
// retry schedule: the newer version goes out at once, and every resend
// carries the newest serial, within the same schedule of tries.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "dns/message.h"
#include "dns/name.h"
#include "dns/record.h"
#include "net/address.h"
#include "net/metrics.h"
#include "xfr/remote.h"
#include "zone/zone.h"

namespace namae::xfr {

/// Where the Notifier's datagrams go (the socket, or a test's recorder).
class NotifySink {
 public:
  virtual ~NotifySink() = default;
  virtual void send(const net::Endpoint& to, std::span<const uint8_t> wire) = 0;
};

/// Retry schedule (RFC 1996 3.6 leaves it to the implementation; BIND and
/// Knot retry a few times over tens of seconds).
struct NotifyOptions {
  int64_t first_retry_ms = 1000;  // wait after the first send; doubles after each retry
  int64_t max_retry_ms = 16000;   // the wait never grows past this
  int tries = 5;                  // sends in total before giving up
  // An answer on loopback or a LAN takes well under this; a flight older than
  // this is presumed lost and a newer version replaces it at once.
  int64_t supersede_after_ms = 100;
};

/// Totals since start (also added to the MetricsRegistry when one is set).
struct NotifyStats {
  uint64_t sent = 0;      // datagrams, retries included
  uint64_t answered = 0;  // NOTIFYs answered NOERROR
  uint64_t failed = 0;    // given up after every try, or answered with an error rcode
};

/// A NOTIFY message: opcode NOTIFY, AA, question (zone, SOA, IN) and the
/// zone's SOA in the answer section (RFC 1996 3.7), TSIG-signed with `key`
/// at `now` when given. `mac_out` receives the request MAC.
Result<std::vector<uint8_t>> make_notify(const dns::Name& zone, const dns::Record& soa, uint16_t id,
                                         const std::optional<dns::TsigKey>& key, uint64_t now,
                                         std::vector<uint8_t>* mac_out);

/// The apex SOA of `v` as a record.
dns::Record soa_record(const zone::ZoneVersion& v);

class Notifier {
 public:
  using IdSource = std::function<uint16_t()>;
  /// `ids` gives message IDs (random in the daemon, RFC 5452 9.2).
  Notifier(const Clock& clock, NotifySink& sink, NotifyOptions options, IdSource ids,
           LogSink log = {});

  /// The targets of `zone` (replacing any earlier list; empty: none).
  void set_targets(const dns::Name& zone, std::vector<Remote> targets);
  /// True when `zone` has targets.
  bool has_targets(const dns::Name& zone) const;
  /// How many targets `zone` has.
  size_t target_count(const dns::Name& zone) const;
  /// A new version of `zone` whose SOA is `soa`: notify every target now, or
  /// after the NOTIFY in flight to it ends. A serial a target was already
  /// sent (or has pending) is not sent again unless `force` (`ctl zone
  /// notify`): a secondary acts only on a newer serial (RFC 1996), and a
  /// journal replay at start republishes the loaded serial. Returns the
  /// number of targets.
  size_t zone_changed(const dns::Name& zone, const dns::Record& soa, bool force = false);
  /// A datagram that arrived on the NOTIFY socket from `from`. Anything that
  /// is not the answer to a NOTIFY in flight (ID, source, opcode, QR, zone,
  /// TSIG when the NOTIFY was signed) is ignored.
  void receive(std::span<const uint8_t> wire, const net::Endpoint& from);
  /// Resend what is due, give up on what has had every try.
  void tick();
  /// When tick() has something to do next (Clock::now_ms), if anything.
  std::optional<int64_t> next_timer() const;
  /// NOTIFYs in flight (for tests and status).
  size_t in_flight() const;

  const NotifyStats& stats() const { return stats_; }
  /// Also count into these process-wide counters.
  void set_metrics(net::MetricsRegistry* m) { metrics_ = m; }

 private:
  struct Flight {
    uint16_t id = 0;
    uint32_t serial = 0;
    std::vector<uint8_t> wire;
    std::vector<uint8_t> mac;  // request MAC, when signed
    int sent = 0;
    int64_t next_at = 0;  // resend or give up at this time
    int64_t wait = 0;     // the wait that follows the next send
    int64_t last_sent = 0;
  };
  struct Peer {
    dns::Name zone;
    Remote target;
    std::optional<Flight> flight;
    std::optional<dns::Record> pending;  // newest SOA waiting for the flight to end
    std::optional<uint32_t> last_serial;  // of the newest NOTIFY started or pending
  };
  void start(Peer& p, const dns::Record& soa);
  bool renew(Peer& p, const dns::Record& soa);
  void send(Peer& p);
  void finish(Peer& p);
  bool answers(const Peer& p, const dns::MessageView& msg, const net::Endpoint& from) const;
  void count(uint64_t NotifyStats::*field);
  std::string describe(const Peer& p) const;

  const Clock& clock_;
  NotifySink& sink_;
  NotifyOptions options_;
  IdSource ids_;
  LogSink log_;
  // Keyed by lower-case zone text; each zone's peers in target order.
  std::map<std::string, std::vector<Peer>> zones_;
  NotifyStats stats_;
  net::MetricsRegistry* metrics_ = nullptr;
};

}  // namespace namae::xfr
