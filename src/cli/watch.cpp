// `namae watch NAME [TYPE] --server ADDR:PORT`: a DNS Push Notification
// client (RFC 8765 over RFC 8490 DSO, over TLS) through
// StubResolver::subscribe. It subscribes to NAME and TYPE, prints the
// records the server pushes (first what is there, then every change), the
// session kept alive with Keepalive requests (net/push_client), and
// reconnects with a doubling backoff (1 s to 60 s) when the connection
// breaks or the server asks it to go away (Retry Delay).
#include <sys/time.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/json.h"
#include "dns/dso.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "net/push_client.h"
#include "resolver/stub.h"

namespace namae::cli {
namespace {

using namespace std::chrono_literals;
using namespace dns::dso;

const char* kUsage =
    "usage: namae watch NAME [TYPE] --server ADDR:PORT [--tls-name NAME] [--ca FILE] [--json]\n"
    "\n"
    "Subscribe to NAME's records of TYPE (default ANY) with DNS Push (RFC 8765)\n"
    "and print each change as the server pushes it, until interrupted.\n"
    "\n"
    "  --server ADDR:PORT  the push server (TLS; 853 if no port)\n"
    "  --tls-name NAME     the name its certificate must carry (default: its address)\n"
    "  --ca FILE           PEM trust anchors (default: the system's)\n"
    "  --json              one JSON object per change\n";

struct WatchArgs {
  Question q;
  net::Endpoint server;
  net::TlsClientOptions tls;
  bool json = false;
};

const char* change_word(Change c) {
  switch (c) {
    case Change::add: return "add";
    case Change::remove: return "remove";
    case Change::remove_rrset: return "remove-rrset";
    case Change::remove_name: return "remove-name";
  }
  return "?";
}

double unix_now() {
  timeval tv;
  gettimeofday(&tv, nullptr);
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

void print_change(const PushRecord& c, bool json) {
  const dns::Record& r = c.record;
  const bool has_data = c.change == Change::add || c.change == Change::remove;
  std::string data = has_data ? dns::rdata::to_text(r.type, r.rdata) : "";
  std::string type = c.change == Change::remove_name ? "ANY" : dns::type_to_text(r.type);
  if (json) {  // one line per change (JsonWriter pretty-prints)
    std::string line = "{\"change\": " + json_quote(change_word(c.change)) + ", \"name\": " +
                       json_quote(r.owner.to_text()) + ", \"type\": " + json_quote(type) +
                       ", \"class\": " + json_quote(dns::class_to_text(r.rclass));
    if (c.change == Change::add) line += ", \"ttl\": " + std::to_string(r.ttl);
    if (has_data) line += ", \"data\": " + json_quote(data);
    line += ", \"received\": " + std::to_string(static_cast<int64_t>(unix_now() * 1000)) + "}";
    std::printf("%s\n", line.c_str());
  } else if (c.change == Change::add) {
    std::printf("add %s %u %s %s %s\n", r.owner.to_text().c_str(), r.ttl, dns::class_to_text(r.rclass).c_str(),
                type.c_str(), data.c_str());
  } else {
    std::printf("%s %s %s %s%s%s\n", change_word(c.change), r.owner.to_text().c_str(),
                dns::class_to_text(r.rclass).c_str(), type.c_str(), has_data ? " " : "", data.c_str());
  }
  std::fflush(stdout);
}

// One session (StubResolver::subscribe, RFC 8765 over RFC 8490): print
// pushes until it ends.
net::PushEnd run_session(const WatchArgs& a, std::atomic<bool>& subscribed) {
  StubResolver stub(StubConfig{});  // the server is given: nothing to look up
  net::PushCallbacks cb;
  cb.subscribed = [&] { subscribed = true; };
  cb.changes = [&](const std::vector<PushRecord>& changes) {
    for (const auto& c : changes) print_change(c, a.json);
  };
  auto sub = stub.subscribe(a.q.name, a.q.type, std::move(cb), net::PushServer{a.server, a.tls});
  if (!sub) return {net::PushEnd::Why::fault, 0ms, 0, sub.message()};
  for (;;)
    if (auto end = (*sub)->wait(1h)) return *end;
}

std::optional<int> parse_args(std::span<char*> args, WatchArgs& a) {
  std::vector<std::string> pos;
  std::string server;
  ArgParser p("watch", kUsage);
  p.option({"--server", "-s"}, server).option({"--tls-name"}, a.tls.name).option({"--ca"}, a.tls.ca_file);
  p.flag({"--json"}, a.json);
  p.positional([&](const std::string& v) -> Result<void> {
    pos.push_back(v);
    return {};
  });
  if (auto end = p.parse(args.subspan(1))) return end;
  if (pos.empty() || pos.size() > 2) return p.error("expected NAME [TYPE]");
  if (server.empty()) return p.error("--server is required");
  auto ep = net::parse_endpoint(server, 853);
  if (!ep) return p.error(ep.message());
  a.server = *ep;
  std::string name = pos[0].back() == '.' ? pos[0] : pos[0] + ".";
  auto n = dns::Name::from_text(name);
  if (!n) return p.error("bad name '" + pos[0] + "'");
  a.q.name = *n;
  a.q.type = dns::rrtype::ANY;
  if (pos.size() == 2) {
    auto t = dns::type_from_text(pos[1]);
    if (!t) return p.error("bad type '" + pos[1] + "'");
    a.q.type = *t;
  }
  return std::nullopt;
}

}  // namespace

int watch_main(std::span<char*> args) {
  WatchArgs a;
  if (auto end = parse_args(args, a)) return *end;
  auto backoff = 1s;
  for (;;) {
    std::atomic<bool> subscribed = false;
    net::PushEnd e = run_session(a, subscribed);
    std::fprintf(stderr, "namae watch: %s\n", e.message.c_str());
    if (e.why == net::PushEnd::Why::refused) return exit_status::failure;
    if (subscribed) backoff = 1s;  // it worked for a while: start the backoff over
    std::chrono::milliseconds wait = backoff;
    if (e.why == net::PushEnd::Why::retry_delay) wait = std::max<std::chrono::milliseconds>(e.wait, 1s);
    std::this_thread::sleep_for(wait);
    if (e.why == net::PushEnd::Why::fault) backoff = std::min<std::chrono::seconds>(backoff * 2, 60s);
  }
}

}  // namespace namae::cli
