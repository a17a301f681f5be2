// Fibers on an event loop: code written as blocking (the resolver's
// iterator and validator, the clients' wait_for) runs as many fibers on one
// thread, and each "blocking" wait parks its fiber and lets the loop run
// others until the socket is ready, the deadline passes or someone wakes it.
// PowerDNS Recursor's MTasker is the model; Boost.Context switches stacks.
//
// Why not a thread per question: a cold resolution is a chain of short
// exchanges, and with a thread each the kernel switched threads, woke them
// through futexes and ran a poll() per exchange (most of a cold run's CPU
// time). One loop waits for all exchanges in one epoll_wait.
//
// Rules for code that runs on a fiber: hold no mutex across a wait (another
// fiber on the same thread would deadlock on it) and keep nothing in
// thread-local storage across one. What must block for real (a TLS client's
// shared connection, a multicast query) goes through run_blocking().
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_map>
#include <vector>

#include "net/wait.h"

namespace namae::net {

class FiberLoop {
 public:
  struct Options {
    size_t max_fibers = 1024;      // tasks running at once; later ones queue
    size_t max_queued = 10000;     // queued beyond that: post() refuses
    // The deepest resolution in the resolver and validation system tests
    // used 26 KiB; untouched pages cost no memory.
    size_t stack_size = 256 * 1024;
    unsigned blocking_threads = 16;  // run_blocking()'s pool, started on demand
  };
  /// Where a parked fiber is woken from (Signal keeps these).
  struct Token {
    FiberLoop* loop = nullptr;
    uint64_t fiber = 0;
    uint64_t seq = 0;
  };

  explicit FiberLoop(Options options);
  ~FiberLoop();
  FiberLoop(const FiberLoop&) = delete;
  FiberLoop& operator=(const FiberLoop&) = delete;

  /// Start the loop's thread.
  void start();
  /// Or run the loop on the calling thread until request_stop() (a UDP
  /// worker that resolves its own cache misses, as Unbound's threads do).
  void run_here();
  /// Stop: queued tasks are dropped, every wait returns at once (cancelled),
  /// and the loop ends when the running tasks have returned. stop() also
  /// joins the thread start() made; request_stop() only asks (any thread).
  void stop();
  void request_stop();
  /// Call `on_readable` on the loop's thread (not on a fiber: it may post
  /// tasks but not wait) whenever `fd` is readable. Before run_here()/start().
  void watch(int fd, std::function<void()> on_readable);
  /// Run `task` as a fiber of this loop (from any thread; from the loop's
  /// own thread without a lock or a wake-up). False when stopping or when
  /// max_queued tasks already wait.
  bool post(std::function<void()> task);
  /// Tasks running or queued.
  size_t load() const { return load_.load(std::memory_order_relaxed); }

  /// The loop whose fiber is running on this thread; nullptr on a plain thread.
  static FiberLoop* current();
  /// The loop that runs on this thread (on a fiber of it or not), or nullptr.
  static FiberLoop* on_this_thread();

  // From a fiber of this loop only:
  /// As net::wait_for: 1 ready, 0 timed out, -1 error (errno; ECANCELED when stopping).
  int wait_fd(int fd, short events, Deadline deadline);
  /// Run `fn` on one of the blocking threads; the fiber parks until it returns.
  void run_blocking(const std::function<void()>& fn);
  /// Park until wake(token) or `deadline`: the token first (handed to the
  /// waker), then park(). True if woken; false on timeout or when stopping.
  Token prepare_park();
  bool park(const Token& token, Deadline deadline);
  /// Wake a parked fiber (any thread); a stale or repeated token is ignored.
  static void wake(const Token& token);

 private:
  // What an epoll event points at: a fiber waiting for a descriptor, a
  // watched descriptor, or the inbox's eventfd.
  struct Source {
    enum class Kind : uint8_t { fiber, watch, inbox } kind;
  };
  struct Fiber;
  struct Watch;
  struct Timer {
    Deadline at;
    uint64_t fiber;
    uint64_t seq;
    bool operator>(const Timer& o) const { return at > o.at; }
  };
  class Stacks;
  struct BlockingJob {
    const std::function<void()>* fn;
    Token token;
  };

  void run();
  void dispatch(Source* source);
  void clear_inbox_event();
  bool admit();  // counts a task in, unless stopping or full
  void take_inbox();
  void start_fiber(std::function<void()> task);
  void resume(Fiber* f, int result);
  void suspend(Fiber* f);
  void expire_timers();
  void cancel_all();
  int epoll_timeout_ms() const;
  void post_wake(uint64_t fiber, uint64_t seq);
  void arm_timer(Fiber* f, Deadline deadline);
  void blocking_worker();
  Fiber* running() const;

  Options options_;
  int epoll_ = -1;
  int event_ = -1;  // eventfd: the inbox has something
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> load_{0};

  // Shared with other threads.
  std::mutex inbox_mu_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::pair<uint64_t, uint64_t>> wakes_;

  // The loop thread's own.
  Source inbox_source_{Source::Kind::inbox};
  std::vector<std::unique_ptr<Watch>> watches_;
  std::unique_ptr<Stacks> stacks_;
  std::unordered_map<uint64_t, std::unique_ptr<Fiber>> fibers_;
  std::deque<std::function<void()>> waiting_;  // over max_fibers
  std::vector<std::pair<uint64_t, uint64_t>> local_wakes_;  // from this thread
  std::vector<std::pair<uint64_t, uint64_t>> taken_wakes_;  // take_inbox's, kept for their capacity
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  uint64_t next_id_ = 1;
  uint64_t next_seq_ = 1;

  // run_blocking's threads.
  std::mutex blocking_mu_;
  std::condition_variable blocking_cv_;
  std::deque<BlockingJob> blocking_jobs_;
  std::vector<std::thread> blocking_threads_;
  unsigned blocking_idle_ = 0;
  bool blocking_stop_ = false;
};

/// A one-shot event: set once from any thread, waited for by fibers (which
/// park) and plain threads (which block) alike.
class Signal {
 public:
  void notify();
  /// True once notified; false if `deadline` came first (or the loop stops).
  bool wait_until(Deadline deadline);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
  std::vector<FiberLoop::Token> parked_;
};

/// Run `fn`, which may block: directly on a plain thread, on the loop's
/// blocking threads from a fiber (so the loop's other fibers go on).
void run_blocking(const std::function<void()>& fn);

}  // namespace namae::net
