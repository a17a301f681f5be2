// AuthEngine: the authoritative answer algorithm (RFC 1034 4.3.2 as amended
// by RFC 2181, 2308, 4592, 6672, 8482) over a ZoneSet snapshot, behind the
// net::QueryHandler seam. One engine per worker thread; it never allocates
// while answering: the query is parsed in place (MessageView) and the answer
// is written straight into the transport's buffer (MessageBuilder).
//
// Choices where servers differ (docs/auth.md lists them for the differential test):
//  - ANY (RFC 8482): one RRset of the name, the first in zone-file order, over
//    UDP and TCP alike (as NSD and Knot do; BIND sends them all).
//  - AXFR: FORMERR over UDP (as BIND); over TCP handed to the transfer
//    handler if one is set, else NOTIMP. IXFR goes to the transfer handler
//    over UDP too (RFC 1995 4: the IXFR if it fits, else the SOA); without
//    one it is FORMERR over UDP and NOTIMP over TCP.
//  - A CNAME chain is followed across every zone in the snapshot, at most
//    AuthOptions::max_chain links; a loop ends the chain with NOERROR.
//  - Referrals carry in-domain glue as required data (TC=1 if it does not
//    fit, RFC 9471) and sibling glue as optional data.
//  - Response rate limiting (AuthOptions::rrl, auth/rrl.h): a UDP answer is
//    classified once built (BIND's classes) and accounted; over the rate it
//    is dropped (handle() returns 0) or slips out as TC=1 with the question
//    only. TCP, TSIG-verified queries and queries with a valid server cookie
//    are never limited: their source address is proven (BIND ARM rate-limit,
//    Knot mod-rrl). Error replies outside the answer algorithm are limited
//    too, in the error class by rcode as BIND's errors-per-second: FORMERR
//    to a query that does not parse, and the UPDATE and NOTIFY handlers'
//    errors (REFUSED, NOTAUTH...); their NOERROR replies are not (BIND does
//    not limit them; Knot exempts TSIG-authorized requests).
//  - allow-query (AuthOptions::allow_query, zone_allow_query): checked once
//    the zone is found, so a query for a zone we do not serve is REFUSED as
//    before; a denied one gets REFUSED with EDE 18 "Prohibited" (RFC 8914
//    4.19) when it has EDNS. A CNAME chain stops at a zone the client may
//    not query (its data must not leak through another zone's name). The
//    listener's own list (listener_allow_query) is checked at the same
//    point, before the zone's: both must admit the query.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <span>
#include <vector>

#include "auth/rrl.h"
#include "base/log.h"
#include "base/published.h"
#include "dns/cookie.h"
#include "dns/message.h"
#include "dns/name.h"
#include "dns/tsig.h"
#include "net/acl.h"
#include "net/handler.h"
#include "net/metrics.h"
#include "zone/zone_set.h"

namespace namae::auth {

/// Behaviour switches (config keys in docs/config.md).
struct AuthOptions {
  /// Leave out the zone's NS (authority) and their addresses (additional)
  /// on positive answers, and MX/SRV/NS target addresses.
  bool minimal_responses = false;
  /// Our EDNS UDP payload size: answers over UDP are at most
  /// min(client's size, this), never below 512 (RFC 6891 6.2.5).
  uint16_t max_udp_payload = 1232;
  /// CNAME/DNAME links followed within one answer (BIND follows 16).
  unsigned max_chain = 16;
  /// TSIG keys ([[key]]) that signed queries are verified against (RFC 8945
  /// 5.2); the reply to a verified query is signed with the same key. Empty:
  /// every signed query gets BADKEY.
  std::vector<dns::TsigKey> tsig_keys;
  /// DNS cookies (RFC 7873, RFC 9018 server cookies) made and checked with
  /// these secrets; unset: COOKIE options are ignored, as by a server
  /// without cookie support.
  std::optional<dns::CookieSecretSchedule> cookies;
  /// Response rate limiting of UDP answers, shared by every worker (nullptr: none).
  std::shared_ptr<RateLimiter> rrl;
  /// allow-query of [server]: who may query any zone without its own list
  /// (prefixes; key entries admit queries verified with that [[key]]).
  /// Unset: everyone.
  std::optional<net::AddressAcl> allow_query;
  /// allow-query of a [[zone]], by origin: replaces the server's for it.
  std::vector<std::pair<dns::Name, net::AddressAcl>> zone_allow_query;
  /// allow-query of a [server] listen entry, by net::Peer::listener (unset
  /// or out of range: that listener has none). A query must pass both its
  /// listener's list and its zone's.
  std::vector<std::optional<net::AddressAcl>> listener_allow_query;
  /// Where the first limited response of each run is logged (rate-limited).
  LogSink log;
};

/// The options every worker's engine reads, swapped whole by a live
/// reconfiguration (base/published.h).
using AuthSettings = Published<AuthOptions>;

/// Handles a request the query engine does not (NOTIFY, UPDATE, zone
/// transfers); set by the xfr and update modules.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  /// Same contract as net::QueryHandler::handle; `query` is already parsed.
  /// Its TSIG, if any, is not verified: the handler does that (an UPDATE
  /// needs the key for its policy, a transfer signs a stream of messages).
  /// It may also return net::kStream (TCP only: a zone transfer's messages);
  /// the engine then hands the transport take_stream() at once.
  virtual size_t handle(const dns::MessageView& query, std::span<uint8_t> response,
                        const net::Peer& peer, const zone::ZoneSet& zones) = 0;
  /// The stream the last handle() on this thread announced with kStream.
  virtual std::unique_ptr<net::ResponseStream> take_stream() { return nullptr; }
};

/// Answers the QUERYs for names whose data is not in the zones (the
/// discovery proxy's domains, RFC 8766 5.1: their authoritative server
/// makes its answers from the link). Asked once a query has passed the
/// engine's checks that need no zone (EDNS version, cookies, class, query
/// type), before the zones; unsigned queries only (it holds no keys). Its
/// immediate UDP replies are rate limited like the engine's (classified by
/// auth::classify_reply); deferred ones it limits itself.
class NameHandler : public RequestHandler {
 public:
  /// True for a name this handler answers.
  virtual bool covers(const dns::Name& qname) const = 0;
};

/// The authoritative query handler (one per worker).
class AuthEngine : public net::QueryHandler {
 public:
  /// `zones` must outlive the engine. `metrics` (optional) receives per-zone counts.
  explicit AuthEngine(const zone::ZoneSetHolder& zones, AuthOptions options = {},
                      net::WorkerMetrics* metrics = nullptr);
  /// Options that change while it runs: the engine takes each new version
  /// between two queries (`settings` is shared by every worker).
  AuthEngine(const zone::ZoneSetHolder& zones, std::shared_ptr<const AuthSettings> settings,
             net::WorkerMetrics* metrics = nullptr);

  void begin_batch() override;
  /// Lets go of a replaced snapshot right after the batch, not at the next one.
  void end_batch() override;
  size_t handle(std::span<const uint8_t> query, std::span<uint8_t> response,
                const net::Peer& peer) override;
  /// The transfer handler's stream after handle() returned net::kStream.
  std::unique_ptr<net::ResponseStream> take_stream() override {
    return transfer_ ? transfer_->take_stream() : nullptr;
  }

  /// Answer `query` from `zones` directly (tests, tools). `tcp` selects the
  /// transport rules (size limit, AXFR).
  size_t answer(const zone::ZoneSet& zones, std::span<const uint8_t> query,
                std::span<uint8_t> response, bool tcp);

  /// Route an opcode (NOTIFY = 4, UPDATE = 5) to `handler` (nullptr: NOTIMP).
  void set_opcode_handler(uint8_t opcode, RequestHandler* handler);
  /// Route AXFR over TCP and IXFR to `handler` (nullptr: NOTIMP, FORMERR over UDP).
  void set_transfer_handler(RequestHandler* handler) { transfer_ = handler; }
  /// Route QUERYs for the names `handler` covers to it (nullptr: none).
  void set_name_handler(NameHandler* handler) { names_ = handler; }

  const AuthOptions& options() const { return *opts_; }

 private:
  // How resolve() ended, which decides authority and additional: positive
  // (zone NS + addresses), any (addresses only), nodata/nxdomain (SOA),
  // referral, truncated, done (nothing more). `follow`: one link of the
  // chain ended in a CNAME or DNAME, resolve() goes on at its target.
  enum class End : uint8_t { positive, any, nodata, nxdomain, referral, truncated, done, follow };
  struct Extra {
    const zone::ZoneVersion* zone;
    zone::RRsetView rrset;
    bool glue;  // NS: addresses may come from below a cut
  };
  struct Reply;

  void refresh();
  void take_options();
  // The allow-query list of `zone` (index `index` in `zones`); nullptr: everyone.
  const net::AddressAcl* query_acl(const zone::ZoneSet& zones, const zone::ZoneVersion* zone,
                                   size_t index) const;
  // The allow-query list of the listener the query of `r` came on; nullptr: none.
  const net::AddressAcl* listener_acl(const Reply& r) const;
  // Whether the client of `r` (its address, or the key it verified with) may query.
  bool query_allowed(const Reply& r, const net::AddressAcl* acl) const;
  // REFUSED with EDE 18 "Prohibited" (RFC 8914 4.19) when the query had EDNS.
  size_t refuse_prohibited(Reply& r);
  size_t dispatch(const zone::ZoneSet& zones, std::span<const uint8_t> query,
                  std::span<uint8_t> response, const net::Peer& peer);
  // Verifies a signed query (cold path, may allocate) and answers through respond().
  size_t dispatch_signed(const zone::ZoneSet& zones, const dns::MessageView& view,
                         const dns::Header& qh, std::span<const uint8_t> query,
                         std::span<uint8_t> response, const net::Peer& peer);
  // Answers a parsed query: the errors that need no zone here, then
  // answer_query(). `tv` is set for a signed query handled here: a failed
  // verification is answered with its error, and the reply is signed.
  size_t respond(const zone::ZoneSet& zones, const dns::MessageView& view, const dns::Header& qh,
                 std::span<const uint8_t> query, std::span<uint8_t> response, const net::Peer& peer,
                 const dns::TsigVerification* tv);
  // The reply with rcode `rc` (and the question if `question`), EDNS and TSIG.
  size_t finish(Reply& r, uint16_t rc, bool question);
  dns::CookieVerdict take_cookie(Reply& r, std::span<const uint8_t> option, const net::Peer& peer);
  void add_question(Reply& r);
  // RRL: the limiter's verdict on the reply about to be finished with `rc`
  // (send when exempt); logs and counts what it limits.
  RrlAction rate_limit(Reply& r, uint16_t rc);
  // The same for a UDP reply built outside finish(): one to a query that
  // does not parse, or an UPDATE or NOTIFY handler's. Errors only (by
  // rcode, as BIND's errors-per-second); `len` as handle() returns it, 0
  // when dropped; a slip is the header alone with TC=1.
  size_t rate_limit_error(const net::Peer& peer, std::span<uint8_t> response, size_t len,
                          const dns::Name* qname);
  // The NameHandler's answer to `view`, rate limited as an answer of its
  // class (auth::classify_reply) unless `exempt`.
  size_t answer_by_name_handler(const zone::ZoneSet& zones, const dns::MessageView& view,
                                std::span<uint8_t> response, const net::Peer& peer, bool exempt);
  // Accounts one response of `cls`/`key` to `peer` (not exempt, UDP).
  RrlAction account(const net::Peer& peer, RrlClass cls, uint64_t key, const dns::Name* qname);
  void log_limited(const net::Peer& peer, RrlClass cls, const dns::Name* qname);
  // The RRL class and key of an answer, by how resolve() ended (BIND's classes).
  void classify(Reply& r, End end);
  // Finds the zone, resolves the name, and fills authority and additional
  // by how resolve() ended.
  size_t answer_query(Reply& r, const zone::ZoneSet& zones);
  // The answer section: the CNAME/DNAME chain from the qname (RFC 1034
  // 4.3.2, RFC 6672), one answer_name() per link.
  End resolve(Reply& r, const zone::ZoneSet& zones);
  // One link: a referral, an NXDOMAIN, or the name's (or its wildcard's) data.
  End answer_name(Reply& r, const dns::Name& cur, dns::Name& next);
  End answer_dname(Reply& r, const dns::Name& cur, const zone::Node& node, dns::Name& next);
  End answer_node(Reply& r, const dns::Name& cur, const zone::Node& node, dns::Name& next);
  End answer_any(Reply& r, const dns::Name& cur, const zone::Node& node);
  End answer_rrsig(Reply& r, const dns::Name& cur, const zone::Node& node);
  // Authority and additional sections by how resolve() ended (as NSD
  // answers each outcome: answer, referral, NXDOMAIN, NODATA).
  void add_authority_and_additional(Reply& r, End end);
  // Authority of a positive answer: the zone's NS, unless minimal.
  void add_zone_ns(Reply& r);
  // Authority of NXDOMAIN / NODATA: the SOA (RFC 2308 3).
  void add_negative_soa(Reply& r);
  // Whole RRset or nothing; `answer` records it as answer-section data.
  bool add_rrset(dns::MessageBuilder& b, std::span<const uint8_t> owner, const zone::RRsetView& set,
                 uint16_t rclass, bool answer = false);
  bool add_rrset(dns::MessageBuilder& b, const dns::Name& owner, const zone::RRsetView& set,
                 uint16_t rclass, bool answer = false) {
    return add_rrset(b, owner.wire(), set, rclass, answer);
  }
  // add_rrset() and, when `sign`, the RRSIGs covering it at `node`: both or
  // neither (RFC 4035 3.1.1).
  bool add_signed_rrset(dns::MessageBuilder& b, std::span<const uint8_t> owner, const zone::Node& node,
                        const zone::RRsetView& set, uint16_t rclass, bool sign, bool answer = false);
  // An answer-section RRset of the current link, signed when the query has
  // DO=1 and the link's zone is signed.
  bool add_answer(Reply& r, const dns::Name& owner, const zone::Node& node, const zone::RRsetView& set);

  // DNSSEC proofs in the authority section (dnssec.cpp; RFC 4035 3.1.3,
  // 3.1.4, RFC 5155 7.2). Each returns false when a required record did not
  // fit (the caller sets TC).
  // Whether `z`'s records go out signed in this reply.
  static bool signs(const Reply& r, const zone::ZoneVersion& z);
  // The proofs that end an answer, by how resolve() ended.
  bool add_denial(Reply& r, End end);
  // RFC 4035 3.1.3.3, RFC 5155 7.2.6: for every link answered from a
  // wildcard, the proof that its name does not exist.
  bool add_wildcard_proofs(Reply& r);
  bool add_nodata_proof(Reply& r, const zone::ZoneVersion& z, const dns::Name& qname,
                        const zone::Node& node, const zone::Node* wildcard);
  bool add_nxdomain_proof(Reply& r, const zone::ZoneVersion& z, const dns::Name& qname,
                          const zone::Node& ce);
  // A referral's DS with its RRSIGs, or the proof that the cut has none.
  bool add_referral_ds(Reply& r, const zone::ZoneVersion& z, const zone::Node& cut);
  // The NSEC (or NSEC3) RRset of `n` with its RRSIGs, once per reply.
  bool add_proof(Reply& r, const zone::ZoneVersion& z, const zone::Node* n, uint16_t type);
  // NSEC3 (RFC 5155 7.2.1): the closest provable encloser of `name` at or
  // above `start_labels` labels (its NSEC3 matches) and the NSEC3 covering
  // the next closer name; `ce_labels` is the encloser's label count.
  bool add_nsec3_encloser_proof(Reply& r, const zone::ZoneVersion& z, const dns::Name& name,
                                size_t start_labels, size_t& ce_labels);
  bool add_nsec3_for(Reply& r, const zone::ZoneVersion& z, const dns::Name& name, bool cover);
  void note_extra(const zone::ZoneVersion* z, const zone::RRsetView& set);
  // `sign`: with RRSIGs when the zone is signed (not for glue: a cut's
  // addresses are not the parent's authoritative data, RFC 4035 3.1.4).
  bool add_addresses(dns::MessageBuilder& b, const zone::ZoneVersion& z, const dns::Name& target,
                     bool glue, bool required, bool sign);
  bool add_referral(Reply& r, const zone::ZoneVersion& z, const zone::Node& cut);
  void add_extras(Reply& r);

  const zone::ZoneSetHolder& holder_;
  std::shared_ptr<const AuthSettings> settings_;
  AuthSettings::Reader opts_;
  uint16_t max_udp_payload_ = 512;  // options' max_udp_payload, at least 512
  net::WorkerMetrics* metrics_;
  std::shared_ptr<const zone::ZoneSet> snap_;
  uint64_t gen_ = 0;
  std::vector<uint32_t> zone_slots_;  // metrics slot per snap_->zones() index
  std::vector<const net::AddressAcl*> zone_acls_;  // allow-query per snap_->zones() index
  std::array<RequestHandler*, 16> opcode_handlers_{};
  RequestHandler* transfer_ = nullptr;
  NameHandler* names_ = nullptr;

  // Scratch, reused by every query (no allocation on the packet path).
  static constexpr size_t kMaxExtras = 16;
  std::array<Extra, kMaxExtras> extras_{};
  size_t n_extras_ = 0;
  std::array<uint64_t, 64> added_targets_{};  // hashes of names given addresses already
  size_t n_added_ = 0;
  std::array<zone::RRsetView, 16> answered_{};  // RRsets in the answer section
  size_t n_answered_ = 0;
  std::unique_ptr<dns::ServerCookies> cookies_;  // set when opts_.cookies is
  // The reply's options: COOKIE (code, length, data), then room for an EDE.
  static constexpr size_t kCookieOptionSize = 4 + 24;
  std::array<uint8_t, kCookieOptionSize + dns::ede_option_size(0)> reply_options_{};
  std::vector<dns::Name> chain_;  // names visited by the CNAME chain (sized once)
  // Per chain_ entry: the zone it was answered from and the wildcard that
  // answered it (DNSSEC proofs of the names wildcards stood in for).
  struct Link {
    const zone::ZoneVersion* zone;
    const zone::Node* wildcard;
  };
  std::vector<Link> links_;
  // NSEC/NSEC3 RRsets already in this reply's authority section.
  static constexpr size_t kMaxProofs = 12;
  std::array<const zone::Node*, kMaxProofs> proofs_{};
  size_t n_proofs_ = 0;
};

}  // namespace namae::auth
