// The schema of daemon/config_schema.cpp against docs/config.md's key tables,
// and `namaed --print-config` read back by parse_config.
#include "daemon/config_schema.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace namae::daemon {
namespace {

struct DocRow {
  std::string type, default_text, meaning;
};

// Cells of a markdown table row; `\|` is a pipe inside a cell.
std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  for (size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '|' && line[i - 1] != '\\') {
      out.push_back(cell.substr(cell.find_first_not_of(' ') == std::string::npos ? 0 : cell.find_first_not_of(' ')));
      while (!out.back().empty() && out.back().back() == ' ') out.back().pop_back();
      cell.clear();
    } else {
      cell += line[i];
    }
  }
  return out;
}

// docs/config.md's "| key | type | default | meaning |" rows, by the table
// named in the `## ` heading above them ("[server]", "[[zone]]").
std::map<std::string, std::map<std::string, DocRow>> doc_tables() {
  std::ifstream in(std::string(NAMAE_TEST_DATA) + "/../../docs/config.md");
  EXPECT_TRUE(in) << "docs/config.md";
  std::map<std::string, std::map<std::string, DocRow>> out;
  std::string line, section;
  bool in_key_table = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) {
      auto open = line.find('`'), close = line.find('`', open + 1);
      section = open == std::string::npos ? "" : line.substr(open + 1, close - open - 1);
    }
    if (line.rfind("| key | type | default | meaning |", 0) == 0) in_key_table = true;
    else if (line.empty() || line[0] != '|') in_key_table = false;
    if (!in_key_table || line.rfind("| `", 0) != 0) continue;
    auto c = cells(line);
    if (c.size() != 4) {
      ADD_FAILURE() << "not four cells: " << line;
      continue;
    }
    std::string key = c[0].substr(1, c[0].size() - 2);  // without the backquotes
    EXPECT_TRUE(out[section].emplace(key, DocRow{c[1], c[2], c[3]}).second) << "documented twice: " << key;
  }
  return out;
}

TEST(ConfigSchema, DocsDescribeEveryKeyWithItsDefault) {
  auto doc = doc_tables();
  std::map<std::string_view, std::string> where_of;  // "zone" -> "[[zone]]"
  schema::for_each_section([&](const auto& sec) {
    if (!sec.parent.empty()) return;
    where_of[sec.name] = std::string(sec.where);
    auto& rows = doc[std::string(sec.where)];
    std::set<std::string> declared;
    for (const auto& key : sec.keys) {
      std::string name(key.name);
      if (key.type == schema::Type::unimplemented) {
        EXPECT_FALSE(rows.count(name)) << sec.where << " documents '" << name << "', which nothing implements";
        continue;
      }
      declared.insert(name);
      auto row = rows.find(name);
      if (row == rows.end()) {
        ADD_FAILURE() << sec.where << " '" << name << "' is missing from docs/config.md";
        continue;
      }
      EXPECT_EQ(row->second.default_text.rfind(schema::doc_default(key), 0), 0u)
          << sec.where << " '" << name << "': docs say " << row->second.default_text << ", the schema "
          << schema::doc_default(key);
      // A range the docs spell in digits ("integer 0–1024") is the schema's.
      static const std::regex range("([0-9]+)–([0-9]+)( [KMG]iB)?");
      std::smatch m;
      if (key.type == schema::Type::integer && std::regex_search(row->second.type, m, range) && !m[3].matched) {
        EXPECT_EQ(m[1].str() + "–" + m[2].str(), std::to_string(key.lo) + "–" + std::to_string(key.hi))
            << sec.where << " '" << name << "'";
      }
    }
    for (const auto& [name, row] : rows)
      EXPECT_TRUE(declared.count(name)) << sec.where << " '" << name << "' is documented but not in the schema";
  });
  // Keys of sub-tables (update-policy, services, users) are described in their row.
  schema::for_each_section([&](const auto& sec) {
    if (sec.parent.empty()) return;
    const auto& meaning = doc[where_of[sec.parent]][std::string(sec.name)].meaning;
    for (const auto& key : sec.keys)
      EXPECT_NE(meaning.find(std::string(key.name)), std::string::npos) << sec.name << " '" << key.name << "'";
  });
}

std::string without_first_line(const std::string& s) { return s.substr(s.find('\n') + 1); }

constexpr const char* kEveryRole = R"(
[server]
listen = ["127.0.0.1:5300", { address = "127.0.0.2:5300", allow-query = ["10.0.0.0/8", "key:laptop"] },
          { address = "127.0.0.3:5300" }]
pid-file = "run/namaed.pid"
log-level = "debug"
rrl = { responses-per-second = 20, slip = 3, exempt = ["192.0.2.0/24"] }

[[key]]
y = "hmac-sha512:laptop:c2VjcmV0"

[[dnssec-policy]]
name = "split"
keys = "ksk-zsk"
nsec3 = true

[[zone]]
name = "example.net"
file = "zones/example.net.zone"
journal = "var/example.net.db"
update-policy = [ { key = "laptop", grant = "self", name = "laptop.example.net", types = ["A"] },
                  { key = "laptop", grant = "zonesub", types = [] } ]
allow-update = ["127.0.0.1/32", "::1"]
max-lease = 30

[resolver]
listen = "127.0.0.1:5301"
root-hints = "root \"hints\""
allow = ["192.0.2.0/24"]

[mdns]
hostname = "box"
services = [ { name = "My Printer", type = "_ipp._tcp", port = 631, txt = ["rp=queue1", "x=\ty"] } ]

[[proxy]]
name = "lan.example.net"
interface = "eth0"
nameservers = ["ns1.example.net"]
timeout = 2000

[http]
listen = "192.0.2.1:8443"
tls-cert = "/etc/tls/cert.pem"
tls-key = "tls/key.pem"
users = [ { name = "alice", password-hash = "$argon2id$x", hostnames = ["alice.example.net"] } ]
)";

TEST(ConfigPrint, IsReadBackAsTheSameConfig) {
  for (std::string_view text : {default_config_text(), std::string_view(kEveryRole), std::string_view("")}) {
    auto first = parse_config(text, "t.toml", "/etc/namae");
    ASSERT_TRUE(first.ok()) << first.message();
    std::string printed = print_config(*first);
    auto again = parse_config(printed, "printed.toml", "/elsewhere");  // paths are absolute
    ASSERT_TRUE(again.ok()) << again.message() << "\n" << printed;
    EXPECT_EQ(without_first_line(print_config(*again)), without_first_line(printed));
    EXPECT_EQ(again->server.control, first->server.control);
    EXPECT_EQ(again->resolver.enabled, first->resolver.enabled);
    EXPECT_EQ(again->mdns.enabled, first->mdns.enabled);
    EXPECT_EQ(again->proxies, first->proxies);
    EXPECT_EQ(again->http.enabled, first->http.enabled);
    ASSERT_EQ(again->zones.size(), first->zones.size());
    for (size_t i = 0; i < first->zones.size(); ++i) {
      EXPECT_EQ(again->zones[i].file, first->zones[i].file);
      EXPECT_EQ(again->zones[i].min_lease, first->zones[i].min_lease);
      EXPECT_EQ(again->zones[i].update_policy.size(), first->zones[i].update_policy.size());
    }
  }
  auto every = parse_config(kEveryRole, "t.toml", "/etc/namae");
  auto again = parse_config(print_config(*every), "printed.toml", "/");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->keys[0].algorithm, "hmac-sha512");
  EXPECT_EQ(again->keys[0].secret, "c2VjcmV0");
  EXPECT_EQ(again->resolver.root_hints, "/etc/namae/root \"hints\"");
  EXPECT_EQ(again->mdns.services[0].txt, (std::vector<std::string>{"rp=queue1", "x=\ty"}));
  EXPECT_EQ(again->http.tls_key, "/etc/namae/tls/key.pem");
  EXPECT_EQ(again->http.users[0].hostnames, std::vector<std::string>{"alice.example.net"});
  EXPECT_TRUE(again->server.rrl.enabled);
  EXPECT_EQ(again->server.rrl.responses_per_second, 20u);
  EXPECT_EQ(again->server.rrl.slip, 3u);
  EXPECT_EQ(again->server.rrl.window, 15u);
  EXPECT_EQ(again->server.rrl.exempt, std::vector<std::string>{"192.0.2.0/24"});
  EXPECT_EQ(again->server.listen, every->server.listen);
  ASSERT_EQ(again->server.listeners.size(), 1u);  // the table without allow-query is printed as its address
  EXPECT_EQ(again->server.listeners[0].allow_query, (std::vector<std::string>{"10.0.0.0/8", "key:laptop"}));
  auto off = parse_config("", "t.toml", "/");
  EXPECT_FALSE(off->server.rrl.enabled);
  EXPECT_FALSE(parse_config(print_config(*off), "printed.toml", "/")->server.rrl.enabled);
}

TEST(ConfigPrint, ShowsEveryKey) {
  auto cfg = parse_config(kEveryRole, "t.toml", "/etc/namae");
  ASSERT_TRUE(cfg.ok()) << cfg.message();
  cfg->mdns = MdnsConfig{};  // an absent role shows its defaults commented out
  std::string printed = "\n" + print_config(*cfg);
  schema::for_each_section([&](const auto& sec) {
    if (!sec.parent.empty()) return;
    for (const auto& key : sec.keys) {
      // `y` is printed as the name, algorithm and secret it stands for.
      if (key.type == schema::Type::unimplemented || key.name == "y") continue;
      std::string name(key.name);
      EXPECT_TRUE(printed.find("\n" + name + " = ") != std::string::npos ||
                  printed.find("\n# " + name + " = ") != std::string::npos)
          << sec.where << " " << name;
    }
  });
}

}  // namespace
}  // namespace namae::daemon
