#include "ddns/publish.h"
#include "dns/edns.h"
#include "dns/message.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "net/client.h"
#include "net/signed_exchange.h"

namespace namae::ddns {

std::vector<uint8_t> build_replace_update(const DnsTarget& t, const Selection& addrs, bool ipv4,
                                          bool ipv6, uint16_t id, bool goodbye) {
  net::UpdateMessage m(id, goodbye || !t.lease ? std::nullopt : std::optional<uint32_t>(t.lease));
  dns::MessageBuilder& b = m.builder();
  b.add_question(t.zone, dns::rrtype::SOA, dns::rrclass::IN);
  b.begin(dns::Section::authority);
  auto family = [&](bool enabled, uint16_t type, const std::vector<net::IpAddress>& list) {
    if (!enabled) return;
    b.add_record(t.name, type, dns::rrclass::ANY, 0, {});  // RFC 2136 2.5.2: delete the RRset
    if (goodbye) return;
    for (const auto& a : list) b.add_record(t.name, type, dns::rrclass::IN, t.ttl, a.rdata());
  };
  family(ipv4, dns::rrtype::A, addrs.v4);
  family(ipv6, dns::rrtype::AAAA, addrs.v6);
  auto wire = m.finish();
  return wire ? std::move(*wire) : std::vector<uint8_t>{};
}

namespace {

void append(std::string& errors, const std::string& what) {
  errors += (errors.empty() ? "" : "; ") + what;
}

// Why a reply from `where` proves nothing either way (so the next server is
// asked), or "".
std::string unusable(const net::SignedReply& reply, const std::string& where) {
  if (reply.parse_error != dns::WireError::ok || !reply.answers_request)
    return where + ": not a reply to our update";
  if (reply.tsig && !reply.tsig->ok() && reply.tsig->status != dns::TsigStatus::peer_error)
    return where + ": reply failed TSIG verification (" +
           dns::tsig_status_text(reply.tsig->status) + ")";
  return "";
}

}  // namespace

PublishOutcome send_dns_update(const DnsTarget& t, const Selection& addrs, bool ipv4, bool ipv6,
                               bool goodbye) {
  PublishOutcome out;
  auto request = net::SignedRequest::make(
      build_replace_update(t, addrs, ipv4, ipv6, net::random_message_id(), goodbye), t.key);
  if (!request) {
    out.message = request.message();
    return out;
  }
  net::SignedExchangeOptions opt;
  bool tcp = t.tcp || request->wire().size() > 512;
  opt.first.protocol = tcp ? net::ClientProtocol::tcp : net::ClientProtocol::udp;
  opt.first.timeout = t.timeout;
  opt.first.tries = tcp ? 1 : t.tries;
  opt.truncated = opt.first;
  opt.truncated.protocol = net::ClientProtocol::tcp;
  opt.truncated.tries = 1;
  std::string errors;
  opt.on_failure = [&](const net::Endpoint& server, const net::Exchange& ex) {
    // The transport's text names the server.
    append(errors, ex.message.empty()
                       ? server.to_string() + ": " + net::exchange_error_text(ex.error)
                       : ex.message);
  };
  auto accept = [&](const net::SignedReply& reply) {
    std::string why = unusable(reply, reply.server.to_string());
    if (!why.empty()) append(errors, why);
    return why.empty();
  };
  net::SocketTransport transport;
  net::SignedReply reply;
  if (!request->send(transport, t.servers, opt, reply, accept)) {
    out.message = errors.empty() ? "no server address" : errors;
    return out;
  }
  const std::string where = reply.server.to_string();
  if (reply.tsig && reply.tsig->status == dns::TsigStatus::peer_error) {
    out.message = where + ": " + dns::rcode_to_text(reply.rcode) + " (TSIG error " +
                  dns::tsig_error_to_text(reply.tsig->error_code()) + ")";
    return out;
  }
  if (reply.rcode != dns::rcode::NOERROR) {
    out.message = where + ": " + dns::rcode_to_text(reply.rcode);
    return out;
  }
  out.ok = true;
  out.message = where + ": NOERROR";
  const dns::MessageView& msg = reply.message;
  if (msg.edns().present)
    if (auto o = msg.edns().find(dns::edns_option::UPDATE_LEASE))
      if (auto l = dns::parse_update_lease(o->data)) out.lease = l->lease;
  return out;
}

}  // namespace namae::ddns
