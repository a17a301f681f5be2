#include "resolver/stub.h"
#include "resolver/link_local.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "dns/message.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "resolver/infra.h"
#include "resolver/sections.h"

namespace namae {

namespace rrtype = dns::rrtype;

namespace {
std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

Result<dns::Name> absolute(std::string_view text) {
  std::string s(text);
  if (s.empty() || s.back() != '.') s.push_back('.');
  return dns::Name::from_text(s);
}

std::string key_of(const dns::Name& n, uint16_t type) {
  return n.lower().to_text() + "/" + std::to_string(type);
}
}  // namespace

std::vector<std::string> StubAnswer::texts(uint16_t type) const {
  std::vector<std::string> out;
  for (const auto& rs : answer)
    if (rs.type == type)
      for (const auto& rd : rs.rdata) out.push_back(dns::rdata::to_text(type, rd));
  return out;
}

Result<StubConfig> StubConfig::parse_resolv_conf(std::string_view text) {
  StubConfig c;
  std::istringstream in{std::string(text)};
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (auto h = line.find_first_of("#;"); h != std::string::npos) line.resize(h);
    auto w = words(line);
    if (w.empty()) continue;
    if (w[0] == "nameserver" && w.size() >= 2) {
      auto ep = net::make_endpoint(w[1], 53);
      if (!ep) return fail("resolv.conf:" + std::to_string(lineno) + ": " + ep.message());
      if (c.servers.size() < 3) c.servers.push_back(*ep);  // MAXNS, as glibc
    } else if ((w[0] == "search" || w[0] == "domain") && w.size() >= 2) {
      c.search.clear();  // the last search/domain line wins
      for (size_t i = 1; i < w.size(); ++i)
        if (auto n = absolute(w[i])) c.search.push_back(*n);
    } else if (w[0] == "options") {
      for (size_t i = 1; i < w.size(); ++i) {
        std::string o(w[i]);
        auto num = [&](const char* p) { return std::atoi(o.c_str() + std::strlen(p)); };
        if (o.rfind("ndots:", 0) == 0) c.ndots = std::clamp(num("ndots:"), 0, 15);
        else if (o.rfind("timeout:", 0) == 0) c.timeout = std::chrono::seconds(std::clamp(num("timeout:"), 1, 30));
        else if (o.rfind("attempts:", 0) == 0) c.attempts = std::clamp(num("attempts:"), 1, 5);
        else if (o == "rotate") c.rotate = true;
        else if (o == "use-vc") c.use_tcp = true;
        else if (o == "edns0") c.edns = true;
      }
    }
  }
  if (c.servers.empty()) c.servers.push_back(*net::make_endpoint("127.0.0.1", 53));
  return c;
}

Result<StubConfig> StubConfig::from_resolv_conf(const std::string& path) {
  std::ifstream in(path);
  if (!in) return parse_resolv_conf("");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_resolv_conf(ss.str());
}

StubResolver::StubResolver(StubConfig config, net::Transport* transport,
                           const Clock* clock)
    : config_(std::move(config)) {
  if (!transport) own_transport_ = std::make_unique<net::SocketTransport>();
  transport_ = transport ? transport : own_transport_.get();
  if (!clock) own_clock_ = std::make_unique<SystemClock>();
  clock_ = clock ? clock : own_clock_.get();
  thread_ = std::thread([this] { worker(); });
}

StubResolver::~StubResolver() {
  {
    std::lock_guard lock(q_mu_);
    stopping_ = true;
  }
  q_cv_.notify_all();
  thread_.join();
}

void StubResolver::worker() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(q_mu_);
      q_cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping and drained
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

void StubResolver::query_async(std::string name, uint16_t type,
                               std::function<void(Result<StubAnswer>)> done) {
  {
    std::lock_guard lock(q_mu_);
    jobs_.push_back([this, name = std::move(name), type, done = std::move(done)] {
      done(query(name, type));
    });
  }
  q_cv_.notify_one();
}

std::future<Result<StubAnswer>> StubResolver::query_future(std::string name, uint16_t type) {
  auto p = std::make_shared<std::promise<Result<StubAnswer>>>();
  auto f = p->get_future();
  query_async(std::move(name), type, [p](Result<StubAnswer> r) { p->set_value(std::move(r)); });
  return f;
}

Result<StubAnswer> StubResolver::query(std::string_view text, uint16_t type) {
  if (text.empty()) return fail("empty name");
  bool is_absolute = text.back() == '.';
  auto base = absolute(text);
  if (!base) return fail("bad name '" + std::string(text) + "': " + base.message());
  if (is_absolute || config_.search.empty()) return query_exact(*base, type);
  // resolv.conf(5): with at least ndots dots the name is tried as given
  // first, otherwise after the search list.
  size_t dots = static_cast<size_t>(std::count(text.begin(), text.end(), '.'));
  std::vector<dns::Name> candidates;
  if (dots >= static_cast<size_t>(config_.ndots)) candidates.push_back(*base);
  for (const auto& s : config_.search)
    if (auto n = base->strip_left(0).concat(s); n) candidates.push_back(*n);
  if (dots < static_cast<size_t>(config_.ndots)) candidates.push_back(*base);
  std::optional<StubAnswer> nodata, negative;
  std::optional<Error> last_error;
  for (const auto& name : candidates) {
    auto r = query_exact(name, type);
    if (!r) {
      last_error = r.error();
      continue;
    }
    if (r->rcode == dns::rcode::NOERROR && !r->answer.empty()) return r;
    if (r->rcode == dns::rcode::NOERROR && !nodata) nodata = *r;
    else if (!negative) negative = *r;
    // SERVFAIL and friends end the search, as in glibc.
    if (r->rcode != dns::rcode::NOERROR && r->rcode != dns::rcode::NXDOMAIN) return r;
  }
  if (nodata) return *nodata;
  if (negative) return *negative;
  return *last_error;
}

Result<StubAnswer> StubResolver::query_exact(const dns::Name& name, uint16_t type) {
  if (resolver::is_link_local_name(name)) {
    // RFC 6762 22.1: .local and the link-local reverse zones belong to
    // multicast DNS; the unicast servers are not asked. NXDOMAIN (what
    // glibc's resolver ends with too), marked so callers can tell.
    StubAnswer a;
    a.rcode = dns::rcode::NXDOMAIN;
    a.qname = name;
    a.qtype = type;
    a.multicast_name = true;
    return a;
  }
  StubAnswer cached;
  if (cache_get(name, type, cached)) return cached;
  auto r = exchange(name, type);
  if (r) cache_put(*r);
  return r;
}

Result<StubAnswer> StubResolver::exchange(const dns::Name& name, uint16_t type) {
  std::string errors;
  size_t n = config_.servers.size();
  if (n == 0) return fail("no nameservers configured");
  unsigned start = config_.rotate ? next_server_.fetch_add(1) % n : 0;
  for (int attempt = 0; attempt < std::max(1, config_.attempts); ++attempt) {
    for (size_t k = 0; k < n; ++k) {
      auto a = ask(config_.servers[(start + k) % n], name, type);
      if (a) return a;
      errors += (errors.empty() ? "" : "; ") + a.message();
    }
  }
  return fail("no usable reply for " + name.to_text() + ": " + errors);
}

Result<StubAnswer> StubResolver::ask(const net::Endpoint& server, const dns::Name& name,
                                     uint16_t type) {
  uint8_t qbuf[512];
  dns::MessageBuilder b(qbuf, sizeof qbuf);
  b.header().id = resolver::random_u16();
  b.header().rd = true;
  b.add_question(name, type, dns::rrclass::IN);
  if (config_.edns) {
    dns::Edns e;
    e.present = true;
    e.udp_size = 1232;
    b.add_opt(e);
  }
  size_t qlen = b.finish();
  net::ExchangeOptions xo;
  xo.tries = 1;
  xo.timeout = config_.timeout;
  xo.protocol = config_.use_tcp ? net::ClientProtocol::tcp : net::ClientProtocol::udp;
  auto query = std::span<const uint8_t>(qbuf, qlen);
  net::Exchange ex = transport_->exchange(server, query, xo);
  bool retried = false;
  dns::MessageView v;
  auto valid = [&] {
    return v.parse(ex.response) == dns::WireError::ok && v.header().qr &&
           v.header().qdcount == 1 && v.qname() == name && v.qtype() == type;
  };
  if (ex.ok() && valid() && v.header().tc && xo.protocol == net::ClientProtocol::udp) {
    xo.protocol = net::ClientProtocol::tcp;
    ex = transport_->exchange(server, query, xo);
    retried = true;
  }
  if (!ex.ok()) return fail(ex.message);
  if (!valid()) return fail(server.to_string() + ": reply does not match the query");
  uint16_t rcode = v.edns().full_rcode(v.header().rcode);
  if (rcode == dns::rcode::SERVFAIL || rcode == dns::rcode::REFUSED ||
      rcode == dns::rcode::NOTIMP || rcode == dns::rcode::FORMERR)
    return fail(server.to_string() + ": " + dns::rcode_to_text(rcode));
  resolver::Sections sec;
  if (!resolver::split_sections(v, sec)) return fail(server.to_string() + ": undecodable reply");
  StubAnswer a;
  a.rcode = rcode;
  a.qname = name;
  a.qtype = type;
  a.answer = std::move(sec.answer);
  for (auto& rs : sec.authority)
    if (rs.type == rrtype::SOA) a.authority.push_back(std::move(rs));
  a.truncated_retried = retried;
  a.server = server;
  return a;
}

bool StubResolver::cache_get(const dns::Name& name, uint16_t type, StubAnswer& out) {
  if (config_.cache_entries == 0) return false;
  std::lock_guard lock(cache_mu_);
  auto it = cache_.find(key_of(name, type));
  if (it == cache_.end()) return false;
  int64_t now = clock_->now_ms();
  if (it->second.expires_ms <= now) {
    lru_.erase(it->second.pos);
    cache_.erase(it);
    return false;
  }
  lru_.splice(lru_.begin(), lru_, it->second.pos);
  out = it->second.answer;
  out.from_cache = true;
  out.server = {};
  // TTLs count down in what the caller sees.
  uint32_t left = static_cast<uint32_t>((it->second.expires_ms - now + 999) / 1000);
  for (auto& rs : out.answer) rs.ttl = std::min(rs.ttl, left);
  for (auto& rs : out.authority) rs.ttl = std::min(rs.ttl, left);
  return true;
}

void StubResolver::cache_put(const StubAnswer& a) {
  if (config_.cache_entries == 0) return;
  if (a.rcode != dns::rcode::NOERROR && a.rcode != dns::rcode::NXDOMAIN) return;
  uint32_t ttl = config_.max_cache_ttl;
  for (const auto& rs : a.answer) ttl = std::min(ttl, rs.ttl);
  if (a.answer.empty()) {
    // RFC 2308: negative answers live min(SOA TTL, SOA MINIMUM); none without SOA.
    if (a.authority.empty()) return;
    const auto& soa = a.authority.front();
    ttl = std::min(ttl, soa.ttl);
    if (!soa.rdata.empty() && soa.rdata.front().size() >= 4)
      ttl = std::min(ttl, dns::get_u32(soa.rdata.front().data() + soa.rdata.front().size() - 4));
  }
  if (ttl == 0) return;
  std::string key = key_of(a.qname, a.qtype);
  std::lock_guard lock(cache_mu_);
  if (auto it = cache_.find(key); it != cache_.end()) {
    lru_.erase(it->second.pos);
    cache_.erase(it);
  }
  lru_.push_front(key);
  cache_[key] = Cached{a, clock_->now_ms() + int64_t{ttl} * 1000, lru_.begin()};
  while (cache_.size() > config_.cache_entries) {
    cache_.erase(lru_.back());
    lru_.pop_back();
  }
}

void StubResolver::flush_cache() {
  std::lock_guard lock(cache_mu_);
  cache_.clear();
  lru_.clear();
}

PushSubscription::PushSubscription(net::PushServer server, dns::dso::Question q, net::PushCallbacks cb)
    : server_(std::move(server)) {
  thread_ = std::thread([this, q = std::move(q), cb = std::move(cb)] {
    net::PushEnd end = net::run_push_session(server_, q, cb, stop_);
    std::lock_guard lk(mu_);
    end_ = std::move(end);
    cv_.notify_all();
  });
}

PushSubscription::~PushSubscription() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::optional<net::PushEnd> PushSubscription::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  cv_.wait_for(lk, timeout, [&] { return end_.has_value(); });
  return end_;
}

Result<std::unique_ptr<PushSubscription>> StubResolver::subscribe(const dns::Name& name, uint16_t type,
                                                                  net::PushCallbacks cb,
                                                                  std::optional<net::PushServer> server) {
  if (!server) {
    auto found = find_push_server(name);
    if (!found) return found.error();
    server = std::move(*found);
  }
  dns::dso::Question q{name, type, dns::rrclass::IN};
  return std::make_unique<PushSubscription>(std::move(*server), std::move(q), std::move(cb));
}

namespace {
// The zone `name` is in: the owner of the SOA that answers (or denies) it.
std::optional<dns::Name> zone_of(const StubAnswer& a) {
  for (const auto* section : {&a.answer, &a.authority})
    for (const auto& rs : *section)
      if (rs.type == dns::rrtype::SOA) return rs.owner;
  return std::nullopt;
}
}  // namespace

Result<net::PushServer> StubResolver::find_push_server(const dns::Name& name, const std::string& ca_file) {
  auto soa = query_exact(name, dns::rrtype::SOA);
  if (!soa) return soa.error();
  auto zone = zone_of(*soa);
  if (!zone) return fail("no zone found for " + name.to_text());
  auto srv_name = dns::Name::from_text("_dns-push-tls._tcp." + zone->to_text());
  if (!srv_name) return fail("no SRV name for zone " + zone->to_text());
  auto srv = query_exact(*srv_name, dns::rrtype::SRV);
  if (!srv) return srv.error();
  // RFC 2782: the lowest priority first.
  const dns::RdataBytes* best = nullptr;
  for (const auto& rs : srv->answer)
    if (rs.type == dns::rrtype::SRV)
      for (const auto& rd : rs.rdata)
        if (rd.size() > 6 && (!best || dns::get_u16(rd.data()) < dns::get_u16(best->data()))) best = &rd;
  if (!best) return fail(srv_name->to_text() + " has no SRV record: zone " + zone->to_text() + " offers no DNS Push");
  const uint16_t port = dns::get_u16(best->data() + 4);
  auto target = dns::Name::from_wire({best->data() + 6, best->size() - 6});
  if (!target) return fail("bad SRV target in " + srv_name->to_text());
  for (uint16_t t : {dns::rrtype::AAAA, dns::rrtype::A}) {
    auto addr = query_exact(*target, t);
    if (!addr) continue;
    for (const auto& text : addr->texts(t)) {
      auto ep = net::parse_endpoint(t == dns::rrtype::AAAA ? "[" + text + "]" : text, port);
      if (!ep) continue;
      net::PushServer s;
      s.address = *ep;
      std::string host = target->to_text();
      if (host.size() > 1 && host.back() == '.') host.pop_back();
      s.tls.name = host;
      s.tls.ca_file = ca_file;
      return s;
    }
  }
  return fail("no address for " + target->to_text());
}

}  // namespace namae
