// Service Registration Protocol (RFC 9665): which UPDATEs are SRP updates,
// who owns the names they claim, and what is applied.
//
// An SRP update carries one host and its services, signed with SIG(0) by a
// key the host made itself and carries in the update (dnssec/sig0.h checks
// the signature; request.cpp wires it). read_srp() checks the shape of RFC
// 9665 3.3.1: one Host Description (delete all RRsets at the host name, its
// KEY, its A/AAAA), Service Discovery Instructions (a PTR added or deleted
// at a service type name, naming an instance just below it, or below the
// type's _sub subtypes) and a Service Description for each instance (delete
// all RRsets, one SRV whose target is the host, one TXT, optionally the same
// KEY). Anything else in the update section, or any prerequisite, makes it
// no SRP update (FORMERR).
//
// First come, first served (RFC 9665 3.3.3): the first key to claim a host
// name owns it and the service instance names it registers; while that KEY
// is in the zone (its KEY-LEASE, RFC 9664) another key's claim is refused
// with YXDOMAIN, as is a claim on a name that holds records no key owns
// (a zone-file name). check_srp_owner() decides it against the version the
// update is evaluated on, in the zone's writer, so two racing claims are
// judged one after the other.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dns/name.h"
#include "dns/record.h"
#include "update/engine.h"
#include "zone/zone.h"

namespace namae::update {

/// The names one SRP update claims and the key it claims them with.
struct SrpClaim {
  dns::Name host;
  dns::RdataBytes key;                 // the Host Description's KEY rdata
  std::vector<dns::Name> instances;    // service instance names described
  std::vector<dns::Name> service_names;  // owners of its PTRs (service types, subtypes)
  size_t addresses = 0;                // A and AAAA records of the host

  /// May the update change RRs at `owner` (the host, an instance, or a PTR owner)?
  bool covers(const dns::Name& owner) const;
};

/// RFC 9665 3.3.1: the claim an UPDATE makes, or FORMERR with the reason.
/// The KEY must be ECDSA P-256 (algorithm 13), the one SRP requesters use.
uint16_t read_srp(const UpdateMessage& msg, SrpClaim& out, std::string* reason = nullptr);

/// RFC 9665 3.3.3: NOERROR when every name the claim takes is free or held
/// by its key; YXDOMAIN (and the name in `reason`) when not.
uint16_t check_srp_owner(const zone::ZoneVersion& zone, const SrpClaim& claim,
                         std::string* reason = nullptr);

/// The update as applied. A lease of 0 removes the registration (RFC 9665
/// 3.2.5.5): every add becomes nothing (a PTR add its delete), the KEY
/// alone kept when the key lease is not 0. The KEY goes to each service
/// instance name too, so those names stay the key's for its key lease once
/// the services' lease has ended, as the host name does.
void srp_apply_form(UpdateMessage& msg, const SrpClaim& claim, bool remove, bool keep_key);

}  // namespace namae::update
