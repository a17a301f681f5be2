// update_load: RFC 2136 load generator for bench/update.sh.
//
// N clients, each a UDP socket with one TSIG-signed UPDATE outstanding; each
// update adds one unique A record (<prefix><n>.<zone>). A client sends its next
// update only once the previous one is acknowledged (NOERROR, reply TSIG
// verified), so the count of acknowledgements per second is the server's rate
// of durable, acknowledged updates at N-way concurrency. A lost datagram is
// resent after a timeout (adds are idempotent). Written in C++ on namae's own
// codec so the client is not what limits the measurement.
//
// usage: update_load -s ADDR -p PORT -z ZONE -y ALG:NAME:SECRET
//                    [-c CLIENTS] [-l SECONDS | -n UPDATES] [-r RATE] [-P PREFIX]
//        update_load -j FILE [-l SECONDS]: the journal's own commit rate
//                    (bench/journal_rate.cpp), no server
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "dns/message.h"
#include "dns/rrtype.h"
#include "dns/tsig.h"

namespace {

using Clock = std::chrono::steady_clock;
using namae::dns::Name;

struct Options {
  std::string server = "127.0.0.1";
  uint16_t port = 53;
  std::string zone;
  std::string key;
  int clients = 16;
  double seconds = 10;
  long total = 0;   // stop after this many acknowledgements (0: use seconds)
  double rate = 0;  // updates per second over all clients (0: as fast as acked)
  std::string prefix = "u";
};

struct Client {
  int fd = -1;
  bool busy = false;
  uint16_t id = 0;
  long seq = 0;
  std::vector<uint8_t> query;
  std::vector<uint8_t> mac;
  Clock::time_point sent;
  Clock::time_point first_sent;
};

[[noreturn]] void die(const char* msg) {
  std::fprintf(stderr, "update_load: %s\n", msg);
  std::exit(2);
}

void usage() {
  std::fprintf(stderr,
               "usage: update_load -s ADDR -p PORT -z ZONE -y ALG:NAME:SECRET [-c CLIENTS]\n"
               "                   [-l SECONDS | -n UPDATES] [-r RATE] [-P PREFIX]\n"
               "       update_load -j FILE [-l SECONDS]\n");
  std::exit(2);
}

}  // namespace

int journal_rate(const std::string& path, double seconds);  // bench/journal_rate.cpp

int main(int argc, char** argv) {
  Options o;
  std::string journal;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) usage();
    const char* v = argv[++i];
    if (a == "-s")
      o.server = v;
    else if (a == "-p")
      o.port = static_cast<uint16_t>(std::atoi(v));
    else if (a == "-z")
      o.zone = v;
    else if (a == "-y")
      o.key = v;
    else if (a == "-c")
      o.clients = std::max(1, std::atoi(v));
    else if (a == "-l")
      o.seconds = std::atof(v);
    else if (a == "-n")
      o.total = std::atol(v);
    else if (a == "-r")
      o.rate = std::atof(v);
    else if (a == "-P")
      o.prefix = v;
    else if (a == "-j")
      journal = v;
    else
      usage();
  }
  if (!journal.empty()) return journal_rate(journal, o.seconds);
  if (o.zone.empty() || o.key.empty()) usage();
  auto key = namae::dns::TsigKey::parse(o.key);
  if (!key) die(key.message().c_str());
  std::string zone_text = o.zone.back() == '.' ? o.zone : o.zone + ".";
  auto zone = Name::from_text(zone_text);
  if (!zone) die("bad zone name");

  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(o.port);
  if (inet_pton(AF_INET, o.server.c_str(), &sa.sin_addr) != 1) die("bad server address");

  std::vector<Client> clients(static_cast<size_t>(o.clients));
  std::vector<pollfd> pfds(clients.size());
  for (size_t i = 0; i < clients.size(); ++i) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0)
      die("socket/connect failed");
    clients[i].fd = fd;
    pfds[i] = {fd, POLLIN, 0};
  }

  long next_seq = 0, acked = 0, errors = 0, retries = 0, bad_tsig = 0;
  std::vector<double> latencies_ms;
  latencies_ms.reserve(1 << 16);
  std::vector<uint8_t> buf(namae::dns::kMaxMessage);
  const auto start = Clock::now();
  const auto stop_at =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  const auto resend_after = std::chrono::milliseconds(2000);
  uint16_t id_counter = static_cast<uint16_t>(::getpid());

  auto build = [&](Client& c) {
    c.seq = next_seq++;
    c.id = ++id_counter;
    std::string owner_text = o.prefix + std::to_string(c.seq) + "." + zone_text;
    auto owner = Name::from_text(owner_text);
    if (!owner) die("bad owner name (prefix?)");
    namae::dns::MessageBuilder b(buf, buf.size());
    b.header().id = c.id;
    b.header().opcode = namae::dns::opcode::UPDATE;
    b.add_question(*zone, namae::dns::rrtype::SOA, namae::dns::rrclass::IN);
    b.begin(namae::dns::Section::authority);
    uint32_t n = static_cast<uint32_t>(c.seq);
    uint8_t rdata[4] = {10, static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8),
                        static_cast<uint8_t>(n)};
    b.add_record(*owner, namae::dns::rrtype::A, namae::dns::rrclass::IN, 300, rdata);
    size_t len = b.finish();
    namae::dns::TsigSignParams sp;
    sp.time_signed = namae::dns::tsig_now();
    auto signed_len = namae::dns::tsig_sign(buf, len, *key, sp, &c.mac);
    if (!signed_len) die("TSIG signing failed");
    c.query.assign(buf.begin(), buf.begin() + static_cast<long>(*signed_len));
  };
  auto may_start = [&](Clock::time_point now) {
    if (o.total > 0) return next_seq < o.total;
    return now < stop_at;
  };
  // With a rate, update k may not leave before start + k/rate.
  auto due = [&](long seq) {
    return start + std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(static_cast<double>(seq) / o.rate));
  };
  auto send = [&](Client& c, Clock::time_point now) {
    ::send(c.fd, c.query.data(), c.query.size(), 0);
    c.sent = now;
    c.busy = true;
  };

  while (true) {
    auto now = Clock::now();
    bool any_busy = false;
    // To the nanosecond: a wait rounded down to whole milliseconds would spin
    // in poll(0) for most of each gap at a paced rate, taking the CPU that
    // dnsperf shares with this client in the queries-under-updates run.
    Clock::duration wait = std::chrono::milliseconds(50);
    for (auto& c : clients) {
      if (!c.busy && may_start(now)) {
        if (o.rate > 0 && due(next_seq) > now) {
          wait = std::min(wait, due(next_seq) - now);
          continue;
        }
        build(c);
        c.first_sent = now;
        send(c, now);
      } else if (c.busy && now - c.sent > resend_after) {
        ++retries;
        send(c, now);
      }
      any_busy |= c.busy;
    }
    if (!any_busy && !may_start(now)) break;
    if (now > stop_at + std::chrono::seconds(5) && o.total == 0) break;  // give up on stragglers
    auto wait_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
    timespec ts{static_cast<time_t>(wait_ns / 1000000000), static_cast<long>(wait_ns % 1000000000)};
    int r = ::ppoll(pfds.data(), pfds.size(), &ts, nullptr);
    if (r <= 0) continue;
    now = Clock::now();
    for (size_t i = 0; i < clients.size(); ++i) {
      if (!(pfds[i].revents & POLLIN)) continue;
      Client& c = clients[i];
      while (true) {
        ssize_t n = ::recv(c.fd, buf.data(), buf.size(), 0);
        if (n <= 0) break;
        if (!c.busy || n < 12) continue;
        namae::dns::MessageView m;
        if (m.parse({buf.data(), static_cast<size_t>(n)}) != namae::dns::WireError::ok) continue;
        if (m.header().id != c.id || !m.header().qr) continue;  // stale reply to a resend
        c.busy = false;
        namae::dns::TsigVerifyParams vp;
        vp.now = namae::dns::tsig_now();
        vp.prior_mac = &c.mac;
        auto v = namae::dns::tsig_verify_response(m, *key, vp);
        if (!v.ok()) {
          ++bad_tsig;
          ++errors;
        } else if (m.header().rcode != 0) {
          ++errors;
        } else {
          ++acked;
          latencies_ms.push_back(
              std::chrono::duration<double, std::milli>(now - c.first_sent).count());
        }
      }
    }
  }
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  double avg = 0;
  for (double l : latencies_ms) avg += l;
  if (!latencies_ms.empty()) avg /= static_cast<double>(latencies_ms.size());
  double p99 =
      latencies_ms.empty()
          ? 0
          : latencies_ms[static_cast<size_t>(0.99 * static_cast<double>(latencies_ms.size() - 1))];
  std::printf(
      "acked %ld errors %ld bad_tsig %ld retries %ld seconds %.2f rate %.1f "
      "avg_ms %.2f p99_ms %.2f\n",
      acked, errors, bad_tsig, retries, secs, static_cast<double>(acked) / secs, avg, p99);
  for (auto& c : clients) ::close(c.fd);
  return errors ? 1 : 0;
}
