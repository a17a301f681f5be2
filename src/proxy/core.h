// The Discovery Proxy of one link (RFC 8766) as pure logic: unicast
// questions under the delegated domains (the services' domain, the
// host-name domain of 5.3, the reverse zones of 5.4) are answered from the link's
// multicast DNS cache, or asked on the link and answered when mDNS answers
// (5.6), with names translated (5.5, proxy/rewrite.h). The zones' own
// records (SOA and NS at each apex, the administrative SRV names of 6.4,
// the domain enumeration PTRs of RFC 6763 11) are made here and answered
// at once. No sockets and no clock: the link is an
// interface and `now` is passed in, so unit tests drive it with a real
// mdns::Querier and fake time.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dns/name.h"
#include "dns/record.h"
#include "mdns/packet.h"
#include "proxy/rewrite.h"

namespace namae::proxy {

using mdns::Millis;

/// What the proxy needs of the link's mDNS stack.
class Link {
 public:
  virtual ~Link() = default;
  /// Live cached answers to `q`; `ttl_left`: TTLs as what is left of them,
  /// else as they were received.
  virtual std::vector<mdns::Record> lookup(const mdns::Question& q, bool ttl_left) = 0;
  /// Ask `q` on the link (and keep asking, RFC 6762 5.2) until unwatch().
  virtual uint64_t watch(const mdns::Question& q) = 0;
  virtual void unwatch(uint64_t id) = 0;
  /// RFC 6762 10.4: ask the link whether cached `r` is still there, and
  /// forget it if nobody says so.
  virtual void reconfirm(const mdns::Record& r) = 0;
};

struct ProxyOptions {
  dns::Name domain;
  /// The host-name (letter-digit-hyphen) domain of RFC 8766 5.3; the
  /// root: none, `domain` names hosts too.
  dns::Name hosts;
  /// Reverse-mapping domains delegated to the proxy (RFC 8766 5.4).
  std::vector<ReverseZone> reverse;
  /// The apex NS targets (RFC 8766 6.2); the first is the SOA MNAME (6.1).
  std::vector<dns::Name> nameservers;
  dns::Name contact;        // SOA RNAME
  uint16_t push_port = 0;   // _dns-push-tls._tcp SRV port (RFC 8765 6.1); 0: no DNS Push
  Millis timeout = 6000;    // how long a question with nothing cached waits (RFC 8766 5.6)
  uint32_t max_ttl = 10;    // TTL cap of unicast answers and the SOA minimum (5.5.1, 6.1)
  /// After the first answer to a browse (PTR) or ANY question, how long other
  /// responders get: they delay shared answers by 20-120 ms (RFC 6762 6).
  Millis settle = 150;
  size_t max_pending = 256;          // questions waiting for the link at once
  uint32_t questions_per_second = 20;  // new mDNS questions (RFC 8766 9.3); burst as many
};

/// The answer to one question, records translated.
struct Answer {
  uint16_t rcode = 0;
  std::vector<dns::Record> answer, authority, additional;
};

using Ticket = uint64_t;

/// ask(): an answer now, or a ticket whose answer a later changed()/tick() gives.
struct Outcome {
  bool pending = false;
  Ticket ticket = 0;
  Answer answer;
};

struct Done {
  Ticket ticket;
  Answer answer;
};

class Core {
 public:
  Core(ProxyOptions options, Link& link);

  const ProxyOptions& options() const { return opt_; }
  /// True if `name` is at or below one of the proxy's domains.
  bool covers(const dns::Name& name) const { return rw_.apex_of(name) != nullptr; }
  const Rewriter& rewriter() const { return rw_; }

  /// A unicast question (class IN) for a covered name.
  Outcome ask(const dns::Name& qname, uint16_t qtype, Millis now);
  /// A record the link's cache gained: waiting questions it answers are due.
  std::vector<Done> changed(const mdns::Record& r, Millis now);
  /// Questions whose wait or settle time is over.
  std::vector<Done> tick(Millis now);
  Millis next_timer() const;
  size_t pending() const { return pending_.size(); }

  /// The records of the zones' own names (apexes, administrative and
  /// domain enumeration names) for `qname`/`qtype`, or nullopt when the
  /// name is the link's.
  std::optional<std::vector<dns::Record>> zone_records(const dns::Name& qname, uint16_t qtype) const;
  /// The translated link records answering `qname`/`qtype` now, with their
  /// TTLs as received (DNS Push: RFC 8766 5.5.1 leaves them unmodified).
  std::vector<dns::Record> link_records(const dns::Name& qname, uint16_t qtype);
  /// DNS Push: keep asking the link about `qname`/`qtype` while anyone
  /// subscribes to it (RFC 8766 5.6), one mDNS question per name and type.
  void follow(const dns::Name& qname, uint16_t qtype);
  void unfollow(const dns::Name& qname, uint16_t qtype);
  /// DNS Push RECONFIRM (RFC 8765 6.5) of a record as a client saw it:
  /// the cached link record it was translated from is reconfirmed on the
  /// link (RFC 6762 10.4). False when the cache holds no such record.
  bool reconfirm(const dns::Record& unicast);

 private:
  struct Pending {
    mdns::Question q;       // the link's side
    uint16_t qtype = 0;     // the client's (NSEC asks the link ANY)
    dns::Name qname;        // the client's
    uint64_t watch = 0;
    Millis deadline = 0;    // timeout: answered with what there is
    Millis answer_at = 0;   // an answer came: when to send it (0: not yet)
    std::vector<Ticket> tickets;
  };

  Answer negative(const dns::Name& qname) const;
  Answer from_zone(const dns::Name& qname, const std::vector<dns::Record>& recs) const;
  Answer from_link(const dns::Name& qname, const mdns::Question& q);
  Answer nsec_answer(const dns::Name& qname, const dns::Name& local);
  Answer answer_for(const dns::Name& qname, const mdns::Question& q, uint16_t qtype);
  std::optional<std::vector<dns::Record>> apex_records(const dns::Name& apex, uint16_t qtype) const;
  bool enumeration_records(const dns::Name& qname, uint16_t qtype, std::vector<dns::Record>& out) const;
  dns::Record nsec(const dns::Name& owner, std::vector<uint16_t> types) const;
  bool denied(const mdns::Question& q);
  bool cached(const mdns::Question& q);
  void add_additional(const std::vector<mdns::Record>& answered, Answer& a, const Target& t);
  bool unusable_host(const dns::Name& host);
  bool unusable(const mdns::Record& r);
  std::vector<mdns::Record> usable(std::vector<mdns::Record> recs);
  void add_translated(const std::vector<mdns::Record>& recs, std::vector<dns::Record>& out, uint32_t ttl_cap,
                      const Target& t);
  bool take_token(Millis now);
  void finish(std::map<std::string, Pending>::iterator it, std::vector<Done>& out);

  dns::Record soa(const dns::Name& apex) const;
  ProxyOptions opt_;
  Link& link_;
  Rewriter rw_;
  std::map<std::string, Pending> pending_;  // by lower-cased unicast name and type
  std::vector<dns::Name> enumeration_;      // b/db/lb._dns-sd._udp names (RFC 6763 11)
  struct Followed {
    uint64_t watch = 0;
    int subscribers = 0;
  };
  std::map<std::string, Followed> followed_;  // likewise
  Ticket next_ticket_ = 1;
  double tokens_;
  Millis refilled_ = 0;
};

}  // namespace namae::proxy
