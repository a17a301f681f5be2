// `namae update`: nsupdate's command language (nsupdate_parser.cpp) sent as
// RFC 2136 UPDATE messages over net::SocketTransport, signed and verified with
// dns::tsig, with RFC 9664 leases. This file is the I/O: reading lines,
// finding the zone, sending, and telling the user what happened.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/key_util.h"
#include "cli/nsupdate_parser.h"
#include "cli/print.h"
#include "dns/edns.h"
#include "dns/message.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dns/text.h"
#include "dns/tsig.h"
#include "net/client.h"
#include "net/signed_exchange.h"

namespace namae::cli {

namespace {

namespace update_exit {
constexpr int ok = 0;
constexpr int input = 1;     // bad input line, unreadable file (a bad command line is 2)
constexpr int failed = 2;    // the server answered with an error rcode (as nsupdate)
constexpr int no_reply = 3;  // no server reached, malformed or unverifiable reply, no zone
}  // namespace update_exit

const char* kUsage =
    "usage: namae update [options] [FILE]\n"
    "\n"
    "Reads nsupdate commands from FILE (or standard input) and sends RFC 2136\n"
    "dynamic updates. `namae update` then `help` lists the commands.\n"
    "\n"
    "options:\n"
    "  -y [ALG:]NAME:SECRET  sign with this TSIG key (hmac-sha256 by default)\n"
    "  -k KEYFILE            read the TSIG key from a BIND key file\n"
    "                        (key \"name\" { algorithm ...; secret \"...\"; };) or K*.private\n"
    "  -v                    use TCP (default: UDP, TCP when truncated or over 512 octets)\n"
    "  -p PORT               server port when `server` gives none (53)\n"
    "  -l                    local mode: server 127.0.0.1 (key from the named session key)\n"
    "  -t SECONDS            TCP timeout (10)\n"
    "  -u SECONDS            UDP wait per try (3)\n"
    "  -r N                  UDP retries (3)\n"
    "  -4 / -6               use only IPv4 / IPv6 servers\n"
    "  -d, -D                debug: print every message sent and received\n"
    "  --lease SECONDS       ask for an RFC 9664 lease on the updates (EDNS UPDATE-LEASE)\n"
    "  -h, --help            this text\n"
    "\n"
    "exit status: 0 every update succeeded, 1 bad input (file:line: reason),\n"
    "2 the server rejected an update (its rcode is printed) or a usage error,\n"
    "3 no usable reply (unreachable, timed out, malformed or unverified reply,\n"
    "zone not found).\n";

struct Settings {
  int family = AF_UNSPEC;
  int udp_wait_s = 3;
  int udp_retries = 3;
  int tcp_timeout_s = 10;
};

// Everything `answer` and the exit status need between sends.
struct Context {
  Settings settings;
  std::vector<uint8_t> last_reply;
  int worst = update_exit::ok;
};

std::string where(const net::Endpoint& ep) {
  return net::endpoint_address(ep) + "#" + std::to_string(ep.port());
}

// dig's layout without its ";; Got answer:" line.
std::string message_text(const dns::MessageView& msg) {
  std::string text = format_dig(msg, false, nullptr);
  auto nl = text.find('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

void print_message(FILE* out, const char* title, std::span<const uint8_t> wire) {
  dns::MessageView msg;
  if (msg.parse(wire) != dns::WireError::ok) {
    std::fprintf(out, "%s\n(unparseable, %zu octets: %s)\n", title, wire.size(),
                 dns::hex_encode(wire).c_str());
    return;
  }
  std::fprintf(out, "%s\n%s", title, message_text(msg).c_str());
  std::fflush(out);
}

Result<std::vector<net::Endpoint>> endpoints(const std::string& host, uint16_t port, int family) {
  return net::resolve_server(host, port, family);
}

// How to reach the servers: UDP replies with TC set are asked again over
// TCP (RFC 2136 says nothing else about transport; nsupdate does the same).
Result<net::SignedExchangeOptions> exchange_options(const UpdateSession& s, const Settings& st,
                                                    bool tcp) {
  net::SignedExchangeOptions opt;
  if (!s.local_address.empty()) {
    auto local = net::make_endpoint(s.local_address, s.local_port);
    if (!local) return fail("bad local address: " + local.message());
    opt.first.local = *local;
  }
  opt.first.protocol = tcp ? net::ClientProtocol::tcp : net::ClientProtocol::udp;
  opt.first.timeout = std::chrono::seconds(tcp ? st.tcp_timeout_s : st.udp_wait_s);
  opt.first.tries = tcp ? 1 : st.udp_retries + 1;
  opt.truncated = opt.first;
  opt.truncated.protocol = net::ClientProtocol::tcp;
  opt.truncated.timeout = std::chrono::seconds(st.tcp_timeout_s);
  opt.truncated.tries = 1;
  if (s.debug)
    opt.on_truncated = [](const net::Endpoint&) {
      std::fprintf(stderr, ";; Truncated, retrying in TCP mode.\n");
    };
  opt.on_failure = [](const net::Endpoint& server, const net::Exchange& ex) {
    std::fprintf(stderr, "; Communication with %s failed: %s\n", where(server).c_str(),
                 net::exchange_error_text(ex.error));
  };
  return opt;
}

// One exchange with the first server of `servers` that answers.
bool exchange(const UpdateSession& s, const Settings& st, const std::vector<net::Endpoint>& servers,
              const net::SignedRequest& request, bool tcp, net::SignedReply& reply) {
  auto opt = exchange_options(s, st, tcp);
  if (!opt) {
    std::fprintf(stderr, "namae update: %s\n", opt.message().c_str());
    return false;
  }
  net::SocketTransport transport;
  return request.send(transport, servers, *opt, reply);
}

struct ZoneInfo {
  dns::Name zone;
  dns::Name primary;  // the SOA MNAME
};

// The SOA in the answer or authority section of `msg` that can hold `name`.
std::optional<ZoneInfo> soa_holding(const dns::MessageView& msg, const dns::Name& name) {
  for (auto section : {dns::Section::answer, dns::Section::authority}) {
    auto c = msg.records(section);
    dns::RecordView rr;
    while (c.next(rr)) {
      if (rr.type != dns::rrtype::SOA) continue;
      dns::Name owner = msg.owner(rr);
      if (!name.is_subdomain_of(owner)) continue;  // an SOA that cannot hold the name
      dns::RdataBytes rd;
      if (dns::rdata::decode(rr.type, msg.data(), rr.rdata_offset, rr.rdlength, rd) !=
          dns::WireError::ok)
        continue;
      size_t used_len = 0;
      auto mname = dns::Name::from_wire_prefix(rd, used_len);
      if (!mname) continue;
      return ZoneInfo{owner, *mname};
    }
  }
  return std::nullopt;
}

Result<net::SignedRequest> soa_query(const UpdateSession& s, const dns::Name& qname) {
  std::vector<uint8_t> buf(512);
  dns::MessageBuilder b(buf, buf.size());
  b.header().id = net::random_message_id();
  b.header().rd = true;
  if (!b.add_question(qname, dns::rrtype::SOA, s.zone_class)) return fail("SOA query too large");
  buf.resize(b.finish());
  return net::SignedRequest::make(std::move(buf), std::nullopt);
}

// Find the zone holding `name` as nsupdate does: ask for its SOA and take the
// owner of the SOA in the answer or authority section; with neither (a
// referral, a name below a delegation), ask again one label up.
Result<ZoneInfo> find_zone(const UpdateSession& s, const Settings& st, const dns::Name& name) {
  std::string host = s.server;
  uint16_t port = s.effective_port();
  if (host.empty()) {
    auto listed = net::resolv_conf_nameservers();
    if (listed.empty()) return fail("no `server` given and no nameserver in /etc/resolv.conf");
    host = listed.front();
    port = s.port;
  }
  auto servers = endpoints(host, port, st.family);
  if (!servers) return servers.error();
  dns::Name qname = name;
  while (true) {
    auto request = soa_query(s, qname);
    if (!request) return request.error();
    if (s.debug) print_message(stderr, ";; Sending SOA query:", request->wire());
    net::SignedReply reply;
    if (!exchange(s, st, *servers, *request, s.tcp, reply))
      return fail("could not reach " + host + " to find the zone of " + name.to_text());
    if (s.debug) print_message(stderr, ";; Reply to SOA query:", reply.exchange.response);
    const std::string from = where(reply.server);
    if (reply.parse_error != dns::WireError::ok)
      return fail("malformed reply to the SOA query from " + from + ": " +
                  dns::wire_error_text(reply.parse_error));
    if (!reply.answers_request) return fail("unexpected reply to the SOA query from " + from);
    if (reply.rcode != dns::rcode::NOERROR && reply.rcode != dns::rcode::NXDOMAIN)
      return fail("SOA query for " + qname.to_text() + " to " + from +
                  " failed: " + dns::rcode_to_text(reply.rcode));
    if (auto found = soa_holding(reply.message, name)) return *found;
    if (qname.is_root()) return fail("no SOA found for " + name.to_text() + " or any parent");
    qname = qname.strip_left(1);
  }
}

const char* tsig_error_meaning(uint16_t e) {
  switch (e) {
    case dns::rcode::BADSIG:
      return "BADSIG: the signature did not verify (wrong secret?)";
    case dns::rcode::BADKEY:
      return "BADKEY: the server does not know this key name/algorithm";
    case dns::rcode::BADTIME:
      return "BADTIME: our clock and the server's differ beyond the fudge";
    case dns::rcode::BADTRUNC:
      return "BADTRUNC: truncated MAC not accepted";
    default:
      return "unknown TSIG error";
  }
}

// Where an update goes: the zone (given, or found by SOA queries) and the
// servers (given, or the zone's primary as nsupdate does).
struct Destination {
  dns::Name zone;
  std::vector<net::Endpoint> servers;
  std::string server_text;  // as named in "no reply from ..."
};

// Errors are printed here; nullopt means the send failed with no_reply.
std::optional<Destination> find_destination(const UpdateSession& s, const Settings& st,
                                            const dns::Name& first) {
  Destination d;
  if (s.zone) d.zone = *s.zone;
  std::optional<ZoneInfo> found;
  if (!s.zone || s.server.empty()) {
    auto z = find_zone(s, st, first);
    if (!z) {
      std::fprintf(stderr, "update failed: %s\n", z.message().c_str());
      return std::nullopt;
    }
    found = *z;
    if (!s.zone) d.zone = z->zone;
    if (s.debug)
      std::fprintf(stderr, ";; zone %s, primary %s\n", z->zone.to_text().c_str(),
                   z->primary.to_text().c_str());
  }
  if (!s.server.empty()) {
    auto e = endpoints(s.server, s.effective_port(), st.family);
    if (!e) {
      std::fprintf(stderr, "namae update: server %s: %s\n", s.server.c_str(), e.message().c_str());
      return std::nullopt;
    }
    d.servers = *e;
    d.server_text = s.server;
    return d;
  }
  std::string primary = found->primary.to_text();
  if (primary.size() > 1) primary.pop_back();
  auto e = endpoints(primary, s.port, st.family);
  if (!e) {
    std::fprintf(stderr, "update failed: cannot resolve the primary %s: %s\n", primary.c_str(),
                 e.message().c_str());
    return std::nullopt;
  }
  d.servers = *e;
  d.server_text = found->primary.to_text();
  return d;
}

// A signed reply that does not verify: a rejection is still a rejection,
// a success proves nothing.
int report_unverified(const UpdateSession& s, const net::SignedReply& reply) {
  const dns::TsigVerification& v = *reply.tsig;
  if (v.status == dns::TsigStatus::peer_error) {
    std::fprintf(stderr, "update failed: %s (TSIG error %s)\n",
                 dns::rcode_to_text(reply.rcode).c_str(), tsig_error_meaning(v.error_code()));
    return update_exit::failed;
  }
  const char* why = v.status == dns::TsigStatus::unsigned_message ? "the reply is not signed"
                                                                  : dns::tsig_status_text(v.status);
  if (reply.rcode != dns::rcode::NOERROR) {
    std::fprintf(stderr, "%s [reply not verified: %s]\n",
                 update_failure_text(s.prerequisites, reply.rcode).c_str(), why);
    return update_exit::failed;
  }
  std::fprintf(stderr,
               "update status unknown: NOERROR reply from %s failed TSIG verification: %s\n",
               where(reply.server).c_str(), why);
  return update_exit::no_reply;
}

std::string lease_text(const dns::MessageView& msg) {
  auto opt = msg.edns().present ? msg.edns().find(dns::edns_option::UPDATE_LEASE) : std::nullopt;
  auto lease = opt ? dns::parse_update_lease(opt->data) : std::nullopt;
  if (!lease) return "; no lease granted (the server does not support UPDATE-LEASE)";
  std::string text = "; lease granted " + std::to_string(lease->lease) + " s";
  if (lease->key_lease) text += ", key lease " + std::to_string(*lease->key_lease) + " s";
  return text;
}

// What the reply says about the update, printed; the exit status.
int report_reply(const UpdateSession& s, const net::SignedReply& reply) {
  if (reply.parse_error != dns::WireError::ok) {
    std::fprintf(stderr, "update failed: malformed reply from %s: %s\n",
                 where(reply.server).c_str(), dns::wire_error_text(reply.parse_error));
    return update_exit::no_reply;
  }
  if (!reply.answers_request) {
    std::fprintf(stderr, "update failed: reply from %s is not an answer to our update\n",
                 where(reply.server).c_str());
    return update_exit::no_reply;
  }
  if (reply.tsig && !reply.tsig->ok()) return report_unverified(s, reply);
  if (reply.rcode != dns::rcode::NOERROR) {
    std::fprintf(stderr, "%s\n", update_failure_text(s.prerequisites, reply.rcode).c_str());
    return update_exit::failed;
  }
  std::printf("update succeeded%s\n", s.lease ? lease_text(reply.message).c_str() : "");
  std::fflush(stdout);
  return update_exit::ok;
}

// Send the records collected so far. Returns the exit status for this send.
int send_update(UpdateSession& s, Context& ctx) {
  const Settings& st = ctx.settings;
  auto first = s.first_name();
  if (!first) return update_exit::ok;  // nothing to send (nsupdate is silent too)
  auto dest = find_destination(s, st, *first);
  if (!dest) return update_exit::no_reply;

  auto built = build_update_message(s, &dest->zone, net::random_message_id());
  if (!built) {
    std::fprintf(stderr, "namae update: %s\n", built.message().c_str());
    return update_exit::input;
  }
  auto request = net::SignedRequest::make(std::move(*built), s.key);
  if (!request) {
    std::fprintf(stderr, "namae update: %s\n", request.message().c_str());
    return update_exit::input;
  }
  bool tcp = s.tcp || request->wire().size() > 512;
  if (s.debug) {
    std::fprintf(stderr, "Sending update to %s\n", where(dest->servers.front()).c_str());
    print_message(stderr, "Outgoing update query:", request->wire());
  }
  net::SignedReply reply;
  if (!exchange(s, st, dest->servers, *request, tcp, reply)) {
    std::fprintf(stderr, "update failed: no reply from %s (%s)\n", dest->server_text.c_str(),
                 reply.exchange.message.empty() ? "no usable address"
                                                : reply.exchange.message.c_str());
    return update_exit::no_reply;
  }
  ctx.last_reply = reply.exchange.response;
  if (s.debug) print_message(stderr, "\nReply from update query:", reply.exchange.response);
  return report_reply(s, reply);
}

// The command line: settings for the session, and the input file.
struct CommandLine {
  std::optional<std::string> file;
  std::optional<std::string> keyfile;
  bool local_mode = false;
};

// Returns the exit status when parsing ends the program (help, errors).
std::optional<int> parse_command_line(std::span<char*> argv, UpdateSession& session,
                                      Settings& st, CommandLine& cl) {
  ArgParser p("update", kUsage);
  auto lease = [&](const std::string& v) -> Result<void> {
    auto l = dns::parse_ttl(v);
    if (!l) return fail("bad lease '" + v + "'");
    session.lease = *l;
    return {};
  };
  p.flag({"-d", "-D"}, session.debug)
      .flag({"-v"}, session.tcp)
      .flag({"-l"}, cl.local_mode)
      .flag({"-4"}, [&] { st.family = AF_INET; })
      .flag({"-6"}, [&] { st.family = AF_INET6; })
      .option({"-y"}, y_option(session.key))
      .option({"-k"}, [&](const std::string& v) {
        cl.keyfile = v;
        return Result<void>{};
      })
      .number({"-p"}, 1, 65535, "port", [&](uint32_t n) { session.port = static_cast<uint16_t>(n); })
      .number({"-t"}, 1, 3600, "timeout", [&](uint32_t n) { st.tcp_timeout_s = static_cast<int>(n); })
      .number({"-u"}, 1, 3600, "timeout", [&](uint32_t n) { st.udp_wait_s = static_cast<int>(n); })
      .number({"-r"}, 0, 3600, "retry count",
              [&](uint32_t n) { st.udp_retries = static_cast<int>(n); })
      .option({"--lease"}, lease)
      .positional([&](const std::string& a) -> Result<void> {
        if (cl.file) return fail("only one input file");
        cl.file = a;
        return {};
      });
  if (auto status = p.parse(argv.subspan(1))) return status;
  if (cl.keyfile && session.key) return p.error("-k and -y are exclusive");
  if (cl.keyfile) {
    auto k = load_key_file(*cl.keyfile);
    if (!k) return p.error(k.message());
    session.key = std::move(*k);
  }
  if (cl.local_mode) {
    session.server = "127.0.0.1";
    if (!session.key && access("/run/named/session.key", R_OK) == 0) {
      auto k = load_key_file("/run/named/session.key");
      if (k) session.key = std::move(*k);
    }
  }
  return std::nullopt;
}

// Carry out what an input line asked for. True to stop reading.
bool carry_out(UpdateAction action, UpdateSession& session, Context& ctx, int& status) {
  switch (action) {
    case UpdateAction::none:
      return false;
    case UpdateAction::quit:
      return true;
    case UpdateAction::help:
      std::fputs(update_commands_help(), stdout);
      return false;
    case UpdateAction::show: {
      auto m = build_update_message(session, session.zone ? &*session.zone : nullptr, 0);
      if (!m)
        std::fprintf(stderr, "namae update: %s\n", m.message().c_str());
      else
        print_message(stdout, "Outgoing update query:", *m);
      return false;
    }
    case UpdateAction::answer:
      if (ctx.last_reply.empty())
        std::printf("Answer:\n(no reply yet)\n");
      else
        print_message(stdout, "Answer:", ctx.last_reply);
      return false;
    case UpdateAction::send: {
      int r = send_update(session, ctx);
      session.clear_records();
      if (r > status) status = r;
      return false;
    }
  }
  return false;
}

// Read and apply the lines of `in`; the exit status. EOF ends the session
// without sending (as nsupdate).
int run_session(FILE* in, const std::string& source, UpdateSession& session, Context& ctx) {
  bool interactive = in == stdin && isatty(STDIN_FILENO);
  char* line = nullptr;
  size_t cap = 0;
  unsigned lineno = 0;
  int status = update_exit::ok;
  while (true) {
    if (interactive) {
      std::fputs("> ", stdout);
      std::fflush(stdout);
    }
    ssize_t n = ::getline(&line, &cap, in);
    if (n < 0) break;
    ++lineno;
    auto action = apply_update_line(session, std::string_view(line, static_cast<size_t>(n)));
    if (!action) {
      std::fprintf(stderr, "namae update: %s:%u: %s\n", source.c_str(), lineno,
                   action.message().c_str());
      if (interactive) continue;
      status = update_exit::input;
      break;
    }
    if (carry_out(*action, session, ctx, status)) break;
  }
  std::free(line);
  return status;
}

}  // namespace

int update_main(std::span<char*> argv) {
  UpdateSession session;
  Context ctx;
  CommandLine cl;
  if (auto status = parse_command_line(argv, session, ctx.settings, cl)) return *status;
  if (!cl.file || *cl.file == "-") return run_session(stdin, "stdin", session, ctx);
  FILE* in = std::fopen(cl.file->c_str(), "r");
  if (!in) {
    std::fprintf(stderr, "namae update: cannot open %s: %s\n", cl.file->c_str(),
                 std::strerror(errno));
    return update_exit::input;
  }
  int status = run_session(in, *cl.file, session, ctx);
  std::fclose(in);
  return status;
}

}  // namespace namae::cli
