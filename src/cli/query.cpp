// `namae query`: dig's command line and output on top of net::SignedRequest
// (send, retry truncated replies over TCP, verify TSIG). Parsing and printing
// live in query_args.cpp and print.cpp; this file does the I/O and the
// decisions between tries.
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
#include "net/signed_exchange.h"

namespace namae::cli {

namespace {

// Diagnostics go to stdout in dig's default layout (as dig does) and to
// stderr with +short/+json so the machine-readable output stays clean.
FILE* notes(const QueryArgs& a) { return a.short_output || a.json ? stderr : stdout; }

std::string where(const net::Endpoint& server) {
  return net::endpoint_address(server) + "#" + std::to_string(server.port());
}

// Tries each server address in turn until one answers (a truncated UDP
// reply is asked again over TCP, RFC 7766 5, unless +ignore).
bool ask(const QueryArgs& a, const std::vector<net::Endpoint>& servers,
         const net::SignedRequest& request, net::SignedReply& reply) {
  net::SignedExchangeOptions opt;
  opt.first.protocol = a.tcp ? net::ClientProtocol::tcp : net::ClientProtocol::udp;
  opt.first.timeout = std::chrono::seconds(a.timeout_seconds);
  opt.first.tries = a.tcp ? 1 : a.tries;
  opt.first.on_retry = [](net::ExchangeError, const std::string& message) {
    std::fprintf(stderr, ";; communications error to %s\n", message.c_str());
  };
  opt.truncated = opt.first;
  opt.truncated.protocol = net::ClientProtocol::tcp;
  opt.truncated.tries = 1;
  opt.follow_truncation = !a.ignore_tc;
  opt.on_truncated = [&](const net::Endpoint&) {
    std::fprintf(notes(a), ";; Truncated, retrying in TCP mode.\n");
  };
  bool timed_out = false;
  opt.on_failure = [&](const net::Endpoint& server, const net::Exchange& ex) {
    if (ex.error == net::ExchangeError::bad_reply)
      std::fprintf(stderr, ";; malformed reply from %s: %s\n", where(server).c_str(),
                   net::exchange_error_text(ex.error));
    else
      std::fprintf(stderr, ";; communications error to %s\n", ex.message.c_str());
    if (ex.error == net::ExchangeError::timeout) timed_out = true;
  };
  net::SocketTransport transport;
  if (request.send(transport, servers, opt, reply)) return true;
  std::fprintf(stderr, timed_out ? ";; connection timed out; no servers could be reached\n"
                                 : ";; no servers could be reached\n");
  return false;
}

// The query, with a fresh ID and cookie, signed when a key was given.
Result<net::SignedRequest> make_request(const QueryArgs& a) {
  uint8_t cookie[8];
  net::random_bytes(cookie);
  auto built = build_query(a, net::random_message_id(), cookie);
  if (!built) return built.error();
  return net::SignedRequest::make(std::move(*built), a.key);
}

// Why the reply cannot be used at all (exit 9), or "".
std::string unusable_reply(const QueryArgs& a, const net::SignedReply& reply) {
  const dns::MessageView& msg = reply.message;
  const std::string from = where(reply.server);
  if (reply.parse_error != dns::WireError::ok)
    return ";; malformed reply from " + from + ": " + dns::wire_error_text(reply.parse_error);
  if (!msg.header().qr) return ";; malformed reply from " + from + ": QR bit not set";
  // RFC 5452 9.1: a reply is for our query only if it echoes our question
  // (an error reply may carry no question at all).
  if (msg.header().qdcount > 0 &&
      (!(msg.qname() == a.name) || msg.qtype() != a.qtype || msg.qclass() != a.qclass))
    return ";; question section mismatch in reply from " + from + ": got " +
           msg.qname().to_text() + "/" + dns::type_to_text(msg.qtype()) + "/" +
           dns::class_to_text(msg.qclass());
  return "";
}

// The reply must be signed with our key over our request's MAC (RFC 8945 5.3).
std::string tsig_problem(const net::SignedReply& reply) {
  if (!reply.tsig) return "";
  const dns::TsigVerification& v = *reply.tsig;
  if (v.status == dns::TsigStatus::unsigned_message) return "the reply is not signed";
  if (v.status == dns::TsigStatus::peer_error) {
    switch (v.error_code()) {
      case dns::rcode::BADSIG: return "the server reported TSIG error BADSIG";
      case dns::rcode::BADKEY: return "the server reported TSIG error BADKEY";
      case dns::rcode::BADTIME: return "the server reported TSIG error BADTIME";
      case dns::rcode::BADTRUNC: return "the server reported TSIG error BADTRUNC";
      default: return "the server reported TSIG error " + std::to_string(v.error_code());
    }
  }
  if (!v.ok())
    return std::string("the reply failed TSIG verification: ") + dns::tsig_status_text(v.status);
  return "";
}

void print_reply(const QueryArgs& a, const net::SignedReply& reply) {
  std::time_t now = std::time(nullptr);
  if (a.short_output) {
    std::fputs(format_short(reply.message).c_str(), stdout);
  } else if (a.json) {
    std::fputs(format_json(reply.message, now).c_str(), stdout);
  } else {
    ReplyFooter f;
    f.server_address = net::endpoint_address(reply.server);
    f.port = reply.server.port();
    f.protocol = net::client_protocol_text(reply.exchange.protocol);
    f.rtt_ms = std::chrono::duration_cast<std::chrono::milliseconds>(reply.exchange.rtt).count();
    f.when = now;
    f.size = reply.exchange.response.size();
    std::fputs(format_dig(reply.message, a.recurse, &f).c_str(), stdout);
    std::fputs("\n", stdout);
  }
  std::fflush(stdout);
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
  auto request = make_request(a);
  if (!request) {
    std::fprintf(stderr, "namae query: %s\n", request.message().c_str());
    return query_exit::internal;
  }
  if (!a.short_output && !a.json) {
    std::printf("\n; <<>> namae query <<>> %s\n", a.command_line.c_str());
    if (!a.server.empty())
      std::printf("; (%zu server%s found)\n", servers->size(), servers->size() == 1 ? "" : "s");
  }

  net::SignedReply reply;
  if (!ask(a, *servers, *request, reply)) return query_exit::no_reply;
  if (auto why = unusable_reply(a, reply); !why.empty()) {
    std::fprintf(stderr, "%s\n", why.c_str());
    return query_exit::no_reply;
  }
  print_reply(a, reply);
  if (auto problem = tsig_problem(reply); !problem.empty()) {
    std::fprintf(stderr, ";; TSIG: %s (from %s)\n", problem.c_str(), where(reply.server).c_str());
    return query_exit::tsig;
  }
  return query_exit::ok;
}

}  // namespace namae::cli
