#include "xfr/client.h"

#include <fmt/format.h>

#include "dns/tsig.h"
#include "net/signed_exchange.h"
#include "net/stream_client.h"
#include "xfr/soa.h"

namespace namae::xfr {

using dns::rrtype::AXFR;
using dns::rrtype::IXFR;

std::vector<uint8_t> transfer_request(uint16_t id, const dns::Name& zone, uint16_t qtype,
                                      const std::optional<dns::Record>& ours) {
  std::vector<uint8_t> buf(1024);
  dns::MessageBuilder b(buf, buf.size());
  b.header().id = id;
  b.add_question(zone, qtype, dns::rrclass::IN);
  if (qtype == IXFR && ours) {
    b.begin(dns::Section::authority);
    b.add_record(ours->owner, ours->type, ours->rclass, ours->ttl, ours->rdata);
  }
  buf.resize(b.finish());
  return buf;
}

TransferClient::TransferClient(net::Transport& transport, const Clock& clock, ClientOptions options)
    : transport_(transport), clock_(clock), opts_(options) {}

// Some primaries refuse the SOA of a zone over UDP and give it over TCP
// (Knot 3.2 answers a generated catalog REFUSED, unsigned, over UDP): an
// error rcode over UDP is asked again over TCP before it counts.
Result<uint32_t> TransferClient::query_serial(const Remote& primary, const dns::Name& zone) {
  uint16_t rcode = dns::rcode::NOERROR;
  auto serial = ask_serial(primary, zone, net::ClientProtocol::udp, rcode);
  if (serial || rcode == dns::rcode::NOERROR) return serial;
  return ask_serial(primary, zone, net::ClientProtocol::tcp, rcode);
}

Result<uint32_t> TransferClient::ask_serial(const Remote& primary, const dns::Name& zone,
                                            net::ClientProtocol protocol, uint16_t& rcode) {
  std::vector<uint8_t> buf(512);
  dns::MessageBuilder b(buf, buf.size());
  b.header().id = net::random_message_id();
  b.add_question(zone, dns::rrtype::SOA, dns::rrclass::IN);
  buf.resize(b.finish());
  auto req = net::SignedRequest::make(std::move(buf), primary.key);
  if (!req) return req.error();
  net::SignedExchangeOptions o;
  o.first.protocol = protocol;
  o.first.timeout = opts_.query_timeout;
  o.first.tries = opts_.query_tries;
  o.truncated = o.first;
  o.truncated.protocol = net::ClientProtocol::tcp;
  net::SignedReply reply;
  const net::Endpoint servers[] = {primary.address};
  const char* what = protocol == net::ClientProtocol::tcp ? "SOA query over TCP: " : "SOA query: ";
  if (!req->send(transport_, servers, o, reply))
    return fail(what + reply.exchange.message);
  if (reply.parse_error != dns::WireError::ok || !reply.answers_request)
    return fail(std::string(what) + "malformed reply");
  // Before the TSIG check: Knot's REFUSED over UDP comes unsigned. Only
  // the retry's answer is taken, and it must verify.
  rcode = reply.rcode;
  if (reply.tsig && !reply.tsig->ok())
    return fail(std::string(what) + "TSIG " + dns::tsig_status_text(reply.tsig->status));
  if (reply.rcode != dns::rcode::NOERROR)
    return fail(what + dns::rcode_to_text(reply.rcode));
  auto cur = reply.message.records(dns::Section::answer);
  dns::RecordView rr;
  while (cur.next(rr)) {
    if (rr.type != dns::rrtype::SOA || !(reply.message.owner(rr) == zone)) continue;
    dns::RdataBytes rd;
    if (dns::rdata::decode(rr.type, reply.message.data(), rr.rdata_offset, rr.rdlength, rd) !=
        dns::WireError::ok)
      break;
    if (auto t = soa_timers(rd)) return t->serial;
  }
  return fail(std::string(what) + "no SOA in the answer");
}

Result<Transfer> TransferClient::transfer(const Remote& primary, const dns::Name& zone,
                                          const std::optional<dns::Record>& ours) {
  uint16_t rcode = 0;
  if (ours) {
    auto t = run(primary, zone, IXFR, ours, rcode);
    // RFC 1995 has no word for "no IXFR here" beyond these rcodes.
    if (t || (rcode != dns::rcode::NOTIMP && rcode != dns::rcode::FORMERR)) return t;
  }
  return run(primary, zone, AXFR, std::nullopt, rcode);
}

Result<Transfer> TransferClient::run(const Remote& primary, const dns::Name& zone, uint16_t qtype,
                                     const std::optional<dns::Record>& ours, uint16_t& rcode) {
  const char* what = qtype == IXFR ? "IXFR" : "AXFR";
  auto where = [&](const std::string& why) {
    return fail(fmt::format("{} from {}: {}", what, primary.address.to_string(), why));
  };
  uint16_t id = net::random_message_id();
  std::vector<uint8_t> request = transfer_request(id, zone, qtype, ours);
  std::vector<uint8_t> mac;
  if (primary.key)
    if (auto s = dns::tsig_sign_request(request, *primary.key, &mac); !s) return where(s.message());
  auto conn = net::StreamConnection::connect(primary.address, opts_.connect_timeout);
  if (!conn) return where(conn.message());
  if (auto s = (*conn)->send(request, opts_.message_timeout); !s) return where(s.message());

  XfrReader reader({id, zone, qtype, dns::rrclass::IN}, opts_.limits);
  std::optional<dns::TsigStreamVerifier> verifier;
  if (primary.key) verifier.emplace(*primary.key, mac);
  Transfer out;
  out.qtype = qtype;
  for (;;) {
    auto msg = (*conn)->receive(opts_.message_timeout);
    if (!msg) return where(msg.message());
    out.bytes += msg->size();
    dns::MessageView view;
    if (auto e = view.parse(*msg); e != dns::WireError::ok) return where("malformed message");
    if (verifier) {
      auto st = verifier->next(view, static_cast<uint64_t>(clock_.unix_time()));
      if (st != dns::TsigStatus::ok) return where(std::string("TSIG ") + dns::tsig_status_text(st));
    }
    auto status = reader.feed(view);
    if (status == XfrReader::Status::error) {
      rcode = reader.rcode();
      return where(reader.error());
    }
    if (status == XfrReader::Status::done) break;
  }
  if (verifier && !verifier->complete()) return where("TSIG: the last message is not signed");
  out.messages = reader.messages();
  out.result = reader.take();
  return out;
}

}  // namespace namae::xfr
