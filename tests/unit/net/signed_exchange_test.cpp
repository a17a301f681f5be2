#include "net/signed_exchange.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "dns/edns.h"
#include "dns/rrtype.h"

namespace namae::net {
namespace {

dns::Name N(const char* text) { return *dns::Name::from_text(text); }

dns::TsigKey key(const char* secret_b64 = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==") {
  return *dns::TsigKey::parse(std::string("hmac-sha256:k.example.:") + secret_b64);
}

Endpoint server(uint16_t port) { return *make_endpoint("127.0.0.1", port); }

// One call the client made.
struct Call {
  uint16_t port;
  ClientProtocol protocol;
};

// A network whose answers a test writes: `answer` gets the server's port,
// the protocol and the request, and returns the exchange.
class ScriptedTransport final : public Transport {
 public:
  std::function<Exchange(uint16_t, ClientProtocol, std::span<const uint8_t>)> answer;
  std::vector<Call> calls;

  Exchange exchange(const Endpoint& to, std::span<const uint8_t> query,
                    const ExchangeOptions& options) override {
    calls.push_back({to.port(), options.protocol});
    Exchange ex = answer(to.port(), options.protocol, query);
    ex.protocol = options.protocol;
    return ex;
  }
};

// The server's reply to `request`: same id and opcode, `rcode`, TC when
// asked, signed with `signer` when given (as namaed signs: over the request MAC).
Exchange reply_to(std::span<const uint8_t> request, uint8_t rcode = dns::rcode::NOERROR,
                  bool tc = false, const dns::TsigKey* signer = nullptr, int id_delta = 0) {
  dns::MessageView req;
  EXPECT_EQ(req.parse(request), dns::WireError::ok);
  std::vector<uint8_t> buf(4096);
  dns::MessageBuilder b(buf, buf.size());
  b.header().id = static_cast<uint16_t>(req.header().id + id_delta);
  b.header().opcode = req.header().opcode;
  b.header().qr = true;
  b.header().tc = tc;
  b.header().rcode = rcode;
  b.add_question(req.qname(), req.qtype(), req.qclass());
  size_t len = b.finish();
  if (signer) {
    dns::TsigVerifyParams vp;
    vp.now = dns::tsig_now();
    auto v = dns::tsig_verify(req, std::span<const dns::TsigKey>(signer, 1), vp);
    EXPECT_TRUE(v.ok()) << dns::tsig_status_text(v.status);
    auto signed_len = dns::tsig_sign_reply(buf, len, v, vp.now);
    EXPECT_TRUE(signed_len);
    len = *signed_len;
  }
  buf.resize(len);
  Exchange ex;
  ex.response = std::move(buf);
  return ex;
}

std::vector<uint8_t> update_wire(uint16_t id, std::optional<uint32_t> lease = std::nullopt) {
  UpdateMessage m(id, lease);
  m.builder().add_question(N("example.test."), dns::rrtype::SOA, dns::rrclass::IN);
  return *m.finish();
}

TEST(SignedExchange, TruncatedUdpReplyIsAskedAgainOverTcp) {
  auto request = SignedRequest::make(update_wire(7), std::nullopt);
  ASSERT_TRUE(request);
  ScriptedTransport t;
  t.answer = [](uint16_t, ClientProtocol p, std::span<const uint8_t> q) {
    return reply_to(q, dns::rcode::NOERROR, p == ClientProtocol::udp);
  };
  SignedExchangeOptions opt;
  opt.truncated.protocol = ClientProtocol::tcp;
  int truncations = 0;
  opt.on_truncated = [&](const Endpoint&) { ++truncations; };
  SignedReply reply;
  std::vector<Endpoint> servers{server(5301)};
  ASSERT_TRUE(request->send(t, servers, opt, reply));
  EXPECT_EQ(truncations, 1);
  ASSERT_EQ(t.calls.size(), 2u);
  EXPECT_EQ(t.calls[0].protocol, ClientProtocol::udp);
  EXPECT_EQ(t.calls[1].protocol, ClientProtocol::tcp);
  EXPECT_EQ(reply.exchange.protocol, ClientProtocol::tcp);
  EXPECT_EQ(reply.parse_error, dns::WireError::ok);
  EXPECT_TRUE(reply.answers_request);
  EXPECT_EQ(reply.rcode, dns::rcode::NOERROR);
  EXPECT_FALSE(reply.tsig);
}

TEST(SignedExchange, TruncationKeptWhenNotFollowed) {
  auto request = SignedRequest::make(update_wire(7), std::nullopt);
  ScriptedTransport t;
  t.answer = [](uint16_t, ClientProtocol, std::span<const uint8_t> q) {
    return reply_to(q, dns::rcode::NOERROR, true);
  };
  SignedExchangeOptions opt;
  opt.follow_truncation = false;
  SignedReply reply;
  std::vector<Endpoint> servers{server(5301)};
  ASSERT_TRUE(request->send(t, servers, opt, reply));
  EXPECT_EQ(t.calls.size(), 1u);
  EXPECT_TRUE(reply.message.header().tc);
}

TEST(SignedExchange, ServersAreTriedInOrderUntilOneAnswersAndIsAccepted) {
  auto request = SignedRequest::make(update_wire(9), std::nullopt);
  ScriptedTransport t;
  t.answer = [](uint16_t port, ClientProtocol, std::span<const uint8_t> q) {
    if (port == 5301) {
      Exchange ex;
      ex.error = ExchangeError::timeout;
      ex.message = "127.0.0.1#5301: timed out";
      return ex;
    }
    // 5302 answers with another ID (not ours); 5303 properly, REFUSED.
    return reply_to(q, dns::rcode::REFUSED, false, nullptr, port == 5302 ? 1 : 0);
  };
  SignedExchangeOptions opt;
  std::vector<uint16_t> failed;
  opt.on_failure = [&](const Endpoint& s, const Exchange& ex) {
    failed.push_back(s.port());
    EXPECT_EQ(ex.error, ExchangeError::timeout);
  };
  std::vector<uint16_t> checked;
  auto accept = [&](const SignedReply& r) {
    checked.push_back(r.server.port());
    return r.answers_request;
  };
  SignedReply reply;
  std::vector<Endpoint> servers{server(5301), server(5302), server(5303)};
  ASSERT_TRUE(request->send(t, servers, opt, reply, accept));
  EXPECT_EQ(failed, std::vector<uint16_t>{5301});
  EXPECT_EQ(checked, (std::vector<uint16_t>{5302, 5303}));
  EXPECT_EQ(reply.server.port(), 5303);
  EXPECT_EQ(reply.rcode, dns::rcode::REFUSED);
}

TEST(SignedExchange, NoServerAnswering) {
  auto request = SignedRequest::make(update_wire(9), std::nullopt);
  ScriptedTransport t;
  t.answer = [](uint16_t, ClientProtocol, std::span<const uint8_t>) {
    Exchange ex;
    ex.error = ExchangeError::refused;
    return ex;
  };
  SignedReply reply;
  std::vector<Endpoint> servers{server(5301), server(5302)};
  EXPECT_FALSE(request->send(t, servers, {}, reply));
  EXPECT_EQ(reply.exchange.error, ExchangeError::refused);
  EXPECT_EQ(t.calls.size(), 2u);
}

TEST(SignedExchange, LocalAddressSkipsServersOfTheOtherFamily) {
  auto request = SignedRequest::make(update_wire(3), std::nullopt);
  ScriptedTransport t;
  t.answer = [](uint16_t, ClientProtocol, std::span<const uint8_t> q) { return reply_to(q); };
  SignedExchangeOptions opt;
  opt.first.local = *make_endpoint("127.0.0.1", 0);
  SignedReply reply;
  std::vector<Endpoint> servers{*make_endpoint("::1", 5301), server(5302)};
  ASSERT_TRUE(request->send(t, servers, opt, reply));
  ASSERT_EQ(t.calls.size(), 1u);
  EXPECT_EQ(t.calls[0].port, 5302);
}

TEST(SignedExchange, SignedReplyVerifiesOverTheRequestMac) {
  dns::TsigKey k = key();
  auto request = SignedRequest::make(update_wire(11), k);
  ASSERT_TRUE(request);
  dns::MessageView signed_request;
  ASSERT_EQ(signed_request.parse(request->wire()), dns::WireError::ok);
  EXPECT_TRUE(signed_request.has_tsig());

  ScriptedTransport t;
  t.answer = [&](uint16_t, ClientProtocol, std::span<const uint8_t> q) {
    return reply_to(q, dns::rcode::NOERROR, false, &k);
  };
  SignedReply reply;
  std::vector<Endpoint> servers{server(5301)};
  ASSERT_TRUE(request->send(t, servers, {}, reply));
  ASSERT_TRUE(reply.tsig);
  EXPECT_TRUE(reply.tsig->ok()) << dns::tsig_status_text(reply.tsig->status);
}

TEST(SignedExchange, UnsignedReplyToASignedRequestIsFlagged) {
  auto request = SignedRequest::make(update_wire(11), key());
  ScriptedTransport t;
  t.answer = [](uint16_t, ClientProtocol, std::span<const uint8_t> q) { return reply_to(q); };
  SignedReply reply;
  std::vector<Endpoint> servers{server(5301)};
  ASSERT_TRUE(request->send(t, servers, {}, reply));
  ASSERT_TRUE(reply.tsig);
  EXPECT_EQ(reply.tsig->status, dns::TsigStatus::unsigned_message);
}

TEST(SignedExchange, MalformedReplyIsReportedNotAccepted) {
  auto request = SignedRequest::make(update_wire(5), std::nullopt);
  ScriptedTransport t;
  t.answer = [](uint16_t, ClientProtocol, std::span<const uint8_t>) {
    Exchange ex;
    ex.response = {0, 5, 0x80};  // shorter than a header
    return ex;
  };
  SignedReply reply;
  std::vector<Endpoint> servers{server(5301)};
  ASSERT_TRUE(request->send(t, servers, {}, reply));
  EXPECT_NE(reply.parse_error, dns::WireError::ok);
  EXPECT_FALSE(reply.answers_request);
}

TEST(SignedExchange, RequestShorterThanAHeaderIsRefused) {
  EXPECT_FALSE(SignedRequest::make({1, 2, 3}, std::nullopt));
}

TEST(UpdateMessage, LeaseGoesInAnOptRecord) {
  dns::MessageView m;
  auto with = update_wire(1, 3600);
  ASSERT_EQ(m.parse(with), dns::WireError::ok);
  EXPECT_EQ(m.header().opcode, dns::opcode::UPDATE);
  ASSERT_TRUE(m.edns().present);
  auto o = m.edns().find(dns::edns_option::UPDATE_LEASE);
  ASSERT_TRUE(o);
  EXPECT_EQ(dns::parse_update_lease(o->data)->lease, 3600u);

  auto zero = update_wire(1, 0);  // `lease 0` is still asked for
  ASSERT_EQ(m.parse(zero), dns::WireError::ok);
  EXPECT_TRUE(m.edns().find(dns::edns_option::UPDATE_LEASE));

  auto without = update_wire(1);
  ASSERT_EQ(m.parse(without), dns::WireError::ok);
  EXPECT_FALSE(m.edns().present);
}

TEST(RandomMessageId, NotConstant) {
  uint16_t first = random_message_id();
  bool differs = false;
  for (int i = 0; i < 64 && !differs; ++i) differs = random_message_id() != first;
  EXPECT_TRUE(differs);
}

}  // namespace
}  // namespace namae::net
