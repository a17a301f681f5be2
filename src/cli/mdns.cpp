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

std::optional<Options> parse(std::span<char*> args, int& status) {
  Options o;
  for (size_t i = 2; i < args.size(); ++i) {
    std::string_view a = args[i];
    auto value = [&]() -> const char* { return i + 1 < args.size() ? args[++i] : nullptr; };
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      status = 0;
      return std::nullopt;
    } else if (a == "-i" || a == "--interface") {
      const char* v = value();
      if (!v) break;
      o.interfaces.push_back(v);
    } else if (a == "-t" || a == "--timeout") {
      const char* v = value();
      if (!v) break;
      o.timeout_ms = std::atoi(v);
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "-v" || a == "--verbose") {
      o.verbose = true;
    } else if (a == "--no-resolve") {
      o.resolve = false;
    } else if (a == "--host") {
      const char* v = value();
      if (!v) break;
      o.host = v;
    } else if (a == "--subtype") {
      const char* v = value();
      if (!v) break;
      o.subtypes.push_back(v);
    } else if (a.size() > 1 && a[0] == '-' && a != "-") {
      std::fprintf(stderr, "namae mdns: unknown option '%s'\n", args[i]);
      status = 2;
      return std::nullopt;
    } else {
      o.positional.emplace_back(a);
    }
  }
  return o;
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

int resolve_cmd(const Options& o) {
  if (o.positional.size() != 1) {
    std::fputs("namae mdns resolve: give one NAME.local\n", stderr);
    return 2;
  }
  int timeout = o.timeout_ms > 0 ? o.timeout_ms : 2000;
  if (auto inst = service_instance(o.positional[0])) {
    std::vector<Question> qs = {Question{*inst, dns::rrtype::SRV}, Question{*inst, dns::rrtype::TXT}};
    auto recs = one_shot(qs, o.interfaces, timeout, [&](const std::vector<Record>& got) {
      auto s = assemble_service(*inst, got);
      return s && !s->addresses.empty();
    });
    if (!recs) {
      std::fprintf(stderr, "namae mdns: %s\n", recs.message().c_str());
      return 1;
    }
    auto info = assemble_service(*inst, *recs);
    if (info && info->addresses.empty()) {
      // The responder left the addresses out: ask for them.
      auto more = one_shot({Question{info->target, dns::rrtype::A}, Question{info->target, dns::rrtype::AAAA}},
                           o.interfaces, timeout, [](const std::vector<Record>& got) { return !got.empty(); });
      if (more) {
        recs->insert(recs->end(), more->begin(), more->end());
        info = assemble_service(*inst, *recs);
      }
    }
    if (!info) {
      std::fprintf(stderr, "namae mdns: no answer for %s\n", display_name(*inst).c_str());
      return 1;
    }
    JsonWriter jw;
    print_service(*info, o.json, &jw);
    if (o.json) std::printf("%s\n", jw.str().c_str());
    return 0;
  }
  if (auto rev = reverse_name(o.positional[0]); rev.ok()) {
    // An address: the host name that owns it (reverse-mapping PTR).
    auto recs = one_shot({Question{*rev, dns::rrtype::PTR}}, o.interfaces, timeout,
                         [](const std::vector<Record>& got) { return !got.empty(); });
    std::vector<std::string> names;
    if (recs)
      for (const auto& r : *recs)
        if (r.type == dns::rrtype::PTR && r.owner == *rev)
          if (auto n = dns::Name::from_wire(r.rdata)) names.push_back(n->to_text());
    if (names.empty()) {
      std::fprintf(stderr, "namae mdns: no answer for %s\n", rev->to_text().c_str());
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
  auto name = dns::Name::from_text(absolute(o.positional[0]));
  if (!name) {
    std::fprintf(stderr, "namae mdns: %s\n", name.message().c_str());
    return 2;
  }
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

int browse_cmd(const Options& o) {
  if (o.positional.size() != 1) {
    std::fputs("namae mdns browse: give one service type (_http._tcp)\n", stderr);
    return 2;
  }
  auto type = service_type(o.positional[0]);
  if (!type) {
    std::fprintf(stderr, "namae mdns: %s\n", type.message().c_str());
    return 2;
  }
  block_signals();
  StackOptions so;
  so.interfaces = o.interfaces;
  Stack stack(so);
  if (o.verbose) stack.log = [](LogLevel, const std::string& m) { std::fprintf(stderr, "%s\n", m.c_str()); };
  struct Pending {
    int64_t first_look, deadline;
    dns::Name name;
    std::string interface;
    std::vector<uint64_t> watches;
    bool address_asked = false;
  };
  std::mutex mu;
  std::deque<Pending> arrived;
  std::vector<std::pair<dns::Name, std::string>> removes;
  const dns::Name t = *type;
  stack.on_record = [&](const RecordEvent& ev) {
    if (ev.record.type != dns::rrtype::PTR || !(ev.record.owner == t)) return;
    auto inst = dns::Name::from_wire(ev.record.rdata);
    if (!inst) return;
    std::lock_guard lock(mu);
    int64_t now = monotonic_ms();
    if (ev.added) arrived.push_back(Pending{now + 150, now + 3000, *inst, ev.interface, {}, false});
    else removes.emplace_back(*inst, ev.interface);
  };
  if (auto r = stack.start(); !r) {
    std::fprintf(stderr, "namae mdns: %s\n", r.message().c_str());
    return 1;
  }
  stack.watch(Question{t, dns::rrtype::PTR});
  // What the cache knows of an instance (SRV, TXT, the target's addresses).
  auto known = [&](const dns::Name& inst) {
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
    bool has_txt = std::any_of(recs.begin(), recs.end(), [](const Record& r) { return r.type == dns::rrtype::TXT; });
    auto full = assemble_service(inst, recs);
    return std::make_pair(full, has_txt);
  };
  auto emit = [&](bool added, const dns::Name& inst, const std::string& ifname, const std::optional<ServiceInfo>& info) {
    if (o.json) {
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
  };
  std::vector<Pending> resolving;
  wait_for_signal(o.timeout_ms, [&] {
    std::vector<std::pair<dns::Name, std::string>> now_removes;
    {
      std::lock_guard lock(mu);
      while (!arrived.empty()) {
        resolving.push_back(arrived.front());
        arrived.pop_front();
      }
      now_removes.swap(removes);
    }
    int64_t now = monotonic_ms();
    for (auto it = resolving.begin(); it != resolving.end();) {
      Pending& p = *it;
      if (now < p.first_look) {
        ++it;
        continue;
      }
      std::optional<ServiceInfo> info;
      bool has_txt = false;
      if (o.resolve) {
        std::tie(info, has_txt) = known(p.name);
        bool done = info && has_txt && !info->addresses.empty();
        if (!done && now < p.deadline) {
          // Not all of it came with the PTR: ask (RFC 6763 12 lists what
          // should have come as additional records; not every responder sends it).
          if (p.watches.empty()) {
            p.watches.push_back(stack.watch(Question{p.name, dns::rrtype::SRV}));
            p.watches.push_back(stack.watch(Question{p.name, dns::rrtype::TXT}));
          }
          if (info && info->addresses.empty() && !p.address_asked) {
            p.watches.push_back(stack.watch(Question{info->target, dns::rrtype::A}));
            p.watches.push_back(stack.watch(Question{info->target, dns::rrtype::AAAA}));
            p.address_asked = true;
          }
          ++it;
          continue;
        }
      }
      for (auto w : p.watches) stack.unwatch(w);
      emit(true, p.name, p.interface, info);
      it = resolving.erase(it);
    }
    for (const auto& [n, i] : now_removes) emit(false, n, i, std::nullopt);
  });
  stack.stop();
  return 0;
}

int register_cmd(const Options& o) {
  if (o.positional.size() < 3) {
    std::fputs("namae mdns register: give NAME TYPE PORT [KEY=VALUE...]\n", stderr);
    return 2;
  }
  ServiceSpec svc;
  svc.instance = o.positional[0];
  svc.type = o.positional[1];
  int port = std::atoi(o.positional[2].c_str());
  if (port < 0 || port > 65535 || o.positional[2].find_first_not_of("0123456789") != std::string::npos) {
    std::fprintf(stderr, "namae mdns: bad port '%s'\n", o.positional[2].c_str());
    return 2;
  }
  svc.port = static_cast<uint16_t>(port);
  svc.txt.assign(o.positional.begin() + 3, o.positional.end());
  svc.subtypes = o.subtypes;
  if (auto r = service_records(svc, *dns::Name::from_text("x.local."), 1); !r) {
    std::fprintf(stderr, "namae mdns: %s\n", r.message().c_str());
    return 2;
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
  if (args.size() < 2 || std::string_view(args[1]) == "-h" || std::string_view(args[1]) == "--help") {
    std::fputs(kUsage, args.size() < 2 ? stderr : stdout);
    return args.size() < 2 ? 2 : 0;
  }
  int status = 0;
  auto o = parse(args, status);
  if (!o) return status;
  std::string_view cmd = args[1];
  if (cmd == "resolve") return resolve_cmd(*o);
  if (cmd == "browse") return browse_cmd(*o);
  if (cmd == "register") return register_cmd(*o);
  if (cmd == "services") return services_cmd(*o);
  std::fprintf(stderr, "namae mdns: unknown command '%s'\n%s", args[1], kUsage);
  return 2;
}

}  // namespace namae::cli
