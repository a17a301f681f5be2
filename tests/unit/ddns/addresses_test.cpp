#include "ddns/addresses.h"

#include <gtest/gtest.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "ddns/publish.h"
#include "dns/edns.h"
#include "dns/message.h"
#include "dns/rrtype.h"
#include "update/engine.h"

namespace namae::ddns {
namespace {

HostAddress addr(const char* ip, const char* ifname, unsigned ifindex, uint8_t scope = 0,
                 uint32_t flags = IFA_F_PERMANENT, bool up = true) {
  HostAddress a;
  a.ip = *net::parse_ip(ip);
  a.ifname = ifname;
  a.ifindex = ifindex;
  a.scope = scope;
  a.flags = flags;
  a.link_up = up;
  return a;
}

std::vector<HostAddress> host() {
  return {
      addr("127.0.0.1", "lo", 1, RT_SCOPE_HOST),
      addr("::1", "lo", 1, RT_SCOPE_HOST),
      addr("192.0.2.10", "eth0", 2),
      addr("2001:db8::10", "eth0", 2),
      addr("fe80::1", "eth0", 2, RT_SCOPE_LINK),
      addr("2001:db8::abcd", "eth0", 2, 0, IFA_F_TEMPORARY),
      addr("2001:db8::dead", "eth0", 2, 0, IFA_F_DEPRECATED),
      addr("2001:db8::7e57", "eth0", 2, 0, IFA_F_TENTATIVE),
      addr("2001:db8::bad", "eth0", 2, 0, IFA_F_DADFAILED),
      addr("198.51.100.3", "wlan0", 3),
      addr("203.0.113.4", "docker0", 4),
      addr("198.51.100.99", "eth1", 5, 0, 0, false),  // link down
  };
}

std::string sel(const AddressFilter& f) { return select_addresses(host(), f).to_text(); }

TEST(SelectAddresses, GlobalUsableStableByDefault) {
  EXPECT_EQ(sel({}), "192.0.2.10, 198.51.100.3, 203.0.113.4, 2001:db8::10");
}

TEST(SelectAddresses, Families) {
  AddressFilter f;
  f.ipv6 = false;
  EXPECT_EQ(sel(f), "192.0.2.10, 198.51.100.3, 203.0.113.4");
  f.ipv6 = true;
  f.ipv4 = false;
  EXPECT_EQ(sel(f), "2001:db8::10");
}

TEST(SelectAddresses, InterfaceIncludeExcludeGlobs) {
  AddressFilter f;
  f.include = {"eth*", "wl*"};
  EXPECT_EQ(sel(f), "192.0.2.10, 198.51.100.3, 2001:db8::10");
  f.include.clear();
  f.exclude = {"docker*", "wlan0"};
  EXPECT_EQ(sel(f), "192.0.2.10, 2001:db8::10");
  f.include = {"lo"};
  f.exclude.clear();
  EXPECT_EQ(sel(f), "(none)");  // loopback never
}

TEST(SelectAddresses, ScopesAndTemporary) {
  AddressFilter f;
  f.include = {"eth0"};
  f.all_scopes = true;
  EXPECT_EQ(sel(f), "192.0.2.10, 2001:db8::10, fe80::1");
  f.all_scopes = false;
  f.temporary = true;
  EXPECT_EQ(sel(f), "192.0.2.10, 2001:db8::10, 2001:db8::abcd");
}

TEST(SelectAddresses, OrderIsStableAndDuplicatesFolded) {
  auto a = host();
  std::reverse(a.begin(), a.end());
  a.push_back(addr("192.0.2.10", "eth0", 2));
  EXPECT_EQ(select_addresses(a, {}), select_addresses(host(), {}));
}

TEST(ReplaceUpdate, DeleteThenAddPerFamilyWithLease) {
  DnsTarget t;
  t.zone = *dns::Name::from_text("example.net.");
  t.name = *dns::Name::from_text("laptop.example.net.");
  t.ttl = 30;
  t.lease = 600;
  Selection s;
  s.v4 = {*net::parse_ip("192.0.2.1"), *net::parse_ip("192.0.2.2")};
  auto wire = build_replace_update(t, s, true, true, 0x1234, false);
  dns::MessageView msg;
  ASSERT_EQ(msg.parse(wire), dns::WireError::ok);
  EXPECT_EQ(msg.header().opcode, dns::opcode::UPDATE);
  EXPECT_EQ(msg.header().id, 0x1234);
  update::UpdateMessage um;
  ASSERT_EQ(update::read_update(msg, um), dns::rcode::NOERROR);
  EXPECT_EQ(um.zone.to_text(), "example.net.");
  EXPECT_TRUE(um.prerequisites.empty());
  ASSERT_EQ(um.updates.size(), 4u);
  // A: delete RRset, add both; AAAA: delete RRset only (the host has none now).
  EXPECT_EQ(um.updates[0].type, dns::rrtype::A);
  EXPECT_EQ(um.updates[0].rclass, dns::rrclass::ANY);
  EXPECT_EQ(um.updates[1].rclass, dns::rrclass::IN);
  EXPECT_EQ(um.updates[1].ttl, 30u);
  EXPECT_EQ(um.updates[2].rdata, (std::vector<uint8_t>{192, 0, 2, 2}));
  EXPECT_EQ(um.updates[3].type, dns::rrtype::AAAA);
  EXPECT_EQ(um.updates[3].rclass, dns::rrclass::ANY);
  ASSERT_TRUE(msg.edns().present);
  auto opt = msg.edns().find(dns::edns_option::UPDATE_LEASE);
  ASSERT_TRUE(opt);
  EXPECT_EQ(dns::parse_update_lease(opt->data)->lease, 600u);

  // -4 leaves AAAA alone; goodbye only deletes, without a lease.
  wire = build_replace_update(t, s, true, false, 1, true);
  ASSERT_EQ(msg.parse(wire), dns::WireError::ok);
  ASSERT_EQ(update::read_update(msg, um), dns::rcode::NOERROR);
  ASSERT_EQ(um.updates.size(), 1u);
  EXPECT_EQ(um.updates[0].type, dns::rrtype::A);
  EXPECT_EQ(um.updates[0].rclass, dns::rrclass::ANY);
  EXPECT_FALSE(msg.edns().present);
}

TEST(SplitUrl, Parts) {
  EXPECT_EQ(*split_url("https://ns.example.net:8053"),
            (std::pair<std::string, std::string>{"https://ns.example.net:8053", "/"}));
  EXPECT_EQ(*split_url("http://192.0.2.1/ip?x=1"),
            (std::pair<std::string, std::string>{"http://192.0.2.1", "/ip?x=1"}));
  EXPECT_FALSE(split_url("ns.example.net/ip").ok());
}

}  // namespace
}  // namespace namae::ddns
