// `namae query`: dig's command line and output on top of net::SocketTransport,
// dns::MessageView and dns::tsig. Parsing and printing live in query_args.cpp
// and print.cpp; this file does the I/O and the decisions between tries.
#include <sys/random.h>
#include <sys/socket.h>

#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/print.h"
#include "cli/query_args.h"
#include "dns/message.h"
#include "dns/rrtype.h"
#include "dns/tsig.h"
#include "net/client.h"

namespace namae::cli {

namespace {

void random_bytes(uint8_t* out, size_t n) {
  while (n > 0) {
    ssize_t got = ::getrandom(out, n, 0);
    if (got <= 0) continue;  // EINTR; getrandom never fails otherwise once seeded
    out += got;
    n -= static_cast<size_t>(got);
  }
}

// Diagnostics go to stdout in dig's default layout (as dig does) and to
// stderr with +short/+json so the machine-readable output stays clean.
FILE* notes(const QueryArgs& a) { return a.short_output || a.json ? stderr : stdout; }

struct Reply {
  net::Exchange exchange;
  net::Endpoint server;
};

// Tries each server address in turn until one answers.
bool ask(const QueryArgs& a, const std::vector<net::Endpoint>& servers,
         std::span<const uint8_t> query, net::ClientProtocol protocol, Reply& reply,
         bool& timed_out) {
  net::SocketTransport transport;
  net::ExchangeOptions opt;
  opt.protocol = protocol;
  opt.timeout = std::chrono::seconds(a.timeout_seconds);
  opt.tries = protocol == net::ClientProtocol::udp ? a.tries : 1;
  opt.on_retry = [](net::ExchangeError, const std::string& message) {
    std::fprintf(stderr, ";; communications error to %s\n", message.c_str());
  };
  timed_out = false;
  for (const auto& server : servers) {
    reply.exchange = transport.exchange(server, query, opt);
    reply.server = server;
    if (reply.exchange.ok()) return true;
    if (reply.exchange.error == net::ExchangeError::bad_reply) {
      std::fprintf(stderr, ";; malformed reply from %s#%u: %s\n",
                   net::endpoint_address(server).c_str(), server.port(),
                   net::exchange_error_text(reply.exchange.error));
    } else {
      std::fprintf(stderr, ";; communications error to %s\n", reply.exchange.message.c_str());
    }
    if (reply.exchange.error == net::ExchangeError::timeout) timed_out = true;
  }
  return false;
}

}  // namespace

int query_main(std::span<char*> argv) {
  std::vector<std::string> args;
  for (size_t i = 1; i < argv.size(); ++i) args.emplace_back(argv[i]);
  auto parsed = parse_query_args(args);
  if (!parsed) {
    std::fprintf(stderr, "namae query: %s\n(see namae query --help)\n", parsed.message().c_str());
    return query_exit::usage;
  }
  QueryArgs& a = *parsed;
  if (a.help) {
    std::fputs(query_usage(), stdout);
    return query_exit::ok;
  }
  if (a.trace) return trace_main(a);

  std::string server = a.server;
  if (server.empty()) {
    auto listed = net::resolv_conf_nameservers();
    server = listed.empty() ? "127.0.0.1" : listed.front();
  }
  auto servers = net::resolve_server(server, a.port, a.family ? a.family : AF_UNSPEC);
  if (!servers) {
    std::fprintf(stderr, "namae query: %s\n", servers.message().c_str());
    return query_exit::internal;
  }

  uint16_t id = 0;
  random_bytes(reinterpret_cast<uint8_t*>(&id), sizeof id);
  uint8_t cookie[8];
  random_bytes(cookie, sizeof cookie);
  auto built = build_query(a, id, cookie);
  if (!built) {
    std::fprintf(stderr, "namae query: %s\n", built.message().c_str());
    return query_exit::internal;
  }
  std::vector<uint8_t> query = std::move(*built);
  std::vector<uint8_t> request_mac;
  if (a.key) {
    if (auto signed_ok = dns::tsig_sign_request(query, *a.key, &request_mac); !signed_ok) {
      std::fprintf(stderr, "namae query: TSIG signing failed: %s\n", signed_ok.message().c_str());
      return query_exit::internal;
    }
  }

  if (!a.short_output && !a.json) {
    std::printf("\n; <<>> namae query <<>> %s\n", a.command_line.c_str());
    if (!a.server.empty())
      std::printf("; (%zu server%s found)\n", servers->size(), servers->size() == 1 ? "" : "s");
  }

  auto protocol = a.tcp ? net::ClientProtocol::tcp : net::ClientProtocol::udp;
  Reply reply;
  bool timed_out = false;
  if (!ask(a, *servers, query, protocol, reply, timed_out)) {
    std::fprintf(stderr, timed_out ? ";; connection timed out; no servers could be reached\n"
                                   : ";; no servers could be reached\n");
    return query_exit::no_reply;
  }

  dns::MessageView msg;
  dns::WireError err = msg.parse(reply.exchange.response);
  // Truncated over UDP: ask the same server again over TCP (RFC 7766 5),
  // unless told to keep the truncated reply.
  if (protocol == net::ClientProtocol::udp && !a.ignore_tc &&
      reply.exchange.response.size() >= dns::kHeaderSize &&
      (reply.exchange.response[2] & 0x02)) {
    std::fprintf(notes(a), ";; Truncated, retrying in TCP mode.\n");
    std::vector<net::Endpoint> same{reply.server};
    if (!ask(a, same, query, net::ClientProtocol::tcp, reply, timed_out)) {
      std::fprintf(stderr, timed_out ? ";; connection timed out; no servers could be reached\n"
                                     : ";; no servers could be reached\n");
      return query_exit::no_reply;
    }
    err = msg.parse(reply.exchange.response);
  }
  std::string where =
      net::endpoint_address(reply.server) + "#" + std::to_string(reply.server.port());
  if (err != dns::WireError::ok) {
    std::fprintf(stderr, ";; malformed reply from %s: %s\n", where.c_str(),
                 dns::wire_error_text(err));
    return query_exit::no_reply;
  }
  if (!msg.header().qr) {
    std::fprintf(stderr, ";; malformed reply from %s: QR bit not set\n", where.c_str());
    return query_exit::no_reply;
  }

  // RFC 5452 9.1: a reply is for our query only if it echoes our question
  // (an error reply may carry no question at all).
  if (msg.header().qdcount > 0 &&
      (!(msg.qname() == a.name) || msg.qtype() != a.qtype || msg.qclass() != a.qclass)) {
    std::fprintf(stderr, ";; question section mismatch in reply from %s: got %s/%s/%s\n",
                 where.c_str(), msg.qname().to_text().c_str(),
                 dns::type_to_text(msg.qtype()).c_str(), dns::class_to_text(msg.qclass()).c_str());
    return query_exit::no_reply;
  }

  // TSIG: the reply must be signed with our key over our request's MAC.
  std::string tsig_problem;
  if (a.key) {
    dns::TsigVerifyParams vp;
    vp.now = dns::tsig_now();
    vp.prior_mac = &request_mac;
    auto v = dns::tsig_verify_response(msg, *a.key, vp);
    if (v.status == dns::TsigStatus::unsigned_message) {
      tsig_problem = "the reply is not signed";
    } else if (v.status == dns::TsigStatus::peer_error) {
      std::string code = std::to_string(v.error_code());
      switch (v.error_code()) {
        case dns::rcode::BADSIG: code = "BADSIG"; break;
        case dns::rcode::BADKEY: code = "BADKEY"; break;
        case dns::rcode::BADTIME: code = "BADTIME"; break;
        case dns::rcode::BADTRUNC: code = "BADTRUNC"; break;
        default: break;
      }
      tsig_problem = "the server reported TSIG error " + code;
    } else if (!v.ok()) {
      tsig_problem = std::string("the reply failed TSIG verification: ") +
                     dns::tsig_status_text(v.status);
    }
  }

  std::time_t now = std::time(nullptr);
  if (a.short_output) {
    std::fputs(format_short(msg).c_str(), stdout);
  } else if (a.json) {
    std::fputs(format_json(msg, now).c_str(), stdout);
  } else {
    ReplyFooter f;
    f.server_address = net::endpoint_address(reply.server);
    f.port = reply.server.port();
    f.protocol = net::client_protocol_text(reply.exchange.protocol);
    f.rtt_ms = std::chrono::duration_cast<std::chrono::milliseconds>(reply.exchange.rtt).count();
    f.when = now;
    f.size = reply.exchange.response.size();
    std::fputs(format_dig(msg, a.recurse, &f).c_str(), stdout);
    std::fputs("\n", stdout);
  }
  std::fflush(stdout);
  if (!tsig_problem.empty()) {
    std::fprintf(stderr, ";; TSIG: %s (from %s)\n", tsig_problem.c_str(), where.c_str());
    return query_exit::tsig;
  }
  return query_exit::ok;
}

}  // namespace namae::cli
