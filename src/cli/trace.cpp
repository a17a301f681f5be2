// `namae query +trace`: resolve from the root with the resolver library
// (resolver::Resolver over net::SocketTransport, an empty cache) and show each
// upstream exchange like a teaching diagram, or as JSON with +json.
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/json.h"
#include "cli/query_args.h"
#include "dns/rrtype.h"
#include "net/client.h"
#include "net/dot_client.h"
#include "resolver/resolver.h"

namespace namae::cli {

namespace {

std::string flags_text(const resolver::TraceStep& s) {
  std::string f = "qr";
  if (s.aa) f += " aa";
  if (s.tc) f += " tc";
  if (s.rd) f += " rd";
  if (s.ra) f += " ra";
  return f;
}

std::string server_text(const net::Endpoint& ep) {
  return net::endpoint_address(ep) + "#" + std::to_string(ep.port());
}

void print_step(int n, const resolver::TraceStep& s) {
  std::string indent(static_cast<size_t>(s.depth) * 4, ' ');
  if (s.server.len == 0) {  // a failure with no exchange
    std::printf("%s;; [%d] %s %s: %s (%s)\n", indent.c_str(), n, s.qname.c_str(),
                dns::type_to_text(s.qtype).c_str(), s.outcome.c_str(), s.error.c_str());
    return;
  }
  std::printf("%s;; [%d] zone %s: asked %s (%s) over %s%s: %s %s\n", indent.c_str(), n,
              s.zone.c_str(), s.server_name.c_str(), server_text(s.server).c_str(),
              s.tls ? "TLS" : s.tcp ? "TCP" : "UDP", s.edns ? "" : " without EDNS", s.qname.c_str(),
              dns::type_to_text(s.qtype).c_str());
  if (!s.why.empty()) std::printf("%s;;     why this server: %s\n", indent.c_str(), s.why.c_str());
  if (!s.error.empty()) {
    std::printf("%s;;     %s: %s\n", indent.c_str(), s.error.c_str(), s.outcome.c_str());
    return;
  }
  std::printf("%s;;     reply in %lld ms: %s, flags: %s; ANSWER %u, AUTHORITY %u, ADDITIONAL %u\n",
              indent.c_str(), static_cast<long long>(s.rtt_ms), dns::rcode_to_text(s.rcode).c_str(),
              flags_text(s).c_str(), s.counts[1], s.counts[2], s.counts[3]);
  std::printf("%s;;     => %s\n", indent.c_str(), s.outcome.c_str());
  for (const auto& r : s.records) {
    size_t start = 0;
    while (start <= r.size()) {
      size_t nl = r.find('\n', start);
      std::string line = r.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      std::printf("%s        %s\n", indent.c_str(), line.c_str());
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
  }
}

std::string step_json(const resolver::TraceStep& s) {
  std::string recs;
  for (const auto& r : s.records) {
    size_t start = 0;
    while (start <= r.size()) {
      size_t nl = r.find('\n', start);
      if (!recs.empty()) recs += ", ";
      recs += json_quote(r.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
  }
  return fmt::format(
      "{{\"depth\": {}, \"zone\": {}, \"server\": {}, \"server_name\": {}, \"qname\": {}, "
      "\"qtype\": {}, \"protocol\": \"{}\", \"edns\": {}, \"why\": {}, \"error\": {}, "
      "\"rcode\": {}, \"flags\": {{\"qr\": true, \"aa\": {}, \"tc\": {}, \"rd\": {}, \"ra\": {}}}, "
      "\"counts\": {{\"question\": {}, \"answer\": {}, \"authority\": {}, \"additional\": {}}}, "
      "\"outcome\": {}, \"records\": [{}], \"rtt_ms\": {}}}",
      s.depth, json_quote(s.zone), json_quote(s.server.len ? server_text(s.server) : ""),
      json_quote(s.server_name), json_quote(s.qname), json_quote(dns::type_to_text(s.qtype)),
      s.tls ? "TLS" : s.tcp ? "TCP" : "UDP", s.edns, json_quote(s.why), json_quote(s.error),
      json_quote(dns::rcode_to_text(s.rcode)), s.aa, s.tc, s.rd, s.ra, s.counts[0], s.counts[1],
      s.counts[2], s.counts[3], json_quote(s.outcome), recs, s.rtt_ms);
}

}  // namespace

int trace_main(const QueryArgs& a) {
  resolver::RootHints hints;
  if (a.root_hints.empty()) {
    hints = resolver::builtin_root_hints();
  } else {
    auto h = resolver::load_root_hints(a.root_hints);
    if (!h) {
      std::fprintf(stderr, "namae query: %s\n", h.message().c_str());
      return query_exit::usage;
    }
    hints = std::move(*h);
  }
  SystemClock clock;
  resolver::CacheOptions co;
  co.max_entries = 10000;
  resolver::Cache cache(co, clock);
  resolver::Infra infra(clock);
  net::SocketTransport transport;
  resolver::ResolverOptions ro;
  ro.do_not_query_localhost = !a.allow_localhost;
  ro.upstream_port = a.port;
  // Someone watching a trace would rather wait than see it cut short: the
  // daemon's 2.5 s bound is for clients that retry on their own.
  ro.resolution_timeout_ms = 15000;
  if (a.validate) {
    auto anchors = a.trust_anchor_file.empty() ? Result<validator::TrustAnchors>(validator::TrustAnchors::builtin_root())
                                               : validator::TrustAnchors::from_file(a.trust_anchor_file);
    if (!anchors) {
      std::fprintf(stderr, "namae query: --trust-anchor-file: %s\n", anchors.message().c_str());
      return query_exit::usage;
    }
    ro.trust_anchors = std::make_shared<const validator::TrustAnchors>(std::move(*anchors));
  }
  std::shared_ptr<net::DotClient> dot;  // +tls: one client for every forwarder
  for (const auto* list : {&a.stubs, &a.forwards}) {
    for (const auto& spec : *list) {
      // NAME=ADDR[,ADDR...], checked for '=' by the option parser.
      size_t eq = spec.find('=');
      std::vector<std::string> servers;
      for (size_t at = eq + 1; at <= spec.size();) {
        size_t comma = std::min(spec.find(',', at), spec.size());
        servers.push_back(spec.substr(at, comma - at));
        at = comma + 1;
      }
      const bool tls = a.tls && list == &a.forwards;
      auto route = resolver::make_route(std::string_view(spec).substr(0, eq), servers, list == &a.forwards,
                                        tls ? 853 : 53);
      if (!route) {
        std::fprintf(stderr, "namae query: %s: %s\n", list == &a.stubs ? "--stub" : "--forward",
                     route.message().c_str());
        return query_exit::usage;
      }
      if (tls) {
        if (!dot) {
          auto c = net::DotClient::create(a.tls_ca);
          if (!c) {
            std::fprintf(stderr, "namae query: +tls-ca: %s\n", c.message().c_str());
            return query_exit::usage;
          }
          dot = std::move(*c);
        }
        route->dot = dot;
        route->tls_name = a.tls_hostname;
      }
      ro.routes.push_back(std::move(*route));
    }
  }
  resolver::Resolver r(ro, hints, cache, infra, transport, clock);

  std::vector<resolver::TraceStep> steps;
  int n = 0;
  if (!a.json) {
    std::printf("\n; <<>> namae query <<>> %s\n", a.command_line.c_str());
    std::printf(";; iterating from %s (%zu root server name%s)\n\n",
                a.root_hints.empty() ? "the built-in root hints" : a.root_hints.c_str(),
                hints.ns_names.size(), hints.ns_names.size() == 1 ? "" : "s");
  }
  resolver::TraceSink sink = [&](const resolver::TraceStep& s) {
    if (a.json) steps.push_back(s);
    else print_step(++n, s);
  };
  resolver::Answer ans = r.resolve(a.name, a.qtype, false, &sink);

  int64_t now = clock.now_ms();
  std::vector<std::string> answer_lines, authority_lines;
  for (const auto& e : ans.chain)
    for (const auto& rd : e->rrset.rdata)
      answer_lines.push_back(fmt::format("{}\t{}\t{}\t{}\t{}", e->rrset.owner.to_text(),
                                         e->ttl_left(now), dns::class_to_text(e->rrset.rclass),
                                         dns::type_to_text(e->rrset.type),
                                         dns::rdata::to_text(e->rrset.type, rd)));
  if (ans.negative && ans.negative->soa)
    for (const auto& rd : ans.negative->soa->rdata)
      authority_lines.push_back(fmt::format("{}\t{}\tIN\tSOA\t{}", ans.negative->soa->owner.to_text(),
                                            ans.negative->ttl_left(now),
                                            dns::rdata::to_text(dns::rrtype::SOA, rd)));
  if (a.json) {
    std::string out = "{\"question\": {\"qname\": " + json_quote(a.name.to_text()) +
                      ", \"qtype\": " + json_quote(dns::type_to_text(a.qtype)) + "},\n \"steps\": [";
    for (size_t i = 0; i < steps.size(); ++i) out += (i ? ",\n  " : "\n  ") + step_json(steps[i]);
    out += "],\n \"rcode\": " + json_quote(dns::rcode_to_text(ans.rcode)) + ",\n \"answer\": [";
    for (size_t i = 0; i < answer_lines.size(); ++i) out += (i ? ", " : "") + json_quote(answer_lines[i]);
    out += "],\n \"authority\": [";
    for (size_t i = 0; i < authority_lines.size(); ++i)
      out += (i ? ", " : "") + json_quote(authority_lines[i]);
    out += fmt::format("],\n \"upstream_queries\": {}", ans.upstream_queries);
    if (ans.ede != 0xffff) out += fmt::format(",\n \"ede\": {}, \"ede_text\": {}", ans.ede, json_quote(ans.ede_text));
    out += "}\n";
    std::fputs(out.c_str(), stdout);
  } else {
    std::printf("\n;; result: %s after %d upstream queries\n", dns::rcode_to_text(ans.rcode).c_str(),
                ans.upstream_queries);
    if (ans.ede != 0xffff) std::printf(";; EDE %u: %s\n", ans.ede, ans.ede_text.c_str());
    if (!answer_lines.empty()) std::printf(";; ANSWER SECTION:\n");
    for (const auto& l : answer_lines) std::printf("%s\n", l.c_str());
    if (!authority_lines.empty()) std::printf(";; AUTHORITY SECTION:\n");
    for (const auto& l : authority_lines) std::printf("%s\n", l.c_str());
    std::printf("\n");
  }
  return ans.rcode == dns::rcode::SERVFAIL ? query_exit::no_reply : query_exit::ok;
}

}  // namespace namae::cli
