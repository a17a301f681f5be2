#include "update/service.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <mutex>

#include "dns/message.h"
#include "dns/rrtype.h"
#include "net/address.h"
#include "update/zone_file.h"

namespace namae::update {

namespace rc = dns::rcode;

namespace {

constexpr uint16_t kKeyType = 25;  // KEY: RFC 9664 KEY-LEASE applies to it

std::string net_peer_text(const net::Peer& p) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (p.addr.ss_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&p.addr)->sin_addr, buf, sizeof buf);
  else if (p.addr.ss_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&p.addr)->sin6_addr, buf,
              sizeof buf);
  else
    return "local";
  return buf;
}

bool same_record(const dns::Record& a, const dns::Record& b) {
  return a.type == b.type && a.owner == b.owner && a.rdata == b.rdata;
}

}  // namespace

// A commit's outcome, shared by the thread that queued it and whoever waits
// for it to be durable (guarded by the zone's mutex).
struct UpdateService::Slot {
  bool done = false;
  bool ok = false;
};

// One update evaluated and queued, its reply not yet decided.
struct UpdateService::Staged {
  UpdateResult res;
  std::shared_ptr<Slot> slot;  // the commit this reply waits for (null: none)
  bool own = false;            // `slot` is this update's own change
  uint32_t serial_to = 0;      // the serial its change makes
  bool lease_only = false;     // only leases change (a renewal): no new version
};

// A request checked by handle() and queued to its zone's writer.
struct UpdateService::Deferred {
  std::vector<uint8_t> wire;  // the request, to build the reply from
  net::ReplyChannel channel;
  dns::TsigVerification tv;
  UpdateMessage msg;
  Permission perm;
  std::optional<dns::UpdateLease> want;
  std::string granted_to, who, peer_text;
  std::chrono::steady_clock::time_point received;  // for the latency metric
};

struct UpdateService::Zone {
  ZoneUpdateConfig cfg;
  uint16_t rclass = dns::rrclass::IN;  // of the zone; fixed at add_zone
  std::unique_ptr<Journal> journal;
  net::WorkerMetrics* metrics = nullptr;  // written by the writer thread only

  // Deferred requests for the writer thread (started on the first one).
  std::mutex wq_mu;
  std::condition_variable wq_cv;
  std::vector<Deferred> wq;
  bool wq_stop = false;
  std::thread writer;

  mutable std::mutex mu;  // everything below
  std::condition_variable cv;
  std::shared_ptr<const zone::ZoneVersion> head;       // newest, maybe not yet durable
  std::shared_ptr<const zone::ZoneVersion> committed;  // newest durable (published)
  // `head` while no reader can see it (built here, not yet published nor in a
  // commit under way): the next update of the batch changes it in place
  // instead of copying it (zone::ZoneVersion::apply_in_place).
  std::shared_ptr<zone::ZoneVersion> draft;
  LeaseTable leases;                                   // as of head

  struct Pending {
    JournalEntry entry;
    LeaseChanges leases;
    std::shared_ptr<const zone::ZoneVersion> version;
    std::shared_ptr<Slot> slot;
  };
  std::vector<Pending> queue;
  std::shared_ptr<Slot> last;  // slot of the newest queued entry
  bool committing = false;

  // File sync (guarded by mu; the write itself runs outside it).
  uint32_t written_serial = 0;
  int64_t written_at = 0;
  std::mutex sync_mu;     // one file write at a time per zone
  std::mutex journal_mu;  // the Journal object is used by one thread at a time
};

struct UpdateService::Maint {
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  std::atomic<uint64_t> received{0}, applied{0}, refused{0}, failed{0}, commits{0}, expired{0};
};

UpdateService::UpdateService(std::vector<dns::TsigKey> keys, Publisher publish,
                             const Clock& clock, LogSink log)
    : keys_(std::move(keys)),
      publish_(std::move(publish)),
      clock_(clock),
      log_(std::move(log)),
      maint_(std::make_unique<Maint>()) {}

UpdateService::~UpdateService() {
  stop();
  // Writers answer what they already hold, then exit; later requests get no answer.
  for (auto& z : zones_) {
    {
      std::lock_guard lk(z->wq_mu);
      z->wq_stop = true;
    }
    z->wq_cv.notify_all();
    if (z->writer.joinable()) z->writer.join();
  }
}

void UpdateService::log(LogLevel level, const std::string& msg) const {
  log_to(log_, level, msg);
}

UpdateService::Zone* UpdateService::find(const dns::Name& origin) const {
  for (const auto& z : zones_)
    if (z->cfg.origin == origin) return z.get();
  return nullptr;
}

std::shared_ptr<const zone::ZoneVersion> UpdateService::current(const dns::Name& origin) const {
  Zone* z = find(origin);
  if (!z) return nullptr;
  std::lock_guard lk(z->mu);
  return z->committed;
}

Result<std::shared_ptr<const zone::ZoneVersion>> UpdateService::add_zone(
    const ZoneUpdateConfig& cfg, std::shared_ptr<const zone::ZoneVersion> loaded) {
  if (!loaded) return fail("zone " + cfg.origin.to_text() + ": no loaded version");
  if (!(loaded->origin() == cfg.origin))
    return fail("zone " + cfg.origin.to_text() + ": loaded version is of " +
                loaded->origin().to_text());
  if (find(cfg.origin)) return fail("zone " + cfg.origin.to_text() + " is already dynamic");
  auto z = std::make_unique<Zone>();
  z->cfg = cfg;
  auto version = loaded;
  if (!cfg.journal.empty()) {
    auto j = Journal::open(cfg.journal, cfg.origin);
    if (!j) return fail(j.message());
    z->journal = std::move(*j);
    const uint32_t file_serial = loaded->serial();
    auto plan = plan_replay(*z->journal, file_serial);
    if (!plan) return fail("zone " + cfg.origin.to_text() + ": journal: " + plan.message());
    if (plan->kind == ReplayPlan::Kind::file_newer) {
      // The file was edited by hand past everything journaled: the file wins
      // (as BIND discards an out-of-date journal); old entries go.
      log(LogLevel::warning, fmt::format("zone {}: file serial {} is newer than the journal's {}; journal entries "
                         "dropped",
                         cfg.origin.to_text(), file_serial, *plan->journal_serial));
      if (auto r = z->journal->compact(file_serial, 0); !r) return fail(r.message());
    } else if (plan->kind == ReplayPlan::Kind::replay) {
      auto replayed = replay(version, plan->entries);
      if (!replayed) return fail(replayed.message());
      version = std::move(*replayed);
      log(LogLevel::info, fmt::format("zone {}: replayed {} journal entries, serial {} -> {}",
                         cfg.origin.to_text(), plan->entries.size(), file_serial,
                         version->serial()));
    }
    auto leases = z->journal->leases();
    if (!leases) return fail(leases.message());
    z->leases.assign(*leases);
  }
  if (metrics_) z->metrics = metrics_->add_worker();
  z->head = z->committed = version;
  z->rclass = version->rclass();
  z->written_serial = loaded->serial();
  z->written_at = clock_.unix_time();
  if (publish_) publish_(version);
  zones_.push_back(std::move(z));
  return version;
}

// ---------------------------------------------------------------- applying

UpdateResult UpdateService::apply(const UpdateMessage& msg, const Permission& permission,
                                  std::optional<dns::UpdateLease> lease,
                                  const std::string& granted_to) {
  Zone* z = find(msg.zone);
  if (!z) {
    UpdateResult r;
    r.rcode = rc::NOTAUTH;
    r.reason = msg.zone.to_text() + " is not a dynamic zone here";
    return r;
  }
  std::unique_lock lk(z->mu);
  return apply_locked(*z, lk, msg, permission, lease, granted_to, nullptr);
}

UpdateResult UpdateService::apply_locked(Zone& z, std::unique_lock<std::mutex>& lk,
                                         const UpdateMessage& msg, const Permission& perm,
                                         std::optional<dns::UpdateLease> lease,
                                         const std::string& granted_to,
                                         const std::vector<Lease>* expired) {
  Staged st = stage_locked(z, msg, perm, lease, granted_to, expired);
  if (st.slot) wait_durable(z, lk, st.slot);
  return finish_locked(z, st);
}

UpdateService::Staged UpdateService::stage_locked(Zone& z, const UpdateMessage& msg,
                                                  const Permission& perm,
                                                  std::optional<dns::UpdateLease> lease,
                                                  const std::string& granted_to,
                                                  const std::vector<Lease>* expired) {
  maint_->received.fetch_add(1, std::memory_order_relaxed);
  Staged st;
  UpdateResult& res = st.res;
  const int64_t now = clock_.unix_time();
  auto base = z.head;
  Evaluation ev = evaluate(*base, msg, perm, z.cfg.engine);
  res.rcode = ev.rcode;
  res.reason = ev.reason;
  // A reply decided against versions not yet durable must wait for them too.
  auto depend = [&] {
    if (z.last && !z.last->done) st.slot = z.last;
  };

  if (ev.rcode != rc::NOERROR) {
    maint_->refused.fetch_add(1, std::memory_order_relaxed);
    depend();
    return st;
  }

  // Leases (RFC 9664): granted per request, recorded per added RR.
  LeaseChanges lc;
  std::optional<uint32_t> granted, key_granted;
  if (!expired) {
    granted =
        grant_lease(z.cfg.leases, lease ? std::optional<uint32_t>(lease->lease) : std::nullopt);
    if (lease && lease->key_lease)
      key_granted = grant_lease(z.cfg.leases, lease->key_lease);
    else
      key_granted = granted;
    for (const auto& r : ev.added) {
      auto l = r.type == kKeyType ? key_granted : granted;
      if (l) {
        lc.upserted.push_back({r.owner, r.type, r.rdata, now + *l, granted_to});
      } else if (z.leases.find(r.owner, r.type, r.rdata)) {
        lc.removed.push_back({r.owner, r.type, r.rdata, 0, {}});  // re-added permanently
      }
    }
  }
  for (const auto& r : ev.diff.removed) {
    bool readded = std::any_of(ev.diff.added.begin(), ev.diff.added.end(),
                               [&](const dns::Record& a) { return same_record(a, r); });
    if (!readded && z.leases.find(r.owner, r.type, r.rdata))
      lc.removed.push_back({r.owner, r.type, r.rdata, 0, {}});
  }
  if (expired)
    for (const auto& l : *expired) lc.removed.push_back({l.owner, l.type, l.rdata, 0, {}});
  if (lease) {
    res.lease = granted;
    if (lease->key_lease) res.key_lease = key_granted;
  }

  if (!ev.changed() && lc.upserted.empty() && lc.removed.empty()) {
    depend();  // nothing to do: every RR was a no-op (RFC 2136 3.4.2: still NOERROR)
    return st;
  }

  const uint32_t serial_from = base->serial();
  auto queue = [&](JournalEntry entry, std::shared_ptr<const zone::ZoneVersion> version) {
    Zone::Pending p;
    p.entry = std::move(entry);
    p.leases = lc;
    p.version = std::move(version);
    p.slot = std::make_shared<Slot>();
    st.slot = p.slot;
    st.own = true;
    st.serial_to = p.version->serial();
    z.head = p.version;
    z.leases.apply(lc);
    z.last = st.slot;
    z.queue.push_back(std::move(p));
    if (!z.journal) {
      // In memory only: durable as soon as it is published.
      z.queue.clear();
      z.committed = z.head;
      if (publish_) publish_(z.committed);
      st.slot->done = st.slot->ok = true;
    }
  };
  if (!ev.changed()) {
    // Leases alone (a renewal, or leases of RRs already gone): journaled
    // durably like any change, but the zone and its serial stay as they are.
    st.lease_only = true;
    queue({serial_from, serial_from, now, {}}, base);
    return st;
  }

  zone::ZoneDiff diff = std::move(ev.diff);
  // In place only when no check below can still refuse the update: a
  // refusal must leave the draft as it was.
  std::shared_ptr<zone::ZoneVersion> draft;
  if (z.draft && z.draft == base && keeps_ns_addresses(*base, diff)) draft = std::move(z.draft);
  z.draft.reset();
  auto next = finish_update(*base, diff, draft);
  if (!next) {
    log(LogLevel::error, fmt::format("zone {}: update produced an invalid zone: {}", z.cfg.origin.to_text(),
                       next.message()));
    res.rcode = rc::SERVFAIL;
    res.reason = next.message();
    maint_->failed.fetch_add(1, std::memory_order_relaxed);
    depend();
    return st;
  }
  if (std::string why; !apex_ns_have_addresses(**next, &why)) {
    // As BIND: "update rejected: post update name server sanity check failed".
    res.rcode = rc::REFUSED;
    res.reason = "post-update name server sanity check failed: " + why;
    depend();
    return st;
  }
  const uint32_t serial_to = (*next)->serial();
  if (z.journal) z.draft = *next;
  queue({serial_from, serial_to, now, std::move(diff)}, *next);
  return st;
}

bool UpdateService::wait_durable(Zone& z, std::unique_lock<std::mutex>& lk,
                                 const std::shared_ptr<Slot>& slot) {
  while (!slot->done) {
    if (z.committing) {
      z.cv.wait(lk);
      continue;
    }
    // Lead: commit everything queued so far in one transaction.
    z.committing = true;
    std::vector<Zone::Pending> batch;
    batch.swap(z.queue);
    z.draft.reset();  // head is published when this commit succeeds
    lk.unlock();
    Result<void> r;
    if (z.journal) {
      std::lock_guard jl(z.journal_mu);
      if (batch.size() == 1) {
        r = z.journal->commit(batch.front().entry, batch.front().leases);
      } else {
        std::vector<JournalEntry> entries;
        std::vector<LeaseChanges> leases;
        entries.reserve(batch.size());
        leases.reserve(batch.size());
        for (auto& p : batch) {
          entries.push_back(std::move(p.entry));
          leases.push_back(std::move(p.leases));
        }
        r = z.journal->commit_batch(entries, leases);
      }
      maint_->commits.fetch_add(1, std::memory_order_relaxed);
    }
    lk.lock();
    if (r.ok()) {
      z.committed = batch.back().version;
      if (publish_) publish_(z.committed);
      for (auto& p : batch) p.slot->done = p.slot->ok = true;
    } else {
      log(LogLevel::error, fmt::format("zone {}: journal commit failed, {} update(s) not applied: {}",
                         z.cfg.origin.to_text(), batch.size() + z.queue.size(), r.message()));
      for (auto& p : batch) p.slot->done = true;
      for (auto& p : z.queue) p.slot->done = true;  // evaluated on top of the lost ones
      z.queue.clear();
      z.head = z.committed;
      z.draft.reset();
      if (z.journal) {
        std::lock_guard jl(z.journal_mu);
        if (auto l = z.journal->leases(); l.ok()) z.leases.assign(*l);
      }
    }
    z.committing = false;
    z.cv.notify_all();
  }
  return slot->ok;
}

UpdateResult UpdateService::finish_locked(Zone& z, Staged& st) {
  UpdateResult res = std::move(st.res);
  if (st.own) {
    if (!st.slot->ok) {
      res.rcode = rc::SERVFAIL;
      res.reason = "journal commit failed";
      res.lease.reset();
      res.key_lease.reset();
      maint_->failed.fetch_add(1, std::memory_order_relaxed);
      res.serial = z.committed->serial();
      return res;
    }
    maint_->applied.fetch_add(1, std::memory_order_relaxed);
    res.changed = !st.lease_only;
    res.serial = st.serial_to;
    return res;
  }
  if (st.slot && !st.slot->ok) {
    res.rcode = rc::SERVFAIL;
    res.reason = "an earlier update this one depended on could not be committed";
  }
  res.serial = z.committed->serial();
  return res;
}

// ---------------------------------------------------------------- DNS UPDATE

namespace {

// The reply to UPDATE `q` with `code` (and EDNS `options`), TSIG-signed when
// `tv` holds the request's TSIG (RFC 8945 5.3). Returns its length.
size_t build_reply(const dns::MessageView& q, std::span<uint8_t> response, bool tcp,
                   const dns::TsigVerification& tv, uint16_t code,
                   const std::vector<uint8_t>& options, int64_t now) {
  const dns::Header& qh = q.header();
  const dns::Edns& qe = q.edns();
  size_t limit = response.size();
  if (!tcp) {
    size_t udp = qe.present ? std::max<size_t>(512, std::min<size_t>(qe.udp_size, 1232)) : 512;
    limit = std::min(limit, udp);
  }
  auto out = response.first(limit);
  dns::MessageBuilder b(out, limit);
  dns::Header& h = b.header();
  h.id = qh.id;
  h.qr = true;
  h.opcode = dns::opcode::UPDATE;
  dns::Edns re;
  re.present = qe.present;
  re.udp_size = 1232;
  constexpr size_t kOptReserve = 11 + 12;  // OPT + an UPDATE-LEASE option
  if (re.present) b.reserve(kOptReserve);
  // The reply's TSIG: names as in the request, a full-length MAC, other data.
  if (q.has_tsig()) b.reserve(q.data().size() - q.tsig_offset() + 64 + 8);

  dns::set_full_rcode(code, h, re);
  if (qh.qdcount == 1) {
    auto raw = q.data().subspan(q.question_offset(), q.question_end() - 4 - q.question_offset());
    if (!b.add_question_raw(raw, q.qtype(), q.qclass()))
      (void)b.add_question(q.qname(), q.qtype(), q.qclass());
  }
  if (re.present) {
    re.options = options;
    b.add_opt(re);
  }
  size_t len = b.finish();
  if (tv.record) {
    auto signed_len = dns::tsig_sign_reply(out, len, tv, static_cast<uint64_t>(now));
    if (signed_len) len = *signed_len;
  }
  return len;
}

// The UPDATE-LEASE option granted by `res`, if the request spoke EDNS.
std::vector<uint8_t> lease_option(const UpdateResult& res, bool edns) {
  std::vector<uint8_t> options;
  if (res.rcode == rc::NOERROR && res.lease && edns) {
    dns::UpdateLease granted{*res.lease, res.key_lease};
    dns::append_edns_option(options, dns::edns_option::UPDATE_LEASE,
                            dns::encode_update_lease(granted));
  }
  return options;
}

}  // namespace

void UpdateService::log_result(const std::string& peer, const std::string& who,
                               const dns::Name& zone, const UpdateResult& res) const {
  if (res.rcode == rc::NOERROR)
    log(res.changed ? LogLevel::info : LogLevel::debug,
        fmt::format("update from {} ({}) for {}: {}{}", peer, who, zone.to_text(),
                    res.changed ? "applied, serial " + std::to_string(res.serial)
                                : std::string("no change"),
                    res.lease ? ", lease " + std::to_string(*res.lease) : ""));
  else
    log(LogLevel::info, fmt::format("update from {} ({}) for {}: {}: {}", peer, who, zone.to_text(),
                       dns::rcode_to_text(res.rcode), res.reason));
}

size_t UpdateService::handle(const dns::MessageView& q, std::span<uint8_t> response,
                             const net::Peer& peer, const zone::ZoneSet& zones) {
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t now = clock_.unix_time();
  const dns::Edns& qe = q.edns();

  dns::TsigVerification tv;
  if (q.has_tsig()) {
    dns::TsigVerifyParams params;
    params.now = static_cast<uint64_t>(now);
    tv = dns::tsig_verify(q, keys_, params);
    if (tv.status == dns::TsigStatus::formerr) tv.record.reset();  // answered unsigned
  }
  auto reply = [&](uint16_t code, const std::vector<uint8_t>& options = {}) -> size_t {
    return build_reply(q, response, peer.tcp, tv, code, options, now);
  };

  if (q.has_tsig() && !tv.ok()) {
    log(LogLevel::warning, fmt::format("update from {}: TSIG {}", net_peer_text(peer),
                       dns::tsig_status_text(tv.status)));
    maint_->refused.fetch_add(1, std::memory_order_relaxed);
    return reply(tv.status == dns::TsigStatus::formerr ? rc::FORMERR : tv.reply_rcode());
  }

  std::optional<dns::UpdateLease> want;
  if (qe.present) {
    if (auto opt = qe.find(dns::edns_option::UPDATE_LEASE)) {
      want = dns::parse_update_lease(opt->data);
      if (!want) return reply(rc::FORMERR);  // RFC 9664: LEASE, optionally KEY-LEASE
    }
  }

  UpdateMessage msg;
  std::string why;
  if (uint16_t code = read_update(q, msg, &why); code != rc::NOERROR) {
    log(LogLevel::info,
        fmt::format("update from {}: {}: {}", net_peer_text(peer), dns::rcode_to_text(code), why));
    return reply(code);
  }
  Zone* z = find(msg.zone);
  // The zone's class never changes, so reading it needs no lock.
  if (!z || msg.zclass != z->rclass) {
    // RFC 2136 3.1.2: not a zone we are authoritative for is NOTAUTH; a zone
    // we serve but that is not dynamic refuses updates (as BIND).
    bool served = zones.get(msg.zone) != nullptr && msg.zclass == dns::rrclass::IN;
    uint16_t code = served ? rc::REFUSED : rc::NOTAUTH;
    log(LogLevel::info, fmt::format("update from {} for {}: {}", net_peer_text(peer), msg.zone.to_text(),
                       served ? "zone is not dynamic" : "not authoritative"));
    return reply(code);
  }

  Permission perm;
  std::string who = tv.ok() ? "key " + tv.key->name.to_text() : "unsigned";
  if (z->cfg.allow_update.allows(reinterpret_cast<const sockaddr*>(&peer.addr), peer.addr_len)) {
    perm.everything = true;
  } else if (tv.ok() && z->cfg.policy.knows(tv.key->name)) {
    perm.policy = &z->cfg.policy;
    perm.signer = tv.key->name;
  } else {
    log(LogLevel::info, fmt::format("update from {} ({}) for {}: REFUSED (not allowed)", net_peer_text(peer),
                       who, msg.zone.to_text()));
    maint_->refused.fetch_add(1, std::memory_order_relaxed);
    return reply(rc::REFUSED);
  }
  // Who holds the leases this update grants, as the HTTP API writes it
  // ("http:USER@ADDR"): the key and the address it came from, for status.
  std::string granted_to = "dns:";
  if (tv.ok()) {
    std::string key = tv.key->name.to_text();
    if (key.size() > 1 && key.back() == '.') key.pop_back();
    granted_to += key + "@";
  }
  granted_to += net_peer_text(peer);

  if (peer.can_defer()) {
    // Hand it to the zone's writer; this transport worker goes back to queries.
    Deferred d;
    d.wire.assign(q.data().begin(), q.data().end());
    d.channel = peer.channel();
    d.tv = std::move(tv);
    d.msg = std::move(msg);
    d.perm = std::move(perm);
    d.want = want;
    d.granted_to = std::move(granted_to);
    d.who = std::move(who);
    d.peer_text = net_peer_text(peer);
    d.received = t0;
    std::lock_guard lk(z->wq_mu);
    if (!z->wq_stop) {
      if (!z->writer.joinable()) z->writer = std::thread([this, z] { writer(*z); });
      z->wq.push_back(std::move(d));
      if (z->wq.size() == 1) z->wq_cv.notify_one();
      return net::kDeferred;
    }
    // Shutting down: no writer any more; the caller gets no answer and retries.
    return 0;
  }

  UpdateResult res;
  {
    std::unique_lock lk(z->mu);
    res = apply_locked(*z, lk, msg, perm, want, granted_to, nullptr);
  }
  log_result(net_peer_text(peer), who, msg.zone, res);
  return reply(res.rcode, lease_option(res, qe.present));
}

void UpdateService::writer(Zone& z) {
  std::string name = "namae-upd-" + z.cfg.origin.to_text();
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
  std::unique_lock lk(z.wq_mu);
  for (;;) {
    z.wq_cv.wait(lk, [&] { return !z.wq.empty() || z.wq_stop; });
    if (z.wq.empty()) return;  // stopping, and everything taken was answered
    std::vector<Deferred> batch;
    batch.swap(z.wq);
    lk.unlock();
    process_batch(z, batch);
    lk.lock();
  }
}

void UpdateService::process_batch(Zone& z, std::vector<Deferred>& batch) {
  std::vector<UpdateResult> results;
  results.reserve(batch.size());
  {
    std::unique_lock lk(z.mu);
    std::vector<Staged> staged;
    staged.reserve(batch.size());
    for (auto& d : batch)
      staged.push_back(stage_locked(z, d.msg, d.perm, d.want, d.granted_to, nullptr));
    // Commit the batch (one transaction; whoever leads takes the whole queue).
    for (auto& st : staged)
      if (st.slot) wait_durable(z, lk, st.slot);
    for (auto& st : staged) results.push_back(finish_locked(z, st));
  }
  const int64_t now = clock_.unix_time();
  std::vector<uint8_t> buf(65535);
  for (size_t i = 0; i < batch.size(); ++i) {
    Deferred& d = batch[i];
    log_result(d.peer_text, d.who, d.msg.zone, results[i]);
    dns::MessageView q;
    if (q.parse(d.wire) != dns::WireError::ok) continue;  // parsed before it was queued
    size_t len = build_reply(q, buf, d.channel.peer().tcp, d.tv, results[i].rcode,
                             lease_option(results[i], q.edns().present), now);
    // Counted before it leaves, so whoever has the answer sees it counted.
    if (z.metrics)
      net::record_query(*z.metrics, d.wire, {buf.data(), len}, d.channel.peer().tcp,
                        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                  std::chrono::steady_clock::now() - d.received)
                                                  .count()));
    d.channel.send({buf.data(), len});
  }
}

// ---------------------------------------------------------------- leases

size_t UpdateService::expire(int64_t now) {
  size_t total = 0;
  for (auto& zp : zones_) {
    Zone& z = *zp;
    std::unique_lock lk(z.mu);
    auto ex = z.leases.expired(now, 1000);
    if (ex.empty()) continue;
    UpdateMessage m;
    m.zone = z.cfg.origin;
    m.zclass = z.committed->rclass();
    for (const auto& l : ex) m.updates.push_back({l.owner, l.type, dns::rrclass::NONE, 0, l.rdata});
    Permission p;
    p.everything = true;
    auto r = apply_locked(z, lk, m, p, std::nullopt, "lease-expiry", &ex);
    if (r.rcode == rc::NOERROR) {
      total += ex.size();
      maint_->expired.fetch_add(ex.size(), std::memory_order_relaxed);
      log(LogLevel::info, fmt::format("zone {}: {} lease(s) expired, serial {}", z.cfg.origin.to_text(),
                         ex.size(), r.serial));
    } else {
      log(LogLevel::error, fmt::format("zone {}: lease expiry failed: {}: {}", z.cfg.origin.to_text(),
                         dns::rcode_to_text(r.rcode), r.reason));
    }
  }
  return total;
}

std::optional<int64_t> UpdateService::next_expiry() const {
  std::optional<int64_t> best;
  for (const auto& z : zones_) {
    std::lock_guard lk(z->mu);
    auto n = z->leases.next_expiry();
    if (n && (!best || *n < *best)) best = n;
  }
  return best;
}

std::vector<Lease> UpdateService::leases(const dns::Name& origin) const {
  Zone* z = find(origin);
  if (!z) return {};
  std::lock_guard lk(z->mu);
  return z->leases.all();
}

// ---------------------------------------------------------------- files

Result<void> UpdateService::sync_files(bool force) {
  std::string errors;
  const int64_t now = clock_.unix_time();
  for (auto& zp : zones_) {
    Zone& z = *zp;
    if (z.cfg.file.empty()) continue;
    std::lock_guard sl(z.sync_mu);
    std::shared_ptr<const zone::ZoneVersion> v;
    {
      std::lock_guard lk(z.mu);
      v = z.committed;
      if (v->serial() == z.written_serial) continue;
      if (!force &&
          (z.cfg.file_sync_interval == 0 || now - z.written_at < z.cfg.file_sync_interval))
        continue;
    }
    if (auto r = write_zone_file(z.cfg.file, *v); !r) {
      log(LogLevel::error, fmt::format("zone {}: {}", z.cfg.origin.to_text(), r.message()));
      errors += (errors.empty() ? "" : "\n") + r.message();
      continue;
    }
    {
      std::lock_guard lk(z.mu);
      z.written_serial = v->serial();
      z.written_at = now;
    }
    log(LogLevel::info, fmt::format("zone {}: wrote serial {} to {}", z.cfg.origin.to_text(), v->serial(),
                       z.cfg.file));
    if (z.journal) {
      std::lock_guard jl(z.journal_mu);
      if (auto r = z.journal->compact(v->serial(), z.cfg.journal_keep); !r) {
        log(LogLevel::error, fmt::format("zone {}: journal compaction: {}", z.cfg.origin.to_text(), r.message()));
        errors += (errors.empty() ? "" : "\n") + r.message();
      }
    }
  }
  if (!errors.empty()) return fail(errors);
  return {};
}

// ---------------------------------------------------------------- maintenance

void UpdateService::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lk(maint_->mu);
    maint_->stop = false;
  }
  thread_ = std::thread([this] {
    std::unique_lock lk(maint_->mu);
    while (!maint_->stop) {
      lk.unlock();
      expire(clock_.unix_time());
      (void)sync_files(false);
      lk.lock();
      maint_->cv.wait_for(lk, std::chrono::seconds(1), [this] { return maint_->stop; });
    }
  });
}

void UpdateService::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lk(maint_->mu);
    maint_->stop = true;
  }
  maint_->cv.notify_all();
  thread_.join();
}

UpdateStats UpdateService::stats() const {
  UpdateStats s;
  s.received = maint_->received.load();
  s.applied = maint_->applied.load();
  s.refused = maint_->refused.load();
  s.failed = maint_->failed.load();
  s.commits = maint_->commits.load();
  s.expired = maint_->expired.load();
  return s;
}

std::string UpdateService::status() const {
  std::string out;
  for (const auto& z : zones_) {
    std::lock_guard lk(z->mu);
    out += fmt::format("dynamic {} serial {} leases {} file-serial {} journal {}\n",
                       z->cfg.origin.to_text(), z->committed->serial(), z->leases.size(),
                       z->written_serial, z->cfg.journal.empty() ? "-" : z->cfg.journal);
  }
  auto s = stats();
  out += fmt::format("updates received {} applied {} refused {} failed {} commits {} expired {}\n",
                     s.received, s.applied, s.refused, s.failed, s.commits, s.expired);
  return out;
}

}  // namespace namae::update
