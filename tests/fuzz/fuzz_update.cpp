// libFuzzer target for the dynamic-update path: arbitrary bytes go to
// UpdateService::handle as an UPDATE message (opcode forced to UPDATE so
// most inputs get past the header), unsigned from an allowed or a refused
// address, or signed with a known key (so prerequisites, prescan, policy and
// TSIG parsing are all reached). The zone is small and in memory (no journal).
//
// Oracle: the reply parses, echoes the ID and says UPDATE; any rcode but
// NOERROR leaves the served zone exactly as it was (same version, same text);
// NOERROR leaves a valid zone whose serial moved forward iff it changed.
#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "dns/message.h"
#include "dns/rrtype.h"
#include "dns/tsig.h"
#include "update/engine.h"
#include "update/service.h"
#include "update/zone_file.h"
#include "zone/load.h"
#include "zone/zone_set.h"

using namespace namae;

namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "fuzz_update: %s\n", what);
  std::abort();
}

const char* kZone = R"($ORIGIN example.net.
$TTL 300
@        SOA   ns1 hostmaster 100 3600 600 86400 300
@        NS    ns1
@        NS    ns2
ns1      A     192.0.2.1
ns2      A     192.0.2.2
www      A     192.0.2.10
www      TXT   "hello"
alias    CNAME www
a.b.c    A     192.0.2.20
sub      NS    ns.sub
ns.sub   A     192.0.2.30
)";

std::vector<std::string> sorted_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

struct Fixture {
  dns::Name origin = *dns::Name::from_text("example.net.");
  std::shared_ptr<const zone::ZoneVersion> base;
  dns::TsigKey key =
      *dns::TsigKey::parse("hmac-sha256:k1:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=");
  update::ZoneUpdateConfig cfg;
  FakeClock clock;

  Fixture() {
    clock.set_unix_time(1700000000);
    std::vector<zonefile::Diagnostic> d;
    auto v = zone::load_zone_text(kZone, "fuzz.zone", origin, d);
    if (!v) die("seed zone does not load");
    base = *v;
    cfg.origin = origin;
    cfg.policy = update::UpdatePolicy(
        {*update::make_grant("k1", "subdomain", "dyn.example.net", {"A", "AAAA", "TXT"}, origin),
         *update::make_grant("k1", "self", "", {}, origin)});
    cfg.allow_update.prefixes.push_back(*net::parse_prefix("127.0.0.0/8"));
    cfg.leases.min_lease = 30;
    cfg.leases.max_lease = 3600;
    cfg.engine.dynamic_max_ttl = 600;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fx;
  if (size < 1 + dns::kHeaderSize) return 0;
  const uint8_t mode = data[0];
  std::vector<uint8_t> msg(data + 1, data + size);
  msg.resize(std::min<size_t>(msg.size(), 16384));
  msg[2] = static_cast<uint8_t>((msg[2] & 0x07) | (dns::opcode::UPDATE << 3));  // QR=0, UPDATE

  const int64_t now = 1700000000;
  size_t len = msg.size();
  if (mode & 1) {  // sign it, so the policy path runs
    msg.resize(len + 512);
    dns::TsigSignParams p;
    p.time_signed = static_cast<uint64_t>(now);
    auto s = dns::tsig_sign(msg, len, fx.key, p);
    if (!s) return 0;
    len = *s;
  }
  msg.resize(len);
  dns::MessageView q;
  if (q.parse(msg) != dns::WireError::ok) return 0;  // AuthEngine answers these FORMERR itself

  zone::ZoneSetHolder holder(std::make_shared<const zone::ZoneSet>(
      std::vector<std::shared_ptr<const zone::ZoneVersion>>{fx.base}));
  update::UpdateService service(
      {fx.key},
      [&holder](std::shared_ptr<const zone::ZoneVersion> v) {
        holder.publish(holder.snapshot()->with(std::move(v)));
      },
      fx.clock);
  if (!service.add_zone(fx.cfg, fx.base)) die("add_zone failed");
  auto before = holder.snapshot()->get(fx.origin);
  const std::string before_text = update::zone_to_text(*before);

  net::Peer peer;
  peer.tcp = (mode & 2) != 0;
  auto* sin = reinterpret_cast<sockaddr_in*>(&peer.addr);
  sin->sin_family = AF_INET;
  inet_pton(AF_INET, (mode & 4) ? "127.0.0.1" : "192.0.2.200", &sin->sin_addr);
  peer.addr_len = sizeof(sockaddr_in);

  std::vector<uint8_t> resp(peer.tcp ? 65535 : 1232);
  size_t n = service.handle(q, resp, peer, *holder.snapshot());
  if (n == 0) die("no reply");
  dns::MessageView r;
  if (r.parse(std::span<const uint8_t>(resp.data(), n)) != dns::WireError::ok)
    die("reply does not parse");
  if (!r.header().qr || r.header().opcode != dns::opcode::UPDATE || r.header().id != q.header().id)
    die("reply header");
  if (!peer.tcp && n > 1232) die("UDP reply too large");

  auto after = holder.snapshot()->get(fx.origin);
  if (r.header().rcode != dns::rcode::NOERROR) {
    if (after.get() != before.get() || update::zone_to_text(*after) != before_text)
      die("a refused update changed the zone");
  } else if (after.get() != before.get()) {
    if (!update::serial_gt(after->serial(), before->serial()))
      die("changed zone without a higher serial");
    if (!after->soa().valid() || !after->apex().find(dns::rrtype::NS).valid())
      die("apex SOA/NS lost");
    // The new version must survive a round trip through its own master file text.
    std::vector<zonefile::Diagnostic> d;
    auto again = zone::load_zone_text(update::zone_to_text(*after), "after.zone", fx.origin, d);
    if (!again) die("updated zone does not reload from its text");
    // Compared as sets of lines: names whose labels hold \000 octets sort
    // differently in ZoneBuilder (lookup_key) and ZoneVersion::apply
    // (canonical_compare); see the update report. The records must agree.
    if (sorted_lines(update::zone_to_text(**again)) != sorted_lines(update::zone_to_text(*after))) {
      std::fprintf(stderr, "--- in memory:\n%s--- reloaded:\n%s",
                   update::zone_to_text(*after).c_str(), update::zone_to_text(**again).c_str());
      die("updated zone text round trip");
    }
  }
  return 0;
}
