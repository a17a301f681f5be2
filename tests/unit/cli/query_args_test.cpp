// `namae query` command line: dig's syntax, defaults, and errors.
#include "cli/query_args.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "dns/edns.h"
#include "dns/message.h"
#include "dns/rrtype.h"

namespace namae::cli {
namespace {

Result<QueryArgs> parse(std::vector<std::string> args) { return parse_query_args(args); }

TEST(QueryArgs, Defaults) {
  auto a = parse({"www.example.com"});
  ASSERT_TRUE(a.ok()) << a.message();
  EXPECT_EQ(a->name.to_text(), "www.example.com.");  // no search list: absolute
  EXPECT_EQ(a->qtype, dns::rrtype::A);
  EXPECT_EQ(a->qclass, dns::rrclass::IN);
  EXPECT_EQ(a->port, 53);
  EXPECT_TRUE(a->server.empty());
  EXPECT_FALSE(a->tcp);
  EXPECT_TRUE(a->recurse);
  EXPECT_TRUE(a->edns);
  EXPECT_EQ(a->bufsize, 1232);
  EXPECT_EQ(a->tries, 3);
  EXPECT_EQ(a->timeout_seconds, 5);
  EXPECT_FALSE(a->key);
  // Nothing at all: ". NS", like dig.
  a = parse({});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->name.is_root());
  EXPECT_EQ(a->qtype, dns::rrtype::NS);
}

TEST(QueryArgs, ServerPortTypeClassInAnyOrder) {
  auto a = parse({"MX", "@192.0.2.53", "example.org.", "-p", "5300", "CH"});
  ASSERT_TRUE(a.ok()) << a.message();
  EXPECT_EQ(a->server, "192.0.2.53");
  EXPECT_EQ(a->port, 5300);
  EXPECT_EQ(a->name.to_text(), "example.org.");
  EXPECT_EQ(a->qtype, dns::rrtype::MX);
  EXPECT_EQ(a->qclass, dns::rrclass::CH);
  // -t/-c and glued forms; TYPEnnn; a second type-looking word is the name.
  a = parse({"-tTYPE65534", "-c", "IN", "-p53", "a"});
  ASSERT_TRUE(a.ok()) << a.message();
  EXPECT_EQ(a->qtype, 65534);
  EXPECT_EQ(a->name.to_text(), "a.");
  a = parse({"NS", "A"});  // "A" after a type: the name "A."
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->qtype, dns::rrtype::NS);
  EXPECT_EQ(a->name.to_text(), "A.");
  a = parse({"-6", "@::1", "x", "ANY"});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->family, AF_INET6);
  EXPECT_EQ(a->server, "::1");
  EXPECT_EQ(a->qtype, dns::rrtype::ANY);
  EXPECT_EQ(parse({"-4", "x"})->family, AF_INET);
}

TEST(QueryArgs, PlusOptions) {
  auto a = parse({"x", "+tcp", "+norec", "+dnssec", "+cd", "+noadflag", "+time=2", "+tries=5",
                  "+bufsize=4096", "+nsid", "+cookie", "+ignore"});
  ASSERT_TRUE(a.ok()) << a.message();
  EXPECT_TRUE(a->tcp);
  EXPECT_FALSE(a->recurse);
  EXPECT_TRUE(a->dnssec);
  EXPECT_TRUE(a->cd);
  EXPECT_FALSE(a->ad);
  EXPECT_EQ(a->timeout_seconds, 2);
  EXPECT_EQ(a->tries, 5);
  EXPECT_EQ(a->bufsize, 4096);
  EXPECT_TRUE(a->nsid);
  EXPECT_TRUE(a->cookie);
  EXPECT_TRUE(a->ignore_tc);
  a = parse({"x", "+vc", "+notcp", "+retry=0", "+bufsize=100", "+noedns", "+short"});
  ASSERT_TRUE(a.ok()) << a.message();
  EXPECT_FALSE(a->tcp);  // the last word wins
  EXPECT_EQ(a->tries, 1);
  EXPECT_EQ(a->bufsize, 512);  // RFC 6891: below 512 means 512
  EXPECT_FALSE(a->edns);
  EXPECT_TRUE(a->short_output);
  a = parse({"x", "+edns=1", "+json"});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->edns_version, 1);
  EXPECT_TRUE(a->json);
}

TEST(QueryArgs, Reverse) {
  auto a = parse({"-x", "192.0.2.1"});
  ASSERT_TRUE(a.ok()) << a.message();
  EXPECT_EQ(a->name.to_text(), "1.2.0.192.in-addr.arpa.");
  EXPECT_EQ(a->qtype, dns::rrtype::PTR);
  a = parse({"-x", "2001:db8::1", "-t", "NS"});  // an explicit type wins
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->name.to_text(),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
  EXPECT_EQ(a->qtype, dns::rrtype::NS);
  EXPECT_EQ(reverse_name("192.0.2")->to_text(), "2.0.192.in-addr.arpa.");
  EXPECT_EQ(reverse_name("::ffff:1.2.3.4")->to_text(),
            "4.0.3.0.2.0.1.0.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.");
  EXPECT_FALSE(reverse_name("256.1.1.1").ok());
  EXPECT_FALSE(reverse_name("1.2.3.4.5").ok());
  EXPECT_FALSE(reverse_name("1..2").ok());
  EXPECT_FALSE(reverse_name("a.b.c.d").ok());
  EXPECT_FALSE(reverse_name("2001:db8::g").ok());
  EXPECT_FALSE(reverse_name("").ok());
}

TEST(QueryArgs, Tsig) {
  auto a = parse({"x", "-y", "hmac-sha512:k.example:c2VjcmV0"});
  ASSERT_TRUE(a.ok()) << a.message();
  ASSERT_TRUE(a->key);
  EXPECT_EQ(a->key->algorithm, dns::TsigAlgorithm::hmac_sha512);
  EXPECT_EQ(a->key->name.to_text(), "k.example.");
  // The secret never appears in the echoed command line.
  EXPECT_EQ(a->command_line.find("c2VjcmV0"), std::string::npos);
  EXPECT_NE(a->command_line.find("-y hmac-sha512:k.example.:<secret>"), std::string::npos);
  EXPECT_FALSE(parse({"x", "-y", "k"}).ok());
  EXPECT_FALSE(parse({"x", "-y", "hmac-foo:k:c2VjcmV0"}).ok());
  EXPECT_FALSE(parse({"x", "-y"}).ok());
}

TEST(QueryArgs, Errors) {
  for (const auto& bad : std::vector<std::vector<std::string>>{
           {"x", "+bogus"},
           {"x", "+time=abc"},
           {"x", "+time"},
           {"x", "+time=0"},
           {"x", "+tries=0"},
           {"x", "+bufsize=70000"},
           {"x", "-p", "70000"},
           {"x", "-p"},
           {"-t", "NOTATYPE", "x"},
           {"-c", "NOTACLASS", "x"},
           {"one.example", "two.example"},
           {"x", "+short", "+json"},
           {"x", "-z"},
           {"@"},
           {"bad..name"},
           {""},
       }) {
    std::string joined;
    for (auto& s : bad) joined += s + " ";
    EXPECT_FALSE(parse(bad).ok()) << joined;
  }
  EXPECT_TRUE(parse({"-h"})->help);
}

TEST(QueryArgs, BuildQuery) {
  auto a = parse({"WWW.Example.COM", "AAAA", "+dnssec", "+cd", "+bufsize=4096", "+nsid",
                  "+cookie"});
  ASSERT_TRUE(a.ok());
  const uint8_t cookie[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  auto q = build_query(*a, 0xbeef, cookie);
  ASSERT_TRUE(q.ok()) << q.message();
  dns::MessageView v;
  ASSERT_EQ(v.parse(*q), dns::WireError::ok);
  EXPECT_EQ(v.header().id, 0xbeef);
  EXPECT_FALSE(v.header().qr);
  EXPECT_TRUE(v.header().rd);
  EXPECT_TRUE(v.header().ad);
  EXPECT_TRUE(v.header().cd);
  EXPECT_EQ(v.qname().to_text(), "WWW.Example.COM.");  // case kept
  EXPECT_EQ(v.qtype(), dns::rrtype::AAAA);
  ASSERT_TRUE(v.edns().present);
  EXPECT_EQ(v.edns().udp_size, 4096);
  EXPECT_TRUE(v.edns().do_bit);
  auto c = v.edns().find(dns::edns_option::COOKIE);
  ASSERT_TRUE(c);
  EXPECT_EQ(std::vector<uint8_t>(c->data.begin(), c->data.end()),
            std::vector<uint8_t>(cookie, cookie + 8));
  EXPECT_TRUE(v.edns().find(dns::edns_option::NSID));

  a = parse({"x", "+noedns", "+norec", "+noadflag"});
  q = build_query(*a, 1);
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(v.parse(*q), dns::WireError::ok);
  EXPECT_FALSE(v.edns().present);
  EXPECT_FALSE(v.header().rd);
  EXPECT_FALSE(v.header().ad);
  EXPECT_EQ(v.header().arcount, 0);
  EXPECT_EQ(q->size(), 12u + 3 + 4);
}

}  // namespace
TEST(QueryArgs, TlsIsForTraceForwardersWithAName) {
  auto a = parse({"+trace", "--forward", ".=192.0.2.1", "+tls", "+tls-hostname=dns.example", "+tls-ca=/ca.pem", "x."});
  ASSERT_TRUE(a.ok()) << a.message();
  EXPECT_TRUE(a->tls);
  EXPECT_EQ(a->tls_hostname, "dns.example");
  EXPECT_EQ(a->tls_ca, "/ca.pem");
  EXPECT_FALSE(parse({"+tls", "+tls-hostname=dns.example", "@192.0.2.1", "x."}).ok());  // no +trace
  EXPECT_FALSE(parse({"+trace", "+tls", "+tls-hostname=dns.example", "x."}).ok());     // no --forward
  auto no_name = parse({"+trace", "--forward", ".=192.0.2.1", "+tls", "x."});
  ASSERT_FALSE(no_name.ok());
  EXPECT_NE(no_name.message().find("+tls-hostname"), std::string::npos) << no_name.message();
  EXPECT_FALSE(parse({"+trace", "--forward", ".=192.0.2.1", "+tls-hostname=dns.example", "x."}).ok());  // no +tls
  EXPECT_FALSE(parse({"+trace", "--forward", ".=192.0.2.1", "+tls", "+tls-hostname", "x."}).ok());  // no value
}

}  // namespace namae::cli
