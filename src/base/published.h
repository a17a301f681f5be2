// Published<T>: immutable settings swapped whole by the control thread
// (live reconfiguration) and read by every worker without a lock.
//
// The same quiescent-state idea as zone::ZoneSetHolder (docs/ARCHITECTURE.md,
// "Design choices"): a reader keeps its own reference (Published::Reader)
// and compares one generation counter per query; only after a publish does
// it take the new object, so the query path neither locks nor touches a
// reference count. An old object is freed by whoever lets go of it last.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace namae {

template <class T>
class Published {
 public:
  explicit Published(std::shared_ptr<const T> initial) : current_(std::move(initial)) {}

  /// Make `next` current (control plane).
  void publish(std::shared_ptr<const T> next) {
    std::atomic_store(&current_, std::move(next));
    gen_.fetch_add(1, std::memory_order_acq_rel);
  }
  /// The current object (takes a reference: for control-plane callers and
  /// rare paths such as an UPDATE or a zone transfer).
  std::shared_ptr<const T> get() const { return std::atomic_load(&current_); }
  /// Bumped by every publish(); readers compare it to skip get().
  uint64_t generation() const { return gen_.load(std::memory_order_acquire); }

  /// One worker's view: current after refresh() whenever the generation moved.
  class Reader {
   public:
    explicit Reader(const Published& from) : from_(&from) { refresh(); }
    /// True if a new object was taken (the caller re-derives what it keeps).
    bool refresh() {
      uint64_t g = from_->generation();
      if (g == gen_ && value_) return false;
      value_ = from_->get();
      gen_ = g;
      return true;
    }
    bool stale() const { return from_->generation() != gen_; }
    const T& operator*() const { return *value_; }
    const T* operator->() const { return value_.get(); }

   private:
    const Published* from_;
    std::shared_ptr<const T> value_;
    uint64_t gen_ = 0;
  };

 private:
  std::shared_ptr<const T> current_;  // accessed with std::atomic_load/store
  std::atomic<uint64_t> gen_{1};
};

}  // namespace namae
