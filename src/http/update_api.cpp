#include "http/update_api.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "base/json.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"

namespace namae::http {
namespace {

namespace rc = dns::rcode;

// A printable, bounded copy of client-supplied text for logs.
std::string printable(std::string_view s, size_t max = 80) {
  std::string out;
  for (char c : s.substr(0, max)) {
    auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u >= 0x7f) ? '?' : c;
  }
  if (s.size() > max) out += "...";
  return out;
}

std::optional<std::string_view> param(const ApiRequest& req, const char* name) {
  auto it = req.params.find(name);
  if (it == req.params.end()) return std::nullopt;
  return std::string_view(it->second);
}

ApiResponse text(int status, std::string body) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

ApiResponse json(int status, std::string body) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  r.body += '\n';
  r.content_type = "application/json";
  return r;
}

ApiResponse json_error(int status, const std::string& message) {
  JsonWriter w;
  w.begin_object();
  w.member("error", message);
  w.end_object();
  return json(status, w.str());
}

// The signer name of an HTTP user inside a Permission (never a TSIG key
// name: those are checked against the zone's own policy, not this one).
const dns::Name& http_signer() {
  static const dns::Name n = *dns::Name::from_text("http-user.namae.invalid.");
  return n;
}

}  // namespace

UpdateApi::UpdateApi(ApiOptions options, update::UpdateService& service,
                     const zone::ZoneSetHolder* zones, LogSink log, const Clock& clock)
    : opt_(std::make_shared<const ApiOptions>(std::move(options))),
      service_(service),
      zones_(zones),
      log_(std::move(log)),
      clock_(clock),
      by_source_(opt_.get()->fail_limit_source, opt_.get()->fail_window_ms, clock),
      by_user_(opt_.get()->fail_limit_user, opt_.get()->fail_window_ms, clock) {}

void UpdateApi::set_options(ApiOptions options) {
  by_source_.set_limits(options.fail_limit_source, options.fail_window_ms);
  by_user_.set_limits(options.fail_limit_user, options.fail_window_ms);
  opt_.publish(std::make_shared<const ApiOptions>(std::move(options)));
}

void UpdateApi::log(LogLevel level, const std::string& msg) const { log_to(log_, level, msg); }

std::string UpdateApi::source_of(const ApiRequest& req, const ApiOptions& opt) const {
  auto trusted = [&opt](const IpAddress& ip) {
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (ip.family == AF_INET) {
      auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
      sin->sin_family = AF_INET;
      std::memcpy(&sin->sin_addr, ip.bytes.data(), 4);
      len = sizeof(sockaddr_in);
    } else {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
      sin6->sin6_family = AF_INET6;
      std::memcpy(&sin6->sin6_addr, ip.bytes.data(), 16);
      len = sizeof(sockaddr_in6);
    }
    return opt.trusted_proxies.allows(reinterpret_cast<const sockaddr*>(&ss), len);
  };
  auto a = client_address(req.peer, req.forwarded_for, trusted);
  return a ? a->to_text() : std::string();
}

UpdateApi::Auth UpdateApi::authenticate(const ApiRequest& req, const std::string& source, const ApiOptions& opt) {
  Auth out;
  auto creds = parse_basic_auth(req.authorization);
  const std::string source_key = "src:" + source;
  if (by_source_.blocked(source_key) || (creds && by_user_.blocked("user:" + creds->user))) {
    out.refused = DynAnswer::abuse;
    log(LogLevel::warning, fmt::format("http {}: too many failed logins (user '{}'): abuse", source,
                       creds ? printable(creds->user) : std::string()));
    return out;
  }
  if (!creds) {
    out.refused = DynAnswer::badauth;
    // No credentials is how a browser or curl without -u starts; not counted.
    log(LogLevel::info, fmt::format("http {}: no credentials: badauth", source));
    return out;
  }
  const ApiUser* user = nullptr;
  for (const auto& u : opt.users)
    if (u.name == creds->user) user = &u;
  // Verify even for an unknown user, so timing does not tell which names exist.
  static const std::string kDummy =
      "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
      "9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ";
  bool ok = verify_password(user ? user->password_hash : kDummy, creds->password) && user;
  if (!ok) {
    login_failures_.fetch_add(1, std::memory_order_relaxed);
    by_source_.fail(source_key);
    by_user_.fail("user:" + creds->user);
    out.refused = DynAnswer::badauth;
    log(LogLevel::warning, fmt::format("http {}: {} '{}': badauth", source,
                       user ? "wrong password for user" : "unknown user", printable(creds->user)));
    return out;
  }
  by_source_.clear(source_key);
  by_user_.clear("user:" + creds->user);
  out.user = user;
  return out;
}

bool UpdateApi::owns(const ApiUser& user, const dns::Name& name) const {
  return std::any_of(user.hostnames.begin(), user.hostnames.end(),
                     [&](const dns::Name& h) { return h == name; });
}

std::optional<dns::Name> UpdateApi::dynamic_zone_of(const dns::Name& name) const {
  for (dns::Name n = name;; n = n.strip_left(1)) {
    if (service_.has_zone(n)) return n;
    if (n.is_root()) return std::nullopt;
  }
}

std::vector<dns::RdataBytes> UpdateApi::published(const dns::Name& zone, const dns::Name& name,
                                                  uint16_t type) const {
  std::vector<dns::RdataBytes> out;
  auto v = service_.current(zone);
  if (!v) return out;
  const zone::Node* node = v->find(name);
  if (!node) return out;
  auto rrset = node->find(type);
  if (!rrset) return out;
  auto c = rrset.rdatas();
  std::span<const uint8_t> rd;
  while (c.next(rd)) out.emplace_back(rd.begin(), rd.end());
  return out;
}

ApiResponse UpdateApi::nic_update(const ApiRequest& req) {
  const auto opt = opt_.get();  // held to the end: the user authenticated lives in it
  const std::string source = source_of(req, *opt);
  if (auto refused = refuse_request(req, source, *opt)) return *refused;
  auto auth = authenticate(req, source, *opt);
  if (auth.refused) {
    count(*auth.refused);
    ApiResponse r = text(*auth.refused == DynAnswer::badauth ? 401 : 200,
                         std::string(dyn_answer_text(*auth.refused)) + "\n");
    r.challenge = *auth.refused == DynAnswer::badauth;
    return r;
  }
  DynCall call{*auth.user, source, *opt, {}, {}, {}, {}};
  std::string bad;
  if (auto err = parse_dyn_request(param(req, "hostname"), param(req, "myip"), opt->limits,
                                   call.request, &bad)) {
    log(LogLevel::warning, fmt::format("http {} user {}: bad request ({}): {}", source,
                                       call.user.name, printable(bad), dyn_answer_text(*err)));
    count(*err);
    return text(*err == DynAnswer::badagent ? 400 : 200, std::string(dyn_answer_text(*err)) + "\n");
  }
  if (call.request.addresses.empty()) call.request.addresses.push_back(*parse_ip(source));
  for (const auto& a : call.request.addresses)
    call.addr_text += (call.addr_text.empty() ? "" : ",") + a.to_text();
  call.lines.resize(call.request.hostnames.size());

  // Names of one zone go through the engine together as one atomic transaction.
  for (const auto& [zone, idx] : group_by_zone(call)) update_zone(call, zone, idx);

  std::string body;
  for (const auto& l : call.lines) body += l + "\n";
  ApiResponse out = text(200, body);
  out.lease = call.lease;
  return out;
}

std::optional<ApiResponse> UpdateApi::refuse_request(const ApiRequest& req,
                                                     const std::string& source,
                                                     const ApiOptions& opt) {
  if (req.target_length > opt.max_query_length) {
    log(LogLevel::warning,
        fmt::format("http {}: request of {} octets over the limit of {}: badagent",
                    source.empty() ? req.peer : source, req.target_length, opt.max_query_length));
    count(DynAnswer::badagent);
    return text(414, "badagent\n");
  }
  if (source.empty()) {
    log(LogLevel::warning, fmt::format("http {}: unusable X-Forwarded-For '{}': badagent",
                                       req.peer, printable(req.forwarded_for)));
    count(DynAnswer::badagent);
    return text(400, "badagent\n");
  }
  return std::nullopt;
}

std::map<dns::Name, std::vector<size_t>> UpdateApi::group_by_zone(DynCall& call) {
  std::map<dns::Name, std::vector<size_t>> by_zone;
  for (size_t i = 0; i < call.request.hostnames.size(); ++i) {
    const auto& name = call.request.hostnames[i];
    std::optional<dns::Name> zone;
    const char* why = nullptr;
    if (!owns(call.user, name))
      why = "is not theirs";
    else if (!(zone = dynamic_zone_of(name)))
      why = "is in no dynamic zone here";
    if (why) {
      call.lines[i] = "nohost";
      count(DynAnswer::nohost);
      log(LogLevel::warning, fmt::format("http {} user {}: {} {}: nohost", call.source,
                                         call.user.name, name.to_text(), why));
      continue;
    }
    by_zone[*zone].push_back(i);
  }
  return by_zone;
}

bool UpdateApi::publishes(const dns::Name& zone, const dns::Name& name,
                          std::span<const IpAddress> addresses, bool only) const {
  for (const auto& a : addresses) {
    auto have = published(zone, name, a.rrtype());
    bool found = only ? have.size() == 1 && have[0] == a.rdata()
                      : std::find(have.begin(), have.end(), a.rdata()) != have.end();
    if (!found) return false;
  }
  return true;
}

void UpdateApi::update_zone(DynCall& call, const dns::Name& zone, const std::vector<size_t>& idx) {
  const auto& addresses = call.request.addresses;
  update::UpdateMessage msg;
  msg.zone = zone;
  std::vector<update::Grant> grants;
  std::vector<bool> unchanged;
  for (size_t i : idx) {
    const auto& name = call.request.hostnames[i];
    unchanged.push_back(publishes(zone, name, addresses, true));
    auto rrs = replace_addresses(name, addresses, call.opt.ttl);
    msg.updates.insert(msg.updates.end(), rrs.begin(), rrs.end());
    update::Grant g;
    g.key = http_signer();
    g.kind = update::GrantKind::name;
    g.name = name;
    g.has_name = true;
    g.types = {dns::rrtype::A, dns::rrtype::AAAA};
    grants.push_back(std::move(g));
  }
  update::UpdatePolicy policy(std::move(grants));
  update::Permission perm;
  perm.policy = &policy;
  perm.signer = http_signer();
  // No lease asked for: the zone's policy grants its lease (max-lease) to
  // the added addresses, so a router that stops updating stops being served.
  auto res = service_.apply(msg, perm, std::nullopt, "http:" + call.user.name + "@" + call.source);
  for (size_t k = 0; k < idx.size(); ++k) {
    const auto& name = call.request.hostnames[idx[k]];
    DynAnswer a = dyn_answer(res, unchanged[k], [&] { return publishes(zone, name, addresses, false); });
    report(call, idx[k], a, res);
  }
  if (res.rcode == rc::NOERROR) note_lease(call, zone, idx);
}

DynAnswer UpdateApi::dyn_answer(const update::UpdateResult& res, bool unchanged,
                                const std::function<bool()>& published_now) {
  switch (res.rcode) {
    case rc::NOERROR:
      // NOERROR but not published: the engine ignored the add (RFC 2136
      // 3.4.2.2, e.g. a CNAME owns the name).
      if (!published_now()) return DynAnswer::dnserr;
      return unchanged ? DynAnswer::nochg : DynAnswer::good;
    case rc::REFUSED:
    case rc::NOTAUTH:
    case rc::NOTZONE:
      return DynAnswer::nohost;
    case rc::SERVFAIL:
      return DynAnswer::server_error;
    default:
      return DynAnswer::dnserr;
  }
}

void UpdateApi::report(DynCall& call, size_t i, DynAnswer a, const update::UpdateResult& res) {
  const auto& name = call.request.hostnames[i];
  const bool applied = a == DynAnswer::good || a == DynAnswer::nochg;
  call.lines[i] = dyn_answer_text(a);
  if (applied) call.lines[i] += " " + call.addr_text;
  count(a);
  LogLevel level = a == DynAnswer::good    ? LogLevel::info
                   : a == DynAnswer::nochg ? LogLevel::debug
                                           : LogLevel::warning;
  log(level, fmt::format("http {} user {}: {} -> {}: {}{}", call.source, call.user.name,
                         name.to_text(), call.addr_text, dyn_answer_text(a),
                         res.rcode == rc::NOERROR
                             ? fmt::format(" (serial {})", res.serial)
                             : fmt::format(" ({}: {})", dns::rcode_to_text(res.rcode), res.reason)));
  if (applied) {
    std::lock_guard lk(last_mu_);
    last_[name] = {call.user.name, call.source, clock_.unix_time()};
  }
}

void UpdateApi::note_lease(DynCall& call, const dns::Name& zone, const std::vector<size_t>& idx) {
  const int64_t now = clock_.unix_time();
  for (const auto& l : service_.leases(zone))
    for (size_t i : idx)
      if (l.owner == call.request.hostnames[i])
        for (const auto& ad : call.request.addresses)
          if (l.type == ad.rrtype() && l.rdata == ad.rdata())
            call.lease = std::min(call.lease.value_or(INT64_MAX), l.expires_at - now);
}

std::string UpdateApi::render_metrics() const {
  std::string out =
      "# HELP namae_http_updates_total DynDNS2 answers (one per hostname line or whole request)\n"
      "# TYPE namae_http_updates_total counter\n";
  for (size_t i = 0; i < answers_.size(); ++i)
    out += fmt::format("namae_http_updates_total{{answer=\"{}\"}} {}\n",
                       dyn_answer_text(static_cast<DynAnswer>(i)),
                       answers_[i].load(std::memory_order_relaxed));
  out +=
      "# HELP namae_http_login_failures_total failed HTTP logins (unknown user or wrong password)\n"
      "# TYPE namae_http_login_failures_total counter\n";
  out += fmt::format("namae_http_login_failures_total {}\n",
                     login_failures_.load(std::memory_order_relaxed));
  return out;
}

ApiResponse UpdateApi::rest(const ApiRequest& req) {
  const auto opt = opt_.get();
  const std::string source = source_of(req, *opt);
  if (source.empty()) return json_error(400, "unusable X-Forwarded-For");
  auto auth = authenticate(req, source, *opt);
  if (auth.refused) {
    ApiResponse r =
        json_error(*auth.refused == DynAnswer::badauth ? 401 : 429,
                   *auth.refused == DynAnswer::badauth ? "authentication required"
                                                       : "too many failed logins, try later");
    r.challenge = *auth.refused == DynAnswer::badauth;
    return r;
  }
  if (req.method != "GET") return json_error(405, "only GET");
  if (req.path == "/api/zones" || req.path == "/api/zones/") return rest_zones();
  if (req.path.rfind("/api/zones/", 0) == 0) return rest_zone(req.path.substr(11));
  if (req.path == "/api/hosts") return rest_hosts(*opt);
  return json_error(404, "no such resource (try /api/zones, /api/zones/NAME, /api/hosts)");
}

ApiResponse UpdateApi::rest_zones() {
  JsonWriter w;
  w.begin_object();
  w.key("zones");
  w.begin_array();
  if (zones_) {
    auto set = zones_->snapshot();
    std::vector<std::shared_ptr<const zone::ZoneVersion>> list = set->zones();
    std::sort(list.begin(), list.end(),
              [](const auto& a, const auto& b) { return a->origin() < b->origin(); });
    for (const auto& z : list) {
      bool dynamic = service_.has_zone(z->origin());
      auto v = dynamic ? service_.current(z->origin()) : z;
      w.begin_object();
      w.member("name", v->origin().to_text());
      w.member("serial", static_cast<uint64_t>(v->serial()));
      w.member("records", static_cast<uint64_t>(v->record_count()));
      w.member("dynamic", dynamic);
      w.end_object();
    }
  }
  w.end_array();
  w.end_object();
  return json(200, w.str());
}

ApiResponse UpdateApi::rest_zone(const std::string& text) {
  std::string t = text;
  if (t.empty() || t.size() > 255) return json_error(404, "no such zone");
  if (t.back() != '.') t += '.';
  auto origin = dns::Name::from_text(t);
  if (!origin) return json_error(404, "no such zone");
  std::shared_ptr<const zone::ZoneVersion> v = service_.current(*origin);
  if (!v && zones_) v = zones_->snapshot()->get(*origin);
  if (!v) return json_error(404, "no such zone: " + printable(text));
  JsonWriter w;
  w.begin_object();
  w.member("name", v->origin().to_text());
  w.member("serial", static_cast<uint64_t>(v->serial()));
  w.member("dynamic", service_.has_zone(*origin));
  w.key("records");
  w.begin_array();
  for (const auto& r : v->records()) {
    w.begin_object();
    w.member("name", r.owner.to_text());
    w.member("ttl", static_cast<uint64_t>(r.ttl));
    w.member("type", dns::type_to_text(r.type));
    w.member("data", dns::rdata::to_text(r.type, r.rdata));
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return json(200, w.str());
}

ApiResponse UpdateApi::rest_hosts(const ApiOptions& opt) {
  // Every name a user may update plus every name holding a lease.
  std::map<dns::Name, std::vector<update::Lease>> hosts;
  for (const auto& u : opt.users)
    for (const auto& h : u.hostnames) hosts[h];
  if (zones_)
    for (const auto& z : zones_->snapshot()->zones())
      if (service_.has_zone(z->origin()))
        for (auto& l : service_.leases(z->origin())) hosts[l.owner].push_back(l);

  const int64_t now = clock_.unix_time();
  JsonWriter w;
  w.begin_object();
  w.key("hosts");
  w.begin_array();
  for (const auto& [name, leases] : hosts) write_host(w, name, leases, now);
  w.end_array();
  w.end_object();
  return json(200, w.str());
}

namespace {

void write_expiry(JsonWriter& w, std::optional<int64_t> expires, int64_t now) {
  if (!expires) {
    w.key("lease_expires"), w.null();
    return;
  }
  w.member("lease_expires", *expires);
  w.member("lease_remaining", std::max<int64_t>(0, *expires - now));
}

}  // namespace

// One host: its addresses with the lease on each, the latest lease, and who
// set them last.
void UpdateApi::write_host(JsonWriter& w, const dns::Name& name,
                           const std::vector<update::Lease>& leases, int64_t now) const {
  auto zone = dynamic_zone_of(name);
  w.begin_object();
  w.member("name", name.to_text());
  if (zone)
    w.member("zone", zone->to_text());
  else
    w.key("zone"), w.null();
  w.key("addresses");
  w.begin_array();
  const update::Lease* latest = nullptr;
  if (zone)
    for (uint16_t type : {dns::rrtype::A, dns::rrtype::AAAA})
      for (const auto& rd : published(*zone, name, type)) {
        auto l = std::find_if(leases.begin(), leases.end(), [&](const update::Lease& x) {
          return x.type == type && x.rdata == rd;
        });
        w.begin_object();
        w.member("type", dns::type_to_text(type));
        w.member("address", dns::rdata::to_text(type, rd));
        if (l == leases.end()) {
          write_expiry(w, std::nullopt, now);
        } else {
          write_expiry(w, l->expires_at, now);
          w.member("granted_to", l->granted_to);
          if (!latest || l->expires_at > latest->expires_at) latest = &*l;
        }
        w.end_object();
      }
  w.end_array();
  write_expiry(w, latest ? std::optional(latest->expires_at) : std::nullopt, now);
  write_last_update(w, name, latest ? latest->granted_to : std::string());
  w.end_object();
}

void UpdateApi::write_last_update(JsonWriter& w, const dns::Name& name,
                                  const std::string& granted_to) const {
  LastUpdate last;
  {
    std::lock_guard lk(last_mu_);
    auto it = last_.find(name);
    if (it != last_.end()) last = it->second;
  }
  w.key("last_update");
  if (last.at) {
    w.begin_object();
    w.member("via", "http");
    w.member("user", last.user);
    w.member("source", last.source);
    w.member("at", last.at);
    w.end_object();
  } else if (!granted_to.empty()) {
    // Set over DNS UPDATE (or before a restart): the lease says by whom.
    w.begin_object();
    w.member("via", granted_to.rfind("http:", 0) == 0 ? "http" : "dns");
    w.member("by", granted_to);
    w.end_object();
  } else {
    w.null();
  }
}

}  // namespace namae::http
