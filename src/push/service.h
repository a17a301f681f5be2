// DNS Push Notifications (RFC 8765) over DNS Stateful Operations sessions
// (RFC 8490, push/session.h): subscriptions to a name, type and class in a
// served zone, answered at once with what is there and then with every
// change as the versions that carry it are published.
//
// A subscription watches one (name, type, class); sessions subscribing to
// the same one share its watch, which remembers the records last pushed.
// When a zone publishes (ZoneManager's observer, whatever the cause), every
// watch of that zone re-reads its records from the current snapshot (not
// the version passed along: observers of two publishes may run out of
// order, the snapshot never goes back) and pushes the difference: new or
// re-TTLed records as adds, vanished records as removals (TTL 0xFFFFFFFF),
// a type that vanished whole as one RRset removal (TTL 0xFFFFFFFE).
//
// The transport sees none of this: messages go out through each session's
// ReplyChannel (push, hold, close; net/handler.h) from whichever thread
// caused them, and the transport tells the handler when a connection
// closes. One mutex guards everything; nothing in here blocks on I/O.
//
// Encryption padding (RFC 8490 7.3): a request that carries an Encryption
// Padding TLV gets a padded response (a MUST, as for EDNS(0) padding), and
// once a client has padded anything, what the server sends it unasked is
// padded too; both to RFC 8467 4.1's 468-octet blocks. A client that never
// pads is not padded at: push-listen is TLS-only, and padding is its
// client's choice of cost.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "dns/dso.h"
#include "dns/record.h"
#include "net/handler.h"
#include "push/session.h"
#include "zone/zone_set.h"

namespace namae::push {

/// Names whose records come from somewhere other than the zones (the
/// DNS-SD discovery proxy's domains, RFC 8766 5.6): subscriptions to them
/// are answered from here, and the source says when records changed
/// (PushService::source_changed).
class RecordSource {
 public:
  virtual ~RecordSource() = default;
  virtual bool covers(const dns::Name& name) const = 0;
  /// The records answering `q` now.
  virtual std::vector<dns::Record> records(const dns::dso::Question& q) = 0;
  /// Someone subscribed to `q` / the last subscriber left: a source that
  /// must ask for its records keeps asking in between.
  virtual void watch(const dns::dso::Question& q) = 0;
  virtual void unwatch(const dns::dso::Question& q) = 0;
  /// A client's RECONFIRM of `r` (RFC 8765 6.5): a source that caches what
  /// it is told (the proxy's link) checks it with its origin. Default: nothing.
  virtual void reconfirm(const dns::Record& r) { (void)r; }
};

struct PushOptions {
  SessionTimers timers;
  size_t max_subscriptions = 1024;  // per session; one more is REFUSED
  bool operator==(const PushOptions&) const = default;
};

/// What /metrics shows of the service.
struct PushStats {
  size_t sessions = 0, subscriptions = 0;
  size_t watches = 0, zones_watched = 0;  // shared watches, zones with one (tests: nothing left behind)
  uint64_t subscribed = 0;  // SUBSCRIBEs answered NOERROR
  uint64_t refused = 0;     // SUBSCRIBEs over max_subscriptions
  uint64_t pushes = 0;      // PUSH messages sent (one per session it went to)
};

class PushService {
 public:
  PushService(const zone::ZoneSetHolder& zones, PushOptions options, const Clock& clock = system_clock());
  ~PushService();
  PushService(const PushService&) = delete;
  PushService& operator=(const PushService&) = delete;

  /// One DSO message from a stream connection (its transport's thread):
  /// the reply's length in `response`, or 0 for none.
  size_t receive(std::span<const uint8_t> msg, std::span<uint8_t> response, const net::Peer& peer);
  /// The connection `conn` closed: its session and subscriptions go.
  void closed(uint64_t conn);
  /// A version of zone `origin` was published (any thread).
  void zone_changed(const dns::Name& origin);
  /// Serve the names `source` covers (before start(); it must outlive the service).
  void add_source(RecordSource* source) { sources_.push_back(source); }
  /// Records at `owner` of a source changed (any thread not holding a lock
  /// the source takes in records()).
  void source_changed(const dns::Name& owner);
  /// Close the sessions whose client broke the timers (RFC 8490 6.4, 6.5),
  /// and end those subscribed in a zone no longer served (a reconfigure
  /// removed it): a Retry Delay of 0 with NOTAUTH (RFC 8490 7.2.1) and the
  /// close, their subscriptions gone at once.
  void tick();
  /// New limits and timers (a reconfigure): the limit applies to later
  /// SUBSCRIBEs; new timers go to every established session in a Keepalive
  /// message of the server's own (RFC 8490 7.1).
  void set_options(const PushOptions& options);

  /// Run tick() on a thread of its own, four times a second.
  void start();
  /// Stop that thread; tell every session to go away for `retry_delay_ms`
  /// (a Retry Delay message, RFC 8490 7.2) and close it.
  void shutdown(uint32_t retry_delay_ms);

  size_t sessions() const;
  size_t subscriptions() const;
  PushStats stats() const;

 private:
  using WatchKey = std::tuple<dns::Name, uint16_t, uint16_t>;  // name, type, class
  struct Watch {
    dns::dso::Question q;
    std::vector<dns::Record> current;  // as last pushed
    std::set<std::pair<uint64_t, uint16_t>> subscribers;  // (connection, SUBSCRIBE id)
    RecordSource* source = nullptr;  // not a zone's
    dns::Name zone;                  // the zone's origin (a zone's watch)
  };
  struct Session {
    DsoSession dso;
    net::ReplyChannel channel;
    std::map<uint16_t, WatchKey> subscriptions;  // by SUBSCRIBE MESSAGE ID (RFC 8765 6.4)
    bool dead = false;                           // closing: later messages are ignored
  };

  size_t act(Session& s, uint64_t conn, const Verdict& v, const dns::dso::Message& m, std::span<uint8_t> response);
  size_t operation(Session& s, uint64_t conn, const dns::dso::Message& m, std::span<uint8_t> response);
  // Not an rcode: the session ends without an answer.
  static constexpr uint16_t kAbort = 0xFFFF;
  uint16_t subscribe(Session& s, uint64_t conn, uint16_t id, const dns::dso::Question& q);
  void unsubscribe(Session& s, uint64_t conn, uint16_t id);
  void reconfirm(Session& s, const dns::Record& r);
  void drop_session(uint64_t conn);
  void end_removed_zones();
  // Server-initiated messages, padded for a client that pads (RFC 8490 7.3).
  void send(Session& s, const std::vector<uint8_t>& msg);
  size_t reply(dns::dso::Writer& w, const dns::dso::Message& request, std::span<uint8_t> response) const;
  void push_changes(const Watch& w, const std::vector<dns::dso::PushRecord>& changes, uint64_t only_conn = 0);
  std::vector<dns::Record> read_records(const zone::ZoneSet& zones, const dns::dso::Question& q) const;
  RecordSource* source_of(const dns::Name& name) const;
  void refresh(Watch& w, std::vector<dns::Record> now);

  const zone::ZoneSetHolder& zones_;
  PushOptions options_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, Session> sessions_;
  std::map<WatchKey, Watch> watches_;
  std::map<dns::Name, std::set<WatchKey>> by_zone_;  // zone origin -> its watches
  std::vector<RecordSource*> sources_;
  size_t subscriptions_ = 0;
  uint64_t subscribed_ = 0, refused_ = 0, pushes_ = 0;

  std::thread ticker_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
};

/// The push listener's handler (one per transport worker): DSO messages
/// go to the service, every other message to `inner` (the authoritative
/// engine), so a push client may also query the zones it watches.
class PushHandler : public net::QueryHandler {
 public:
  PushHandler(PushService& service, std::unique_ptr<net::QueryHandler> inner)
      : service_(service), inner_(std::move(inner)) {}
  void begin_batch() override { inner_->begin_batch(); }
  void end_batch() override { inner_->end_batch(); }
  size_t handle(std::span<const uint8_t> query, std::span<uint8_t> response, const net::Peer& peer) override;
  std::unique_ptr<net::ResponseStream> take_stream() override { return inner_->take_stream(); }
  void closed(const net::Peer& peer) override { service_.closed(peer.conn); }

 private:
  PushService& service_;
  std::unique_ptr<net::QueryHandler> inner_;
};

}  // namespace namae::push
