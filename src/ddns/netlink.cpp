#include "ddns/netlink.h"

#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>
#include <string>

namespace namae::ddns {
namespace {

struct LinkInfo {
  std::string name;
  unsigned flags = 0;
};

int link_cb(const nlmsghdr* nlh, void* data) {
  auto& links = *static_cast<std::map<unsigned, LinkInfo>*>(data);
  if (nlh->nlmsg_type != RTM_NEWLINK) return MNL_CB_OK;
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  LinkInfo info;
  info.flags = ifi->ifi_flags;
  mnl_attr_parse(
      nlh, sizeof(*ifi),
      [](const nlattr* attr, void* d) -> int {
        if (mnl_attr_get_type(attr) == IFLA_IFNAME && mnl_attr_validate(attr, MNL_TYPE_STRING) >= 0)
          static_cast<LinkInfo*>(d)->name = mnl_attr_get_str(attr);
        return MNL_CB_OK;
      },
      &info);
  links[static_cast<unsigned>(ifi->ifi_index)] = std::move(info);
  return MNL_CB_OK;
}

int addr_cb(const nlmsghdr* nlh, void* data) {
  auto& out = *static_cast<std::vector<HostAddress>*>(data);
  if (nlh->nlmsg_type != RTM_NEWADDR) return MNL_CB_OK;
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) return MNL_CB_OK;
  HostAddress a;
  a.ip.family = ifa->ifa_family;
  a.ifindex = ifa->ifa_index;
  a.prefix_length = ifa->ifa_prefixlen;
  a.scope = ifa->ifa_scope;
  a.flags = ifa->ifa_flags;
  const size_t len = ifa->ifa_family == AF_INET ? 4 : 16;
  struct Attrs {
    size_t len;
    const void* local = nullptr;
    const void* address = nullptr;
    uint32_t* flags;
  } at{len, nullptr, nullptr, &a.flags};
  mnl_attr_parse(
      nlh, sizeof(*ifa),
      [](const nlattr* attr, void* d) -> int {
        auto& at = *static_cast<Attrs*>(d);
        uint16_t type = mnl_attr_get_type(attr);
        if ((type == IFA_LOCAL || type == IFA_ADDRESS) &&
            mnl_attr_get_payload_len(attr) == at.len) {
          (type == IFA_LOCAL ? at.local : at.address) = mnl_attr_get_payload(attr);
        } else if (type == IFA_FLAGS && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0) {
          *at.flags = mnl_attr_get_u32(attr);  // the full 32 bits (ifa_flags has only 8)
        }
        return MNL_CB_OK;
      },
      &at);
  const void* local = at.local;
  const void* address = at.address;
  // IPv4: IFA_LOCAL is this host's address (IFA_ADDRESS is the peer on a
  // point-to-point link). IPv6 sends only IFA_ADDRESS unless point-to-point.
  const void* mine = local ? local : address;
  if (!mine) return MNL_CB_OK;
  std::memcpy(a.ip.bytes.data(), mine, len);
  out.push_back(std::move(a));
  return MNL_CB_OK;
}

// One dump request (RTM_GETLINK or RTM_GETADDR) on `nl`, every reply through `cb`.
Result<void> dump(mnl_socket* nl, uint16_t type, mnl_cb_t cb, void* data) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  uint32_t seq = static_cast<uint32_t>(time(nullptr)) + type;
  nlh->nlmsg_seq = seq;
  auto* gen = static_cast<rtgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtgenmsg)));
  gen->rtgen_family = AF_UNSPEC;
  if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
    return fail(std::string("netlink send: ") + std::strerror(errno));
  unsigned portid = mnl_socket_get_portid(nl);
  while (true) {
    ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof buf);
    if (n < 0) return fail(std::string("netlink receive: ") + std::strerror(errno));
    int rc = mnl_cb_run(buf, static_cast<size_t>(n), seq, portid, cb, data);
    if (rc == MNL_CB_STOP) return {};
    if (rc < 0) return fail(std::string("netlink dump: ") + std::strerror(errno));
  }
}

}  // namespace

Result<std::vector<HostAddress>> dump_addresses() {
  mnl_socket* nl = mnl_socket_open(NETLINK_ROUTE);
  if (!nl) return fail(std::string("netlink socket: ") + std::strerror(errno));
  struct Closer {
    mnl_socket* s;
    ~Closer() { mnl_socket_close(s); }
  } closer{nl};
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
    return fail(std::string("netlink bind: ") + std::strerror(errno));
  std::map<unsigned, LinkInfo> links;
  if (auto r = dump(nl, RTM_GETLINK, link_cb, &links); !r) return r.error();
  std::vector<HostAddress> addrs;
  if (auto r = dump(nl, RTM_GETADDR, addr_cb, &addrs); !r) return r.error();
  for (auto& a : addrs) {
    auto it = links.find(a.ifindex);
    if (it == links.end())
      continue;  // a link that went away between the dumps: link_up stays false
    a.ifname = it->second.name;
    a.link_up = (it->second.flags & IFF_UP) && (it->second.flags & IFF_RUNNING);
    a.loopback = it->second.flags & IFF_LOOPBACK;
  }
  return addrs;
}

AddressWatcher::AddressWatcher() : buf_(MNL_SOCKET_BUFFER_SIZE) {}

AddressWatcher::~AddressWatcher() {
  if (nl_) mnl_socket_close(nl_);
}

Result<void> AddressWatcher::open() {
  nl_ = mnl_socket_open(NETLINK_ROUTE);
  if (!nl_) return fail(std::string("netlink socket: ") + std::strerror(errno));
  unsigned groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  if (mnl_socket_bind(nl_, groups, MNL_SOCKET_AUTOPID) < 0)
    return fail(std::string("netlink bind: ") + std::strerror(errno));
  int fd = mnl_socket_get_fd(nl_);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  return {};
}

int AddressWatcher::fd() const { return nl_ ? mnl_socket_get_fd(nl_) : -1; }

bool AddressWatcher::drain() {
  bool changed = false;
  while (true) {
    ssize_t n = mnl_socket_recvfrom(nl_, buf_.data(), buf_.size());
    if (n < 0) {
      if (errno == ENOBUFS) {
        changed = true;  // lost events: assume anything changed
        continue;
      }
      return changed;  // EAGAIN: nothing more
    }
    auto* nlh = reinterpret_cast<const nlmsghdr*>(buf_.data());
    int left = static_cast<int>(n);
    while (mnl_nlmsg_ok(nlh, left)) {
      switch (nlh->nlmsg_type) {
        case RTM_NEWADDR:
        case RTM_DELADDR:
        case RTM_NEWLINK:
        case RTM_DELLINK:
          changed = true;
          break;
        default:
          break;
      }
      nlh = mnl_nlmsg_next(nlh, &left);
    }
  }
}

}  // namespace namae::ddns
