// The mDNS responder of one link (RFC 6762 6-10): owns groups of records,
// probes their unique names, announces them, answers queries with the right
// delays and destinations, defends and renames on conflict, and says goodbye.
//
// No sockets, no clock: packets come in through receive(), time through the
// `now` arguments, and the owner calls tick() at next_timer().
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "mdns/packet.h"
#include "mdns/transport.h"

namespace namae::mdns {

/// Builds a group's records for a naming attempt: 1 is the configured name,
/// 2, 3, ... the renamed ones after conflicts ("host-2", "Name (2)").
using RecordMaker = std::function<std::vector<Record>(int attempt)>;

/// Identifies a group inside one Responder.
using GroupId = uint64_t;

/// Where a group stands.
enum class GroupState { probing, announcing, established, withdrawn };

/// Tunables (RFC values by default; tests may shorten nothing, time is fake).
struct ResponderOptions {
  int probes = 3;                   // RFC 6762 8.1
  Millis probe_interval = 250;      // RFC 6762 8.1
  int announcements = 2;            // RFC 6762 8.3: at least two
  Millis announce_interval = 1000;  // RFC 6762 8.3
  /// Per-source query budget (token bucket): `burst` at once, `per_second` sustained.
  double rate_burst = 30;
  double rate_per_second = 15;
  /// Conflicts in 10 s after which probing waits 5 s (RFC 6762 8.1).
  int conflict_limit = 15;
};

/// Counters for status output and tests.
struct ResponderStats {
  uint64_t queries = 0, answered = 0, rate_limited = 0, off_link = 0, conflicts = 0;
};

class Responder {
 public:
  Responder(Transport& transport, Rng& rng, ResponderOptions options = {});

  /// Called when a group changes state or name (after a conflict).
  std::function<void(GroupId, GroupState, int attempt, const std::vector<Record>&)> on_state;

  /// Publish a group; its unique records are probed first (RFC 6762 8.1).
  GroupId add(RecordMaker make, Millis now);
  /// Withdraw a group: goodbye packets (TTL 0) for what was announced (RFC 6762 10.1).
  void remove(GroupId id, Millis now);
  /// Give a group new records (an interface's addresses changed): goodbyes
  /// only for records that are gone, then the new set is probed and announced.
  void replace(GroupId id, RecordMaker make, Millis now);
  /// Goodbyes for every group (shutdown).
  void remove_all(Millis now);

  /// Feed one received packet (already parsed).
  void receive(const Message& msg, const Source& from, Millis now);
  /// Run what is due at `now`.
  void tick(Millis now);
  /// When tick() next has something to do (max() when nothing is pending).
  Millis next_timer() const;

  GroupState state(GroupId id) const;
  /// The group's current records (after renames).
  std::vector<Record> records(GroupId id) const;
  const ResponderStats& stats() const { return stats_; }

  static constexpr Millis kNever = std::numeric_limits<Millis>::max();

 private:
  struct Owned {
    Record rec;
    Millis last_multicast = -1000000;
    Millis pending = kNever;  // a scheduled multicast answer
  };
  struct Group {
    GroupId id = 0;
    RecordMaker make;
    int attempt = 1;
    std::vector<Owned> recs;
    GroupState state = GroupState::probing;
    int sent = 0;           // probes or announcements sent in this state
    Millis next = kNever;   // next probe/announcement
    bool announced = false; // something was multicast (so goodbyes are due)
  };
  struct Bucket {
    double tokens;
    Millis at;
  };

  void start_probing(Group& g, Millis now, Millis delay);
  void rename(Group& g, Millis now);
  void send_probe(Group& g);
  void send_announcement(Group& g, Millis now);
  void send_goodbye(const Group& g);
  void handle_query(const Message& msg, const Source& from, Millis now);
  void handle_response(const Message& msg, Millis now);
  bool probe_conflict(const Group& g, const dns::Name& name, const std::vector<Record>& theirs) const;
  bool allow(const Source& from, Millis now);
  void add_additionals(PacketWriter& w, const std::vector<const Owned*>& answers) const;
  void notify(const Group& g);
  bool answerable(const Group& g) const { return g.state == GroupState::announcing || g.state == GroupState::established; }

  Transport& transport_;
  Rng& rng_;
  ResponderOptions opt_;
  std::map<GroupId, Group> groups_;
  GroupId next_id_ = 1;
  std::unordered_map<std::string, Bucket> buckets_;
  std::vector<Millis> conflict_times_;
  ResponderStats stats_;
};

}  // namespace namae::mdns
