#include "net/signed_exchange.h"

#include <sys/random.h>

#include "dns/edns.h"

namespace namae::net {

void random_bytes(std::span<uint8_t> out) {
  while (!out.empty()) {
    ssize_t got = ::getrandom(out.data(), out.size(), 0);
    if (got <= 0) continue;  // EINTR; getrandom never fails otherwise once seeded
    out = out.subspan(static_cast<size_t>(got));
  }
}

uint16_t random_message_id() {
  uint8_t b[2];
  random_bytes(b);
  return static_cast<uint16_t>(b[0] << 8 | b[1]);
}

UpdateMessage::UpdateMessage(uint16_t id, std::optional<uint32_t> lease)
    : UpdateMessage(id, lease ? std::optional<dns::UpdateLease>(dns::UpdateLease{*lease, std::nullopt})
                              : std::nullopt) {}

UpdateMessage::UpdateMessage(uint16_t id, std::optional<dns::UpdateLease> lease)
    : buffer_(dns::kMaxMessage), builder_(buffer_, buffer_.size()) {
  builder_.header().id = id;
  builder_.header().opcode = dns::opcode::UPDATE;
  if (!lease) return;
  edns_.present = true;
  edns_.udp_size = 1232;
  dns::append_edns_option(options_, dns::edns_option::UPDATE_LEASE, dns::encode_update_lease(*lease));
  edns_.options = options_;
  builder_.reserve(11 + options_.size());  // the OPT: root owner, 10 fixed octets, options
}

Result<std::vector<uint8_t>> UpdateMessage::finish() {
  if (edns_.present) {
    builder_.begin(dns::Section::additional);
    if (!builder_.add_opt(edns_)) return fail("update message too large");
  }
  buffer_.resize(builder_.finish());
  return std::move(buffer_);
}

Result<SignedRequest> SignedRequest::make(std::vector<uint8_t> wire,
                                          const std::optional<dns::TsigKey>& key) {
  if (wire.size() < dns::kHeaderSize) return fail("request shorter than a DNS header");
  SignedRequest r;
  auto header = dns::Header::read(wire.data());
  r.id_ = header.id;
  r.opcode_ = header.opcode;
  r.key_ = key;
  if (key)
    if (auto signed_ok = dns::tsig_sign_request(wire, *key, &r.request_mac_); !signed_ok)
      return fail("TSIG signing failed: " + signed_ok.message());
  r.wire_ = std::move(wire);
  return r;
}

namespace {

bool truncated(const Exchange& ex) {
  return ex.ok() && ex.response.size() >= dns::kHeaderSize && (ex.response[2] & 0x02);
}

}  // namespace

bool SignedRequest::send(Transport& transport, std::span<const Endpoint> servers,
                         const SignedExchangeOptions& options, SignedReply& out,
                         const std::function<bool(const SignedReply&)>& accept) const {
  for (const auto& server : servers) {
    if (options.first.local && options.first.local->family() != server.family()) continue;
    out.server = server;
    out.exchange = transport.exchange(server, wire_, options.first);
    if (options.follow_truncation && options.first.protocol == ClientProtocol::udp &&
        truncated(out.exchange)) {
      if (options.on_truncated) options.on_truncated(server);
      out.exchange = transport.exchange(server, wire_, options.truncated);
    }
    if (!out.exchange.ok()) {
      if (options.on_failure) options.on_failure(server, out.exchange);
      continue;
    }
    check(out);
    if (!accept || accept(out)) return true;
  }
  return false;
}

void SignedRequest::check(SignedReply& reply) const {
  reply.tsig.reset();
  reply.parse_error = reply.message.parse(reply.exchange.response);
  if (reply.parse_error != dns::WireError::ok) {
    reply.answers_request = false;
    reply.rcode = 0;
    return;
  }
  const dns::MessageView& msg = reply.message;
  reply.answers_request =
      msg.header().qr && msg.header().id == id_ && msg.header().opcode == opcode_;
  reply.rcode =
      msg.edns().present ? msg.edns().full_rcode(msg.header().rcode) : msg.header().rcode;
  if (key_) {
    dns::TsigVerifyParams vp;
    vp.now = dns::tsig_now();
    vp.prior_mac = &request_mac_;
    reply.tsig = dns::tsig_verify_response(msg, *key_, vp);
  }
}

}  // namespace namae::net
