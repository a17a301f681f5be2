// Asking the parent for a signed zone's DS RRset (as BIND's
// parental-agents and Knot's DS check): the zone's `parental-agents` are
// queried at the policy's `parental-check-interval` while a key rollover
// waits for the parent's new DS, or a zone going insecure (RFC 8078 4)
// waits for the DS to go. Every agent must agree: a DS set holding the DS
// (any digest type namaed computes, RFC 4509 SHA-256 or SHA-384) of a key
// the roll waits for counts as that key's ds-seen; an empty DS set
// (NOERROR without a DS, or NXDOMAIN) as ds-gone. An agent that does not
// answer, answers with another rcode, or whose reply is not for our
// question, leaves the wait as it is: the next check asks again.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dns/message.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "net/address.h"
#include "net/client.h"
#include "signing/keys.h"

namespace namae::daemon {

/// One agent's answer: its DS RRset for the zone (empty: none), or why
/// there is none to go by.
struct ParentDs {
  bool ok = false;
  std::vector<dns::RdataBytes> ds;
  std::string error;
};

/// Ask `agent` for `zone`'s DS RRset (UDP, TCP when truncated).
ParentDs ask_parent(net::Transport& transport, const net::Endpoint& agent, const dns::Name& zone,
                    std::chrono::milliseconds timeout);

/// The DS set of a reply to our DS question for `zone` (a parsed message
/// already matched to the request): nullopt unless NOERROR or NXDOMAIN.
std::optional<std::vector<dns::RdataBytes>> ds_set_of(const dns::MessageView& reply, uint16_t rcode,
                                                       const dns::Name& zone);

/// What every agent's answer says of `wait`: the key tag whose DS each of
/// them holds, 0 with `gone` for a DS set gone everywhere, else nothing.
struct ParentVerdict {
  bool gone = false;
  std::optional<uint16_t> seen;
};
ParentVerdict judge(const std::vector<ParentDs>& answers, const dns::Name& zone,
                    const signing::ZoneKeyRing::DsWait& wait);

}  // namespace namae::daemon
