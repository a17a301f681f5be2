// The other servers a zone replicates with, as the config names them:
// "addr:port" texts (`primaries`, `notify`) plus the TSIG key (`transfer-key`,
// `notify-key`) that signs what goes to them. Primaries and NOTIFY targets
// are the same kind of thing, so they parse the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "dns/tsig.h"
#include "net/address.h"

namespace namae::xfr {

/// One remote server and the key our messages to it are signed with.
struct Remote {
  net::Endpoint address;
  std::optional<dns::TsigKey> key;
  /// "127.0.0.1:5300" or "127.0.0.1:5300 key k1".
  std::string to_string() const;
};

/// Parse each "addr[:port]" (IPv6 in brackets when a port is given; port 53
/// when none) and attach the key named `key_name` (empty: unsigned), which
/// must be one of `keys`. The first bad text or an unknown key is the error.
Result<std::vector<Remote>> parse_remotes(const std::vector<std::string>& texts,
                                          std::string_view key_name,
                                          std::span<const dns::TsigKey> keys);

/// `remotes` with each key replaced by the one of the same name in `keys`
/// (a live reconfiguration changed a secret: what was parsed before holds
/// a copy of the old one). A key no longer in `keys` is the error.
Result<std::vector<Remote>> rekey(std::vector<Remote> remotes, std::span<const dns::TsigKey> keys);

/// The key called `name` among `keys` (names compare as DNS names).
const dns::TsigKey* find_key(std::span<const dns::TsigKey> keys, std::string_view name);

}  // namespace namae::xfr
