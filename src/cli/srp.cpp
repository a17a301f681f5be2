// `namae srp register`: an SRP requester (RFC 9665 3.2). It keeps an ECDSA
// P-256 key in a file (made 0600 on first use: the key is what owns the
// names, first come first served), registers the host's addresses and its
// services (each with its subtypes, RFC 6763 7.1) in one SIG(0)-signed
// UPDATE with an RFC 9664 lease, renews at 80 %
// of the granted lease, and on SIGINT/SIGTERM removes the registration (a
// lease of 0, the key kept for its key lease so the names stay ours).
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/signals.h"
#include "ddns/addresses.h"
#include "ddns/netlink.h"
#include "dns/rrtype.h"
#include "dnssec/algorithm.h"
#include "dnssec/dnskey.h"
#include "dnssec/sig0.h"
#include "mdns/dnssd.h"
#include "net/address.h"
#include "net/client.h"
#include "net/ip_address.h"
#include "net/signed_exchange.h"

namespace namae::cli {
namespace {

const char* kUsage =
    "usage: namae srp register NAME TYPE PORT [KEY=VALUE...] [+ NAME TYPE PORT [KEY=VALUE...]]... [options]\n"
    "\n"
    "Registers service NAME of TYPE (\"_ipp._tcp\") on PORT, and this host's\n"
    "addresses, with an SRP registrar (RFC 9665), renews it before its lease\n"
    "ends, and removes it on SIGINT/SIGTERM. Several services, separated by a\n"
    "lone '+', go in the same registration.\n"
    "\n"
    "options:\n"
    "  --subtype SUB         a subtype (\"_printer\") of the service named last\n"
    "                        before it (the first one if none yet; repeatable):\n"
    "                        browsable as SUB._sub.TYPE (RFC 6763 7.1)\n"
    "  --server ADDR[:PORT]  the registrar (default 127.0.0.1:53)\n"
    "  --domain DOMAIN       the registration domain (default default.service.arpa)\n"
    "  --host LABEL          the host's name in it (default: hostname)\n"
    "  --address ADDR        an address to register (repeatable; default: this\n"
    "                        host's global addresses)\n"
    "  --key FILE            the key (made 0600 if missing; default\n"
    "                        ~/.namae-srp-HOST.pem)\n"
    "  --lease SECONDS       lease asked for (default 7200)\n"
    "  --key-lease SECONDS   key lease asked for (default 1209600)\n"
    "  --ttl SECONDS         TTL of the records (default 120)\n"
    "  --tcp                 send over TCP\n"
    "  --once                register once and exit (no renewal, no removal)\n";

// One service as given: NAME TYPE PORT [KEY=VALUE...] and its subtypes.
struct ServiceArgs {
  std::string instance, type;
  uint16_t port = 0;
  std::vector<std::string> txt, subtypes;
};

struct Options {
  std::string server = "127.0.0.1", domain = "default.service.arpa", host, key_file;
  std::vector<ServiceArgs> services;
  std::vector<std::string> addresses;
  uint32_t lease = 7200, key_lease = 1209600, ttl = 120;
  bool tcp = false, once = false;
};

// ---------------------------------------------------------------- the key

Result<dnssec::PrivateKey> read_key(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return fail(path + ": " + std::strerror(errno));
  if (st.st_mode & (S_IRWXG | S_IRWXO)) return fail(path + ": readable by others (chmod 600)");
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return fail(path + ": " + std::strerror(errno));
  EVP_PKEY* p = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!p) return fail(path + ": not a PEM private key");
  return dnssec::PrivateKey::from_pkey(dnssec::alg::ECDSAP256SHA256, dnssec::PkeyPtr(p));
}

Result<dnssec::PrivateKey> make_key(const std::string& path) {
  auto key = dnssec::PrivateKey::generate(dnssec::alg::ECDSAP256SHA256);
  if (!key) return key.error();
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail(path + ": " + std::strerror(errno));
  FILE* f = fdopen(fd, "w");
  bool ok = f && PEM_write_PrivateKey(f, key->pkey(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  ok = f && std::fflush(f) == 0 && fsync(fd) == 0 && ok;
  if (f) std::fclose(f); else close(fd);
  if (!ok) return fail(path + ": cannot write the key");
  return key;
}

Result<dnssec::PrivateKey> key_for(const std::string& path) {
  if (access(path.c_str(), F_OK) == 0) return read_key(path);
  return make_key(path);
}

// ---------------------------------------------------------------- the update

// This host's addresses worth registering: what `namae ddns` would publish
// by default (links up, not loopback, global scope, no temporary,
// tentative or deprecated address).
std::vector<std::string> own_addresses() {
  std::vector<std::string> out;
  auto all = ddns::dump_addresses();
  if (!all) return out;
  auto chosen = ddns::select_addresses(*all, ddns::AddressFilter{});
  for (const auto* family : {&chosen.v4, &chosen.v6})
    for (const auto& ip : *family) out.push_back(ip.to_text());
  return out;
}

// One service's names and rdata.
struct Service {
  dns::Name type, instance;
  std::vector<dns::Name> subtypes;  // SUB._sub.TYPE
  dns::RdataBytes txt;
  uint16_t port = 0;
};

// The names and rdata of one registration, checked once at start.
struct Registration {
  dns::Name zone, host;
  std::vector<Service> services;
  dns::RdataBytes key_rdata;
  std::vector<net::IpAddress> addresses;
  uint32_t ttl = 120;
};

Result<Service> describe_service(const ServiceArgs& a, const std::string& domain) {
  Service s;
  auto type = mdns::service_type(a.type, domain);
  if (!type) return type.error();
  s.type = *type;
  auto instance = mdns::instance_name(a.instance, s.type);
  if (!instance) return instance.error();
  s.instance = *instance;
  for (const auto& sub : a.subtypes) {
    // One label, as given (RFC 6763 7.1: usually with a leading underscore).
    std::string_view label(sub);
    if (label.empty() || label.find('.') != std::string_view::npos) return fail("bad subtype '" + sub + "'");
    const std::array<std::string_view, 2> labels{label, "_sub"};
    auto name = dns::Name::from_labels(labels);
    if (!name) return fail("bad subtype '" + sub + "'");
    auto full = name->concat(s.type);
    if (!full) return fail("subtype '" + sub + "' makes too long a name");
    s.subtypes.push_back(*full);
  }
  auto txt = mdns::encode_txt(a.txt);
  if (!txt) return txt.error();
  s.txt = *txt;
  s.port = a.port;
  return s;
}

Result<Registration> describe(const Options& o, const dnssec::PrivateKey& key) {
  Registration r;
  auto zone = dns::Name::from_text(o.domain.back() == '.' ? o.domain : o.domain + ".");
  if (!zone) return fail("bad domain '" + o.domain + "'");
  r.zone = *zone;
  auto host = dns::Name::from_text(o.host, &r.zone);
  if (!host || host->label_count() != r.zone.label_count() + 1) return fail("bad host '" + o.host + "'");
  r.host = *host;
  for (const auto& a : o.services) {
    auto s = describe_service(a, o.domain);
    if (!s) return s.error();
    for (const auto& other : r.services)
      if (other.instance == s->instance) return fail("service '" + a.instance + "' " + a.type + " given twice");
    r.services.push_back(std::move(*s));
  }
  for (const auto& a : o.addresses.empty() ? own_addresses() : o.addresses) {
    auto ip = net::parse_ip(a);
    if (!ip) return fail("bad address '" + a + "'");
    r.addresses.push_back(*ip);
  }
  if (r.addresses.empty()) return fail("no address to register (give --address)");
  r.key_rdata = dnssec::dnskey_rdata(0x0200, key.algorithm(), key.public_key());
  r.ttl = o.ttl;
  return r;
}

dns::RdataBytes srv_rdata(uint16_t port, const dns::Name& target) {
  dns::RdataBytes rd = {0, 0, 0, 0, static_cast<uint8_t>(port >> 8), static_cast<uint8_t>(port)};
  rd.insert(rd.end(), target.wire().begin(), target.wire().end());
  return rd;
}

// RFC 9665 3.3.1's instructions in one UPDATE, SIG(0)-signed (3.2.5.1).
Result<std::vector<uint8_t>> srp_update(const Registration& r, const dnssec::PrivateKey& key,
                                        dns::UpdateLease lease) {
  net::UpdateMessage m(net::random_message_id(), std::optional<dns::UpdateLease>(lease));
  auto& b = m.builder();
  bool ok = b.add_question(r.zone, dns::rrtype::SOA, dns::rrclass::IN);
  b.begin(dns::Section::authority);
  const auto IN = dns::rrclass::IN, ANY = dns::rrclass::ANY;
  for (const auto& s : r.services) {
    // Service Discovery Instructions: the type's PTR and each subtype's.
    ok = ok && b.add_record(s.type, dns::rrtype::PTR, IN, r.ttl, s.instance.wire());
    for (const auto& sub : s.subtypes) ok = ok && b.add_record(sub, dns::rrtype::PTR, IN, r.ttl, s.instance.wire());
    // Service Description.
    ok = ok && b.add_record(s.instance, dns::rrtype::ANY, ANY, 0, {});
    ok = ok && b.add_record(s.instance, dns::rrtype::SRV, IN, r.ttl, srv_rdata(s.port, r.host));
    ok = ok && b.add_record(s.instance, dns::rrtype::TXT, IN, r.ttl, s.txt);
  }
  ok = ok && b.add_record(r.host, dns::rrtype::ANY, ANY, 0, {});
  for (const auto& a : r.addresses) ok = ok && b.add_record(r.host, a.rrtype(), IN, r.ttl, a.rdata());
  ok = ok && b.add_record(r.host, dns::rrtype::KEY, IN, r.ttl, r.key_rdata);
  if (!ok) return fail("the registration does not fit in one message");
  auto wire = m.finish();
  if (!wire) return wire.error();
  const auto now = static_cast<uint32_t>(std::time(nullptr));
  if (auto s = dnssec::sign_sig0(*wire, key, r.key_rdata, r.host, {now - 300, now + 300}); !s)
    return s.error();
  return wire;
}

// ---------------------------------------------------------------- the exchange

struct Answer {
  uint16_t rcode = 0;
  std::optional<dns::UpdateLease> granted;
};

Result<Answer> send(const Options& o, const std::vector<net::Endpoint>& servers,
                    std::vector<uint8_t> wire) {
  auto req = net::SignedRequest::make(std::move(wire), std::nullopt);
  if (!req) return req.error();
  net::SignedExchangeOptions opt;
  opt.first.protocol = o.tcp ? net::ClientProtocol::tcp : net::ClientProtocol::udp;
  opt.first.timeout = std::chrono::seconds(2);
  opt.first.tries = 3;
  opt.truncated = opt.first;
  opt.truncated.protocol = net::ClientProtocol::tcp;
  net::SocketTransport transport;
  net::SignedReply reply;
  if (!req->send(transport, servers, opt, reply) || !reply.answers_request)
    return fail(std::string("no answer from the registrar: ") + net::exchange_error_text(reply.exchange.error));
  Answer a;
  a.rcode = reply.rcode;
  if (auto opt_lease = reply.message.edns().find(dns::edns_option::UPDATE_LEASE))
    a.granted = dns::parse_update_lease(opt_lease->data);
  return a;
}

// ---------------------------------------------------------------- the loop


// Wait up to `seconds`; true when a stop signal came.
bool wait_stop(int fd, uint32_t seconds) {
  pollfd p{fd, POLLIN, 0};
  int n = poll(&p, 1, static_cast<int>(std::min<uint64_t>(seconds * 1000ull, INT32_MAX)));
  return n > 0;
}

struct Requester {
  const Options& o;
  const Registration& reg;
  const dnssec::PrivateKey& key;
  std::vector<net::Endpoint> servers;

  // One UPDATE; the granted leases, or nullopt after an error (printed).
  std::optional<dns::UpdateLease> update(dns::UpdateLease ask, const char* what) {
    auto wire = srp_update(reg, key, ask);
    auto a = wire ? send(o, servers, std::move(*wire)) : Result<Answer>(wire.error());
    if (!a) {
      std::fprintf(stderr, "namae srp: %s: %s\n", what, a.message().c_str());
      return std::nullopt;
    }
    if (a->rcode != dns::rcode::NOERROR) {
      std::fprintf(stderr, "namae srp: %s refused: %s%s\n", what, dns::rcode_to_text(a->rcode).c_str(),
                   a->rcode == dns::rcode::YXDOMAIN ? " (the name belongs to another key)" : "");
      return std::nullopt;
    }
    dns::UpdateLease g = a->granted.value_or(ask);
    std::string names;
    for (const auto& s : reg.services) names += (names.empty() ? "" : ", ") + mdns::display_name(s.instance);
    std::printf("%s %s on %s, lease %u s, key lease %u s\n", what, names.c_str(), reg.host.to_text().c_str(),
                g.lease, g.key_lease.value_or(g.lease));
    std::fflush(stdout);
    return g;
  }
};

int run(const Options& o) {
  auto key = key_for(o.key_file);
  if (!key) {
    std::fprintf(stderr, "namae srp: %s\n", key.message().c_str());
    return exit_status::failure;
  }
  auto reg = describe(o, *key);
  if (!reg) return usage_error("srp register", reg.message());
  std::vector<net::Endpoint> servers;
  if (auto ep = net::parse_endpoint(o.server, 53)) {
    servers.push_back(*ep);
  } else if (auto found = net::resolve_server(o.server, 53, AF_UNSPEC); found && !found->empty()) {
    servers = *found;
  } else {
    return usage_error("srp register", "bad server '" + o.server + "'");
  }
  const int sig = signal_fd({SIGTERM, SIGINT});
  Requester rq{o, *reg, *key, servers};
  const dns::UpdateLease ask{o.lease, o.key_lease};
  auto granted = rq.update(ask, "registered");
  if (!granted) return exit_status::failure;
  if (o.once) return exit_status::ok;
  // RFC 9665 3.2.5.3: renew before the lease ends (at 80 %, at least 1 s
  // on); after a failure try again within the fifth of the lease left.
  uint32_t wait = std::max<uint32_t>(1, granted->lease * 4 / 5);
  while (!wait_stop(sig, wait)) {
    auto again = rq.update(ask, "renewed");
    wait = again ? std::max<uint32_t>(1, again->lease * 4 / 5) : std::max<uint32_t>(1, wait / 5);
  }
  return rq.update({0, o.key_lease}, "removed") ? exit_status::ok : exit_status::failure;
}

std::string default_host() {
  char buf[256] = "";
  gethostname(buf, sizeof buf - 1);
  std::string h = buf;
  if (auto dot = h.find('.'); dot != std::string::npos) h.resize(dot);
  return h;
}

}  // namespace

// The services of the positional words after "register": groups split at
// a lone "+", each NAME TYPE PORT [KEY=VALUE...]; `subtypes[i]` belong to group i.
static Result<std::vector<ServiceArgs>> services_of(const std::vector<std::string>& words,
                                             std::vector<std::vector<std::string>> subtypes) {
  std::vector<ServiceArgs> out;
  std::vector<std::string> group;
  auto close = [&]() -> Result<void> {
    if (group.size() < 3) return fail("give NAME TYPE PORT [KEY=VALUE...] for each service");
    ServiceArgs s;
    s.instance = group[0];
    s.type = group[1];
    auto port = parse_number(group[2], 0, 65535, "port");
    if (!port) return port.error();
    s.port = static_cast<uint16_t>(*port);
    s.txt.assign(group.begin() + 3, group.end());
    if (out.size() < subtypes.size()) s.subtypes = std::move(subtypes[out.size()]);
    out.push_back(std::move(s));
    group.clear();
    return {};
  };
  for (const auto& w : words) {
    if (w != "+") {
      group.push_back(w);
    } else if (auto r = close(); !r) {
      return r.error();
    }
  }
  if (auto r = close(); !r) return r.error();
  return out;
}

int srp_main(std::span<char*> args) {
  Options o;
  std::vector<std::string> pos;
  std::vector<std::vector<std::string>> subtypes;  // by service, in command-line order
  size_t groups = 0;                               // "+"-separated groups begun so far
  ArgParser p("srp", kUsage);
  p.option({"--server"}, o.server)
      .option({"--domain"}, o.domain)
      .option({"--host"}, o.host)
      .option({"--address"}, o.addresses)
      .option({"--key"}, o.key_file)
      .number({"--lease"}, 0, 0x7fffffff, "lease", [&](uint32_t v) { o.lease = v; })
      .number({"--key-lease"}, 0, 0x7fffffff, "key lease", [&](uint32_t v) { o.key_lease = v; })
      .number({"--ttl"}, 0, 0x7fffffff, "TTL", [&](uint32_t v) { o.ttl = v; })
      .flag({"--tcp"}, o.tcp)
      .flag({"--once"}, o.once)
      .option({"--subtype"},
              [&](const std::string& v) -> Result<void> {
                size_t at = groups ? groups - 1 : 0;
                if (subtypes.size() <= at) subtypes.resize(at + 1);
                subtypes[at].push_back(v);
                return {};
              })
      .positional([&](const std::string& v) -> Result<void> {
        if (pos.size() == 1 && groups == 0) groups = 1;  // the first word after "register"
        if (v == "+") ++groups;
        pos.push_back(v);
        return {};
      });
  if (auto done = p.parse(args.subspan(1))) return *done;
  if (pos.empty() || pos[0] != "register") return p.error("give 'register NAME TYPE PORT [KEY=VALUE...]'");
  auto services = services_of(std::vector<std::string>(pos.begin() + 1, pos.end()), std::move(subtypes));
  if (!services) return p.error(services.message());
  o.services = std::move(*services);
  if (o.host.empty()) o.host = default_host();
  if (o.key_file.empty()) {
    const char* home = std::getenv("HOME");
    o.key_file = std::string(home ? home : ".") + "/.namae-srp-" + o.host + ".pem";
  }
  return run(o);
}

}  // namespace namae::cli
