// Query metrics that cost almost nothing on the packet path: every worker
// thread owns a WorkerMetrics block and is its only writer, so a bump is a
// relaxed load and store on a cache line no other thread writes (no locked
// read-modify-write, no contention). A scrape sums all blocks.
//
// What the transport records itself (it sees both packets): queries by qtype,
// responses by rcode, latency, drops. What a role records (only it knows):
// which zone answered, via zone_query() with a slot from zone_slot(). A role
// handler receives its worker's WorkerMetrics* from the daemon when it is
// created (the HandlerFactory in udp_server.h passes it).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace namae::net {

class MetricsRegistry;

/// A counter written by exactly one thread and read by scrapers.
class Counter {
 public:
  void add(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

/// Upper bounds (microseconds) of the latency histogram buckets; +Inf is implicit.
inline constexpr std::array<uint32_t, 12> kLatencyBucketsUs = {10,   25,   50,    100,   250,   500,
                                                               1000, 2500, 10000, 50000, 250000, 1000000};
/// Response rate limiting's classes (auth/rrl.h RrlClass, in its order).
inline constexpr std::array<std::string_view, 6> kRrlClassNames = {"answer",   "nxdomain", "nodata",
                                                                   "referral", "error",    "wildcard"};

/// Zone slots per registry; zones past this share the last slot ("other").
inline constexpr size_t kMaxZoneSlots = 1024;

/// Counters owned by one worker thread. Only that thread may call the bump
/// methods; anyone may read.
class alignas(64) WorkerMetrics {
 public:
  explicit WorkerMetrics(MetricsRegistry* registry) : registry_(registry) {}

  /// One answered query: its qtype (from the question, 0 if none), the
  /// response rcode (low 4 bits from the header), transport, and the time
  /// spent in the handler in nanoseconds.
  void query(uint16_t qtype, uint8_t rcode, bool tcp, uint64_t nanos) {
    (qtype < qtype_.size() - 1 ? qtype_[qtype] : qtype_.back()).add();
    rcode_[rcode & 15].add();
    (tcp ? tcp_ : udp_).add();
    uint64_t us = nanos / 1000;
    size_t b = 0;
    while (b < kLatencyBucketsUs.size() && us > kLatencyBucketsUs[b]) ++b;
    latency_[b].add();
    latency_sum_ns_.add(nanos);
  }
  /// A datagram or frame the handler declined to answer (malformed, a response...).
  void dropped() { dropped_.add(); }
  /// A query answered from the zone in `slot` (see MetricsRegistry::zone_slot).
  void zone_query(uint32_t slot) { zone_[slot < kMaxZoneSlots ? slot : kMaxZoneSlots - 1].add(); }

  /// A UDP response that rate limiting dropped or slipped (TC=1), by class
  /// (an index of kRrlClassNames).
  void rrl(bool slipped, size_t cls) {
    if (cls < kRrlClassNames.size()) rrl_[slipped][cls].add();
  }

  /// The registry this block belongs to (roles call zone_slot() through it at load time).
  MetricsRegistry* registry() const { return registry_; }

 private:
  friend class MetricsRegistry;
  MetricsRegistry* registry_;
  std::array<Counter, 257> qtype_{};  // [256] = qtype >= 256
  std::array<Counter, 16> rcode_{};
  std::array<Counter, kLatencyBucketsUs.size() + 1> latency_{};
  Counter latency_sum_ns_, udp_, tcp_, dropped_;
  std::array<Counter, kMaxZoneSlots> zone_{};
  std::array<std::array<Counter, kRrlClassNames.size()>, 2> rrl_{};  // [slipped][class]
};

/// Owns every worker's block and process-wide gauges; renders Prometheus text.
class MetricsRegistry {
 public:
  MetricsRegistry();

  /// A new per-thread block (stable address for the registry's lifetime).
  WorkerMetrics* add_worker();

  /// The slot for zone `name` (lower-case text form, no trailing dot needed);
  /// the same name always gets the same slot, across reloads. Takes a lock:
  /// call at zone load, not per query.
  uint32_t zone_slot(std::string_view name);

  /// DNS over TLS or over HTTPS listeners, and DNS Push's (DSO over TLS):
  /// connections (also counted as TCP), queries answered (Push: DSO and
  /// other messages received), and errors (a failed TLS handshake or
  /// connection, an HTTP request refused with a 4xx status).
  struct TlsStreamCounters {
    std::atomic<int64_t> open{0};
    std::atomic<uint64_t> accepted{0}, queries{0}, tls_errors{0}, http_errors{0};
  };
  TlsStreamCounters dot, doh, push;

  /// Gauges and counters owned by the transports and daemon, not per worker.
  std::atomic<int64_t> tcp_connections{0};
  std::atomic<uint64_t> tcp_accepted{0}, tcp_refused{0}, tcp_idle_closed{0}, tcp_slow_closed{0};
  std::atomic<uint64_t> reloads{0}, reload_failures{0};
  std::atomic<int64_t> zones_loaded{0};
  /// Outgoing NOTIFY (src/xfr/notifier.h): datagrams sent, answered, given up on.
  std::atomic<uint64_t> notify_sent{0}, notify_answered{0}, notify_failed{0};
  /// Outgoing zone transfers (cold path: one bump per transfer or message).
  std::atomic<uint64_t> xfr_out_axfr{0}, xfr_out_ixfr{0}, xfr_out_bytes{0}, xfr_out_refused{0};

  /// Sum of one counter over all workers, for tests and `status`.
  uint64_t total_queries() const;
  uint64_t total_dropped() const;

  /// The Prometheus text exposition (version 0.0.4) of everything above plus
  /// process basics (CPU seconds, resident memory, open fds, start time),
  /// then what each added renderer returns.
  std::string render() const;
  /// A role's own metrics (complete HELP/TYPE/sample lines), appended to
  /// render(). `fn` must stay callable for the registry's lifetime.
  void add_renderer(std::function<std::string()> fn);

 private:
  void render_rrl(std::string& o) const;  // with mu_ held
  void render_tls_streams(std::string& o) const;

  mutable std::mutex mu_;
  std::deque<WorkerMetrics> workers_;  // deque: addresses stay put as it grows
  std::unordered_map<std::string, uint32_t> zone_slots_;
  std::vector<std::string> zone_names_;
  std::vector<std::function<std::string()>> renderers_;
  double start_time_;
};

}  // namespace namae::net
