#include "cli/key_util.h"

#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "cli/nsupdate_parser.h"
#include "dns/text.h"

namespace namae::cli {

namespace {

// The key name as people write it in configs: no trailing dot (the root
// stays ".").
std::string bare_name(const dns::TsigKey& key) {
  std::string n = key.name.to_text();
  if (n.size() > 1 && n.back() == '.') n.pop_back();
  return n;
}

}  // namespace

std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

Result<dns::TsigKey> generate_tsig_key(std::string_view name, dns::TsigAlgorithm alg) {
  if (name.empty()) return fail("key name is empty");
  std::string absolute(name);
  if (absolute.back() != '.') absolute.push_back('.');
  auto n = dns::Name::from_text(absolute);
  if (!n) return fail("bad key name '" + std::string(name) + "': " + n.message());
  if (n->is_root()) return fail("the key name cannot be the root");
  dns::TsigKey key;
  key.name = *n;
  key.algorithm = alg;
  key.secret.resize(dns::tsig_digest_length(alg));
  if (RAND_bytes(key.secret.data(), static_cast<int>(key.secret.size())) != 1)
    return fail("OpenSSL RAND_bytes failed (no entropy?)");
  return key;
}

std::string key_to_toml(const dns::TsigKey& key) {
  return "[[key]]\nname = " + toml_string(bare_name(key)) + "\nalgorithm = \"" +
         dns::tsig_algorithm_text(key.algorithm) + "\"\nsecret = \"" +
         dns::base64_encode(key.secret) + "\"\n";
}

std::string key_to_y(const dns::TsigKey& key) {
  return std::string(dns::tsig_algorithm_text(key.algorithm)) + ":" + bare_name(key) + ":" +
         dns::base64_encode(key.secret);
}

std::string key_to_bind(const dns::TsigKey& key) {
  return "key " + toml_string(bare_name(key)) + " {\n\talgorithm " +
         dns::tsig_algorithm_text(key.algorithm) + ";\n\tsecret \"" +
         dns::base64_encode(key.secret) + "\";\n};\n";
}

Result<dns::TsigKey> load_key_file(const std::string& path) {
  std::string use = path;
  if (use.size() > 4 && use.compare(use.size() - 4, 4, ".key") == 0) {
    std::string priv = use.substr(0, use.size() - 4) + ".private";
    if (access(priv.c_str(), R_OK) == 0) use = priv;
  }
  std::ifstream f(use, std::ios::binary);
  if (!f) return fail("cannot read key file " + use + ": " + std::strerror(errno));
  std::ostringstream text;
  text << f.rdbuf();
  auto k = parse_key_file(text.str(), use);
  if (!k) return fail(use + ": " + k.message());
  return k;
}

std::function<Result<void>(const std::string&)> y_option(std::optional<dns::TsigKey>& key) {
  return [&key](const std::string& v) -> Result<void> {
    auto k = dns::TsigKey::parse(v);
    if (!k) return fail("-y: " + k.message());
    key = std::move(*k);
    return {};
  };
}

}  // namespace namae::cli
