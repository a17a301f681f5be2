// TSIG key generation and the text forms a key is handed out in: namaed's
// TOML `[[key]]` block, the `-y alg:name:secret` string of dig/nsupdate/
// `namae update`, and BIND's `key` clause (named.conf, nsupdate -k).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "dns/tsig.h"

namespace namae::cli {

/// A new key named `name` (absolute whether or not it ends in a dot) with a
/// secret of random octets from OpenSSL's CSPRNG, as long as the algorithm's
/// digest (RFC 8945 6: a shorter secret weakens the MAC, a longer one is
/// hashed down anyway).
Result<dns::TsigKey> generate_tsig_key(std::string_view name, dns::TsigAlgorithm alg);

/// The key as a namaed config block:
///   [[key]]
///   name = "laptop"
///   algorithm = "hmac-sha256"
///   secret = "base64"
std::string key_to_toml(const dns::TsigKey& key);

/// `s` as a TOML basic string: quoted, `"` and `\` escaped (key names and
/// hostnames may contain either), for the config lines the CLI prints.
std::string toml_string(const std::string& s);

/// `hmac-sha256:laptop:base64` (for -y).
std::string key_to_y(const dns::TsigKey& key);

/// `key "laptop" { algorithm hmac-sha256; secret "base64"; };` (named.conf, -k).
std::string key_to_bind(const dns::TsigKey& key);

/// Read a key file given with -k: BIND's key clause or a dnssec-keygen
/// K*.private (given K*.key, its .private twin is read, as nsupdate -k does).
Result<dns::TsigKey> load_key_file(const std::string& path);

/// The option handler of `-y [ALG:]NAME:SECRET`: the key goes to `key`.
std::function<Result<void>(const std::string&)> y_option(std::optional<dns::TsigKey>& key);

}  // namespace namae::cli
