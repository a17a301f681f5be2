// Canonical zone dumps: one RR a line, absolute owner, TTL, class, type,
// rdata presentation, in RFC 4034 canonical order. Used by `namae zone check
// --dump` and for rewriting zone files from memory.
#pragma once

#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zonefile/parser.h"

namespace namae::zonefile {

/// "owner<TAB>ttl<TAB>class<TAB>type<TAB>rdata" (no newline). The field order
/// and absolute names are those of `named-checkzone -D`; BIND pads with tabs
/// to fixed columns, we use single tabs (compare after collapsing whitespace).
std::string format_record(const dns::Record& r);

/// The same line from its parts, for dumps straight from a zone in memory
/// (`owner` is the owner's presentation form).
std::string format_record(std::string_view owner, uint32_t ttl, uint16_t rclass, uint16_t type,
                          std::span<const uint8_t> rdata);

/// Sort records into canonical order: owner by RFC 4034 6.1 name order, then
/// type number, then canonical rdata (RFC 4034 6.2/6.3) octet by octet.
void sort_canonical(std::vector<Record>& records);

/// RFC 4034 6.3 rdata order: canonical forms compared as unsigned octet strings.
int compare_rdata(uint16_t type, const dns::RdataBytes& a, const dns::RdataBytes& b);

/// Write records, one format_record() line each, to `out`. Returns false on a write error.
bool write_records(std::FILE* out, const std::vector<Record>& records);

}  // namespace namae::zonefile
