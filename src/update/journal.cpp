// Journal on SQLite 3: WAL with synchronous=FULL, so a transaction is one
// append to the WAL plus one fsync, and a commit that returned survives
// kill -9 and power loss. Schema (user_version 1, application_id 'NMAJ'):
//
//   meta(key TEXT PRIMARY KEY, value BLOB)     origin (lower-case wire), origin_text
//   entries(seq INTEGER PRIMARY KEY, serial_from, serial_to, committed_at, diff BLOB)
//   leases(owner_key, type, rdata_key, owner, rdata, expires_at, granted_to)
//          PRIMARY KEY (owner_key, type, rdata_key)  -- lower-case owner, canonical rdata
//
// The diff blob: a format octet (1), then the removed records and the added
// records, each list as a u32 count followed by records in wire form (owner
// uncompressed with its case, type u16, ttl u32, rdlength u16, rdata), all
// big-endian. Reading it back never trusts a count or a length.
#include "update/journal.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <utility>

#include "dns/rdata.h"
#include "dns/wire.h"

namespace namae::update {

bool serial_lt(uint32_t a, uint32_t b) {
  // RFC 1982 3.2 with SERIAL_BITS = 32.
  return a != b && static_cast<uint32_t>(b - a) < 0x80000000u;
}

namespace {

constexpr int kSchemaVersion = 1;
constexpr int32_t kApplicationId = 0x4e4d414a;  // "NMAJ": a namae journal
constexpr uint8_t kDiffFormat = 1;

bool encode_records(dns::WireWriter& w, const std::vector<dns::Record>& records) {
  w.u32(static_cast<uint32_t>(records.size()));
  for (const auto& r : records) {
    w.name(r.owner);
    w.u16(r.type);
    w.u32(r.ttl);
    w.u16(static_cast<uint16_t>(r.rdata.size()));
    w.bytes(r.rdata);
  }
  return w.ok();
}

Result<std::vector<uint8_t>> encode_diff(const zone::ZoneDiff& diff) {
  size_t size = 9;  // format octet, two counts
  for (const auto* list : {&diff.removed, &diff.added})
    for (const auto& r : *list) {
      if (r.rdata.size() > 0xffff) return fail("rdata longer than 65535 octets");
      size += r.owner.wire_length() + 8 + r.rdata.size();
    }
  std::vector<uint8_t> out(size);
  dns::WireWriter w(out);
  w.u8(kDiffFormat);
  if (!encode_records(w, diff.removed) || !encode_records(w, diff.added) || w.size() != size)
    return fail("diff does not fit its computed size");
  return out;
}

bool decode_records(dns::WireReader& rd, std::vector<dns::Record>& out) {
  uint32_t count = 0;
  if (!rd.u32(count)) return false;
  // Each record takes at least 9 octets (root owner, type, ttl, rdlength):
  // a corrupt count cannot make us reserve more than the blob could hold.
  if (count > rd.remaining() / 9) return false;
  out.resize(count);
  for (auto& r : out) {
    uint16_t rdlength = 0;
    std::span<const uint8_t> rdata;
    if (!rd.name(r.owner) || !rd.u16(r.type) || !rd.u32(r.ttl) || !rd.u16(rdlength) ||
        !rd.bytes(rdlength, rdata))
      return false;
    r.rdata.assign(rdata.begin(), rdata.end());
  }
  return true;
}

bool decode_diff(std::span<const uint8_t> blob, zone::ZoneDiff& diff) {
  dns::WireReader rd(blob);
  uint8_t format = 0;
  return rd.u8(format) && format == kDiffFormat && decode_records(rd, diff.removed) &&
         decode_records(rd, diff.added) && rd.remaining() == 0;
}

std::vector<uint8_t> owner_key(const dns::Name& n) {
  const dns::Name low = n.lower();  // wire() is a view into the Name: keep it alive
  auto w = low.wire();
  return {w.begin(), w.end()};
}

// Statement texts, prepared once at open (SQLITE_PREPARE_PERSISTENT).
enum StmtId : size_t {
  kBegin,
  kBeginRead,
  kCommit,
  kRollback,
  kInsertEntry,
  kLastSerial,
  kFirstSerial,
  kCount,
  kFindFrom,
  kSince,
  kHeads,
  kDeleteUpTo,
  kDeleteAll,
  kLeaseUpsert,
  kLeaseDelete,
  kLeaseList,
  kLeaseExpiring,
  kStmtCount,
};

constexpr const char* kStmtSql[kStmtCount] = {
    "BEGIN IMMEDIATE",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "INSERT INTO entries(serial_from, serial_to, committed_at, diff) VALUES(?1, ?2, ?3, ?4)",
    "SELECT serial_to FROM entries ORDER BY seq DESC LIMIT 1",
    "SELECT serial_from FROM entries ORDER BY seq ASC LIMIT 1",
    "SELECT count(*) FROM entries",
    "SELECT seq FROM entries WHERE serial_from = ?1 ORDER BY seq DESC LIMIT 1",
    "SELECT seq, serial_from, serial_to, committed_at, diff FROM entries WHERE seq >= ?1 "
    "ORDER BY seq",
    "SELECT seq, serial_to FROM entries ORDER BY seq",
    "DELETE FROM entries WHERE seq <= ?1",
    "DELETE FROM entries",
    "INSERT INTO leases(owner_key, type, rdata_key, owner, rdata, expires_at, granted_to) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(owner_key, type, rdata_key) DO UPDATE SET "
    "owner = excluded.owner, rdata = excluded.rdata, expires_at = excluded.expires_at, "
    "granted_to = excluded.granted_to",
    "DELETE FROM leases WHERE owner_key = ?1 AND type = ?2 AND rdata_key = ?3",
    "SELECT owner, type, rdata, expires_at, granted_to FROM leases "
    "ORDER BY expires_at, owner_key, type, rdata_key",
    "SELECT owner, type, rdata, expires_at, granted_to FROM leases WHERE expires_at <= ?1 "
    "ORDER BY expires_at, owner_key, type, rdata_key",
};

constexpr const char* kCreateSchema =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "CREATE TABLE entries(seq INTEGER PRIMARY KEY, serial_from INTEGER NOT NULL,"
    " serial_to INTEGER NOT NULL, committed_at INTEGER NOT NULL, diff BLOB NOT NULL);"
    "CREATE INDEX entries_serial_from ON entries(serial_from);"
    "CREATE TABLE leases(owner_key BLOB NOT NULL, type INTEGER NOT NULL, rdata_key BLOB NOT NULL,"
    " owner BLOB NOT NULL, rdata BLOB NOT NULL, expires_at INTEGER NOT NULL,"
    " granted_to TEXT NOT NULL, PRIMARY KEY(owner_key, type, rdata_key)) WITHOUT ROWID;"
    "CREATE INDEX leases_expires ON leases(expires_at);";

// Resets a cached statement (and clears its bindings) when the scope ends, so
// no statement holds a read transaction or a stale blob pointer.
class StmtUse {
 public:
  explicit StmtUse(sqlite3_stmt* s) : s_(s) {}
  ~StmtUse() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  StmtUse(const StmtUse&) = delete;
  StmtUse& operator=(const StmtUse&) = delete;
  sqlite3_stmt* get() const { return s_; }

 private:
  sqlite3_stmt* s_;
};

std::span<const uint8_t> column_blob(sqlite3_stmt* s, int col) {
  const void* p = sqlite3_column_blob(s, col);
  int n = sqlite3_column_bytes(s, col);
  if (!p || n <= 0) return {};
  return {static_cast<const uint8_t*>(p), static_cast<size_t>(n)};
}

}  // namespace

struct Journal::Impl {
  std::string path;
  dns::Name origin;
  sqlite3* db = nullptr;
  sqlite3_stmt* stmts[kStmtCount] = {};
  mutable std::mutex mu;

  int lock_fd = -1;  // holds the flock of an exclusive open

  ~Impl() {
    for (auto* s : stmts) sqlite3_finalize(s);
    if (db) sqlite3_close_v2(db);
    if (lock_fd >= 0) ::close(lock_fd);
  }

  Error err(std::string_view what) const {
    return fail(
        fmt::format("journal {}: {}: {}", path, what, db ? sqlite3_errmsg(db) : "no database"));
  }
  Error bad(std::string_view what) const { return fail(fmt::format("journal {}: {}", path, what)); }

  sqlite3_stmt* stmt(StmtId id) const { return stmts[id]; }

  // Run one statement that returns no rows we need.
  Result<void> exec_simple(StmtId id, std::string_view what) {
    StmtUse u(stmt(id));
    int rc = sqlite3_step(u.get());
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return err(what);
    return {};
  }

  Result<void> exec_sql(const char* sql, std::string_view what) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return err(what);
    return {};
  }

  // Integer result of a one-row, one-column query (a PRAGMA or count).
  Result<int64_t> query_int(const char* sql, std::string_view what) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) return err(what);
    int rc = sqlite3_step(s);
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      Error e = err(what);
      sqlite3_finalize(s);
      return e;
    }
    sqlite3_finalize(s);
    return v;
  }

  Result<std::string> query_text(const char* sql, std::string_view what) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) return err(what);
    int rc = sqlite3_step(s);
    std::string v;
    if (rc == SQLITE_ROW) {
      auto b = column_blob(s, 0);
      v.assign(b.begin(), b.end());
    } else if (rc != SQLITE_DONE) {
      Error e = err(what);
      sqlite3_finalize(s);
      return e;
    }
    sqlite3_finalize(s);
    return v;
  }

  void rollback() {
    if (!sqlite3_get_autocommit(db)) {
      StmtUse u(stmt(kRollback));
      sqlite3_step(u.get());
    }
  }

  Result<std::optional<uint32_t>> single_serial(StmtId id, std::string_view what) const {
    StmtUse u(stmt(id));
    int rc = sqlite3_step(u.get());
    if (rc == SQLITE_DONE) return std::optional<uint32_t>{};
    if (rc != SQLITE_ROW) return err(what);
    return std::optional<uint32_t>{static_cast<uint32_t>(sqlite3_column_int64(u.get(), 0))};
  }

  Result<void> init(bool& created);
  Result<void> identify(bool& created);
  Result<void> make_durable();
  Result<void> create_schema();
  Result<void> write_schema();
  Result<void> check_schema();

  Result<void> sync_parent_dir() const {
    auto dir = std::filesystem::path(path).parent_path();
    if (dir.empty()) dir = ".";
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
      return bad(fmt::format("cannot open directory {}: {}", dir.string(), std::strerror(errno)));
    int rc = ::fsync(fd);
    int e = errno;
    ::close(fd);
    if (rc != 0)
      return bad(fmt::format("cannot fsync directory {}: {}", dir.string(), std::strerror(e)));
    return {};
  }
  Result<void> append(const JournalEntry& e, std::optional<uint32_t>& last);
  Result<void> apply_leases(const LeaseChanges& lc);
  Result<void> write_batch(std::span<const JournalEntry> entries,
                           std::span<const LeaseChanges> leases);
  Result<std::vector<Lease>> read_leases(StmtId id, int64_t until) const;
};

Result<void> Journal::Impl::init(bool& created) {
  if (auto r = identify(created); !r) return r;
  if (auto r = make_durable(); !r) return r;
  if (created) {
    if (auto r = create_schema(); !r) return r;
    // SQLite syncs the directory when it creates the -wal file, not when it
    // creates the database file itself; without this a power cut could keep
    // the WAL of acknowledged updates and lose the database it belongs to.
    if (auto r = sync_parent_dir(); !r) return r;
  }
  if (auto r = check_schema(); !r) return r;
  for (size_t i = 0; i < kStmtCount; ++i)
    if (sqlite3_prepare_v3(db, kStmtSql[i], -1, SQLITE_PREPARE_PERSISTENT, &stmts[i], nullptr) !=
        SQLITE_OK)
      return err(fmt::format("cannot prepare \"{}\"", kStmtSql[i]));
  return {};
}

// Identify the file before changing anything in it: a foreign database is
// refused untouched (not even switched to WAL). A file that is not SQLite at
// all fails here with SQLITE_NOTADB.
Result<void> Journal::Impl::identify(bool& created) {
  auto tables = query_int("SELECT count(*) FROM sqlite_schema", "cannot read the database");
  if (!tables) return tables.error();
  auto app_id = query_int("PRAGMA application_id", "cannot read the database header");
  if (!app_id) return app_id.error();
  created = *tables == 0;
  if (!created && *app_id != kApplicationId)
    return bad(fmt::format("not a namae journal (application_id {:#x}, {} schema objects)",
                           static_cast<uint32_t>(*app_id), *tables));
  return {};
}

Result<void> Journal::Impl::make_durable() {
  if (sqlite3_busy_timeout(db, 10000) != SQLITE_OK) return err("cannot set busy timeout");
  auto mode = query_text("PRAGMA journal_mode=WAL", "cannot switch to WAL");
  if (!mode) return mode.error();
  if (*mode != "wal") return bad(fmt::format("cannot switch to WAL (journal_mode is {})", *mode));
  // FULL: the WAL is fsync'ed at every commit, so an acknowledged update
  // survives power loss, not only a crashed process.
  return exec_sql("PRAGMA synchronous=FULL", "cannot set synchronous=FULL");
}

Result<void> Journal::Impl::create_schema() {
  if (auto r = exec_sql("BEGIN IMMEDIATE", "cannot create the schema"); !r) return r;
  // Another process may have created it meanwhile.
  auto again = query_int("SELECT count(*) FROM sqlite_schema", "cannot read the database");
  Result<void> r = again ? Result<void>() : Result<void>(again.error());
  if (r && *again == 0) r = write_schema();
  if (r) r = exec_sql("COMMIT", "cannot create the schema");
  if (!r) rollback();
  return r;
}

// The tables, the file's identity (application_id, user_version) and the
// zone it belongs to, inside create_schema's transaction.
Result<void> Journal::Impl::write_schema() {
  std::string sql = fmt::format("PRAGMA application_id={}; PRAGMA user_version={};{}",
                                kApplicationId, kSchemaVersion, kCreateSchema);
  if (auto r = exec_sql(sql.c_str(), "cannot create the schema"); !r) return r;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, "INSERT INTO meta(key, value) VALUES(?1, ?2)", -1, &s, nullptr) !=
      SQLITE_OK)
    return err("cannot create the schema");
  auto want = owner_key(origin);
  auto text = origin.to_text();
  Result<void> r;
  for (auto [k, v] :
       {std::pair<const char*, std::span<const uint8_t>>{"origin", want},
        {"origin_text", {reinterpret_cast<const uint8_t*>(text.data()), text.size()}}}) {
    sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
    sqlite3_bind_blob(s, 2, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_DONE) {
      r = err("cannot write the zone origin");
      break;
    }
    sqlite3_reset(s);
  }
  sqlite3_finalize(s);
  return r;
}

// An existing journal: this version's schema, intact, and this zone's.
Result<void> Journal::Impl::check_schema() {
  auto version = query_int("PRAGMA user_version", "cannot read the schema version");
  if (!version) return version.error();
  if (*version != kSchemaVersion)
    return bad(
        fmt::format("schema version {} is not the supported version {}", *version, kSchemaVersion));
  auto quick = query_text("PRAGMA quick_check(1)", "integrity check failed");
  if (!quick) return quick.error();
  if (*quick != "ok") return bad(fmt::format("database is corrupt: {}", *quick));
  auto stored =
      query_text("SELECT value FROM meta WHERE key = 'origin'", "cannot read the zone origin");
  if (!stored) return stored.error();
  auto want = owner_key(origin);
  if (stored->size() == want.size() &&
      std::equal(want.begin(), want.end(), reinterpret_cast<const uint8_t*>(stored->data())))
    return {};
  auto other =
      dns::Name::from_wire({reinterpret_cast<const uint8_t*>(stored->data()), stored->size()});
  return bad(fmt::format("belongs to zone {}, not {}",
                         other ? other->to_text() : std::string("(unreadable origin)"),
                         origin.to_text()));
}

Result<void> Journal::Impl::append(const JournalEntry& e, std::optional<uint32_t>& last) {
  if (last && e.serial_from != *last)
    return bad(fmt::format("entry {} -> {} does not continue the chain (last serial {})",
                           e.serial_from, e.serial_to, *last));
  if (!serial_lt(e.serial_from, e.serial_to))
    return bad(fmt::format("entry {} -> {} does not move the serial forward (RFC 1982)",
                           e.serial_from, e.serial_to));
  auto blob = encode_diff(e.diff);
  if (!blob) return bad(blob.message());
  StmtUse u(stmt(kInsertEntry));
  sqlite3_bind_int64(u.get(), 1, e.serial_from);
  sqlite3_bind_int64(u.get(), 2, e.serial_to);
  sqlite3_bind_int64(u.get(), 3, e.committed_at);
  sqlite3_bind_blob(u.get(), 4, blob->data(), static_cast<int>(blob->size()), SQLITE_STATIC);
  if (sqlite3_step(u.get()) != SQLITE_DONE) return err("cannot write an entry");
  last = e.serial_to;
  return {};
}

Result<void> Journal::Impl::apply_leases(const LeaseChanges& lc) {
  for (const auto& l : lc.removed) {
    auto ok = owner_key(l.owner);
    auto rk = dns::rdata::canonical(l.type, l.rdata);
    StmtUse u(stmt(kLeaseDelete));
    sqlite3_bind_blob(u.get(), 1, ok.data(), static_cast<int>(ok.size()), SQLITE_STATIC);
    sqlite3_bind_int(u.get(), 2, l.type);
    sqlite3_bind_blob(u.get(), 3, rk.data(), static_cast<int>(rk.size()), SQLITE_STATIC);
    if (sqlite3_step(u.get()) != SQLITE_DONE) return err("cannot remove a lease");
  }
  for (const auto& l : lc.upserted) {
    auto ok = owner_key(l.owner);
    auto rk = dns::rdata::canonical(l.type, l.rdata);
    auto w = l.owner.wire();
    StmtUse u(stmt(kLeaseUpsert));
    sqlite3_bind_blob(u.get(), 1, ok.data(), static_cast<int>(ok.size()), SQLITE_STATIC);
    sqlite3_bind_int(u.get(), 2, l.type);
    sqlite3_bind_blob(u.get(), 3, rk.data(), static_cast<int>(rk.size()), SQLITE_STATIC);
    sqlite3_bind_blob(u.get(), 4, w.data(), static_cast<int>(w.size()), SQLITE_STATIC);
    // Empty rdata: a zero-length blob, not NULL (the column is NOT NULL).
    sqlite3_bind_blob(u.get(), 5, l.rdata.empty() ? "" : static_cast<const void*>(l.rdata.data()),
                      static_cast<int>(l.rdata.size()), SQLITE_STATIC);
    sqlite3_bind_int64(u.get(), 6, l.expires_at);
    sqlite3_bind_text(u.get(), 7, l.granted_to.data(), static_cast<int>(l.granted_to.size()),
                      SQLITE_STATIC);
    if (sqlite3_step(u.get()) != SQLITE_DONE) return err("cannot write a lease");
  }
  return {};
}

Result<void> Journal::Impl::write_batch(std::span<const JournalEntry> entries,
                                        std::span<const LeaseChanges> leases) {
  if (leases.size() > entries.size())
    return bad(fmt::format("{} lease changes for {} entries", leases.size(), entries.size()));
  if (auto r = exec_simple(kBegin, "cannot begin a transaction"); !r) return r;
  auto last = single_serial(kLastSerial, "cannot read the last serial");
  Result<void> r = last ? Result<void>{} : Result<void>{last.error()};
  for (size_t i = 0; r && i < entries.size(); ++i) {
    if (!entries[i].lease_only()) r = append(entries[i], *last);
    if (r && i < leases.size()) r = apply_leases(leases[i]);
  }
  if (r) r = exec_simple(kCommit, "cannot commit");
  if (!r) rollback();
  return r;
}

Result<std::vector<Lease>> Journal::Impl::read_leases(StmtId id, int64_t until) const {
  std::vector<Lease> out;
  StmtUse u(stmt(id));
  if (id == kLeaseExpiring) sqlite3_bind_int64(u.get(), 1, until);
  int rc;
  while ((rc = sqlite3_step(u.get())) == SQLITE_ROW) {
    Lease l;
    auto owner = dns::Name::from_wire(column_blob(u.get(), 0));
    if (!owner) return bad("corrupt lease: bad owner name");
    l.owner = *owner;
    l.type = static_cast<uint16_t>(sqlite3_column_int(u.get(), 1));
    auto rd = column_blob(u.get(), 2);
    l.rdata.assign(rd.begin(), rd.end());
    l.expires_at = sqlite3_column_int64(u.get(), 3);
    auto g = column_blob(u.get(), 4);
    l.granted_to.assign(g.begin(), g.end());
    out.push_back(std::move(l));
  }
  if (rc != SQLITE_DONE) return err("cannot read leases");
  return out;
}

Result<std::unique_ptr<Journal>> Journal::open(const std::string& path, const dns::Name& origin,
                                               bool exclusive) {
  std::unique_ptr<Journal> j(new Journal());
  j->impl_ = std::make_unique<Impl>();
  Impl& im = *j->impl_;
  im.path = path;
  im.origin = origin;
  // SQLite takes a file shorter than its header for an empty database and
  // would write a journal over it; whatever that file is, it is not ours.
  // (An empty file is fine: a new journal's first commits may sit in the
  // -wal file with the main file still at 0 octets.)
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    char head[16] = {};
    size_t n = std::fread(head, 1, sizeof head, f);
    std::fclose(f);
    if (n > 0 && (n < sizeof head || std::memcmp(head, "SQLite format 3", 16) != 0))
      return im.bad("file is not a database (no SQLite header)");
  }
  // flock, not fcntl: SQLite's own POSIX record locks on the file are a
  // separate mechanism, so the two never interfere.
  if (exclusive) {
    im.lock_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (im.lock_fd < 0) return im.bad(fmt::format("unable to open: {}", std::strerror(errno)));
    if (::flock(im.lock_fd, LOCK_EX | LOCK_NB) != 0)
      return im.bad(errno == EWOULDBLOCK
                        ? "in use by another process (another namaed with the same journal?)"
                        : fmt::format("cannot lock: {}", std::strerror(errno)));
  }
  // NOMUTEX: our own mutex serializes every call; SQLite's would be a second lock.
  int rc =
      sqlite3_open_v2(path.c_str(), &im.db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    if (!im.db) return im.bad("cannot open: out of memory");
    return im.err("cannot open");
  }
  sqlite3_extended_result_codes(im.db, 1);
  bool created = false;
  if (auto r = im.init(created); !r) return r.error();
  return j;
}

Journal::~Journal() = default;

const std::string& Journal::path() const { return impl_->path; }

Result<void> Journal::commit(const JournalEntry& entry, const LeaseChanges& leases) {
  std::lock_guard lock(impl_->mu);
  return impl_->write_batch({&entry, 1}, {&leases, 1});
}

Result<void> Journal::commit_batch(std::span<const JournalEntry> entries,
                                   std::span<const LeaseChanges> leases) {
  std::lock_guard lock(impl_->mu);
  if (entries.empty()) return {};
  return impl_->write_batch(entries, leases);
}

Result<std::vector<JournalEntry>> Journal::entries_since(uint32_t serial) const {
  std::lock_guard lock(impl_->mu);
  Impl& im = *impl_;
  // One read transaction, so a concurrent writer (another connection) cannot
  // slip an entry between the two statements.
  if (auto r = im.exec_simple(kBeginRead, "cannot begin a transaction"); !r) return r.error();
  struct Done {
    Impl& im;
    ~Done() { im.rollback(); }
  } done{im};

  auto last = im.single_serial(kLastSerial, "cannot read the last serial");
  if (!last) return last.error();
  std::vector<JournalEntry> out;
  if (!*last || **last == serial) return out;

  int64_t start = -1;
  {
    StmtUse u(im.stmt(kFindFrom));
    sqlite3_bind_int64(u.get(), 1, serial);
    int rc = sqlite3_step(u.get());
    if (rc == SQLITE_ROW)
      start = sqlite3_column_int64(u.get(), 0);
    else if (rc != SQLITE_DONE)
      return im.err("cannot search entries");
  }
  if (start < 0) {
    auto first = im.single_serial(kFirstSerial, "cannot read the first serial");
    if (!first) return first.error();
    return im.bad(fmt::format("serial {} is not in the journal (it holds {} .. {})", serial,
                              first->value_or(0), **last));
  }
  StmtUse u(im.stmt(kSince));
  sqlite3_bind_int64(u.get(), 1, start);
  int rc;
  uint32_t expect = serial;
  while ((rc = sqlite3_step(u.get())) == SQLITE_ROW) {
    JournalEntry e;
    int64_t seq = sqlite3_column_int64(u.get(), 0);
    e.serial_from = static_cast<uint32_t>(sqlite3_column_int64(u.get(), 1));
    e.serial_to = static_cast<uint32_t>(sqlite3_column_int64(u.get(), 2));
    e.committed_at = sqlite3_column_int64(u.get(), 3);
    if (e.serial_from != expect)
      return im.bad(fmt::format("chain broken at entry {}: serial_from {} where {} was expected",
                                seq, e.serial_from, expect));
    if (!serial_lt(e.serial_from, e.serial_to))
      return im.bad(fmt::format("entry {} goes from serial {} to {}, not forward", seq,
                                e.serial_from, e.serial_to));
    if (!decode_diff(column_blob(u.get(), 4), e.diff))
      return im.bad(
          fmt::format("entry {} ({} -> {}): corrupt diff", seq, e.serial_from, e.serial_to));
    expect = e.serial_to;
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return im.err("cannot read entries");
  return out;
}

Result<std::vector<Lease>> Journal::leases() const {
  std::lock_guard lock(impl_->mu);
  return impl_->read_leases(kLeaseList, 0);
}

Result<std::vector<Lease>> Journal::leases_expiring_by(int64_t when) const {
  std::lock_guard lock(impl_->mu);
  return impl_->read_leases(kLeaseExpiring, when);
}

Result<void> Journal::compact(uint32_t serial, size_t keep) {
  std::lock_guard lock(impl_->mu);
  Impl& im = *impl_;
  if (auto r = im.exec_simple(kBegin, "cannot begin a transaction"); !r) return r;
  Result<void> r;
  int64_t cut = -1;  // delete entries with seq <= cut
  {
    // Walk from the oldest entry while entries end at or before `serial`; a
    // plain numeric comparison would be wrong once the serial has wrapped.
    std::vector<int64_t> seqs;
    size_t prefix = 0;
    bool in_prefix = true;
    StmtUse u(im.stmt(kHeads));
    int rc;
    while ((rc = sqlite3_step(u.get())) == SQLITE_ROW) {
      int64_t seq = sqlite3_column_int64(u.get(), 0);
      auto to = static_cast<uint32_t>(sqlite3_column_int64(u.get(), 1));
      seqs.push_back(seq);
      if (in_prefix && (to == serial || serial_lt(to, serial)))
        ++prefix;
      else
        in_prefix = false;
    }
    if (rc != SQLITE_DONE) r = im.err("cannot read entries");
    size_t drop = std::min(prefix, seqs.size() > keep ? seqs.size() - keep : size_t{0});
    if (drop > 0) cut = seqs[drop - 1];
  }
  if (r && cut >= 0) {
    StmtUse u(im.stmt(kDeleteUpTo));
    sqlite3_bind_int64(u.get(), 1, cut);
    if (sqlite3_step(u.get()) != SQLITE_DONE) r = im.err("cannot delete entries");
  }
  if (r) r = im.exec_simple(kCommit, "cannot commit");
  if (!r) im.rollback();
  return r;
}

Result<void> Journal::reset() {
  std::lock_guard lock(impl_->mu);
  return impl_->exec_simple(kDeleteAll, "cannot delete entries");
}

Result<std::optional<uint32_t>> Journal::last_serial() const {
  std::lock_guard lock(impl_->mu);
  return impl_->single_serial(kLastSerial, "cannot read the last serial");
}

Result<std::optional<uint32_t>> Journal::first_serial() const {
  std::lock_guard lock(impl_->mu);
  return impl_->single_serial(kFirstSerial, "cannot read the first serial");
}

Result<size_t> Journal::entry_count() const {
  std::lock_guard lock(impl_->mu);
  StmtUse u(impl_->stmt(kCount));
  if (sqlite3_step(u.get()) != SQLITE_ROW) return impl_->err("cannot count entries");
  return static_cast<size_t>(sqlite3_column_int64(u.get(), 0));
}

Result<ReplayPlan> plan_replay(const Journal& journal, uint32_t file_serial) {
  ReplayPlan plan;
  auto last = journal.last_serial();
  if (!last) return fail(last.message());
  plan.journal_serial = *last;
  if (!*last || **last == file_serial) return plan;
  if (serial_lt(**last, file_serial)) {
    plan.kind = ReplayPlan::Kind::file_newer;
    return plan;
  }
  auto entries = journal.entries_since(file_serial);
  if (!entries) return fail(entries.message());
  plan.kind = ReplayPlan::Kind::replay;
  plan.entries = std::move(*entries);
  return plan;
}

Result<std::shared_ptr<const zone::ZoneVersion>> replay(
    std::shared_ptr<const zone::ZoneVersion> base, std::span<const JournalEntry> entries) {
  if (!base) return fail("replay: no base zone version");
  std::shared_ptr<const zone::ZoneVersion> v = std::move(base);
  // The first entry copies the loaded version (others may hold it); the
  // rest change that private copy in place, so replaying N entries does not
  // copy the zone's index N times.
  std::shared_ptr<zone::ZoneVersion> own;
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    if (e.serial_from != v->serial())
      return fail(fmt::format("replay of {}: entry {} starts at serial {} but the zone is at {}",
                              v->origin().to_text(), i, e.serial_from, v->serial()));
    Result<std::shared_ptr<zone::ZoneVersion>> next = fail("not applied");
    if (own)
      next = zone::ZoneVersion::apply_in_place(own, e.diff);
    else if (auto copy = v->apply(e.diff))
      next = std::const_pointer_cast<zone::ZoneVersion>(*copy);  // new: nobody else holds it
    else
      next = fail(copy.message());
    if (!next)
      return fail(fmt::format("replay of {}: entry {} ({} -> {}) does not apply: {}",
                              v->origin().to_text(), i, e.serial_from, e.serial_to,
                              next.message()));
    if ((*next)->serial() != e.serial_to)
      return fail(fmt::format("replay of {}: entry {} should reach serial {} but reached {}",
                              v->origin().to_text(), i, e.serial_to, (*next)->serial()));
    own = std::move(*next);
    v = own;
  }
  return v;
}

}  // namespace namae::update
