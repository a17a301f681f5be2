// Output formats of `namae query` (and of any tool that shows a DNS message):
// dig's layout, dig +short, and RFC 8427 JSON. Pure functions of a parsed
// message so they are unit-tested without a network.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string>

#include "dns/message.h"

namespace namae::cli {

/// The trailer dig prints after a reply.
struct ReplyFooter {
  std::string server_address;  // "127.0.0.1"
  uint16_t port = 53;
  const char* protocol = "UDP";
  int64_t rtt_ms = 0;
  std::time_t when = 0;
  size_t size = 0;
};

/// One record in dig's column layout: owner, TTL, class, type and rdata
/// separated by tabs, the owner padded to column 24 as dig does.
std::string format_record(const dns::MessageView& msg, const dns::RecordView& rr);

/// The record's rdata in presentation form (names decompressed).
std::string record_rdata_text(const dns::MessageView& msg, const dns::RecordView& rr);

/// The whole reply the way dig prints it, from ";; Got answer:" to the
/// footer (omitted when `footer` is null). `query_rd` says whether the query
/// asked for recursion (dig then warns when the reply has no RA).
std::string format_dig(const dns::MessageView& msg, bool query_rd, const ReplyFooter* footer);

/// dig +short: the rdata of each answer record, one per line.
std::string format_short(const dns::MessageView& msg);

/// RFC 8427 JSON in the layout kdig uses (flags as 0/1, rdata<TYPE> and
/// RDATAHEX per record), plus questionRRs; `when` gives dateString/dateSeconds.
std::string format_json(const dns::MessageView& msg, std::time_t when);

}  // namespace namae::cli
