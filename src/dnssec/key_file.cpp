#include "dnssec/key_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dns/text.h"
#include "dnssec/algorithm.h"
#include "dnssec/dnskey.h"
#include "zonefile/parser.h"

namespace namae::dnssec {
namespace {

constexpr std::string_view kTimingNames[] = {"Created", "Publish", "Activate", "Inactive", "Delete"};

std::optional<int64_t>* timing_slot(KeyTiming& t, std::string_view name) {
  std::optional<int64_t>* slots[] = {&t.created, &t.publish, &t.activate, &t.inactive, &t.remove};
  for (size_t i = 0; i < std::size(kTimingNames); ++i)
    if (kTimingNames[i] == name) return slots[i];
  return nullptr;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// RFC-less but essential: a private key readable by others is a leaked key.
Result<void> check_private_mode(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return fail(path + ": " + std::strerror(errno));
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    return fail(path + ": readable by group or others (mode " +
                std::to_string((st.st_mode >> 6 & 7) * 100 + (st.st_mode >> 3 & 7) * 10 + (st.st_mode & 7)) +
                "); chmod 600 it");
  return {};
}

Result<void> write_new_file(const std::string& path, const std::string& text, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return fail(path + ": " + std::strerror(errno));
  ::fchmod(fd, mode);  // the umask may have taken bits we want (never adds any to 0600)
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      ::close(fd);
      return fail(path + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return fail(path + ": " + std::strerror(errno));
  return {};
}

// The DNSKEY record of a .key file (comments and a TTL allowed, as BIND writes them).
Result<dns::Record> parse_key_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) return text.error();
  zonefile::ParserOptions options;
  options.allow_include = false;
  zonefile::Parser parser(std::move(*text), path, options);
  zonefile::Record r;
  std::optional<dns::Record> found;
  while (parser.next(r)) {
    if (r.type != dns::rrtype::DNSKEY || found) return fail(path + ": expected one DNSKEY record");
    found = static_cast<dns::Record&>(r);
  }
  if (parser.error_count()) return fail(parser.diagnostics().front().to_string());
  if (!found) return fail(path + ": no DNSKEY record");
  return *found;
}

}  // namespace

bool KeyTiming::published(int64_t now) const {
  const auto from = publish ? publish : activate;
  return (!from || *from <= now) && (!remove || *remove > now);
}

bool KeyTiming::active(int64_t now) const {
  return (!activate || *activate <= now) && (!inactive || *inactive > now);
}

namespace {

bool within(std::optional<int64_t> from, std::optional<int64_t> until, int64_t now) {
  return (!from || *from <= now) && (!until || *until > now);
}

std::optional<int64_t> later(std::optional<int64_t> a, std::optional<int64_t> b) {
  if (!a || !b) return a ? a : b;
  return std::max(a, b);
}

std::optional<int64_t> earlier(std::optional<int64_t> a, std::optional<int64_t> b) {
  if (!a || !b) return a ? a : b;
  return std::min(a, b);
}

}  // namespace

bool KeyTiming::signs_keys_at(int64_t now) const {
  return within(sign_from ? sign_from : publish ? publish : activate, sign_until ? sign_until : remove, now);
}

bool KeyTiming::signs_data_at(int64_t now) const {
  return within(sign_from ? sign_from : later(publish, activate), sign_until ? sign_until : earlier(remove, inactive),
                now);
}

bool ZoneKey::is_ksk() const { return flags & kFlagSep; }

Result<ZoneKey> generate_zone_key(const dns::Name& zone, uint8_t algorithm, uint16_t flags, int64_t now) {
  auto key = PrivateKey::generate(algorithm);
  if (!key) return key.error();
  Bytes rdata = dnskey_rdata(flags, algorithm, key->public_key());
  const uint16_t tag = key_tag(rdata);
  return ZoneKey{zone, flags, std::move(*key), std::move(rdata), tag, KeyTiming{now, now, now, {}, {}, {}, {}}, {}};
}

std::string key_file_base(const dns::Name& zone, uint8_t algorithm, uint16_t tag) {
  char num[16];
  std::snprintf(num, sizeof num, "+%03u+%05u", algorithm, tag);
  return "K" + zone.lower().to_text() + num;
}

std::string format_private_file(const ZoneKey& k) {
  std::string out = "Private-key-format: v1.3\nAlgorithm: " + std::to_string(k.key.algorithm()) + " (" +
                    dns::rdata::algorithm_to_text(k.key.algorithm()) + ")\n";
  auto fields = k.key.private_fields();
  if (fields)
    for (const auto& [name, value] : *fields) out += name + ": " + dns::base64_encode(value) + "\n";
  KeyTiming t = k.timing;
  for (auto name : kTimingNames)
    if (auto* slot = timing_slot(t, name); slot && *slot)
      out += std::string(name) + ": " + dns::utc_timestamp_to_text(**slot) + "\n";
  return out;
}

Result<ZoneKey> parse_private_file(std::string_view text, const dns::Name& zone, uint16_t flags,
                                   std::span<const uint8_t> public_key, uint8_t algorithm) {
  PrivateKey::Fields fields;
  KeyTiming timing;
  std::optional<uint8_t> file_algorithm;
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line.front() == ';') continue;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return fail("line " + std::to_string(line_no) + ": no 'Field:'");
    const std::string_view name = trim(line.substr(0, colon)), value = trim(line.substr(colon + 1));
    if (name == "Private-key-format") {
      if (value.substr(0, 3) != "v1.") return fail("unknown Private-key-format " + std::string(value));
    } else if (name == "Algorithm") {
      auto a = dns::parse_uint(value.substr(0, value.find(' ')), 255);
      if (!a) return fail("line " + std::to_string(line_no) + ": bad Algorithm");
      file_algorithm = static_cast<uint8_t>(*a);
    } else if (auto* slot = timing_slot(timing, name)) {
      *slot = dns::utc_timestamp_from_text(value);
      if (!*slot) return fail("line " + std::to_string(line_no) + ": bad " + std::string(name) + " time");
    } else {
      auto bytes = dns::base64_decode(value);
      if (!bytes) return fail("line " + std::to_string(line_no) + ": " + bytes.message());
      fields.emplace_back(std::string(name), std::move(*bytes));
    }
  }
  if (!file_algorithm) return fail("no Algorithm line");
  if (*file_algorithm != algorithm)
    return fail("algorithm mismatch: the private key is algorithm " + std::to_string(*file_algorithm) +
                ", the DNSKEY algorithm " + std::to_string(algorithm));
  auto key = PrivateKey::from_fields(algorithm, fields, public_key);
  if (!key) return key.error();
  Bytes rdata = dnskey_rdata(flags, algorithm, public_key);
  const uint16_t tag = key_tag(rdata);
  return ZoneKey{zone, flags, std::move(*key), std::move(rdata), tag, timing, {}};
}

Result<void> write_key_files(const std::string& dir, const ZoneKey& k, uint32_t ttl) {
  const std::string base = dir + "/" + key_file_base(k.zone, k.key.algorithm(), k.tag);
  std::string pub = "; This is a " + std::string(k.is_ksk() ? "key-signing" : "zone-signing") +
                    " key, keyid " + std::to_string(k.tag) + ", for " + k.zone.to_text() + "\n";
  if (k.timing.created) pub += "; Created: " + dns::utc_timestamp_to_text(*k.timing.created) + "\n";
  pub += k.zone.to_text() + " " + std::to_string(ttl) + " IN DNSKEY " +
         dns::rdata::to_text(dns::rrtype::DNSKEY, k.dnskey) + "\n";
  if (auto r = write_new_file(base + ".private", format_private_file(k), 0600); !r) return r;
  return write_new_file(base + ".key", pub, 0644);
}

Result<ZoneKey> read_key_files(const std::string& path) {
  std::string base = path;
  for (std::string_view ext : {".private", ".key"})
    if (base.size() > ext.size() && base.compare(base.size() - ext.size(), ext.size(), ext) == 0)
      base.resize(base.size() - ext.size());
  auto rec = parse_key_file(base + ".key");
  if (!rec) return rec.error();
  auto fields = parse_dnskey(rec->rdata);
  if (!fields) return fail(base + ".key: malformed DNSKEY");
  if (auto mode = check_private_mode(base + ".private"); !mode) return mode.error();
  auto text = read_file(base + ".private");
  if (!text) return text.error();
  auto key = parse_private_file(*text, rec->owner, fields->flags, fields->key, fields->algorithm);
  if (!key) return fail(base + ".private: " + key.message());
  return key;
}

Result<std::vector<ZoneKey>> read_key_dir(const std::string& dir, const dns::Name& zone) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return fail(dir + ": " + std::strerror(errno));
  const std::string prefix = "K" + zone.lower().to_text() + "+";
  std::vector<std::string> bases;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() > prefix.size() + 8 && name.compare(0, prefix.size(), prefix) == 0 &&
        name.compare(name.size() - 8, 8, ".private") == 0)
      bases.push_back(dir + "/" + name);
  }
  ::closedir(d);
  std::sort(bases.begin(), bases.end());
  std::vector<ZoneKey> keys;
  for (const auto& b : bases) {
    auto k = read_key_files(b);
    if (!k) return k.error();
    if (!(k->zone == zone)) return fail(b + ": the key belongs to " + k->zone.to_text());
    keys.push_back(std::move(*k));
  }
  return keys;
}

}  // namespace namae::dnssec
