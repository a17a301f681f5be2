// `namae update`'s input language: BIND nsupdate's commands, parsed into a
// session and turned into RFC 2136 UPDATE messages. No I/O here (update.cpp
// does the sending), so every rule of the language is unit-tested.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "dns/record.h"
#include "dns/tsig.h"

namespace namae::cli {

/// The kinds of prerequisite (RFC 2136 2.4) and update (RFC 2136 2.5).
enum class UpdateOp : uint8_t {
  prereq_yxrrset,        // RRset exists (value independent): class ANY, no rdata
  prereq_yxrrset_value,  // RRset exists (value dependent): zone class, with rdata
  prereq_nxrrset,        // RRset does not exist: class NONE
  prereq_yxdomain,       // name is in use: class ANY, type ANY
  prereq_nxdomain,       // name is not in use: class NONE, type ANY
  add,                   // add RRs: zone class
  delete_rrset,          // delete an RRset: class ANY, type T
  delete_name,           // delete all RRsets at a name: class ANY, type ANY
  delete_rr,             // delete one RR: class NONE, with rdata
};

/// True for the five prerequisite kinds.
bool is_prerequisite(UpdateOp op);

/// One record of the prerequisite or update section: the record as it goes
/// on the wire (class the zone's, ANY or NONE as RFC 2136 2.4/2.5 encode the
/// operation), and what only the client needs besides.
struct UpdateRecord {
  UpdateOp op = UpdateOp::add;
  dns::Record rr;
  /// The command in canonical text ("yxrrset foo.example. A"), so a failure
  /// can name the prerequisite it concerns.
  std::string text;
};

/// What the caller must do after a line has been applied.
enum class UpdateAction : uint8_t {
  none,    // the line changed the session (or was a comment)
  send,    // `send` or a blank line: send the message built so far
  show,    // print the message built so far
  answer,  // print the last reply
  quit,    // stop reading
  help,    // print the command summary
};

/// Everything the commands set. Records accumulate until sent; the rest
/// (server, zone, key, TTL, lease) persists across sends as in nsupdate.
struct UpdateSession {
  std::string server;                   // `server` host (name or address); empty: discover
  uint16_t port = 53;                   // the port for `server` without one (`-p`)
  std::optional<uint16_t> server_port;  // the port given to `server`
  std::string local_address;            // `local`; empty: any
  uint16_t local_port = 0;
  std::optional<dns::Name> zone;        // `zone`; unset: found by an SOA query
  uint16_t zone_class = 1;              // `class` (IN)
  std::optional<uint32_t> default_ttl;  // `ttl`
  std::optional<dns::TsigKey> key;      // `key`, -y or -k
  std::optional<uint32_t> lease;        // `lease` / --lease: RFC 9664 UPDATE-LEASE
  bool debug = false;                   // `debug` / -d
  bool tcp = false;                     // -v

  std::vector<UpdateRecord> prerequisites;
  std::vector<UpdateRecord> updates;

  /// Forget the records (after a send), keeping the settings.
  void clear_records() {
    prerequisites.clear();
    updates.clear();
  }
  bool empty() const { return prerequisites.empty() && updates.empty(); }
  /// The name whose zone is looked up when none was given: the first
  /// update's owner, else the first prerequisite's (as nsupdate).
  std::optional<dns::Name> first_name() const;
  /// The port updates go to.
  uint16_t effective_port() const { return server_port ? *server_port : port; }
};

/// Apply one input line. Errors say what is wrong with the line (the caller
/// prefixes the file and line number) and leave the session unchanged.
Result<UpdateAction> apply_update_line(UpdateSession& session, std::string_view line);

/// Build the UPDATE message for `zone` with id `id`: zone section, the
/// prerequisites, the updates, and an OPT with UPDATE-LEASE when a lease is
/// set. `zone` may be null for `show` before the zone is known (then the zone
/// section is empty). No TSIG (the caller signs).
Result<std::vector<uint8_t>> build_update_message(const UpdateSession& session,
                                                  const dns::Name* zone, uint16_t id);

/// Parse a key file for -k: BIND's `key "name" { algorithm A; secret "S"; };`
/// (tsig-keygen, ddns-confgen, rndc-confgen output; comments allowed), or a
/// dnssec-keygen HMAC `K<name>.+<alg>+<id>.private` file (`path` supplies the
/// key name then). With several key clauses the first is used.
Result<dns::TsigKey> parse_key_file(std::string_view text, std::string_view path);

/// What an UPDATE rcode means, in RFC 2136 terms ("a prerequisite that a name
/// is in use failed: the name does not exist").
std::string update_rcode_meaning(uint16_t rcode);

/// The prerequisites of `session` that the failure `rcode` can be blamed on
/// (NXDOMAIN: the yxdomain ones; YXDOMAIN: nxdomain; NXRRSET: yxrrset;
/// YXRRSET: nxrrset). Empty for other rcodes.
std::vector<const UpdateRecord*> failed_prerequisite_candidates(
    std::span<const UpdateRecord> prerequisites, uint16_t rcode);

/// One line summarising an update failure: "update failed: NXRRSET (...)".
std::string update_failure_text(std::span<const UpdateRecord> prerequisites, uint16_t rcode);

/// The command summary printed by `help`.
const char* update_commands_help();

}  // namespace namae::cli
