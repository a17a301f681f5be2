// The iterative resolver (RFC 1034 5.3.3): answers a question from the cache
// or by walking down from the root, one upstream exchange at a time, through
// net::Transport (the real network, or a scripted one in tests).
//
// Each client question runs an explicit state machine (iterator.cpp, after
// Unbound's iterator): init -> (prime) -> query_targets -> query_response ->
// ... -> finished, with sub-tasks for the addresses of glueless name servers.
// Budgets per client question bound referrals, sub-queries, upstream queries
// and CNAME chains, so no answer can make the resolver send unbounded traffic
// (NXNS-style amplification).
#pragma once

#include <chrono>
#include <mutex>
#include <map>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "dns/message.h"
#include "net/address.h"
#include "net/client.h"
#include "net/dot_client.h"
#include "net/fiber.h"
#include "resolver/auto_anchors.h"
#include "resolver/cache.h"
#include "resolver/infra.h"
#include "resolver/local_authority.h"
#include "resolver/root_hints.h"
#include "resolver/validate.h"
#include "validator/anchors.h"

namespace namae::resolver {

/// A domain whose questions go to configured servers rather than down the
/// delegations from the root, as Unbound's stub-zone and forward-zone.
struct ZoneRoute {
  dns::Name name;                       // the domain, and everything below it
  std::vector<net::Endpoint> servers;   // each with its own port
  // Forward: the servers are recursive resolvers, asked with RD=1, whose
  // answers are taken as they come (no referrals followed, no QNAME
  // minimisation). Stub: they are the domain's authoritative servers, asked
  // with RD=0, and their referrals are followed as any other.
  bool forward = false;
  // Forward over TLS (RFC 7858): queries go through `dot`'s kept
  // connections to servers whose certificates carry `tls_name`.
  std::shared_ptr<net::DotClient> dot;
  std::string tls_name;
};

/// A route from its text form: `name` (absolute or not) and servers as
/// "addr", "addr:port", "[v6]" or "[v6]:port" (`port` when left out).
Result<ZoneRoute> make_route(std::string_view name, const std::vector<std::string>& servers, bool forward,
                             uint16_t port = 53);

/// Behaviour switches and limits.
struct ResolverOptions {
  bool qname_minimisation = true;     // RFC 9156, relaxed mode
  bool do_not_query_localhost = true; // never send to 127/8 or ::1 (Unbound's default)
  uint16_t edns_udp_size = 1232;      // advertised upstream (DNS flag day 2020)
  uint16_t upstream_port = 53;        // port of every upstream server (tests may change it)
  int max_referrals = 30;             // referrals followed per question
  int max_depth = 6;                  // nesting of sub-tasks (glueless NS address lookups)
  int max_upstream_queries = 100;     // exchanges per client question, sub-tasks included
  int max_cname_chain = 16;           // CNAME/DNAME links in one answer
  int max_glueless_lookups = 6;       // NS names resolved per delegation (NXNS mitigation)
  int max_minimise_steps = 10;        // RFC 9156 MAX_MINIMISE_COUNT
  uint32_t stale_answer_ttl = 30;     // RFC 8767 4
  // A client question ends by then, whatever its servers do: a stub retries
  // after a few seconds, and a SERVFAIL saying why (EDE 22) beats silence.
  int64_t resolution_timeout_ms = 2500;
  /// Stub and forward domains; a question goes by the deepest one holding
  /// it (a local zone at least as deep wins). Their servers may be on
  /// loopback whatever do_not_query_localhost says: they are configured.
  std::vector<ZoneRoute> routes;
  /// DNSSEC validation (RFC 4035 4): from these anchors; null validates nothing.
  std::shared_ptr<const validator::TrustAnchors> trust_anchors;
  /// RFC 5011: when set, the anchors come from here (and `trust_anchors`
  /// is only whether to validate) and follow the trust points' key changes.
  std::shared_ptr<AutoTrustAnchors> auto_anchors;
  /// RFC 8198: validated NSEC ranges answer the names they cover (when validating).
  bool aggressive_nsec = true;
};

/// The result of a resolution: what the client's answer contains.
struct Answer {
  uint16_t rcode = 0;
  std::vector<EntryPtr> chain;  // answer section: CNAME/DNAME links then the data
  EntryPtr negative;            // NXDOMAIN/NODATA: its SOA goes in authority
  EntryPtr referral;            // RD=0 cache miss: the closest cached NS RRset (authority)
  std::vector<EntryPtr> glue;   // and its cached addresses (additional)
  bool stale = false;           // served from expired data (RFC 8767)
  bool from_cache = false;      // entirely from the cache, no upstream exchange
  int upstream_queries = 0;
  uint16_t ede = 0xffff;        // RFC 8914 INFO-CODE for the client (0xffff: none)
  std::string ede_text;         // and its EXTRA-TEXT (why no server answered, say)
  // The least secure of its entries (RFC 4035 4.3); secure sets AD=1 for a
  // client that asked with DO or AD (RFC 6840 5.7).
  validator::Security security = validator::Security::unchecked;

  /// SERVFAIL saying why (RFC 8914 `code`), with no records: what a client
  /// gets for bogus data or data that could not be validated.
  void servfail(uint16_t code) {
    rcode = dns::rcode::SERVFAIL;
    ede = code;
    chain.clear();
    negative.reset();
  }
};

/// One upstream exchange, for `namae query +trace` and tests.
struct TraceStep {
  int depth = 0;                 // 0 = the client's question; >0 = sub-task
  std::string zone;              // zone whose servers were asked
  std::string server_name;       // NS name of the server asked ("(hint)" for root hints)
  net::Endpoint server;
  std::string qname;             // as sent (minimised or not)
  uint16_t qtype = 0;
  bool tcp = false;
  bool tls = false;              // DNS over TLS to a forwarder
  bool edns = false;
  std::string why;               // why this server was chosen
  std::string error;             // timeout / refused / mismatch..., empty if a reply came
  uint16_t rcode = 0;
  bool aa = false, tc = false, rd = false, ra = false;
  uint16_t counts[4] = {0, 0, 0, 0};
  std::string outcome;           // "referral to X", "answer", "NXDOMAIN", "NODATA", "lame", ...
  std::vector<std::string> records;  // records of the reply that mattered (text)
  int64_t rtt_ms = 0;
};

using TraceSink = std::function<void(const TraceStep&)>;

/// Answers questions; thread-safe (all shared state is in Cache and Infra).
class Resolver {
 public:
  /// `local` (may be null: none) answers the zones served on this host; it
  /// must outlive the resolver.
  Resolver(ResolverOptions options, RootHints hints, Cache& cache, Infra& infra,
           net::Transport& transport, const Clock& clock, LocalAuthority* local = nullptr);

  /// Resolve (qname, qtype, IN). `refresh` skips the cache for the last step
  /// (prefetch). `trace` is told about each upstream exchange.
  Answer resolve(const dns::Name& qname, uint16_t qtype, bool refresh = false,
                 const TraceSink* trace = nullptr, bool checking_disabled = false);

  /// Whether answers are validated (trust anchors configured).
  bool validating() const { return options_.trust_anchors != nullptr; }
  /// Set `a.security` from its entries' verdicts; a bogus one turns the
  /// answer into SERVFAIL with its EDE unless the client set CD (RFC 4035
  /// 3.2.2). False when validating and some entry is not judged yet (the
  /// cache-hit path then hands the question to a resolution thread).
  bool settle(Answer& a, bool checking_disabled) const;

  /// The answer if the cache alone can give it (following cached CNAMEs);
  /// false if any step is missing. Never touches the network.
  bool answer_from_cache(const dns::Name& qname, uint16_t qtype, Answer& out,
                         bool allow_stale = false) const;

  /// For a query with RD=0 that the cache cannot answer: the closest
  /// delegation the cache knows for `qname` (NS RRset and addresses), as
  /// BIND answers non-recursive queries. False if the cache has none.
  bool referral_from_cache(const dns::Name& qname, Answer& out) const;

  /// The deepest stub or forward domain holding `name`, or nullptr.
  const ZoneRoute* route_for(const dns::Name& name) const;

  const ResolverOptions& options() const { return options_; }
  LocalAuthority* local_authority() const { return local_; }
  Cache& cache() { return cache_; }
  NegativeAnchors& negative_anchors() { return negative_; }
  DenialCache& denial_cache() { return denial_; }
  KeyCache& key_cache() { return keys_; }
  Infra& infra() { return infra_; }

 private:
  friend class Iterator;
  bool synthesized(const dns::Name& name, uint16_t qtype, Answer& out) const;
  // Identical upstream questions in flight (zone|qname|qtype): a second
  // iterator waits for the first and then reads the cache, as Unbound's mesh
  // does, so concurrent cold queries do not ask the same server the same thing.
  bool begin_flight(const std::string& key);
  void end_flight(const std::string& key);
  void wait_flight(const std::string& key, std::chrono::milliseconds at_most);
  // (A Signal: the waiter may be a fiber of the service's loops or a plain thread.)
  std::mutex flight_mu_;
  std::map<std::string, std::shared_ptr<net::Signal>> flights_;

  ResolverOptions options_;
  RootHints hints_;
  Cache& cache_;
  Infra& infra_;
  net::Transport& transport_;
  const Clock& clock_;
  LocalAuthority* local_;
  KeyCache keys_;
  NegativeAnchors negative_;
  DenialCache denial_;
};

/// Where the zone that answers (qname, qtype) is sought: DS lives in the
/// parent zone (RFC 4035 3.1.4.1), so one label up; anything else at qname.
dns::Name delegation_start(const dns::Name& target, uint16_t qtype);

/// Write the client's response for `answer` into `out` (RA=1, AA=0, RD and
/// the question echoed, TTLs counted down, SOA in authority for negatives,
/// OPT when the query had one). `query` is the parsed client query. Whole
/// RRsets that do not fit set TC. Returns the length.
size_t write_response(const dns::MessageView& query, const Answer& answer, int64_t now_ms,
                      uint32_t stale_ttl, uint16_t max_udp, bool tcp, std::span<uint8_t> out);

/// A SERVFAIL/REFUSED/... response to `query` with no records.
size_t write_error(const dns::MessageView& query, uint16_t rcode, bool ra, std::span<uint8_t> out);

/// The answer to a client `[resolver] allow` turns away: REFUSED, RA=0, with
/// EDE 18 "Prohibited" (RFC 8914 4.19) when the query had EDNS.
size_t write_prohibited(const dns::MessageView& query, std::span<uint8_t> out);

}  // namespace namae::resolver
