// A DNS reply split into RRsets per section, with rdata decompressed: what
// the iterator and the stub resolver both reason about.
#pragma once

#include <optional>
#include <vector>

#include "dns/message.h"
#include "dns/record.h"

namespace namae::resolver {

/// Answer, authority and additional RRsets (OPT, TSIG and non-IN records left out).
struct Sections {
  std::vector<dns::RRset> answer, authority, additional;
};

/// Split a parsed reply (RFC 2181 5.2: an RRset's TTL is its records' smallest).
/// False if some rdata cannot be decoded.
bool split_sections(const dns::MessageView& v, Sections& out);

/// The RRset with this owner and type, or nullptr.
const dns::RRset* find_rrset(const std::vector<dns::RRset>& v, const dns::Name& owner, uint16_t type);

/// The domain name at the start of `rd` (NS, CNAME, DNAME, PTR targets).
std::optional<dns::Name> rdata_name(const dns::RdataBytes& rd);

}  // namespace namae::resolver
