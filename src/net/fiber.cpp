#include "net/fiber.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <exception>

#include <boost/context/fiber.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>

namespace namae::net {

namespace ctx = boost::context;

namespace {
// The loop whose fiber runs on this thread, and that fiber (set only while
// it runs, so code on the scheduler's own stack sees no fiber).
thread_local FiberLoop* t_loop = nullptr;
thread_local void* t_fiber = nullptr;
// The loop thread itself (for wakes from its own fibers: no eventfd needed).
thread_local FiberLoop* t_loop_thread = nullptr;

constexpr int kReady = 1, kTimeout = 0, kCancelled = -1;
}  // namespace

struct FiberLoop::Watch : Source {
  explicit Watch(std::function<void()> cb) : Source{Kind::watch}, on_readable(std::move(cb)) {}
  std::function<void()> on_readable;
};

struct FiberLoop::Fiber : Source {
  Fiber() : Source{Kind::fiber} {}
  uint64_t id = 0;
  std::function<void()> task;
  ctx::fiber self;  // the fiber while suspended (or not started)
  ctx::fiber back;  // the scheduler while the fiber runs
  enum class Wait : uint8_t { none, fd, park, park_uncancellable } wait = Wait::none;
  uint64_t seq = 0;  // of the current wait: timers and wakes name it
  int result = 0;
};

// Stacks with a guard page (a fiber that overflows faults instead of
// writing over its neighbour), kept for reuse: mapping and unmapping one
// per cold question would cost system calls and page faults each time.
class FiberLoop::Stacks {
 public:
  explicit Stacks(size_t size) : alloc_(size) {}
  ~Stacks() {
    for (auto& s : free_) alloc_.deallocate(s);
  }
  ctx::stack_context allocate() {
    if (free_.empty()) return alloc_.allocate();
    ctx::stack_context s = free_.back();
    free_.pop_back();
    return s;
  }
  void deallocate(ctx::stack_context& s) {
    if (free_.size() < 64) free_.push_back(s);
    else alloc_.deallocate(s);
  }

 private:
  ctx::protected_fixedsize_stack alloc_;
  std::vector<ctx::stack_context> free_;
};


FiberLoop::FiberLoop(Options options) : options_(options), stacks_(std::make_unique<Stacks>(options.stack_size)) {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  event_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &inbox_source_;
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, event_, &ev);
}

FiberLoop::~FiberLoop() {
  stop();
  if (event_ >= 0) ::close(event_);
  if (epoll_ >= 0) ::close(epoll_);
}

void FiberLoop::start() {
  stopping_ = false;
  thread_ = std::thread([this] { run_here(); });
}

void FiberLoop::run_here() {
  t_loop_thread = this;
  run();
  t_loop_thread = nullptr;
}

void FiberLoop::watch(int fd, std::function<void()> on_readable) {
  watches_.push_back(std::make_unique<Watch>(std::move(on_readable)));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = watches_.back().get();
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
}

void FiberLoop::request_stop() {
  stopping_ = true;
  uint64_t one = 1;
  (void)!::write(event_, &one, sizeof one);
}

void FiberLoop::stop() {
  request_stop();
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lock(blocking_mu_);
    blocking_stop_ = true;
  }
  blocking_cv_.notify_all();
  for (auto& t : blocking_threads_) t.join();
  blocking_threads_.clear();
  blocking_stop_ = false;
  std::lock_guard lock(inbox_mu_);
  tasks_.clear();
  wakes_.clear();
}

bool FiberLoop::admit() {
  if (stopping_ || load_.load(std::memory_order_relaxed) >= options_.max_fibers + options_.max_queued) return false;
  load_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool FiberLoop::post(std::function<void()> task) {
  if (t_loop_thread == this) {
    if (!admit()) return false;
    waiting_.push_back(std::move(task));  // started by the loop before it waits again
    return true;
  }
  {
    std::lock_guard lock(inbox_mu_);
    if (!admit()) return false;
    tasks_.push_back(std::move(task));
  }
  uint64_t one = 1;
  (void)!::write(event_, &one, sizeof one);
  return true;
}

FiberLoop* FiberLoop::current() { return t_fiber ? t_loop : nullptr; }

FiberLoop* FiberLoop::on_this_thread() { return t_loop_thread; }

FiberLoop::Fiber* FiberLoop::running() const { return static_cast<Fiber*>(t_fiber); }

void FiberLoop::run() {
  epoll_event events[64];
  for (;;) {
    take_inbox();
    if (stopping_) {
      cancel_all();
      if (fibers_.empty()) return;
      continue;
    }
    int n = ::epoll_wait(epoll_, events, 64, epoll_timeout_ms());
    for (int i = 0; i < n; ++i) dispatch(static_cast<Source*>(events[i].data.ptr));
    expire_timers();
  }
}

void FiberLoop::dispatch(Source* source) {
  switch (source->kind) {
    case Source::Kind::inbox:
      clear_inbox_event();
      break;
    case Source::Kind::watch:
      static_cast<Watch*>(source)->on_readable();
      break;
    case Source::Kind::fiber: {
      // Each fiber waits for one descriptor at a time, and a wait that
      // timed out removed its registration: the event is the fiber's own.
      auto* f = static_cast<Fiber*>(source);
      if (f->wait == Fiber::Wait::fd) resume(f, kReady);
      break;
    }
  }
}

void FiberLoop::clear_inbox_event() {
  uint64_t count;
  (void)!::read(event_, &count, sizeof count);
}

// Once per turn of the loop: the tasks are moved under the lock straight
// into waiting_ and the wakes into a vector the loop keeps, so an empty
// inbox costs a lock and no allocation.
void FiberLoop::take_inbox() {
  std::vector<std::pair<uint64_t, uint64_t>>& wakes = local_wakes_;
  {
    std::lock_guard lock(inbox_mu_);
    for (auto& t : tasks_) waiting_.push_back(std::move(t));
    tasks_.clear();
    wakes.insert(wakes.end(), wakes_.begin(), wakes_.end());
    wakes_.clear();
  }
  taken_wakes_.swap(wakes);
  for (auto [id, seq] : taken_wakes_) {
    auto it = fibers_.find(id);
    if (it == fibers_.end()) continue;
    Fiber* f = it->second.get();
    bool parked = f->wait == Fiber::Wait::park || f->wait == Fiber::Wait::park_uncancellable;
    if (parked && f->seq == seq) resume(f, kReady);
  }
  taken_wakes_.clear();
  if (stopping_) {
    load_.fetch_sub(waiting_.size(), std::memory_order_relaxed);
    waiting_.clear();
    return;
  }
  while (!waiting_.empty() && fibers_.size() < options_.max_fibers) {
    auto task = std::move(waiting_.front());
    waiting_.pop_front();
    start_fiber(std::move(task));
  }
}

void FiberLoop::start_fiber(std::function<void()> task) {
  auto owned = std::make_unique<Fiber>();
  Fiber* f = owned.get();
  f->id = next_id_++;
  f->task = std::move(task);
  fibers_.emplace(f->id, std::move(owned));
  struct Alloc {
    Stacks* stacks;
    ctx::stack_context allocate() { return stacks->allocate(); }
    void deallocate(ctx::stack_context& s) { stacks->deallocate(s); }
  };
  f->self = ctx::fiber(std::allocator_arg, Alloc{stacks_.get()}, [f](ctx::fiber&& back) {
    f->back = std::move(back);
    try {
      f->task();
    } catch (const ctx::detail::forced_unwind&) {
      throw;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "namaed: a fiber's task threw: %s\n", e.what());
    }
    f->task = nullptr;
    return std::move(f->back);
  });
  resume(f, kReady);
}

void FiberLoop::resume(Fiber* f, int result) {
  f->wait = Fiber::Wait::none;
  f->result = result;
  t_loop = this;
  t_fiber = f;
  f->self = std::move(f->self).resume();
  t_fiber = nullptr;
  if (!f->self) {  // returned
    fibers_.erase(f->id);
    load_.fetch_sub(1, std::memory_order_relaxed);  // the loop starts a waiting task next
  }
}

void FiberLoop::suspend(Fiber* f) {
  f->back = std::move(f->back).resume();
  // Running again: t_fiber was set by resume().
}

void FiberLoop::arm_timer(Fiber* f, Deadline deadline) {
  if (deadline != Deadline::max()) timers_.push(Timer{deadline, f->id, f->seq});
}

void FiberLoop::expire_timers() {
  auto now = std::chrono::steady_clock::now();
  while (!timers_.empty() && timers_.top().at <= now) {
    Timer t = timers_.top();
    timers_.pop();
    auto it = fibers_.find(t.fiber);
    if (it == fibers_.end()) continue;
    Fiber* f = it->second.get();
    if (f->seq != t.seq || f->wait == Fiber::Wait::none || f->wait == Fiber::Wait::park_uncancellable) continue;
    resume(f, kTimeout);
  }
}

// Stopping: every wait ends at once, so the tasks run to their end
// (the resolver answers SERVFAIL to what it was resolving).
void FiberLoop::cancel_all() {
  std::vector<Fiber*> waiting;
  for (auto& [id, f] : fibers_)
    if (f->wait == Fiber::Wait::fd || f->wait == Fiber::Wait::park) waiting.push_back(f.get());
  for (Fiber* f : waiting) resume(f, kCancelled);
  if (!fibers_.empty()) {
    // Only uncancellable waits (run_blocking) are left: wait for their wakes.
    epoll_event ev;
    int n = ::epoll_wait(epoll_, &ev, 1, 10);
    if (n == 1 && static_cast<Source*>(ev.data.ptr)->kind == Source::Kind::inbox) clear_inbox_event();
  }
}

int FiberLoop::epoll_timeout_ms() const {
  if (!local_wakes_.empty() || (!waiting_.empty() && fibers_.size() < options_.max_fibers)) return 0;
  if (timers_.empty()) return -1;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(timers_.top().at - std::chrono::steady_clock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, 60'000));
}

int FiberLoop::wait_fd(int fd, short events, Deadline deadline) {
  Fiber* f = running();
  if (stopping_) {
    errno = ECANCELED;
    return -1;
  }
  if (deadline <= std::chrono::steady_clock::now()) {
    pollfd p{fd, events, 0};
    return ::poll(&p, 1, 0);
  }
  epoll_event ev{};
  ev.events = EPOLLONESHOT | ((events & POLLIN) ? EPOLLIN : 0u) | ((events & POLLOUT) ? EPOLLOUT : 0u);
  ev.data.ptr = f;
  // A descriptor this loop waited for before stays registered (disabled by
  // EPOLLONESHOT) until it is closed: re-arm it.
  if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) < 0 &&
      (errno != EEXIST || ::epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &ev) < 0))
    return -1;
  f->wait = Fiber::Wait::fd;
  f->seq = next_seq_++;
  arm_timer(f, deadline);
  suspend(f);
  if (f->result != kReady) {
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
    if (f->result == kCancelled) errno = ECANCELED;
  }
  return f->result;
}

FiberLoop::Token FiberLoop::prepare_park() {
  Fiber* f = running();
  f->seq = next_seq_++;
  return Token{this, f->id, f->seq};
}

bool FiberLoop::park(const Token& token, Deadline deadline) {
  Fiber* f = running();
  if (f->seq != token.seq) return false;
  if (stopping_) return false;
  f->wait = Fiber::Wait::park;
  arm_timer(f, deadline);
  suspend(f);
  return f->result == kReady;
}

void FiberLoop::wake(const Token& token) {
  if (token.loop) token.loop->post_wake(token.fiber, token.seq);
}

void FiberLoop::post_wake(uint64_t fiber, uint64_t seq) {
  if (t_loop_thread == this) {
    local_wakes_.emplace_back(fiber, seq);
    return;
  }
  {
    std::lock_guard lock(inbox_mu_);
    wakes_.emplace_back(fiber, seq);
  }
  uint64_t one = 1;
  (void)!::write(event_, &one, sizeof one);
}

void FiberLoop::run_blocking(const std::function<void()>& fn) {
  Fiber* f = running();
  Token token = prepare_park();
  {
    std::lock_guard lock(blocking_mu_);
    blocking_jobs_.push_back(BlockingJob{&fn, token});
    if (blocking_idle_ == 0 && blocking_threads_.size() < options_.blocking_threads)
      blocking_threads_.emplace_back([this] { blocking_worker(); });
  }
  blocking_cv_.notify_one();
  // Not cancellable: `fn` lives on this fiber's stack until it has returned.
  f->wait = Fiber::Wait::park_uncancellable;
  suspend(f);
}

void FiberLoop::blocking_worker() {
  std::unique_lock lock(blocking_mu_);
  for (;;) {
    ++blocking_idle_;
    blocking_cv_.wait(lock, [&] { return blocking_stop_ || !blocking_jobs_.empty(); });
    --blocking_idle_;
    if (blocking_jobs_.empty()) return;  // stopping, nothing left
    BlockingJob job = blocking_jobs_.front();
    blocking_jobs_.pop_front();
    lock.unlock();
    (*job.fn)();
    post_wake(job.token.fiber, job.token.seq);
    lock.lock();
  }
}

void Signal::notify() {
  std::vector<FiberLoop::Token> parked;
  {
    std::lock_guard lock(mu_);
    if (set_) return;
    set_ = true;
    parked.swap(parked_);
  }
  cv_.notify_all();
  for (const auto& t : parked) FiberLoop::wake(t);
}

bool Signal::wait_until(Deadline deadline) {
  if (FiberLoop* loop = FiberLoop::current()) {
    FiberLoop::Token token = loop->prepare_park();
    {
      std::lock_guard lock(mu_);
      if (set_) return true;
      parked_.push_back(token);
    }
    loop->park(token, deadline);
    std::lock_guard lock(mu_);
    return set_;
  }
  std::unique_lock lock(mu_);
  return cv_.wait_until(lock, deadline, [&] { return set_; });
}

void run_blocking(const std::function<void()>& fn) {
  if (FiberLoop* loop = FiberLoop::current()) loop->run_blocking(fn);
  else fn();
}

}  // namespace namae::net
