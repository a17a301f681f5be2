#include "xfr/remote.h"

#include <algorithm>

namespace namae::xfr {

std::string Remote::to_string() const {
  std::string out = address.to_string();
  if (key) out += " key " + key->name.to_text();
  return out;
}

const dns::TsigKey* find_key(std::span<const dns::TsigKey> keys, std::string_view name) {
  std::string text(name);
  if (text.empty() || text.back() != '.') text += '.';
  auto wanted = dns::Name::from_text(text);
  if (!wanted) return nullptr;
  for (const auto& k : keys)
    if (k.name == *wanted) return &k;
  return nullptr;
}

Result<std::vector<Remote>> rekey(std::vector<Remote> remotes, std::span<const dns::TsigKey> keys) {
  for (auto& r : remotes) {
    if (!r.key) continue;
    auto it = std::find_if(keys.begin(), keys.end(), [&](const dns::TsigKey& k) { return k.name == r.key->name; });
    if (it == keys.end()) return fail("key '" + r.key->name.to_text() + "' is not a [[key]] any more");
    r.key = *it;
  }
  return remotes;
}

Result<std::vector<Remote>> parse_remotes(const std::vector<std::string>& texts,
                                          std::string_view key_name,
                                          std::span<const dns::TsigKey> keys) {
  std::optional<dns::TsigKey> key;
  if (!key_name.empty()) {
    const dns::TsigKey* k = find_key(keys, key_name);
    if (!k) return fail("key '" + std::string(key_name) + "' is not a [[key]]");
    key = *k;
  }
  std::vector<Remote> out;
  for (const auto& t : texts) {
    auto ep = net::parse_endpoint(t, 53);
    if (!ep) return fail("'" + t + "': " + ep.message());
    out.push_back({*ep, key});
  }
  return out;
}

}  // namespace namae::xfr
