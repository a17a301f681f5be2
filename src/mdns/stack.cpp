#include "mdns/stack.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <random>
#include <string_view>

#include <fmt/format.h>

namespace namae::mdns {

int64_t monotonic_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

namespace {

constexpr const char* kGroup4 = "224.0.0.251";
constexpr const char* kGroup6 = "ff02::fb";

bool prefix_match(const uint8_t* a, const uint8_t* b, int bits) {
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask)) return false;
  }
  return true;
}

int mask_length(const sockaddr* sa) {
  int n = 0;
  const uint8_t* p;
  size_t len;
  if (sa->sa_family == AF_INET) {
    p = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr);
    len = 4;
  } else {
    p = reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr.s6_addr;
    len = 16;
  }
  for (size_t i = 0; i < len; ++i) n += __builtin_popcount(p[i]);
  return n;
}

void set_int(int fd, int level, int opt, int value) { setsockopt(fd, level, opt, &value, sizeof value); }

int open_socket(int family, uint16_t port, std::string& err) {
  int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    err = std::strerror(errno);
    return -1;
  }
  // Share 5353 with other mDNS stacks on the host (avahi-daemon, browsers).
  set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
  set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
  if (family == AF_INET) {
    set_int(fd, IPPROTO_IP, IP_PKTINFO, 1);
    set_int(fd, IPPROTO_IP, IP_RECVTTL, 1);
    set_int(fd, IPPROTO_IP, IP_MULTICAST_TTL, 255);  // RFC 6762 11
    set_int(fd, IPPROTO_IP, IP_TTL, 255);
    // Loop stays on so other stacks on this host hear us; our own packets
    // are recognised and dropped on receipt (Stack::sent_recently).
    set_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 1);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      err = std::strerror(errno);
      close(fd);
      return -1;
    }
  } else {
    set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
    set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
    set_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
    set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255);
    set_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255);
    set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 1);
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(port);
    if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      err = std::strerror(errno);
      close(fd);
      return -1;
    }
  }
  return fd;
}

bool has_family(const InterfaceInfo& info, int family) {
  return std::any_of(info.prefixes.begin(), info.prefixes.end(), [&](const auto& p) { return p.family == family; });
}

// Send `packet` to `to` leaving through interface `ifindex`.
void send_on(int fd, int ifindex, const sockaddr_storage& to, socklen_t to_len, std::span<const uint8_t> packet) {
  if (fd < 0) return;
  iovec iov{const_cast<uint8_t*>(packet.data()), packet.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in6_pktinfo))] = {};
  msghdr mh{};
  mh.msg_name = const_cast<sockaddr_storage*>(&to);
  mh.msg_namelen = to_len;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  cmsghdr* c;
  if (to.ss_family == AF_INET) {
    mh.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
    c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo pi{};
    pi.ipi_ifindex = ifindex;
    std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
  } else {
    mh.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
    c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
    in6_pktinfo pi{};
    pi.ipi6_ifindex = static_cast<unsigned>(ifindex);
    std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
  }
  (void)sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
}

sockaddr_storage group_addr(int family, int ifindex, uint16_t port, socklen_t& len) {
  sockaddr_storage ss{};
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    inet_pton(AF_INET, kGroup4, &a->sin_addr);
    len = sizeof(sockaddr_in);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    a->sin6_scope_id = static_cast<uint32_t>(ifindex);
    inet_pton(AF_INET6, kGroup6, &a->sin6_addr);
    len = sizeof(sockaddr_in6);
  }
  return ss;
}

void join(int fd4, int fd6, int ifindex, bool on) {
  if (fd4 >= 0) {
    ip_mreqn m{};
    inet_pton(AF_INET, kGroup4, &m.imr_multiaddr);
    m.imr_ifindex = ifindex;
    setsockopt(fd4, IPPROTO_IP, on ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &m, sizeof m);
  }
  if (fd6 >= 0) {
    ipv6_mreq m{};
    inet_pton(AF_INET6, kGroup6, &m.ipv6mr_multiaddr);
    m.ipv6mr_interface = static_cast<unsigned>(ifindex);
    setsockopt(fd6, IPPROTO_IPV6, on ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP, &m, sizeof m);
  }
}

size_t packet_hash(std::span<const uint8_t> p) {
  return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(p.data()), p.size()));
}

}  // namespace

bool InterfaceInfo::on_link(const sockaddr_storage& s) const {
  if (s.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(&s)->sin_addr);
    for (const auto& p : prefixes)
      if (p.family == AF_INET && prefix_match(a, p.addr, p.length)) return true;
    return false;
  }
  if (s.ss_family == AF_INET6) {
    const auto& a6 = reinterpret_cast<const sockaddr_in6*>(&s)->sin6_addr;
    if (IN6_IS_ADDR_LINKLOCAL(&a6)) return true;
    for (const auto& p : prefixes)
      if (p.family == AF_INET6 && prefix_match(a6.s6_addr, p.addr, p.length)) return true;
  }
  return false;
}

bool InterfaceInfo::is_own(const sockaddr_storage& s) const {
  const uint8_t* a = nullptr;
  if (s.ss_family == AF_INET) a = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(&s)->sin_addr);
  else if (s.ss_family == AF_INET6) a = reinterpret_cast<const sockaddr_in6*>(&s)->sin6_addr.s6_addr;
  if (!a) return false;
  for (const auto& p : prefixes)
    if (p.family == s.ss_family && prefix_match(a, p.addr, p.family == AF_INET ? 32 : 128)) return true;
  return false;
}

std::vector<InterfaceInfo> list_interfaces() {
  std::vector<InterfaceInfo> out;
  ifaddrs* ifa = nullptr;
  if (getifaddrs(&ifa) != 0) return out;
  for (ifaddrs* i = ifa; i; i = i->ifa_next) {
    if (!i->ifa_name) continue;
    int index = static_cast<int>(if_nametoindex(i->ifa_name));
    if (index == 0) continue;
    auto it = std::find_if(out.begin(), out.end(), [&](const InterfaceInfo& x) { return x.index == index; });
    if (it == out.end()) {
      InterfaceInfo info;
      info.index = index;
      info.name = i->ifa_name;
      info.multicast = i->ifa_flags & IFF_MULTICAST;
      info.loopback = i->ifa_flags & IFF_LOOPBACK;
      info.up = (i->ifa_flags & IFF_UP) && (i->ifa_flags & IFF_RUNNING);
      out.push_back(info);
      it = out.end() - 1;
    }
    if (!i->ifa_addr || !i->ifa_netmask) continue;
    int fam = i->ifa_addr->sa_family;
    if (fam != AF_INET && fam != AF_INET6) continue;
    InterfaceInfo::Prefix p{};
    p.family = fam;
    char buf[INET6_ADDRSTRLEN];
    if (fam == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(i->ifa_addr);
      std::memcpy(p.addr, &a->sin_addr, 4);
      inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    } else {
      auto* a = reinterpret_cast<sockaddr_in6*>(i->ifa_addr);
      std::memcpy(p.addr, a->sin6_addr.s6_addr, 16);
      inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    }
    p.length = mask_length(i->ifa_netmask);
    it->prefixes.push_back(p);
    it->addresses.push_back(buf);
  }
  freeifaddrs(ifa);
  for (auto& i : out) std::sort(i.addresses.begin(), i.addresses.end());
  return out;
}

class Stack::LinkTransport : public Transport {
 public:
  LinkTransport(Stack& s, int ifindex) : stack_(s), ifindex_(ifindex) {}
  void send(std::span<const uint8_t> packet, const Destination& to) override {
    stack_.note_sent(packet);
    if (to.multicast) {
      for (int fam : {AF_INET, AF_INET6}) {
        if (!has_family(info, fam)) continue;
        socklen_t len = 0;
        auto ga = group_addr(fam, ifindex_, stack_.opt_.port ? stack_.opt_.port : kPort, len);
        send_on(fam == AF_INET ? stack_.fd4_ : stack_.fd6_, ifindex_, ga, len, packet);
      }
    } else {
      auto dst = to.unicast.addr;
      if (dst.ss_family == AF_INET6) reinterpret_cast<sockaddr_in6*>(&dst)->sin6_scope_id = static_cast<uint32_t>(ifindex_);
      send_on(dst.ss_family == AF_INET ? stack_.fd4_ : stack_.fd6_, ifindex_, dst, to.unicast.len, packet);
    }
  }
  InterfaceInfo info;

 private:
  Stack& stack_;
  int ifindex_;
};

struct Stack::Link {
  Link(Stack& s, const InterfaceInfo& i, Rng& rng) : transport(s, i.index), responder(transport, rng), querier(transport, rng) {
    transport.info = i;
  }
  LinkTransport transport;
  Responder responder;
  Querier querier;
  GroupId host_group = 0, reverse_group = 0;
  std::string host;  // current host name on this link
  bool host_renamed = false;
  std::map<uint64_t, GroupId> services;
  std::map<uint64_t, QueryId> watches;
};

Stack::Stack(StackOptions options) : opt_(std::move(options)) {
  uint32_t seed = opt_.seed ? opt_.seed : std::random_device{}();
  rng_ = std::make_unique<Rng>(seed);
}

Stack::~Stack() { stop(); }

Result<void> Stack::start() {
  std::string err;
  if (opt_.ipv4) {
    fd4_ = open_socket(AF_INET, opt_.port, err);
    if (fd4_ < 0) return fail("mdns: IPv4 socket on port " + std::to_string(opt_.port) + ": " + err);
  }
  if (opt_.ipv6) {
    fd6_ = open_socket(AF_INET6, opt_.port, err);
    if (fd6_ < 0) say(LogLevel::warning, "mdns: no IPv6 socket: " + err);  // IPv6 may be disabled
  }
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  // rtnetlink tells us when links or addresses change; the messages only
  // trigger a rescan (getifaddrs has the whole picture), so they are not parsed.
  nl_fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (nl_fd_ >= 0) {
    sockaddr_nl sa{};
    sa.nl_family = AF_NETLINK;
    sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
    if (bind(nl_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      close(nl_fd_);
      nl_fd_ = -1;
    }
  }
  {
    std::lock_guard lock(mu_);
    rescan(monotonic_ms());
  }
  thread_ = std::thread([this] { run(); });
  return {};
}

void Stack::stop() {
  if (stopping_.exchange(true)) return;
  if (thread_.joinable()) {
    wake();
    thread_.join();
  }
  {
    std::lock_guard lock(mu_);
    int64_t now = monotonic_ms();
    for (auto& [idx, l] : links_) {
      l->responder.remove_all(now);
      join(fd4_, fd6_, idx, false);
    }
    links_.clear();
  }
  for (int* fd : {&fd4_, &fd6_, &wake_fd_, &nl_fd_})
    if (*fd >= 0) {
      close(*fd);
      *fd = -1;
    }
}

void Stack::wake() {
  uint64_t one = 1;
  if (wake_fd_ >= 0 && write(wake_fd_, &one, sizeof one) < 0) { /* a wake is only a hint */ }
}

void Stack::note_sent(std::span<const uint8_t> packet) { sent_.emplace_back(packet_hash(packet), monotonic_ms()); }

bool Stack::sent_recently(std::span<const uint8_t> packet, int64_t now) {
  sent_.erase(std::remove_if(sent_.begin(), sent_.end(), [now](const auto& e) { return e.second < now - 2000; }),
              sent_.end());
  size_t h = packet_hash(packet);
  return std::any_of(sent_.begin(), sent_.end(), [h](const auto& e) { return e.first == h; });
}

namespace {

// A host's records of one kind: addresses (true) or reverse PTRs (false).
std::vector<Record> host_part(const dns::Name& name, const std::vector<std::string>& addrs, bool addresses) {
  auto recs = host_records(name, addrs);
  std::vector<Record> out;
  if (recs)
    for (auto& r : *recs)
      if ((r.type != dns::rrtype::PTR) == addresses) out.push_back(std::move(r));
  return out;
}

}  // namespace

void Stack::publish_host(Link& l, int64_t now) {
  if (opt_.hostname.empty()) return;
  std::vector<std::string> addrs = l.transport.info.addresses;
  std::string host = opt_.hostname;
  RecordMaker make = [host, addrs](int attempt) {
    auto name = dns::Name::from_text(host_for_attempt(host, attempt) + ".local.");
    return name ? host_part(*name, addrs, true) : std::vector<Record>{};
  };
  if (l.host_group) {
    // Addresses changed: keep the name held, withdraw only what went away.
    l.responder.replace(l.host_group, make, now);
  } else {
    l.host = host + ".local.";
    l.host_group = l.responder.add(make, now);
  }
  publish_reverse(l, now);
}

void Stack::publish_reverse(Link& l, int64_t now) {
  if (l.reverse_group) l.responder.remove(l.reverse_group, now);
  auto name = dns::Name::from_text(l.host);
  if (!name) return;
  dns::Name host = *name;
  std::vector<std::string> addrs = l.transport.info.addresses;
  // The reverse names (x.in-addr.arpa, x.ip6.arpa) are their own group:
  // renaming the host cannot resolve a conflict on them (another responder
  // on this same host, avahi-daemon say, already maps the address), so on
  // a conflict they are given up instead of driving endless host renames.
  l.reverse_group = l.responder.add(
      [host, addrs](int attempt) { return attempt == 1 ? host_part(host, addrs, false) : std::vector<Record>{}; },
      now);
}

void Stack::publish_service(Link& l, uint64_t id, const ServiceSpec& svc, int64_t now) {
  auto it = l.services.find(id);
  if (it != l.services.end()) l.responder.remove(it->second, now);
  auto hn = dns::Name::from_text(l.host.empty() ? "localhost." : l.host);
  dns::Name host = *hn;
  l.services[id] = l.responder.add(
      [svc, host](int attempt) {
        auto r = service_records(svc, host, attempt);
        return r ? *r : std::vector<Record>{};
      },
      now);
}

void Stack::follow_renames(int64_t now) {
  for (auto& [idx, l] : links_) {
    if (!l->host_renamed) continue;
    l->host_renamed = false;
    publish_reverse(*l, now);
    for (const auto& [id, svc] : services_) publish_service(*l, id, svc, now);
  }
}

void Stack::open_link(const InterfaceInfo& info, int64_t now) {
  join(fd4_, fd6_, info.index, true);
  auto link = std::make_unique<Link>(*this, info, *rng_);
  Link& l = *link;
  const std::string ifname = info.name;
  l.querier.listener.added = [this, ifname](const Record& r) {
    if (on_record) on_record(RecordEvent{ifname, r, true});
  };
  l.querier.listener.removed = [this, ifname](const Record& r) {
    if (on_record) on_record(RecordEvent{ifname, r, false});
  };
  l.responder.on_state = [this, ifname, &l](GroupId id, GroupState st, int attempt, const std::vector<Record>& recs) {
    if (id == l.host_group && !recs.empty() && recs.front().owner.to_text() != l.host) {
      // Renamed after a conflict: services must point their SRV at the new
      // name. Done after the responder call returns (we are inside it now).
      l.host = recs.front().owner.to_text();
      l.host_renamed = true;
    }
    static const char* kStates[] = {"probing", "announcing", "established", "withdrawn"};
    // Name a group by its first unique record (the SRV of a service, the host's A).
    std::string what;
    for (const auto& r : recs)
      if (r.unique && what.empty()) what = display_name(r.owner);
    if (what.empty() && !recs.empty()) what = display_name(recs.front().owner);
    if (!recs.empty())
      say(LogLevel::debug, fmt::format("mdns {}: {} {} (attempt {})", ifname, what, kStates[static_cast<int>(st)], attempt));
    if (st == GroupState::established && !recs.empty())
      say(LogLevel::info, fmt::format("mdns {}: {} established{}", ifname, what,
                         attempt > 1 ? fmt::format(" (renamed after conflict, attempt {})", attempt) : ""));
    if (on_group) on_group(ifname, st, attempt, recs);
  };
  links_[info.index] = std::move(link);
  publish_host(l, now);
  for (const auto& [id, svc] : services_) publish_service(l, id, svc, now);
  for (const auto& [id, w] : watches_) l.watches[id] = l.querier.start(w.first, now, w.second);
  say(LogLevel::info, fmt::format("mdns: using interface {} ({})", info.name, fmt::join(info.addresses, ", ")));
}

void Stack::rescan(int64_t now) {
  next_rescan_ = now + opt_.rescan_ms;
  auto all = list_interfaces();
  std::vector<int> seen;
  for (const auto& info : all) {
    bool chosen = opt_.interfaces.empty()
                      ? (info.up && info.multicast && !info.loopback)
                      : std::find(opt_.interfaces.begin(), opt_.interfaces.end(), info.name) != opt_.interfaces.end();
    if (!chosen || !info.up || info.addresses.empty()) continue;
    seen.push_back(info.index);
    auto it = links_.find(info.index);
    if (it == links_.end()) {
      open_link(info, now);
    } else if (it->second->transport.info.addresses != info.addresses) {
      // Addresses changed: publish the new set (probed again, RFC 6762 8).
      it->second->transport.info = info;
      say(LogLevel::info, fmt::format("mdns: addresses of {} changed", info.name));
      publish_host(*it->second, now);
    }
  }
  for (auto it = links_.begin(); it != links_.end();) {
    if (std::find(seen.begin(), seen.end(), it->first) == seen.end()) {
      say(LogLevel::info, "mdns: interface " + it->second->transport.info.name + " gone");
      join(fd4_, fd6_, it->first, false);
      it = links_.erase(it);
    } else {
      ++it;
    }
  }
}

void Stack::receive(int fd) {
  for (int n = 0; n < 64; ++n) {
    uint8_t buf[9000];
    sockaddr_storage from{};
    iovec iov{buf, sizeof buf};
    alignas(cmsghdr) char control[256];
    msghdr mh{};
    mh.msg_name = &from;
    mh.msg_namelen = sizeof from;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    ssize_t len = recvmsg(fd, &mh, MSG_DONTWAIT);
    if (len < 0) return;
    int ifindex = 0, ttl = -1;
    bool to_group = false;
    for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        in_pktinfo pi;
        std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
        ifindex = pi.ipi_ifindex;
        to_group = IN_MULTICAST(ntohl(pi.ipi_addr.s_addr));
      } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
        std::memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo pi;
        std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
        ifindex = static_cast<int>(pi.ipi6_ifindex);
        to_group = IN6_IS_ADDR_MULTICAST(&pi.ipi6_addr);
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
        std::memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
      }
    }
    std::span<const uint8_t> packet(buf, static_cast<size_t>(len));
    std::lock_guard lock(mu_);
    int64_t now = monotonic_ms();
    auto it = links_.find(ifindex);
    if (it == links_.end()) continue;
    if (sent_recently(packet, now)) continue;  // our own, looped back
    Link& l = *it->second;
    Source src;
    src.addr = from;
    src.len = mh.msg_namelen;
    // RFC 6762 11: on-link senders only; multicast from port 5353 must also
    // arrive with TTL 255 (a routed packet has lost some).
    src.on_link = l.transport.info.on_link(from);
    if (to_group && src.port() == kPort && ttl >= 0 && ttl != 255) src.on_link = false;
    Message msg;
    if (parse_message(packet, msg) != dns::WireError::ok) {
      say(LogLevel::debug, "mdns: malformed packet from " + src.host());
      continue;
    }
    // RFC 6762 15.1: a unicast reply to port 5353 on this host reaches only
    // one of the programs sharing that port (avahi-daemon, say), so QU
    // questions from our own addresses are answered by multicast.
    if (src.port() == kPort && l.transport.info.is_own(from))
      for (auto& q : msg.questions) q.unicast_response = false;
    l.responder.receive(msg, src, now);
    l.querier.receive(msg, src, now);
    follow_renames(now);
  }
}

void Stack::run() {
  while (!stopping_) {
    int64_t now = monotonic_ms();
    int64_t next;
    {
      std::lock_guard lock(mu_);
      if (now >= next_rescan_) rescan(now);
      next = next_rescan_;
      for (auto& [idx, l] : links_) {
        l->responder.tick(now);
        l->querier.tick(now);
      }
      follow_renames(now);
      for (auto& [idx, l] : links_) next = std::min({next, l->responder.next_timer(), l->querier.next_timer()});
    }
    int timeout = static_cast<int>(std::clamp<int64_t>(next - monotonic_ms(), 0, 1000));
    pollfd fds[4] = {{fd4_, POLLIN, 0}, {fd6_, POLLIN, 0}, {wake_fd_, POLLIN, 0}, {nl_fd_, POLLIN, 0}};
    int n = poll(fds, 4, timeout);
    if (n <= 0) continue;
    if (fds[3].revents & POLLIN) {
      char nlbuf[16384];
      while (recv(nl_fd_, nlbuf, sizeof nlbuf, MSG_DONTWAIT) > 0) {
      }
      // A burst of changes (address added, DAD finished, route) settles first.
      std::lock_guard lock(mu_);
      next_rescan_ = std::min(next_rescan_, monotonic_ms() + 300);
    }
    if (fds[2].revents) {
      uint64_t v;
      if (read(wake_fd_, &v, sizeof v) < 0) { /* drained */ }
    }
    if (fds[0].revents & POLLIN) receive(fd4_);
    if (fds[1].revents & POLLIN) receive(fd6_);
  }
}

Result<uint64_t> Stack::add_service(const ServiceSpec& svc) {
  // Validate once (records for attempt 1) before publishing anywhere.
  auto probe = service_records(svc, *dns::Name::from_text("x.local."), 1);
  if (!probe) return probe.error();
  std::lock_guard lock(mu_);
  uint64_t id = next_id_++;
  services_[id] = svc;
  int64_t now = monotonic_ms();
  for (auto& [idx, l] : links_) publish_service(*l, id, svc, now);
  wake();
  return id;
}

void Stack::remove_service(uint64_t id) {
  std::lock_guard lock(mu_);
  services_.erase(id);
  int64_t now = monotonic_ms();
  for (auto& [idx, l] : links_) {
    auto it = l->services.find(id);
    if (it == l->services.end()) continue;
    l->responder.remove(it->second, now);
    l->services.erase(it);
  }
  wake();
}

uint64_t Stack::watch(const Question& q, bool qu_first) {
  std::lock_guard lock(mu_);
  uint64_t id = next_id_++;
  watches_[id] = {q, qu_first};
  int64_t now = monotonic_ms();
  for (auto& [idx, l] : links_) l->watches[id] = l->querier.start(q, now, qu_first);
  wake();
  return id;
}

void Stack::unwatch(uint64_t id) {
  std::lock_guard lock(mu_);
  watches_.erase(id);
  for (auto& [idx, l] : links_) {
    auto it = l->watches.find(id);
    if (it == l->watches.end()) continue;
    l->querier.stop(it->second);
    l->watches.erase(it);
  }
}

std::vector<Record> Stack::lookup(const Question& q, bool ttl_left) {
  std::lock_guard lock(mu_);
  std::vector<Record> out;
  int64_t now = monotonic_ms();
  for (auto& [idx, l] : links_)
    for (auto& r : l->querier.lookup(q, now, ttl_left))
      if (std::none_of(out.begin(), out.end(), [&](const Record& o) { return o.same_rr(r); })) out.push_back(r);
  return out;
}

bool Stack::reconfirm(const Record& r) {
  std::lock_guard lock(mu_);
  int64_t now = monotonic_ms();
  bool any = false;
  for (auto& [idx, l] : links_) any = l->querier.reconfirm(r, now) || any;
  if (any) wake();
  return any;
}

std::string Stack::hostname() {
  std::lock_guard lock(mu_);
  for (auto& [idx, l] : links_)
    if (!l->host.empty()) return l->host;
  return opt_.hostname.empty() ? "" : opt_.hostname + ".local.";
}

std::vector<std::string> Stack::interfaces() {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (auto& [idx, l] : links_) out.push_back(l->transport.info.name);
  return out;
}

std::string Stack::status() {
  std::lock_guard lock(mu_);
  std::string out;
  for (auto& [idx, l] : links_) {
    const auto& s = l->responder.stats();
    out += fmt::format("mdns interface {} host {} cache {} queries {} answered {} rate-limited {} off-link {} conflicts {}\n",
                       l->transport.info.name, l->host, l->querier.cache_size(), s.queries, s.answered,
                       s.rate_limited, s.off_link, s.conflicts);
  }
  return out;
}

Result<std::vector<Record>> one_shot(const std::vector<Question>& questions, const std::vector<std::string>& interfaces,
                                     int timeout_ms, const std::function<bool(const std::vector<Record>&)>& enough) {
  std::string err;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail(std::string("socket: ") + std::strerror(errno));
  set_int(fd, IPPROTO_IP, IP_MULTICAST_TTL, 255);
  int fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd6 >= 0) {
    set_int(fd6, IPPROTO_IPV6, IPV6_V6ONLY, 1);
    set_int(fd6, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255);
  }
  std::random_device rd;
  PacketWriter w;
  w.header.id = static_cast<uint16_t>(rd());
  for (auto q : questions) {
    q.unicast_response = false;
    w.question(q);
  }
  auto packets = w.finish();
  auto ifs = list_interfaces();
  for (const auto& info : ifs) {
    bool chosen = interfaces.empty() ? (info.up && info.multicast && !info.loopback)
                                     : std::find(interfaces.begin(), interfaces.end(), info.name) != interfaces.end();
    if (!chosen) continue;
    for (int fam : {AF_INET, AF_INET6}) {
      if (!has_family(info, fam)) continue;
      socklen_t len = 0;
      auto ga = group_addr(fam, info.index, kPort, len);
      for (const auto& p : packets) send_on(fam == AF_INET ? fd : fd6, info.index, ga, len, p);
    }
  }
  std::vector<Record> out;
  int64_t deadline = monotonic_ms() + timeout_ms;
  while (true) {
    int64_t left = deadline - monotonic_ms();
    if (left <= 0) break;
    pollfd fds[2] = {{fd, POLLIN, 0}, {fd6, POLLIN, 0}};
    if (poll(fds, 2, static_cast<int>(left)) <= 0) continue;
    for (auto& f : fds) {
      if (!(f.revents & POLLIN)) continue;
      uint8_t buf[9000];
      ssize_t n = recv(f.fd, buf, sizeof buf, 0);
      if (n <= 0) continue;
      Message msg;
      if (parse_message(std::span<const uint8_t>(buf, static_cast<size_t>(n)), msg) != dns::WireError::ok) continue;
      if (msg.is_query() || msg.header.id != w.header.id) continue;
      for (auto* sec : {&msg.answers, &msg.additional})
        for (auto& r : *sec)
          if (r.ttl > 0 && std::none_of(out.begin(), out.end(), [&](const Record& o) { return o.same_rr(r); }))
            out.push_back(r);
    }
    // Enough to answer: linger briefly for the other responders' answers
    // (a host's second address, a service's additional records).
    if (enough && enough(out)) deadline = std::min(deadline, monotonic_ms() + 200);
  }
  close(fd);
  if (fd6 >= 0) close(fd6);
  return out;
}

}  // namespace namae::mdns
