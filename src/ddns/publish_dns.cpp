#include <sys/random.h>
#include <sys/socket.h>

#include "ddns/publish.h"
#include "dns/edns.h"
#include "dns/message.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "net/client.h"

namespace namae::ddns {

std::vector<uint8_t> build_replace_update(const DnsTarget& t, const Selection& addrs, bool ipv4,
                                          bool ipv6, uint16_t id, bool goodbye) {
  std::vector<uint8_t> buf(dns::kMaxMessage);
  dns::MessageBuilder b(buf, buf.size());
  b.header().id = id;
  b.header().opcode = dns::opcode::UPDATE;
  std::vector<uint8_t> options;
  dns::Edns edns;
  if (!goodbye && t.lease) {
    edns.present = true;
    edns.udp_size = 1232;
    dns::UpdateLease l;
    l.lease = t.lease;
    dns::append_edns_option(options, dns::edns_option::UPDATE_LEASE, dns::encode_update_lease(l));
    edns.options = options;
    b.reserve(11 + options.size());
  }
  b.add_question(t.zone, dns::rrtype::SOA, dns::rrclass::IN);
  b.begin(dns::Section::authority);
  auto family = [&](bool enabled, uint16_t type, const std::vector<http::IpAddress>& list) {
    if (!enabled) return;
    b.add_record(t.name, type, dns::rrclass::ANY, 0, {});  // RFC 2136 2.5.2: delete the RRset
    if (goodbye) return;
    for (const auto& a : list) b.add_record(t.name, type, dns::rrclass::IN, t.ttl, a.rdata());
  };
  family(ipv4, dns::rrtype::A, addrs.v4);
  family(ipv6, dns::rrtype::AAAA, addrs.v6);
  if (edns.present) {
    b.begin(dns::Section::additional);
    b.add_opt(edns);
  }
  buf.resize(b.finish());
  return buf;
}

PublishOutcome send_dns_update(const DnsTarget& t, const Selection& addrs, bool ipv4, bool ipv6,
                               bool goodbye) {
  PublishOutcome out;
  uint16_t id = 0;
  while (getrandom(&id, sizeof id, 0) != sizeof id) {
  }
  auto query = build_replace_update(t, addrs, ipv4, ipv6, id, goodbye);
  std::vector<uint8_t> request_mac;
  if (t.key) {
    if (auto r = dns::tsig_sign_request(query, *t.key, &request_mac); !r) {
      out.message = "TSIG signing failed: " + r.message();
      return out;
    }
  }
  net::SocketTransport transport;
  net::ExchangeOptions opt;
  opt.protocol = t.tcp || query.size() > 512 ? net::ClientProtocol::tcp : net::ClientProtocol::udp;
  opt.timeout = t.timeout;
  opt.tries = opt.protocol == net::ClientProtocol::tcp ? 1 : t.tries;
  std::string errors;
  for (const auto& server : t.servers) {
    net::Exchange ex = transport.exchange(server, query, opt);
    if (ex.ok() && ex.response.size() >= dns::kHeaderSize && (ex.response[2] & 0x02)) {
      opt.protocol = net::ClientProtocol::tcp;  // truncated: ask again over TCP
      opt.tries = 1;
      ex = transport.exchange(server, query, opt);
    }
    const std::string where = server.to_string();
    if (!ex.ok()) {
      errors += (errors.empty() ? "" : "; ") +
                (ex.message.empty() ? where + ": " + net::exchange_error_text(ex.error)
                                    : ex.message);  // the transport's text names the server
      continue;
    }
    dns::MessageView msg;
    if (msg.parse(ex.response) != dns::WireError::ok || !msg.header().qr || msg.header().id != id ||
        msg.header().opcode != dns::opcode::UPDATE) {
      errors += (errors.empty() ? "" : "; ") + where + ": not a reply to our update";
      continue;
    }
    uint16_t rc =
        msg.edns().present ? msg.edns().full_rcode(msg.header().rcode) : msg.header().rcode;
    if (t.key) {
      dns::TsigVerifyParams vp;
      vp.now = dns::tsig_now();
      vp.prior_mac = &request_mac;
      auto v = dns::tsig_verify_response(msg, *t.key, vp);
      if (v.status == dns::TsigStatus::peer_error) {
        out.message = where + ": " + dns::rcode_to_text(rc) + " (TSIG error " +
                      dns::tsig_error_to_text(v.error_code()) + ")";
        return out;
      }
      if (!v.ok()) {
        // An unverifiable answer proves nothing either way; try the next server.
        errors += (errors.empty() ? "" : "; ") + where + ": reply failed TSIG verification (" +
                  dns::tsig_status_text(v.status) + ")";
        continue;
      }
    }
    if (rc != dns::rcode::NOERROR) {
      out.message = where + ": " + dns::rcode_to_text(rc);
      return out;
    }
    out.ok = true;
    out.message = where + ": NOERROR";
    if (msg.edns().present)
      if (auto o = msg.edns().find(dns::edns_option::UPDATE_LEASE))
        if (auto l = dns::parse_update_lease(o->data)) out.lease = l->lease;
    return out;
  }
  out.message = errors.empty() ? "no server address" : errors;
  return out;
}

}  // namespace namae::ddns
