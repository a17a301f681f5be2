// AuthEngine::Reply: one reply being written and what answering the query
// has found so far; shared by the engine's rooms (engine.cpp: the answer
// algorithm, dnssec.cpp: signatures and denial proofs).
#pragma once

#include "auth/engine.h"
#include "dns/message.h"
#include "zone/zone.h"

namespace namae::auth {

using dns::MessageBuilder;
using zone::Node;
using zone::RRsetView;
using zone::ZoneVersion;

// One reply being written, and what answering the query has found so far.
struct AuthEngine::Reply {
  const dns::MessageView& view;
  const dns::Header& qh;
  std::span<const uint8_t> query;
  std::span<uint8_t> response;
  // Set for a signed query answered here: the reply is signed with its key.
  const dns::TsigVerification* tv;
  MessageBuilder b;
  dns::Edns re;
  // Set while answering a QUERY.
  uint16_t qtype = 0;
  uint16_t rclass = 0;  // the first zone's class, used for every record written
  uint16_t rc = dns::rcode::NOERROR;
  const ZoneVersion* zone = nullptr;  // the zone the CNAME/DNAME chain ended in
  const Node* cut = nullptr;          // End::referral: the zone cut
  const Node* wildcard = nullptr;     // the qname's data came from this wildcard
  // DNSSEC (RFC 4035 3.1): the query has DO=1, so signed zones' RRsets go
  // out with their RRSIGs and negative answers with their proofs.
  bool dnssec = false;
  const Node* node = nullptr;  // End::nodata: the node without the type
  const Node* ce = nullptr;    // End::nxdomain: the closest encloser
  size_t links = 0;            // names of the CNAME/DNAME chain answered so far
  // RRL: the client; whether its address is proven (TSIG, server cookie);
  // the answer's class and key once classify() has run (else: error by rcode).
  const net::Peer* peer = nullptr;
  bool rrl_exempt = false;
  bool classified = false;
  RrlClass rrl_class = RrlClass::error;
  uint64_t rrl_key = 0;
  bool has_question_mark = false;
  MessageBuilder::Mark question_mark{};  // just after the question (the slip form's end)
};

}  // namespace namae::auth
