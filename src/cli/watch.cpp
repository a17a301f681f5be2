// `namae watch NAME [TYPE] --server ADDR:PORT`: a DNS Push Notification
// client (RFC 8765 over RFC 8490 DSO, over TLS). It subscribes to NAME and
// TYPE, prints the records the server pushes (first what is there, then
// every change), keeps the session alive with Keepalive requests, and
// reconnects with a doubling backoff (1 s to 60 s) when the connection
// breaks or the server asks it to go away (Retry Delay).
#include <sys/time.h>

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
#include "net/tls_client.h"

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

// Why a session ended: a fault (reconnect after the backoff), the server's
// Retry Delay (reconnect after that), or an answer that retrying cannot change.
struct Ended {
  enum class Why { fault, retry_delay, refused } why;
  std::chrono::milliseconds wait{0};
  std::string message;
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

// One server message in an established session; an Ended when it ends it.
std::optional<Ended> take_message(const std::vector<uint8_t>& bytes, bool json) {
  Message m;
  if (parse(bytes, m) != dns::dso::Error::ok) return Ended{Ended::Why::fault, 0ms, "malformed message from the server"};
  if (m.kind != Kind::unidirectional) return std::nullopt;  // a Keepalive answer
  const Tlv& p = *m.primary();
  uint32_t delay;
  std::vector<PushRecord> changes;
  if (p.type == tlv::RETRY_DELAY && read_retry_delay(p.data, delay))
    return Ended{Ended::Why::retry_delay, std::chrono::milliseconds(delay), "the server asked to reconnect later"};
  if (p.type == tlv::PUSH) {
    if (!read_push(p.data, changes)) return Ended{Ended::Why::fault, 0ms, "malformed PUSH from the server"};
    for (const auto& c : changes) print_change(c, json);
  }
  return std::nullopt;
}

// One session: subscribe, then print pushes until it ends.
Ended run_session(const WatchArgs& a, bool& subscribed) {
  auto conn = net::TlsClient::connect(a.server, a.tls, 10s);
  if (!conn) return {Ended::Why::fault, 0ms, conn.message()};
  Writer sub(1, false);
  sub.subscribe(a.q);
  if (auto r = (*conn)->send(sub.take(), 10s); !r) return {Ended::Why::fault, 0ms, r.message()};
  // The server's keepalive interval is at least 10 s (RFC 8490 6.5.2): a
  // Keepalive request every 5 s keeps any server's clock happy.
  uint16_t next_id = 2;
  for (;;) {
    auto got = (*conn)->receive(5s);
    if (!got) return {Ended::Why::fault, 0ms, got.message()};
    if (!*got) {
      Writer k(next_id, false);
      next_id = next_id == 0xffff ? 2 : next_id + 1;  // never 0 (a request), never 1 (the SUBSCRIBE)
      k.keepalive({0, 10000});
      if (auto r = (*conn)->send(k.take(), 10s); !r) return {Ended::Why::fault, 0ms, r.message()};
      continue;
    }
    Message m;
    if (!subscribed && parse(**got, m) == dns::dso::Error::ok && m.kind == Kind::response && m.header.id == 1) {
      if (m.header.rcode != dns::rcode::NOERROR)
        return {Ended::Why::refused, 0ms, "SUBSCRIBE answered " + dns::rcode_to_text(m.header.rcode)};
      subscribed = true;
      continue;
    }
    if (auto end = take_message(**got, a.json)) return *end;
  }
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
    bool subscribed = false;
    Ended e = run_session(a, subscribed);
    std::fprintf(stderr, "namae watch: %s\n", e.message.c_str());
    if (e.why == Ended::Why::refused) return exit_status::failure;
    if (subscribed) backoff = 1s;  // it worked for a while: start the backoff over
    std::chrono::milliseconds wait = backoff;
    if (e.why == Ended::Why::retry_delay) wait = std::max<std::chrono::milliseconds>(e.wait, 1s);
    std::this_thread::sleep_for(wait);
    if (e.why == Ended::Why::fault) backoff = std::min<std::chrono::seconds>(backoff * 2, 60s);
  }
}

}  // namespace namae::cli
