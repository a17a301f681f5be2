// `namae mdns`: resolve, browse, register and list services on the local
// link, standalone (each command runs its own mDNS sockets; none needs namaed).
//   resolve  one-shot query from a random port (RFC 6762 5.1): host names
//            (A/AAAA) or service instances (SRV + TXT + addresses)
//   services one-shot enumeration of _services._dns-sd._udp.local
//   browse   continuous query on port 5353, adds and removes as they happen
//   register a responder for one service (and the host name) until stopped
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/json.h"
#include "mdns/dnssd.h"
#include "mdns/stack.h"

namespace namae::cli {
namespace {

using namespace namae::mdns;

constexpr const char* kUsage =
    "usage: namae mdns COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  resolve NAME.local            addresses of a host, or SRV/TXT/addresses of\n"
    "                                a service instance (\"My Printer._ipp._tcp.local\"),\n"
    "                                or the host name of an address (192.0.2.1)\n"
    "  browse TYPE                   follow instances of a service type (_http._tcp)\n"
    "  register NAME TYPE PORT [KEY=VALUE...]\n"
    "                                publish a service until interrupted\n"
    "  services                      list the service types on the link\n"
    "\n"
    "options:\n"
    "  -i, --interface IF   use this interface (repeatable; default: all multicast ones)\n"
    "  -t, --timeout MS     resolve/services: wait this long (default 2000);\n"
    "                       browse/register: stop after this long (default: until ^C)\n"
    "  --json               machine-readable output (browse: one JSON object per line)\n"
    "  --host NAME          register: host label for the SRV target (default: hostname)\n"
    "  --subtype SUB        register: also publish under SUB._sub.TYPE (repeatable)\n"
    "  --no-resolve         browse: print instance names only\n"
    "  -v, --verbose        browse/register: log what the mDNS stack does to stderr\n"
    "\n"
    "Exit status: 0 on success, 1 if nothing was found or publishing failed, 2 for usage.\n";

struct Options {
  std::vector<std::string> positional, interfaces, subtypes;
  int timeout_ms = -1;
  bool json = false, resolve = true, verbose = false;
  std::string host;
};

// Returns the exit status when parsing ends the program (help, errors).
std::optional<int> parse(std::span<char*> args, Options& o) {
  ArgParser p("mdns", kUsage);
  p.option({"-i", "--interface"}, o.interfaces)
      .number({"-t", "--timeout"}, 0, 0x7fffffff, "timeout",
              [&](uint32_t n) { o.timeout_ms = static_cast<int>(n); })
      .flag({"--json"}, o.json)
      .flag({"-v", "--verbose"}, o.verbose)
      .flag({"--no-resolve"}, o.resolve, false)
      .option({"--host"}, o.host)
      .option({"--subtype"}, o.subtypes)
      .positional([&](const std::string& v) {
        o.positional.push_back(v);
        return Result<void>{};
      });
  return p.parse(args);
}

std::string absolute(std::string n) { return n.empty() || n.back() == '.' ? n : n + "."; }

// "My Printer._ipp._tcp.local" → the instance name with a raw first label.
std::optional<dns::Name> service_instance(const std::string& text) {
  std::string t = absolute(text);
  for (const char* proto : {"._tcp.", "._udp."}) {
    auto p = t.find(proto);
    if (p == std::string::npos) continue;
    auto us = t.rfind("._", p - 1);
    if (us == std::string::npos) return std::nullopt;
    auto type = dns::Name::from_text(t.substr(us + 1));
    if (!type) return std::nullopt;
    auto inst = instance_name(t.substr(0, us), *type);
    if (!inst) return std::nullopt;
    return *inst;
  }
  return std::nullopt;
}

void print_service(const ServiceInfo& s, bool json, JsonWriter* jw) {
  if (json) {
    jw->begin_object();
    jw->member("instance", s.instance);
    jw->member("name", display_name(s.name));
    jw->member("type", s.type.to_text());
    jw->member("host", s.target.to_text());
    jw->member("port", static_cast<unsigned>(s.port));
    jw->key("txt");
    jw->begin_array();
    for (const auto& t : s.txt) jw->value(t);
    jw->end_array();
    jw->key("addresses");
    jw->begin_array();
    for (const auto& a : s.addresses) jw->value(a);
    jw->end_array();
    jw->end_object();
    return;
  }
  std::printf("%s\n  type    %s\n  host    %s port %u\n", s.instance.c_str(), s.type.to_text().c_str(),
              s.target.to_text().c_str(), s.port);
  for (const auto& a : s.addresses) std::printf("  address %s\n", a.c_str());
  for (const auto& t : s.txt) std::printf("  txt     %s\n", t.c_str());
}

// A service instance: SRV, TXT and the target's addresses.
int resolve_instance(const Options& o, const dns::Name& inst, int timeout) {
  std::vector<Question> qs = {Question{inst, dns::rrtype::SRV}, Question{inst, dns::rrtype::TXT}};
  auto recs = one_shot(qs, o.interfaces, timeout, [&](const std::vector<Record>& got) {
    auto s = assemble_service(inst, got);
    return s && !s->addresses.empty();
  });
  if (!recs) {
    std::fprintf(stderr, "namae mdns: %s\n", recs.message().c_str());
    return 1;
  }
  auto info = assemble_service(inst, *recs);
  if (info && info->addresses.empty()) {
    // The responder left the addresses out: ask for them.
    auto more = one_shot({Question{info->target, dns::rrtype::A}, Question{info->target, dns::rrtype::AAAA}},
                         o.interfaces, timeout, [](const std::vector<Record>& got) { return !got.empty(); });
    if (more) {
      recs->insert(recs->end(), more->begin(), more->end());
      info = assemble_service(inst, *recs);
    }
  }
  if (!info) {
    std::fprintf(stderr, "namae mdns: no answer for %s\n", display_name(inst).c_str());
    return 1;
  }
  JsonWriter jw;
  print_service(*info, o.json, &jw);
  if (o.json) std::printf("%s\n", jw.str().c_str());
  return 0;
}

// An address: the host name that owns it (reverse-mapping PTR).
int resolve_address(const Options& o, const dns::Name& rev, int timeout) {
  auto recs = one_shot({Question{rev, dns::rrtype::PTR}}, o.interfaces, timeout,
                       [](const std::vector<Record>& got) { return !got.empty(); });
  std::vector<std::string> names;
  if (recs)
    for (const auto& r : *recs)
      if (r.type == dns::rrtype::PTR && r.owner == rev)
        if (auto n = dns::Name::from_wire(r.rdata)) names.push_back(n->to_text());
  if (names.empty()) {
    std::fprintf(stderr, "namae mdns: no answer for %s\n", rev.to_text().c_str());
    return 1;
  }
  if (o.json) {
    JsonWriter jw;
    jw.begin_object();
    jw.member("address", o.positional[0]);
    jw.key("names");
    jw.begin_array();
    for (const auto& n : names) jw.value(n);
    jw.end_array();
    jw.end_object();
    std::printf("%s\n", jw.str().c_str());
  } else {
    for (const auto& n : names) std::printf("%s\t%s\n", o.positional[0].c_str(), n.c_str());
  }
  return 0;
}

// A host name: its A and AAAA records.
int resolve_host(const Options& o, int timeout) {
  auto name = dns::Name::from_text(absolute(o.positional[0]));
  if (!name) return usage_error("mdns resolve", name.message());
  auto recs = one_shot({Question{*name, dns::rrtype::A}, Question{*name, dns::rrtype::AAAA}}, o.interfaces, timeout,
                       [&](const std::vector<Record>& got) {
                         return std::any_of(got.begin(), got.end(), [&](const Record& r) { return r.owner == *name; });
                       });
  if (!recs) {
    std::fprintf(stderr, "namae mdns: %s\n", recs.message().c_str());
    return 1;
  }
  std::vector<std::string> addrs;
  for (const auto& r : *recs)
    if (r.owner == *name && (r.type == dns::rrtype::A || r.type == dns::rrtype::AAAA)) addrs.push_back(address_text(r));
  if (addrs.empty()) {
    std::fprintf(stderr, "namae mdns: no answer for %s\n", name->to_text().c_str());
    return 1;
  }
  if (o.json) {
    JsonWriter jw;
    jw.begin_object();
    jw.member("name", name->to_text());
    jw.key("addresses");
    jw.begin_array();
    for (const auto& a : addrs) jw.value(a);
    jw.end_array();
    jw.end_object();
    std::printf("%s\n", jw.str().c_str());
  } else {
    for (const auto& a : addrs) std::printf("%s\t%s\n", name->to_text().c_str(), a.c_str());
  }
  return 0;
}

int resolve_cmd(const Options& o) {
  if (o.positional.size() != 1) return usage_error("mdns resolve", "give one NAME.local");
  int timeout = o.timeout_ms > 0 ? o.timeout_ms : 2000;
  if (auto inst = service_instance(o.positional[0])) return resolve_instance(o, *inst, timeout);
  if (auto rev = reverse_name(o.positional[0]); rev.ok()) return resolve_address(o, *rev, timeout);
  return resolve_host(o, timeout);
}

int services_cmd(const Options& o) {
  int timeout = o.timeout_ms > 0 ? o.timeout_ms : 2000;
  auto recs = one_shot({Question{services_name(), dns::rrtype::PTR}}, o.interfaces, timeout);
  if (!recs) {
    std::fprintf(stderr, "namae mdns: %s\n", recs.message().c_str());
    return 1;
  }
  std::vector<std::string> types;
  for (const auto& r : *recs) {
    if (r.type != dns::rrtype::PTR || !(r.owner == services_name())) continue;
    auto t = dns::Name::from_wire(r.rdata);
    if (t && std::find(types.begin(), types.end(), t->to_text()) == types.end()) types.push_back(t->to_text());
  }
  std::sort(types.begin(), types.end());
  if (o.json) {
    JsonWriter jw;
    jw.begin_array();
    for (const auto& t : types) jw.value(t);
    jw.end_array();
    std::printf("%s\n", jw.str().c_str());
  } else {
    for (const auto& t : types) std::printf("%s\n", t.c_str());
  }
  return types.empty() ? 1 : 0;
}

// Wait for SIGINT/SIGTERM (blocked beforehand) or the timeout; calls `poll`
// every 100 ms meanwhile.
void wait_for_signal(int timeout_ms, const std::function<void()>& poll) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int64_t end = timeout_ms > 0 ? monotonic_ms() + timeout_ms : INT64_MAX;
  while (monotonic_ms() < end) {
    timespec ts{0, 100 * 1000 * 1000};
    if (sigtimedwait(&set, nullptr, &ts) > 0) break;
    if (poll) poll();
  }
}

void block_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

// What the cache knows of an instance (SRV, TXT, the target's addresses),
// and whether its TXT has come.
std::pair<std::optional<ServiceInfo>, bool> known_service(Stack& stack, const dns::Name& inst) {
  std::vector<Record> recs;
  for (uint16_t ty : {dns::rrtype::SRV, dns::rrtype::TXT}) {
    auto r = stack.lookup(Question{inst, ty});
    recs.insert(recs.end(), r.begin(), r.end());
  }
  auto info = assemble_service(inst, recs);
  if (info)
    for (uint16_t ty : {dns::rrtype::A, dns::rrtype::AAAA}) {
      auto r = stack.lookup(Question{info->target, ty});
      recs.insert(recs.end(), r.begin(), r.end());
    }
  bool has_txt = std::any_of(recs.begin(), recs.end(),
                             [](const Record& r) { return r.type == dns::rrtype::TXT; });
  return {assemble_service(inst, recs), has_txt};
}

// One line per instance that comes or goes (JSON: one object per line).
void print_browse_event(bool json, bool added, const dns::Name& inst, const std::string& ifname,
                        const std::optional<ServiceInfo>& info) {
  if (json) {
    JsonWriter jw;
    jw.begin_object();
    jw.member("event", added ? "add" : "remove");
    jw.member("interface", ifname);
    jw.member("instance", first_label(inst));
    jw.member("name", display_name(inst));
    if (info) {
      jw.member("host", info->target.to_text());
      jw.member("port", static_cast<unsigned>(info->port));
      jw.key("txt");
      jw.begin_array();
      for (const auto& x : info->txt) jw.value(x);
      jw.end_array();
      jw.key("addresses");
      jw.begin_array();
      for (const auto& x : info->addresses) jw.value(x);
      jw.end_array();
    }
    jw.end_object();
    std::string line = jw.str();
    line.erase(std::remove(line.begin(), line.end(), '\n'), line.end());
    std::printf("%s\n", line.c_str());
  } else {
    std::printf("%s %-8s %s", added ? "+" : "-", ifname.c_str(), first_label(inst).c_str());
    if (info) {
      std::printf("  %s:%u", info->target.to_text().c_str(), info->port);
      for (const auto& a : info->addresses) std::printf(" %s", a.c_str());
      for (const auto& x : info->txt) std::printf(" \"%s\"", x.c_str());
    }
    std::printf("\n");
  }
  std::fflush(stdout);
}

// Follows the instances of one service type: the stack reports PTR adds and
// removes on its thread; the main thread resolves each new instance (up to
// 3 s) before printing it.
class Browser {
 public:
  Browser(const Options& o, Stack& stack, dns::Name type)
      : o_(o), stack_(stack), type_(std::move(type)) {}

  void on_record(const RecordEvent& ev) {
    if (ev.record.type != dns::rrtype::PTR || !(ev.record.owner == type_)) return;
    auto inst = dns::Name::from_wire(ev.record.rdata);
    if (!inst) return;
    std::lock_guard lock(mu_);
    int64_t now = monotonic_ms();
    if (ev.added)
      arrived_.push_back(Pending{now + 150, now + 3000, *inst, ev.interface, {}, false});
    else
      removes_.emplace_back(*inst, ev.interface);
  }

  void poll() {
    std::vector<std::pair<dns::Name, std::string>> removes;
    {
      std::lock_guard lock(mu_);
      for (; !arrived_.empty(); arrived_.pop_front()) resolving_.push_back(arrived_.front());
      removes.swap(removes_);
    }
    int64_t now = monotonic_ms();
    for (auto it = resolving_.begin(); it != resolving_.end();) {
      std::optional<ServiceInfo> info;
      if (now < it->first_look || (o_.resolve && !resolved(*it, now, info))) {
        ++it;
        continue;
      }
      for (auto w : it->watches) stack_.unwatch(w);
      print_browse_event(o_.json, true, it->name, it->interface, info);
      it = resolving_.erase(it);
    }
    for (const auto& [n, i] : removes) print_browse_event(o_.json, false, n, i, std::nullopt);
  }

 private:
  struct Pending {
    int64_t first_look, deadline;
    dns::Name name;
    std::string interface;
    std::vector<uint64_t> watches;
    bool address_asked = false;
  };

  // All known, or out of time: print what there is. Otherwise ask for the
  // rest (RFC 6763 12 lists what should have come as additional records with
  // the PTR; not every responder sends it) and wait.
  bool resolved(Pending& p, int64_t now, std::optional<ServiceInfo>& info) {
    bool has_txt = false;
    std::tie(info, has_txt) = known_service(stack_, p.name);
    if ((info && has_txt && !info->addresses.empty()) || now >= p.deadline) return true;
    if (p.watches.empty()) {
      p.watches.push_back(stack_.watch(Question{p.name, dns::rrtype::SRV}));
      p.watches.push_back(stack_.watch(Question{p.name, dns::rrtype::TXT}));
    }
    if (info && info->addresses.empty() && !p.address_asked) {
      p.watches.push_back(stack_.watch(Question{info->target, dns::rrtype::A}));
      p.watches.push_back(stack_.watch(Question{info->target, dns::rrtype::AAAA}));
      p.address_asked = true;
    }
    return false;
  }

  const Options& o_;
  Stack& stack_;
  const dns::Name type_;
  std::mutex mu_;  // guards arrived_ and removes_ (written on the stack's thread)
  std::deque<Pending> arrived_;
  std::vector<std::pair<dns::Name, std::string>> removes_;
  std::vector<Pending> resolving_;
};

int browse_cmd(const Options& o) {
  if (o.positional.size() != 1)
    return usage_error("mdns browse", "give one service type (_http._tcp)");
  auto type = service_type(o.positional[0]);
  if (!type) return usage_error("mdns browse", type.message());
  block_signals();
  StackOptions so;
  so.interfaces = o.interfaces;
  Stack stack(so);
  if (o.verbose) stack.log = [](LogLevel, const std::string& m) { std::fprintf(stderr, "%s\n", m.c_str()); };
  Browser browser(o, stack, *type);
  stack.on_record = [&](const RecordEvent& ev) { browser.on_record(ev); };
  if (auto r = stack.start(); !r) {
    std::fprintf(stderr, "namae mdns: %s\n", r.message().c_str());
    return 1;
  }
  stack.watch(Question{*type, dns::rrtype::PTR});
  wait_for_signal(o.timeout_ms, [&] { browser.poll(); });
  stack.stop();
  return 0;
}

int register_cmd(const Options& o) {
  if (o.positional.size() < 3) return usage_error("mdns register", "give NAME TYPE PORT [KEY=VALUE...]");
  ServiceSpec svc;
  svc.instance = o.positional[0];
  svc.type = o.positional[1];
  int port = std::atoi(o.positional[2].c_str());
  if (port < 0 || port > 65535 || o.positional[2].find_first_not_of("0123456789") != std::string::npos) {
    return usage_error("mdns register", "bad port '" + o.positional[2] + "'");
  }
  svc.port = static_cast<uint16_t>(port);
  svc.txt.assign(o.positional.begin() + 3, o.positional.end());
  svc.subtypes = o.subtypes;
  if (auto r = service_records(svc, *dns::Name::from_text("x.local."), 1); !r) {
    return usage_error("mdns register", r.message());
  }
  block_signals();
  StackOptions so;
  so.interfaces = o.interfaces;
  so.hostname = o.host;
  if (so.hostname.empty()) {
    char buf[256] = "";
    gethostname(buf, sizeof buf - 1);
    so.hostname = buf;
    auto dot = so.hostname.find('.');
    if (dot != std::string::npos) so.hostname.resize(dot);
  }
  Stack stack(so);
  if (o.verbose) stack.log = [](LogLevel, const std::string& m) { std::fprintf(stderr, "%s\n", m.c_str()); };
  std::mutex mu;
  stack.on_group = [&](const std::string& ifname, GroupState st, int attempt, const std::vector<Record>& recs) {
    if (recs.empty()) return;
    std::lock_guard lock(mu);
    const Record* named = &recs.front();
    for (const auto& r : recs)
      if (r.type == dns::rrtype::SRV) named = &r;
    const char* what = st == GroupState::established ? "established" : st == GroupState::probing ? "probing" : nullptr;
    if (!what) return;
    // Reverse-mapping PTRs are bookkeeping of the host name: not worth a line.
    if (named->type == dns::rrtype::PTR && named->unique) return;
    if (o.json) {
      JsonWriter jw;
      jw.begin_object();
      jw.member("event", what);
      jw.member("interface", ifname);
      jw.member("name", display_name(named->owner));
      jw.member("attempt", attempt);
      jw.end_object();
      std::string line = jw.str();
      line.erase(std::remove(line.begin(), line.end(), '\n'), line.end());
      std::printf("%s\n", line.c_str());
    } else {
      std::printf("%s %s %s%s\n", what, ifname.c_str(), display_name(named->owner).c_str(),
                  attempt > 1 ? fmt::format(" (renamed, attempt {})", attempt).c_str() : "");
    }
    std::fflush(stdout);
  };
  if (auto r = stack.start(); !r) {
    std::fprintf(stderr, "namae mdns: %s\n", r.message().c_str());
    return 1;
  }
  if (auto r = stack.add_service(svc); !r) {
    std::fprintf(stderr, "namae mdns: %s\n", r.message().c_str());
    stack.stop();
    return 1;
  }
  wait_for_signal(o.timeout_ms, {});
  stack.stop();  // goodbyes
  return 0;
}

}  // namespace

int mdns_main(std::span<char*> args) {
  ArgParser top("mdns", kUsage);
  if (args.size() < 2) return top.error("give a COMMAND (resolve, browse, register, services)");
  std::string_view cmd = args[1];
  int (*run)(const Options&) = cmd == "resolve"    ? resolve_cmd
                               : cmd == "browse"   ? browse_cmd
                               : cmd == "register" ? register_cmd
                               : cmd == "services" ? services_cmd
                                                   : nullptr;
  if (!run) {
    if (auto status = top.parse(args.subspan(1, 1))) return *status;  // --help, or an option
    return top.error("unknown command '" + std::string(cmd) + "'");
  }
  Options o;
  if (auto status = parse(args.subspan(2), o)) return *status;
  return run(o);
}

}  // namespace namae::cli
