#include "update/writer.h"

#include <fmt/format.h>
#include <pthread.h>

#include <algorithm>

#include "dns/rrtype.h"
#include "net/address.h"

namespace namae::update {

namespace rc = dns::rcode;

// A commit's outcome, shared by the thread that queued it and whoever waits
// for it to be durable (guarded by mu_).
struct ZoneWriter::Slot {
  bool done = false;
  bool ok = false;
  const char* failure = "";  // why, when done and not ok
};

// One update evaluated and queued, its reply not yet decided.
struct ZoneWriter::Staged {
  UpdateResult res;
  std::shared_ptr<Slot> slot;  // the commit this reply waits for (null: none)
  bool own = false;            // `slot` is this update's own change
  uint32_t serial_to = 0;      // the serial its change makes
  bool lease_only = false;     // only leases change (a renewal): no new version
};

// One evaluated change waiting for the next commit.
struct ZoneWriter::Pending {
  JournalEntry entry;
  LeaseChanges leases;
  LeaseTable::Undo undo;  // takes leases_ back to before this change
  std::shared_ptr<const zone::ZoneVersion> version;
  std::shared_ptr<Slot> slot;
};

ZoneWriter::ZoneWriter(ServiceContext& ctx, ZoneUpdateConfig cfg, std::unique_ptr<Journal> journal,
                       std::shared_ptr<const zone::ZoneVersion> version,
                       const std::vector<Lease>& leases, net::WorkerMetrics* metrics)
    : ctx_(ctx),
      cfg_(std::make_shared<const ZoneUpdateConfig>(std::move(cfg))),
      origin_(cfg_->origin),
      rclass_(version->rclass()),
      journal_(std::move(journal)),
      metrics_(metrics),
      head_(version),
      committed_(std::move(version)) {
  leases_.assign(leases);
}

ZoneWriter::~ZoneWriter() { stop(); }

void ZoneWriter::set_config(const ZoneUpdateConfig& cfg) {
  auto next = std::make_shared<ZoneUpdateConfig>(cfg);
  // The signer came with the zone (its keys are set up at start): kept
  // unless one with other signature timing replaces it.
  if (!next->signer) next->signer = config()->signer;
  const bool new_signer = next->signer != config()->signer;
  std::atomic_store(&cfg_, std::shared_ptr<const ZoneUpdateConfig>(std::move(next)));
  if (new_signer) {
    std::lock_guard lk(mu_);
    next_refresh_ = 0;  // its refresh may come sooner
  }
}

std::shared_ptr<const zone::ZoneVersion> ZoneWriter::committed() const {
  std::lock_guard lk(mu_);
  return committed_;
}

std::vector<Lease> ZoneWriter::leases() const {
  std::lock_guard lk(mu_);
  return leases_.all();
}

size_t ZoneWriter::lease_count() const {
  std::lock_guard lk(mu_);
  return leases_.size();
}

std::optional<int64_t> ZoneWriter::next_expiry() const {
  std::lock_guard lk(mu_);
  return leases_.next_expiry();
}

// ---------------------------------------------------------------- staging

UpdateResult ZoneWriter::apply(const UpdateMessage& msg, const Permission& permission,
                               std::optional<dns::UpdateLease> lease,
                               const std::string& granted_to) {
  std::unique_lock lk(mu_);
  return apply_locked(lk, msg, permission, lease, granted_to, nullptr);
}

UpdateResult ZoneWriter::expire_leases(int64_t now, size_t limit, size_t& ended) {
  std::unique_lock lk(mu_);
  auto ex = leases_.expired(now, limit);
  ended = ex.size();
  if (ex.empty()) return {};
  UpdateMessage m;
  m.zone = origin_;
  m.zclass = rclass_;
  for (const auto& l : ex) m.updates.push_back({l.owner, l.type, dns::rrclass::NONE, 0, l.rdata});
  Permission p;
  p.everything = true;
  return apply_locked(lk, m, p, std::nullopt, "lease-expiry", &ex);
}

UpdateResult ZoneWriter::apply_locked(std::unique_lock<std::mutex>& lk, const UpdateMessage& msg,
                                      const Permission& perm,
                                      std::optional<dns::UpdateLease> lease,
                                      const std::string& granted_to,
                                      const std::vector<Lease>* expired) {
  Staged st = stage_locked(msg, perm, lease, granted_to, expired);
  if (st.slot) wait_durable(lk, st.slot);
  return finish_locked(st);
}

ZoneWriter::Staged ZoneWriter::stage_locked(const UpdateMessage& msg, const Permission& perm,
                                            std::optional<dns::UpdateLease> lease,
                                            const std::string& granted_to,
                                            const std::vector<Lease>* expired) {
  ServiceContext::count(ctx_.received);
  Staged st;
  const int64_t now = ctx_.clock.unix_time();
  auto base = head_;
  const auto cfg = config();
  if (cfg->signer && touches_signer_records(msg, st.res)) {
    ServiceContext::count(ctx_.refused);
    depend_locked(st);
    return st;
  }
  Evaluation ev = evaluate(*base, msg, perm, cfg->engine);
  // Deleting every RRset at a name leaves the signer's records to the signer.
  if (cfg->signer) std::erase_if(ev.diff.removed, [](const dns::Record& r) { return signing::is_signer_type(r.type); });
  st.res.rcode = ev.rcode;
  st.res.reason = ev.reason;
  if (ev.rcode != rc::NOERROR) {
    ServiceContext::count(ctx_.refused);
    depend_locked(st);
    return st;
  }

  LeaseChanges lc;
  if (!expired) grant_leases_locked(ev, lease, granted_to, now, lc, st.res);
  drop_removed_leases_locked(ev, lc);
  if (expired)
    for (const auto& l : *expired) lc.removed.push_back({l.owner, l.type, l.rdata, 0, {}});

  if (!ev.changed() && lc.upserted.empty() && lc.removed.empty()) {
    depend_locked(st);  // nothing to do: every RR was a no-op (RFC 2136 3.4.2: still NOERROR)
    return st;
  }
  const uint32_t serial_from = base->serial();
  if (!ev.changed()) {
    // Leases alone (a renewal, or leases of RRs already gone): journaled
    // durably like any change, but the zone and its serial stay as they are.
    st.lease_only = true;
    queue_locked(st, {serial_from, serial_from, now, {}}, base, std::move(lc));
    return st;
  }
  zone::ZoneDiff diff = std::move(ev.diff);
  auto next = next_version_locked(base, diff, st.res, now);
  if (!next) {
    depend_locked(st);
    return st;
  }
  if (journal_) draft_ = next;
  const uint32_t serial_to = next->serial();
  queue_locked(st, {serial_from, serial_to, now, std::move(diff)}, std::move(next), std::move(lc));
  return st;
}

// Leases (RFC 9664): granted per request, recorded per RR the update added.
void ZoneWriter::grant_leases_locked(const Evaluation& ev,
                                     const std::optional<dns::UpdateLease>& lease,
                                     const std::string& granted_to, int64_t now,
                                     LeaseChanges& lc, UpdateResult& res) const {
  const LeasePolicy leases = config()->leases;
  std::optional<uint32_t> granted =
      grant_lease(leases, lease ? std::optional<uint32_t>(lease->lease) : std::nullopt);
  std::optional<uint32_t> key_granted =
      lease && lease->key_lease ? grant_key_lease(leases, lease->key_lease) : granted;
  for (const auto& r : ev.added) {
    auto l = r.type == dns::rrtype::KEY ? key_granted : granted;  // RFC 9664 KEY-LEASE
    if (l) {
      lc.upserted.push_back({r.owner, r.type, r.rdata, now + *l, granted_to});
    } else if (leases_.find(r.owner, r.type, r.rdata)) {
      lc.removed.push_back({r.owner, r.type, r.rdata, 0, {}});  // re-added permanently
    }
  }
  if (lease) {
    res.lease = granted;
    if (lease->key_lease) res.key_lease = key_granted;
  }
}

// The leases of RRs the update removed (and did not add back).
void ZoneWriter::drop_removed_leases_locked(const Evaluation& ev, LeaseChanges& lc) const {
  for (const auto& r : ev.diff.removed) {
    bool readded = std::any_of(ev.diff.added.begin(), ev.diff.added.end(), [&](const auto& a) {
      return a.type == r.type && a.owner == r.owner && a.rdata == r.rdata;
    });
    if (!readded && leases_.find(r.owner, r.type, r.rdata))
      lc.removed.push_back({r.owner, r.type, r.rdata, 0, {}});
  }
}

// The version `diff` (completed with the serial change) makes of `base`, or
// null with the refusal in `res`.
bool ZoneWriter::touches_signer_records(const UpdateMessage& msg, UpdateResult& res) {
  for (const auto& u : msg.updates)
    if (signing::is_signer_type(u.type)) {
      // As BIND: the signer owns these in a zone it signs.
      res.rcode = rc::REFUSED;
      res.reason = dns::type_to_text(u.type) + " records of a signed zone are maintained by namaed";
      return true;
    }
  return false;
}

std::shared_ptr<zone::ZoneVersion> ZoneWriter::next_version_locked(
    const std::shared_ptr<const zone::ZoneVersion>& base, zone::ZoneDiff& diff,
    UpdateResult& res, int64_t now) {
  // In place only when no check below can still refuse the update: a
  // refusal must leave the draft as it was.
  std::shared_ptr<zone::ZoneVersion> draft;
  if (draft_ && draft_ == base && keeps_ns_addresses(*base, diff)) draft = std::move(draft_);
  draft_.reset();
  const bool in_place = draft != nullptr;
  auto next = finish_update(*base, diff, draft);
  if (!next) {
    ctx_.say(LogLevel::error, fmt::format("zone {}: update produced an invalid zone: {}",
                                          origin_.to_text(), next.message()));
    res.rcode = rc::SERVFAIL;
    res.reason = next.message();
    ServiceContext::count(ctx_.failed);
    return nullptr;
  }
  if (std::string why; !apex_ns_have_addresses(**next, &why)) {
    // As BIND: "update rejected: post update name server sanity check failed".
    res.rcode = rc::REFUSED;
    res.reason = "post-update name server sanity check failed: " + why;
    return nullptr;
  }
  const auto signer = config()->signer;
  if (!signer) return std::move(*next);
  // The changed RRsets, the chain around the changed names and the SOA are
  // signed in the same version, so the journal entry (and IXFR) carries them.
  auto signed_next = signer->sign(std::move(*next), signing::scope_of(diff), now, diff);
  if (!signed_next) {
    ctx_.say(LogLevel::error, fmt::format("zone {}: signing failed: {}", origin_.to_text(), signed_next.message()));
    res.rcode = rc::SERVFAIL;
    res.reason = signed_next.message();
    ServiceContext::count(ctx_.failed);
    // Only a signing failure can follow a change made in place (the checks
    // above fail before it or leave the draft as it was): the head now holds
    // this update, unsigned, on top of the queued ones it was built on.
    if (in_place) abandon_queue_locked(signed_next.message());
    return nullptr;
  }
  return std::move(*signed_next);
}

namespace {

// A signing pass that only renewed the SOA's own RRSIG (for the serial it
// was handed) found nothing to do.
bool only_soa_changed(const zone::ZoneDiff& d, const dns::Name& origin) {
  auto soa_only = [&](const dns::Record& r) {
    const bool soa_sig = r.type == dns::rrtype::RRSIG && r.rdata.size() >= 2 &&
                         (r.rdata[0] << 8 | r.rdata[1]) == dns::rrtype::SOA;
    return r.owner == origin && (r.type == dns::rrtype::SOA || soa_sig);
  };
  return std::all_of(d.removed.begin(), d.removed.end(), soa_only) &&
         std::all_of(d.added.begin(), d.added.end(), soa_only);
}

}  // namespace

UpdateResult ZoneWriter::resign(const signing::Scope& scope) {
  std::unique_lock lk(mu_);
  return resign_locked(lk, scope, ctx_.clock.unix_time());
}

UpdateResult ZoneWriter::refresh_signatures(int64_t now) {
  std::unique_lock lk(mu_);
  const auto signer = config()->signer;
  if (!signer || now < next_refresh_) return {};
  int64_t next_due = 0;
  signing::Scope due = signer->refresh_scope(*head_, now, next_due);
  if (due.names.empty()) {
    next_refresh_ = next_due;
    return {};
  }
  next_refresh_ = 0;
  return resign_locked(lk, due, now);
}

UpdateResult ZoneWriter::resign_locked(std::unique_lock<std::mutex>& lk, const signing::Scope& scope,
                                       int64_t now) {
  const auto signer = config()->signer;
  if (!signer) return {};
  Staged st;
  auto base = head_;
  zone::ZoneDiff diff;
  UpdateResult failed;
  failed.rcode = rc::SERVFAIL;
  auto bumped = finish_update(*base, diff);  // a new serial, so secondaries see the change
  if (!bumped) {
    failed.reason = bumped.message();
    return failed;
  }
  signing::Scope s = scope;
  s.changed.emplace_back(origin_, dns::rrtype::SOA);
  s.names.push_back(origin_);
  auto next = signer->sign(std::move(*bumped), std::move(s), now, diff);
  if (!next) {
    ctx_.say(LogLevel::error, fmt::format("zone {}: signing failed: {}", origin_.to_text(), next.message()));
    failed.reason = next.message();
    return failed;
  }
  if (only_soa_changed(diff, origin_)) {
    UpdateResult unchanged;
    unchanged.serial = base->serial();
    return unchanged;
  }
  if (journal_) draft_ = *next;
  const uint32_t serial_to = (*next)->serial();
  queue_locked(st, {base->serial(), serial_to, now, std::move(diff)}, std::move(*next), {});
  wait_durable(lk, st.slot);
  return finish_locked(st);
}

void ZoneWriter::queue_locked(Staged& st, JournalEntry entry,
                              std::shared_ptr<const zone::ZoneVersion> version, LeaseChanges lc) {
  Pending p;
  p.entry = std::move(entry);
  p.undo = leases_.apply(lc);
  p.leases = std::move(lc);
  p.version = std::move(version);
  p.slot = std::make_shared<Slot>();
  st.slot = p.slot;
  st.own = true;
  st.serial_to = p.version->serial();
  head_ = p.version;
  last_ = st.slot;
  queue_.push_back(std::move(p));
  if (!journal_) {
    // In memory only: durable as soon as it is published.
    queue_.clear();
    committed_ = head_;
    if (ctx_.publish) ctx_.publish(committed_);
    st.slot->done = st.slot->ok = true;
  }
}

void ZoneWriter::depend_locked(Staged& st) const {
  if (last_ && !last_->done) st.slot = last_;
}

// ---------------------------------------------------------------- group commit

bool ZoneWriter::wait_durable(std::unique_lock<std::mutex>& lk, const std::shared_ptr<Slot>& slot) {
  while (!slot->done) {
    if (committing_)
      cv_.wait(lk);
    else
      commit_queue(lk);
  }
  return slot->ok;
}

// Lead one commit: everything queued so far, in one journal transaction,
// then publish the newest version (or fall back to the last durable one).
void ZoneWriter::commit_queue(std::unique_lock<std::mutex>& lk) {
  committing_ = true;
  std::vector<Pending> batch;
  batch.swap(queue_);
  draft_.reset();  // head is published when this commit succeeds
  in_flight_ = batch.back().version;
  in_flight_slot_ = batch.back().slot;
  lk.unlock();
  Result<void> r = write_journal(batch);
  lk.lock();
  in_flight_.reset();
  in_flight_slot_.reset();
  if (r.ok()) {
    committed_ = batch.back().version;
    if (ctx_.publish) ctx_.publish(committed_);
    for (auto& p : batch) p.slot->done = p.slot->ok = true;
  } else {
    roll_back_locked(batch, r);
  }
  committing_ = false;
  cv_.notify_all();
}

Result<void> ZoneWriter::write_journal(std::vector<Pending>& batch) {
  if (!journal_) return {};
  Result<void> r;
  if (batch.size() == 1) {
    r = journal_->commit(batch.front().entry, batch.front().leases);
  } else {
    std::vector<JournalEntry> entries;
    std::vector<LeaseChanges> leases;
    entries.reserve(batch.size());
    leases.reserve(batch.size());
    for (auto& p : batch) {
      entries.push_back(std::move(p.entry));
      leases.push_back(std::move(p.leases));
    }
    r = journal_->commit_batch(entries, leases);
  }
  ServiceContext::count(ctx_.commits);
  return r;
}

// The batch is lost, and so is everything evaluated on top of it: the zone
// goes back to its last durable version and the journal's leases.
void ZoneWriter::roll_back_locked(std::vector<Pending>& batch, const Result<void>& why) {
  ctx_.say(LogLevel::error,
           fmt::format("zone {}: journal commit failed, {} update(s) not applied: {}",
                       origin_.to_text(), batch.size() + queue_.size(), why.message()));
  for (auto* list : {&batch, &queue_})
    for (auto& p : *list) {
      p.slot->done = true;
      p.slot->failure = "journal commit failed";
    }
  queue_.clear();
  head_ = committed_;
  draft_.reset();
  if (journal_)
    if (auto l = journal_->leases(); l.ok()) leases_.assign(*l);
}

void ZoneWriter::abandon_queue_locked(const std::string& why) {
  if (!queue_.empty())
    ctx_.say(LogLevel::error, fmt::format("zone {}: {} queued update(s) not applied: {}", origin_.to_text(),
                                          queue_.size(), why));
  for (auto it = queue_.rbegin(); it != queue_.rend(); ++it) {
    leases_.restore(it->undo);
    it->slot->done = true;
    it->slot->failure = "a later update of its batch could not be signed";
  }
  queue_.clear();
  head_ = in_flight_ ? in_flight_ : committed_;
  last_ = in_flight_slot_;
  draft_.reset();
}

UpdateResult ZoneWriter::finish_locked(Staged& st) {
  UpdateResult res = std::move(st.res);
  if (st.own) {
    if (!st.slot->ok) {
      res.rcode = rc::SERVFAIL;
      res.reason = st.slot->failure;
      res.lease.reset();
      res.key_lease.reset();
      ServiceContext::count(ctx_.failed);
      res.serial = committed_->serial();
      return res;
    }
    ServiceContext::count(ctx_.applied);
    res.changed = !st.lease_only;
    res.serial = st.serial_to;
    return res;
  }
  if (st.slot && !st.slot->ok) {
    res.rcode = rc::SERVFAIL;
    res.reason = "an earlier update this one depended on could not be committed";
  }
  res.serial = committed_->serial();
  return res;
}

// ---------------------------------------------------------------- the writer thread

bool ZoneWriter::enqueue(QueuedUpdate&& update) {
  std::lock_guard lk(wq_mu_);
  if (wq_stop_) return false;
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  wq_.push_back(std::move(update));
  if (wq_.size() == 1) wq_cv_.notify_one();
  return true;
}

void ZoneWriter::stop() {
  {
    std::lock_guard lk(wq_mu_);
    wq_stop_ = true;
  }
  wq_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ZoneWriter::run() {
  std::string name = "namae-upd-" + origin_.to_text();
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
  reply_buf_.resize(65535);
  std::unique_lock lk(wq_mu_);
  for (;;) {
    wq_cv_.wait(lk, [&] { return !wq_.empty() || wq_stop_; });
    if (wq_.empty()) return;  // stopping, and everything taken was answered
    std::vector<QueuedUpdate> batch;
    batch.swap(wq_);
    lk.unlock();
    reply_batch(batch, apply_batch(batch));
    lk.lock();
  }
}

// Stage the whole batch, commit it (one transaction: whoever leads takes
// the whole queue) and settle each result.
std::vector<UpdateResult> ZoneWriter::apply_batch(std::vector<QueuedUpdate>& batch) {
  std::vector<UpdateResult> results;
  results.reserve(batch.size());
  std::unique_lock lk(mu_);
  std::vector<Staged> staged;
  staged.reserve(batch.size());
  for (auto& q : batch) {
    const CheckedUpdate& u = q.update;
    staged.push_back(stage_locked(u.msg, u.permission, u.lease, u.granted_to, nullptr));
  }
  for (auto& st : staged)
    if (st.slot) wait_durable(lk, st.slot);
  for (auto& st : staged) results.push_back(finish_locked(st));
  return results;
}

// Answer each request of a committed batch through its channel.
void ZoneWriter::reply_batch(std::vector<QueuedUpdate>& batch,
                             const std::vector<UpdateResult>& results) {
  const int64_t now = ctx_.clock.unix_time();
  for (size_t i = 0; i < batch.size(); ++i) {
    QueuedUpdate& q = batch[i];
    const CheckedUpdate& u = q.update;
    log_update_result(ctx_.log, u.peer, u.who, u.msg.zone, results[i]);
    dns::MessageView view;
    if (view.parse(q.wire) != dns::WireError::ok) continue;  // parsed before it was queued
    const bool tcp = q.channel.peer().tcp;
    size_t len = build_update_reply(view, reply_buf_, tcp, u.tsig, results[i].rcode,
                                    lease_option(results[i], view.edns().present), now);
    std::span<const uint8_t> reply(reply_buf_.data(), len);
    // Counted before it leaves, so whoever has the answer sees it counted.
    if (metrics_)
      net::record_query(*metrics_, q.wire, reply, tcp,
                        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                  std::chrono::steady_clock::now() - q.received)
                                                  .count()));
    q.channel.send(reply);
  }
}

}  // namespace namae::update
