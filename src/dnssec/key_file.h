// Zone keys on disk in BIND's format, so that keys made here work with
// dnssec-signzone and BIND's keys work here: K<zone>+<alg>+<tag>.key holds
// the DNSKEY record, K<zone>+<alg>+<tag>.private the private key ("Private-
// key-format: v1.3", one "Field: base64" a line) and the key's timing
// (Created, Publish, Activate, Inactive, Delete as YYYYMMDDHHMMSS UTC).
//
// The private file is created 0600 and refused on load when the group or
// others may read it, or when its algorithm is not the DNSKEY's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "dns/name.h"
#include "dnssec/crypto.h"

namespace namae::dnssec {

/// When a key enters and leaves use (unix seconds; unset: not scheduled).
struct KeyTiming {
  std::optional<int64_t> created, publish, activate, inactive, remove;
  // An algorithm rollover (RFC 6781 4.1.4): a key of the new algorithm
  // signs from `sign_from`, before it is published; one of the old keeps
  // signing until `sign_until`, after it left the DNSKEY RRset, so that
  // every RRset carries an RRSIG of each algorithm a cached DNSKEY RRset
  // holds (RFC 4035 2.2).
  std::optional<int64_t> sign_from, sign_until;

  /// Published in the DNSKEY RRset at `now`.
  bool published(int64_t now) const;
  /// Signing at `now` (active and not yet inactive).
  bool active(int64_t now) const;
  /// A key-signing key signs the DNSKEY RRset at `now`: while published,
  /// or within the algorithm rollover's windows.
  bool signs_keys_at(int64_t now) const;
  /// A zone-signing key signs the zone's data at `now`: while published
  /// and active, or within the algorithm rollover's windows.
  bool signs_data_at(int64_t now) const;
};

/// What a key signs: the DNSKEY, CDS and CDNSKEY RRsets (a KSK), the rest
/// (a ZSK), or both (a combined key, CSK, which has the SEP flag as a KSK).
enum class KeyUse : uint8_t { keys, data, both };

/// A zone's key: owner, flags, the key pair and its schedule.
struct ZoneKey {
  dns::Name zone;
  uint16_t flags = 0;
  PrivateKey key;
  Bytes dnskey;  // DNSKEY rdata
  uint16_t tag = 0;
  KeyTiming timing;
  // Set by a key ring that knows the key's role (a zone changing its key
  // split holds a CSK beside a KSK and a ZSK); unset, the signing policy's
  // split decides by the SEP flag.
  std::optional<KeyUse> use;

  bool is_ksk() const;  // SEP bit set
};

/// A new key for `zone`, created, published and active from `now`.
Result<ZoneKey> generate_zone_key(const dns::Name& zone, uint8_t algorithm, uint16_t flags, int64_t now);

/// "K" + zone (presentation, lower-case, with its trailing dot) + "+AAA+TTTTT".
std::string key_file_base(const dns::Name& zone, uint8_t algorithm, uint16_t tag);

/// The .private file's text, and its parser (untrusted input: every field is
/// checked; `public_key` is the DNSKEY's key field the private key must match).
std::string format_private_file(const ZoneKey& key);
Result<ZoneKey> parse_private_file(std::string_view text, const dns::Name& zone, uint16_t flags,
                                   std::span<const uint8_t> public_key, uint8_t algorithm);

/// Write both files into `dir` (the private one 0600, neither overwritten).
Result<void> write_key_files(const std::string& dir, const ZoneKey& key, uint32_t ttl);
/// Read one key given the path of either file or their common base.
Result<ZoneKey> read_key_files(const std::string& base_path);
/// Every key of `zone` in `dir` (K<zone>+*.private with its .key).
Result<std::vector<ZoneKey>> read_key_dir(const std::string& dir, const dns::Name& zone);

}  // namespace namae::dnssec
