#include "daemon/parent_ds.h"

#include <algorithm>

#include "dns/message.h"
#include "dns/rrtype.h"
#include "dnssec/dnskey.h"
#include "net/signed_exchange.h"

namespace namae::daemon {
namespace {

// The DS of `dnskey` with the digest type of `ds` is `ds` (RFC 4034 5.1).
bool ds_of_key(const dns::RdataBytes& ds, const dns::Name& zone, const dns::RdataBytes& dnskey) {
  if (ds.size() < 5) return false;
  auto mine = dnssec::ds_rdata(zone, dnskey, ds[3]);
  return mine && *mine == ds;
}

}  // namespace

std::optional<std::vector<dns::RdataBytes>> ds_set_of(const dns::MessageView& reply, uint16_t rcode,
                                                       const dns::Name& zone) {
  std::vector<dns::RdataBytes> out;
  if (rcode == dns::rcode::NXDOMAIN) return out;
  if (rcode != dns::rcode::NOERROR || reply.header().qdcount != 1 || !(reply.qname() == zone) ||
      reply.qtype() != dns::rrtype::DS)
    return std::nullopt;
  auto cur = reply.records(dns::Section::answer);
  for (dns::RecordView rr; cur.next(rr);) {
    if (rr.type != dns::rrtype::DS || !(reply.owner(rr) == zone)) continue;
    dns::RdataBytes rd;
    if (dns::rdata::decode(rr.type, reply.data(), rr.rdata_offset, rr.rdlength, rd) != dns::WireError::ok)
      return std::nullopt;
    out.push_back(std::move(rd));
  }
  return out;
}

ParentDs ask_parent(net::Transport& transport, const net::Endpoint& agent, const dns::Name& zone,
                    std::chrono::milliseconds timeout) {
  ParentDs out;
  std::vector<uint8_t> buf(512);
  dns::MessageBuilder b(buf, buf.size());
  b.header().id = net::random_message_id();
  b.add_question(zone, dns::rrtype::DS, dns::rrclass::IN);
  buf.resize(b.finish());
  auto req = net::SignedRequest::make(std::move(buf), std::nullopt);
  if (!req) {
    out.error = req.message();
    return out;
  }
  net::SignedExchangeOptions o;
  o.first.timeout = timeout;
  o.first.tries = 2;
  o.truncated = o.first;
  o.truncated.protocol = net::ClientProtocol::tcp;
  net::SignedReply reply;
  const net::Endpoint servers[] = {agent};
  if (!req->send(transport, servers, o, reply)) {
    out.error = reply.exchange.message;
    return out;
  }
  if (reply.parse_error != dns::WireError::ok || !reply.answers_request) {
    out.error = "malformed reply";
    return out;
  }
  auto set = ds_set_of(reply.message, reply.rcode, zone);
  if (!set) {
    out.error = "answered " + dns::rcode_to_text(reply.rcode);
    return out;
  }
  out.ok = true;
  out.ds = std::move(*set);
  return out;
}

ParentVerdict judge(const std::vector<ParentDs>& answers, const dns::Name& zone,
                    const signing::ZoneKeyRing::DsWait& wait) {
  ParentVerdict v;
  if (answers.empty() || !std::all_of(answers.begin(), answers.end(), [](const ParentDs& a) { return a.ok; }))
    return v;
  if (wait.gone) {
    v.gone = std::all_of(answers.begin(), answers.end(), [](const ParentDs& a) { return a.ds.empty(); });
    return v;
  }
  for (const auto& [tag, dnskey] : wait.keys) {
    const bool everywhere = std::all_of(answers.begin(), answers.end(), [&](const ParentDs& a) {
      return std::any_of(a.ds.begin(), a.ds.end(), [&](const auto& ds) { return ds_of_key(ds, zone, dnskey); });
    });
    if (everywhere) {
      v.seen = tag;
      return v;
    }
  }
  return v;
}

}  // namespace namae::daemon
