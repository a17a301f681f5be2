// `namaed --print-config`: the configuration in effect, written from the
// schema so that every key shows up with its value or default.
#include <algorithm>
#include <string>

#include "daemon/config.h"
#include "daemon/config_schema.h"

namespace namae::daemon {
namespace {

template <class S>
std::string inline_table(const schema::Section<S>& sec, const S& v) {
  std::string out;
  for (const auto& key : sec.keys) {
    std::string value = schema::toml_value(key, v);
    if (!value.empty()) out += (out.empty() ? "" : ", ") + std::string(key.name) + " = " + value;
  }
  return "{ " + out + " }";
}

// An array of inline tables, one per line (TOML keeps an inline table on one line).
template <class S>
std::string inline_tables(const schema::Section<S>& sec, const std::vector<S>& list) {
  if (list.empty()) return "[]";
  std::string out = "[\n";
  for (const auto& v : list) out += "  " + inline_table(sec, v) + ",\n";
  return out + "]";
}

// A [section] or [[section]] with one `key = value  # help` line per key.
// `tables` gives the value of the section's sub-table key, if it has one.
template <class S, class Tables>
std::string section_text(const schema::Section<S>& sec, const S& v, Tables&& tables) {
  std::string out = std::string(sec.where) + "\n";
  for (const auto& key : sec.keys) {
    const bool sub = key.type == schema::Type::tables || key.type == schema::Type::table ||
                     key.type == schema::Type::listeners;
    std::string value = sub ? tables(key.name) : schema::toml_value(key, v);
    if (value.empty()) continue;  // keys read by their section's own code, unimplemented ones
    out += std::string(key.name) + " = " + value + "  # " + std::string(key.help) + "\n";
  }
  return out;
}

std::string no_tables(std::string_view) { return ""; }

// [server] listen: plain addresses as strings, those with an access list as tables.
std::string listen_text(const ServerConfig& sv) {
  std::string out = "[";
  for (const auto& address : sv.listen) {
    auto it = std::find_if(sv.listeners.begin(), sv.listeners.end(),
                           [&](const ListenerConfig& l) { return l.address == address && l.has_allow_query; });
    out += (out.size() > 1 ? ", " : "");
    out += it == sv.listeners.end() ? schema::toml_string(address) : inline_table(schema::kListener, *it);
  }
  return out + "]";
}

// An optional role that is off: its keys and defaults, commented out.
std::string commented(const std::string& why, const std::string& text) {
  std::string out = "# " + why + "\n";
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    out += "# " + text.substr(at, end - at) + "\n";
    at = end + 1;
  }
  return out;
}

}  // namespace

std::string print_config(const Config& cfg) {
  std::string out = "# The configuration in effect (namaed --print-config): " + cfg.source +
                    " with every default filled in.\n\n";
  const RrlConfig& rrl = cfg.server.rrl;
  out += section_text(schema::kServer, cfg.server, [&](std::string_view key) {
    if (key == "listen") return listen_text(cfg.server);
    return rrl.enabled ? inline_table(schema::kRrl, rrl) : "";
  });
  if (!rrl.enabled) {
    RrlConfig example;
    example.responses_per_second = 10;
    out += "# rrl = " + inline_table(schema::kRrl, example) + "  # absent: no response rate limiting\n";
  }
  out += "\n";
  for (const auto& k : cfg.keys) out += section_text(schema::kKey, k, no_tables) + "\n";
  for (const auto& p : cfg.dnssec_policies) out += section_text(schema::kDnssecPolicy, p, no_tables) + "\n";
  for (const auto& z : cfg.zones)
    out += section_text(schema::kZone, z, [&](std::string_view) { return inline_tables(schema::kGrant, z.update_policy); }) + "\n";
  std::string resolver = section_text(schema::kResolver, cfg.resolver, [&](std::string_view key) {
    return key == "stub" ? inline_tables(schema::kStub, cfg.resolver.stubs)
                         : inline_tables(schema::kForward, cfg.resolver.forwards);
  });
  out += cfg.resolver.enabled ? resolver : commented("[resolver] is absent: the resolver is off. Its defaults:", resolver);
  std::string mdns =
      section_text(schema::kMdns, cfg.mdns, [&](std::string_view) { return inline_tables(schema::kService, cfg.mdns.services); });
  out += "\n" + (cfg.mdns.enabled ? mdns : commented("[mdns] is absent: the responder is off. Its defaults:", mdns));
  for (const auto& p : cfg.proxies) out += "\n" + section_text(schema::kProxy, p, no_tables);
  out += "\n" + section_text(schema::kHttp, cfg.http, [&](std::string_view) { return inline_tables(schema::kUser, cfg.http.users); });
  return out;
}

}  // namespace namae::daemon
