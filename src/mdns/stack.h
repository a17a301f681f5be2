// The socket side of mDNS: UDP 5353 sockets for 224.0.0.251 and ff02::fb,
// one Responder and one Querier per interface, interfaces followed as they
// come, go and change addresses, and a thread that runs them. namaed's mdns
// role and the standalone `namae mdns` commands both run a Stack.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/log.h"
#include "base/result.h"
#include "mdns/dnssd.h"
#include "mdns/querier.h"
#include "mdns/responder.h"

namespace namae::mdns {

/// One network interface as the stack sees it.
struct InterfaceInfo {
  int index = 0;
  std::string name;
  bool multicast = false, loopback = false, up = false;
  std::vector<std::string> addresses;  // text, IPv4 and IPv6 (link-local too)
  struct Prefix {
    int family;
    uint8_t addr[16];
    int length;
  };
  std::vector<Prefix> prefixes;

  /// True if `s` lies in one of this interface's prefixes (or is IPv6 link-local).
  bool on_link(const sockaddr_storage& s) const;
  /// True if `s` is one of this interface's own addresses.
  bool is_own(const sockaddr_storage& s) const;
};

/// The machine's interfaces (getifaddrs). The Stack calls it when rtnetlink
/// reports a link or address change, and every `rescan_ms` in any case.
std::vector<InterfaceInfo> list_interfaces();

/// What a Stack does.
struct StackOptions {
  /// Interface names; empty: every up, multicast-capable, non-loopback one.
  std::vector<std::string> interfaces;
  /// Host label ("laptop" → laptop.local); empty: publish no host records.
  std::string hostname;
  bool ipv4 = true, ipv6 = true;
  int rescan_ms = 5000;
  /// Bind UDP 5353 (false: a one-shot querier needs no shared port).
  uint16_t port = kPort;
  uint32_t seed = 0;  // 0: random
};

/// A record change seen in some interface's cache.
struct RecordEvent {
  std::string interface;
  Record record;
  bool added = true;
};

class Stack {
 public:
  explicit Stack(StackOptions options);
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  /// Called from the stack's thread for every cache addition and removal.
  std::function<void(const RecordEvent&)> on_record;
  /// Called from the stack's thread when a name is established or renamed.
  std::function<void(const std::string& interface, GroupState, int attempt, const std::vector<Record>&)> on_group;
  /// Log lines (debug, info and warning).
  LogSink log;

  /// Open the sockets and start the thread.
  Result<void> start();
  /// Goodbyes for everything published, then close (idempotent).
  void stop();

  /// Publish a service on every interface (and on interfaces that appear later).
  Result<uint64_t> add_service(const ServiceSpec& svc);
  void remove_service(uint64_t id);
  /// Ask `q` continuously on every interface; the first query asks for
  /// unicast answers (QU) when `qu_first` (RFC 6762 5.4).
  uint64_t watch(const Question& q, bool qu_first = true);
  void unwatch(uint64_t id);
  /// Live cached answers to `q` over all interfaces, with the TTL left or,
  /// if not `ttl_left`, the TTL they arrived with.
  std::vector<Record> lookup(const Question& q, bool ttl_left = true);
  /// RFC 6762 10.4: reconfirm the cached record `r` on every interface
  /// holding it (Querier::reconfirm); false when none does.
  bool reconfirm(const Record& r);
  /// The host name currently held ("laptop-2.local." after a conflict) on
  /// the first interface, or the configured one.
  std::string hostname();
  /// Interface names in use.
  std::vector<std::string> interfaces();
  /// Status lines (interfaces, groups, cache sizes, counters).
  std::string status();

 private:
  struct Link;
  class LinkTransport;

  void run();
  void rescan(int64_t now);
  void open_link(const InterfaceInfo& info, int64_t now);
  void publish_host(Link& l, int64_t now);
  void publish_reverse(Link& l, int64_t now);
  void publish_service(Link& l, uint64_t id, const ServiceSpec& svc, int64_t now);
  void follow_renames(int64_t now);
  void receive(int fd);
  void wake();
  void note_sent(std::span<const uint8_t> packet);
  bool sent_recently(std::span<const uint8_t> packet, int64_t now);
  void say(LogLevel level, const std::string& msg) { log_to(log, level, msg); }

  StackOptions opt_;
  int fd4_ = -1, fd6_ = -1, wake_fd_ = -1, nl_fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;  // guards everything below (the thread and API callers)
  std::unique_ptr<Rng> rng_;
  std::map<int, std::unique_ptr<Link>> links_;
  std::map<uint64_t, ServiceSpec> services_;
  std::map<uint64_t, std::pair<Question, bool>> watches_;  // and qu_first
  uint64_t next_id_ = 1;
  int64_t next_rescan_ = 0;
  std::vector<std::pair<size_t, int64_t>> sent_;  // hashes of packets we sent, and when
};

/// One-shot query (RFC 6762 5.1) from an ephemeral port on each of
/// `interfaces` (empty: all): answers come back by unicast. Collects answers
/// for `timeout_ms` (or until `enough` returns true on what was collected).
Result<std::vector<Record>> one_shot(const std::vector<Question>& questions,
                                     const std::vector<std::string>& interfaces, int timeout_ms,
                                     const std::function<bool(const std::vector<Record>&)>& enough = {});

/// Monotonic milliseconds (the clock the Stack feeds the protocol logic).
int64_t monotonic_ms();

}  // namespace namae::mdns
