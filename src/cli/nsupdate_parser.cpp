#include "cli/nsupdate_parser.h"

#include <cctype>
#include <string>

#include "dns/edns.h"
#include "dns/message.h"
#include "dns/rrtype.h"
#include "dns/text.h"
#include "net/signed_exchange.h"
#include "zonefile/lexer.h"

namespace namae::cli {

namespace {

using dns::TextToken;

std::string str(std::string_view v) { return std::string(v); }

// nsupdate reads every name relative to the root: "host.example" is absolute.
Result<dns::Name> parse_name(std::string_view text) {
  static const dns::Name root;
  auto n = dns::Name::from_text(text, &root);
  if (!n) return fail("bad name '" + str(text) + "': " + n.message());
  return n;
}

Result<uint16_t> parse_port(std::string_view text) {
  auto p = dns::parse_uint(text, 65535);
  if (!p || *p == 0) return fail("bad port '" + str(text) + "'");
  return static_cast<uint16_t>(*p);
}

// A TTL where one may appear: it must start with a digit, so a type or class
// mnemonic is never mistaken for one.
std::optional<uint32_t> maybe_ttl(std::string_view text) {
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) return std::nullopt;
  auto t = dns::parse_ttl(text);
  if (!t) return std::nullopt;
  return *t;
}

// A record class as nsupdate accepts it in a record: a real class, which must
// be the session's. ANY and NONE are not classes of data (they are how the
// wire encodes deletions), so they are not taken here.
Result<std::optional<uint16_t>> maybe_class(const TextToken& tok, uint16_t zone_class) {
  if (tok.quoted) return std::optional<uint16_t>();
  auto c = dns::class_from_text(tok.text);
  if (!c || *c == dns::rrclass::ANY || *c == dns::rrclass::NONE) return std::optional<uint16_t>();
  if (*c != zone_class)
    return fail("class " + dns::class_to_text(*c) + " does not match the zone class " +
                dns::class_to_text(zone_class) + " (see the `class` command)");
  return std::optional<uint16_t>(*c);
}

Result<uint16_t> parse_type(const TextToken& tok) {
  auto t = tok.quoted ? std::nullopt : dns::type_from_text(tok.text);
  if (!t) return fail("unknown type '" + str(tok.text) + "'");
  return *t;
}

Result<dns::RdataBytes> parse_rdata(uint16_t type, std::span<const TextToken> tokens) {
  static const dns::Name root;
  auto rd = dns::rdata::from_text(type, tokens, root);
  if (!rd) return fail("bad " + dns::type_to_text(type) + " data: " + rd.message());
  return rd;
}

std::string rdata_text(uint16_t type, const dns::RdataBytes& rd) {
  return dns::rdata::to_text(type, rd);
}

Result<UpdateRecord> parse_prereq(const UpdateSession& s, std::span<const TextToken> t) {
  if (t.empty()) return fail("prereq needs nxdomain, yxdomain, nxrrset or yxrrset");
  std::string_view kind = t[0].text;
  if (t.size() < 2) return fail("prereq " + str(kind) + " needs a name");
  auto owner = parse_name(t[1].text);
  if (!owner) return owner.error();
  UpdateRecord r;
  r.rr.owner = *owner;
  r.rr.ttl = 0;
  if (dns::iequal(kind, "nxdomain") || dns::iequal(kind, "yxdomain")) {
    if (t.size() > 2) return fail("prereq " + str(kind) + " takes only a name");
    bool nx = dns::iequal(kind, "nxdomain");
    r.op = nx ? UpdateOp::prereq_nxdomain : UpdateOp::prereq_yxdomain;
    r.rr.type = dns::rrtype::ANY;
    r.rr.rclass = nx ? dns::rrclass::NONE : dns::rrclass::ANY;
    r.text = std::string(nx ? "nxdomain " : "yxdomain ") + r.rr.owner.to_text();
    return r;
  }
  bool nx = dns::iequal(kind, "nxrrset");
  if (!nx && !dns::iequal(kind, "yxrrset"))
    return fail("unknown prereq '" + str(kind) + "' (nxdomain, yxdomain, nxrrset, yxrrset)");
  size_t i = 2;
  if (i < t.size()) {
    auto c = maybe_class(t[i], s.zone_class);
    if (!c) return c.error();
    if (*c) ++i;
  }
  if (i >= t.size()) return fail("prereq " + str(kind) + " needs a type");
  auto type = parse_type(t[i]);
  if (!type) return type.error();
  if (dns::is_meta_type(*type))
    return fail("prereq " + str(kind) + " cannot name type " + dns::type_to_text(*type) +
                (*type == dns::rrtype::ANY ? " (use yxdomain/nxdomain for a whole name)" : ""));
  r.rr.type = *type;
  ++i;
  std::string head = std::string(nx ? "nxrrset " : "yxrrset ") + r.rr.owner.to_text() + " " +
                     dns::type_to_text(r.rr.type);
  if (nx) {
    if (i < t.size()) return fail("prereq nxrrset takes no data");
    r.op = UpdateOp::prereq_nxrrset;
    r.rr.rclass = dns::rrclass::NONE;
    r.text = head;
    return r;
  }
  if (i == t.size()) {
    r.op = UpdateOp::prereq_yxrrset;
    r.rr.rclass = dns::rrclass::ANY;
    r.text = head;
    return r;
  }
  auto rd = parse_rdata(r.rr.type, t.subspan(i));
  if (!rd) return rd.error();
  r.op = UpdateOp::prereq_yxrrset_value;
  r.rr.rclass = s.zone_class;
  r.rr.rdata = std::move(*rd);
  r.text = head + " " + rdata_text(r.rr.type, r.rr.rdata);
  return r;
}

Result<UpdateRecord> parse_add(const UpdateSession& s, std::span<const TextToken> t) {
  if (t.empty()) return fail("add needs a name, TTL, type and data");
  auto owner = parse_name(t[0].text);
  if (!owner) return owner.error();
  UpdateRecord r;
  r.op = UpdateOp::add;
  r.rr.owner = *owner;
  r.rr.rclass = s.zone_class;
  size_t i = 1;
  if (i < t.size() && !t[i].quoted && maybe_ttl(t[i].text)) {
    r.rr.ttl = *maybe_ttl(t[i].text);
    ++i;
  } else if (s.default_ttl) {
    r.rr.ttl = *s.default_ttl;
  } else {
    return fail("add needs a TTL (none given and no default set with `ttl`)");
  }
  if (i < t.size()) {
    auto c = maybe_class(t[i], s.zone_class);
    if (!c) return c.error();
    if (*c) ++i;
  }
  if (i >= t.size()) return fail("add needs a type and data");
  auto type = parse_type(t[i]);
  if (!type) return type.error();
  if (dns::is_meta_type(*type)) return fail("cannot add records of type " + dns::type_to_text(*type));
  r.rr.type = *type;
  ++i;
  if (i == t.size()) return fail("add needs the record's data");
  auto rd = parse_rdata(r.rr.type, t.subspan(i));
  if (!rd) return rd.error();
  r.rr.rdata = std::move(*rd);
  r.text = "add " + r.rr.owner.to_text() + " " + std::to_string(r.rr.ttl) + " " +
           dns::class_to_text(r.rr.rclass) + " " + dns::type_to_text(r.rr.type) + " " +
           rdata_text(r.rr.type, r.rr.rdata);
  return r;
}

Result<UpdateRecord> parse_delete(const UpdateSession& s, std::span<const TextToken> t) {
  if (t.empty()) return fail("delete needs a name");
  auto owner = parse_name(t[0].text);
  if (!owner) return owner.error();
  UpdateRecord r;
  r.rr.owner = *owner;
  r.rr.ttl = 0;  // RFC 2136 2.5.2-2.5.4: deletions carry TTL 0; a given TTL is ignored
  size_t i = 1;
  if (i < t.size() && !t[i].quoted && maybe_ttl(t[i].text)) ++i;
  if (i < t.size()) {
    auto c = maybe_class(t[i], s.zone_class);
    if (!c) return c.error();
    if (*c) ++i;
  }
  if (i == t.size() || (!t[i].quoted && dns::type_from_text(t[i].text) ==
                                            std::optional<uint16_t>(dns::rrtype::ANY))) {
    if (i + 1 < t.size()) return fail("delete of every RRset at a name takes no data");
    r.op = UpdateOp::delete_name;
    r.rr.type = dns::rrtype::ANY;
    r.rr.rclass = dns::rrclass::ANY;
    r.text = "delete " + r.rr.owner.to_text();
    return r;
  }
  auto type = parse_type(t[i]);
  if (!type) return type.error();
  if (dns::is_meta_type(*type))
    return fail("cannot delete records of type " + dns::type_to_text(*type));
  r.rr.type = *type;
  ++i;
  std::string head = "delete " + r.rr.owner.to_text() + " " + dns::type_to_text(r.rr.type);
  if (i == t.size()) {
    r.op = UpdateOp::delete_rrset;
    r.rr.rclass = dns::rrclass::ANY;
    r.text = head;
    return r;
  }
  auto rd = parse_rdata(r.rr.type, t.subspan(i));
  if (!rd) return rd.error();
  r.op = UpdateOp::delete_rr;
  r.rr.rclass = dns::rrclass::NONE;
  r.rr.rdata = std::move(*rd);
  r.text = head + " " + rdata_text(r.rr.type, r.rr.rdata);
  return r;
}

Result<UpdateRecord> parse_update(const UpdateSession& s, std::span<const TextToken> t) {
  if (t.empty()) return fail("update needs add or delete");
  if (dns::iequal(t[0].text, "add")) return parse_add(s, t.subspan(1));
  if (dns::iequal(t[0].text, "delete") || dns::iequal(t[0].text, "del"))
    return parse_delete(s, t.subspan(1));
  return fail("update needs add or delete, not '" + str(t[0].text) + "'");
}

using Args = std::span<const TextToken>;
constexpr auto kDone = UpdateAction::none;

Result<std::optional<uint16_t>> optional_port(Args a) {
  if (a.size() < 2) return std::optional<uint16_t>();
  auto p = parse_port(a[1].text);
  if (!p) return p.error();
  return std::optional<uint16_t>(*p);
}

Result<UpdateAction> cmd_server(UpdateSession& s, Args a) {
  auto port = optional_port(a);
  if (!port) return port.error();
  s.server = str(a[0].text);
  s.server_port = *port;
  return kDone;
}

Result<UpdateAction> cmd_local(UpdateSession& s, Args a) {
  auto port = optional_port(a);
  if (!port) return port.error();
  s.local_address = str(a[0].text);
  s.local_port = port->value_or(0);
  return kDone;
}

Result<UpdateAction> cmd_zone(UpdateSession& s, Args a) {
  auto z = parse_name(a[0].text);
  if (!z) return z.error();
  s.zone = *z;
  return kDone;
}

Result<UpdateAction> cmd_class(UpdateSession& s, Args a) {
  auto c = dns::class_from_text(a[0].text);
  if (!c || *c == dns::rrclass::ANY || *c == dns::rrclass::NONE)
    return fail("bad class '" + str(a[0].text) + "'");
  if (!s.empty() && *c != s.zone_class)
    return fail("cannot change the class with records pending (send them first)");
  s.zone_class = *c;
  return kDone;
}

Result<UpdateAction> cmd_ttl(UpdateSession& s, Args a) {
  if (dns::iequal(a[0].text, "none")) {
    s.default_ttl.reset();
    return kDone;
  }
  auto ttl = dns::parse_ttl(a[0].text);
  if (!ttl || *ttl > 0x7fffffffu)  // RFC 2181 8: TTLs are 31-bit
    return fail("bad TTL '" + str(a[0].text) + "'");
  s.default_ttl = *ttl;
  return kDone;
}

Result<UpdateAction> cmd_lease(UpdateSession& s, Args a) {
  if (dns::iequal(a[0].text, "none") && a.size() == 1) {
    s.lease.reset();
    return kDone;
  }
  auto l = dns::parse_ttl(a[0].text);
  if (!l) return fail("bad lease '" + str(a[0].text) + "'");
  // RFC 9664's KEY-LEASE is for SIG(0) keys; namae signs with TSIG only.
  if (a.size() == 2) return fail("KEY-LEASE is not supported (it applies to SIG(0) keys)");
  s.lease = *l;
  return kDone;
}

Result<UpdateAction> cmd_key(UpdateSession& s, Args a) {
  auto k = dns::TsigKey::parse(str(a[0].text) + ":" + str(a[1].text));
  if (!k) return k.error();
  s.key = std::move(*k);
  return kDone;
}

Result<UpdateAction> cmd_gss(UpdateSession&, Args) {
  return fail("GSS-TSIG is not supported; use a TSIG key (`key`, -y or -k)");
}

Result<UpdateAction> cmd_prereq(UpdateSession& s, Args a) {
  auto r = parse_prereq(s, a);
  if (!r) return r.error();
  s.prerequisites.push_back(std::move(*r));
  return kDone;
}

Result<UpdateAction> add_update(UpdateSession& s, Result<UpdateRecord> r) {
  if (!r) return r.error();
  s.updates.push_back(std::move(*r));
  return kDone;
}

Result<UpdateAction> cmd_update(UpdateSession& s, Args a) { return add_update(s, parse_update(s, a)); }
Result<UpdateAction> cmd_add(UpdateSession& s, Args a) { return add_update(s, parse_add(s, a)); }
Result<UpdateAction> cmd_delete(UpdateSession& s, Args a) { return add_update(s, parse_delete(s, a)); }

Result<UpdateAction> cmd_debug(UpdateSession& s, Args) {
  s.debug = true;
  return kDone;
}

template <UpdateAction A>
Result<UpdateAction> action(UpdateSession&, Args) {
  return A;
}

// Each command once, as nsupdate(1) spells it; `usage` set: the argument
// count is checked against [min_args, max_args] first.
struct Command {
  std::string_view name;
  size_t min_args, max_args;
  const char* usage;
  Result<UpdateAction> (*run)(UpdateSession&, Args);
};
constexpr size_t kAny = SIZE_MAX;
constexpr Command kCommands[] = {
    {"send", 0, 0, "send", action<UpdateAction::send>},
    {"show", 0, kAny, nullptr, action<UpdateAction::show>},
    {"answer", 0, kAny, nullptr, action<UpdateAction::answer>},
    {"quit", 0, kAny, nullptr, action<UpdateAction::quit>},
    {"help", 0, kAny, nullptr, action<UpdateAction::help>},
    {"debug", 0, kAny, nullptr, cmd_debug},
    {"server", 1, 2, "server HOST [PORT]", cmd_server},
    {"local", 1, 2, "local ADDRESS [PORT]", cmd_local},
    {"zone", 1, 1, "zone NAME", cmd_zone},
    {"class", 1, 1, "class CLASS", cmd_class},
    {"ttl", 1, 1, "ttl SECONDS|none", cmd_ttl},
    {"lease", 1, 2, "lease SECONDS [KEY-LEASE-SECONDS] | lease none", cmd_lease},
    {"key", 2, 2, "key [ALGORITHM:]NAME SECRET", cmd_key},
    {"gsstsig", 0, kAny, nullptr, cmd_gss},
    {"oldgsstsig", 0, kAny, nullptr, cmd_gss},
    {"realm", 0, kAny, nullptr, cmd_gss},
    {"prereq", 0, kAny, nullptr, cmd_prereq},
    {"update", 0, kAny, nullptr, cmd_update},
    {"add", 0, kAny, nullptr, cmd_add},
    {"delete", 0, kAny, nullptr, cmd_delete},
    {"del", 0, kAny, nullptr, cmd_delete},
};

Result<UpdateAction> apply_tokens(UpdateSession& s, std::span<const TextToken> t) {
  std::string_view cmd = t[0].text;
  Args args = t.subspan(1);
  for (const Command& c : kCommands) {
    if (!dns::iequal(cmd, c.name)) continue;
    if (c.usage && (args.size() < c.min_args || args.size() > c.max_args))
      return fail(std::string("usage: ") + c.usage);
    return c.run(s, args);
  }
  return fail("unknown command '" + str(cmd) + "' (try `help`)");
}

}  // namespace

bool is_prerequisite(UpdateOp op) {
  switch (op) {
    case UpdateOp::prereq_yxrrset:
    case UpdateOp::prereq_yxrrset_value:
    case UpdateOp::prereq_nxrrset:
    case UpdateOp::prereq_yxdomain:
    case UpdateOp::prereq_nxdomain:
      return true;
    default:
      return false;
  }
}

std::optional<dns::Name> UpdateSession::first_name() const {
  if (!updates.empty()) return updates.front().rr.owner;
  if (!prerequisites.empty()) return prerequisites.front().rr.owner;
  return std::nullopt;
}

Result<UpdateAction> apply_update_line(UpdateSession& session, std::string_view line) {
  // nsupdate: a line of nothing but blanks sends; `;` starts a comment.
  bool blank = true;
  for (char c : line)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') blank = false;
  if (blank) return UpdateAction::send;
  std::string text(line);
  zonefile::Lexer lexer(text);
  zonefile::Entry entry;
  auto st = lexer.next(entry);
  if (st == zonefile::Lexer::Status::error) return fail(lexer.error().message);
  if (st == zonefile::Lexer::Status::end || entry.tokens.empty()) return UpdateAction::none;
  zonefile::Entry rest;
  if (lexer.next(rest) != zonefile::Lexer::Status::end)
    return fail("one command per line (unbalanced parentheses?)");
  UpdateSession copy = session;
  auto action = apply_tokens(copy, entry.tokens);
  if (!action) return action.error();
  session = std::move(copy);
  return action;
}

Result<std::vector<uint8_t>> build_update_message(const UpdateSession& s, const dns::Name* zone,
                                                  uint16_t id) {
  net::UpdateMessage m(id, s.lease);
  dns::MessageBuilder& b = m.builder();
  if (zone && !b.add_question(*zone, dns::rrtype::SOA, s.zone_class))
    return fail("update message too large");
  b.begin(dns::Section::answer);
  for (const auto& r : s.prerequisites)
    if (!b.add_record(r.rr.owner, r.rr.type, r.rr.rclass, r.rr.ttl, r.rr.rdata))
      return fail("update message too large (over 65535 octets)");
  b.begin(dns::Section::authority);
  for (const auto& r : s.updates)
    if (!b.add_record(r.rr.owner, r.rr.type, r.rr.rclass, r.rr.ttl, r.rr.rdata))
      return fail("update message too large (over 65535 octets)");
  return m.finish();
}

namespace {

// Tokens of BIND's configuration syntax: words, quoted strings, `{ } ;`,
// with `#`, `//` and `/* */` comments skipped.
struct ConfToken {
  std::string text;
  bool quoted = false;
};

Result<std::vector<ConfToken>> conf_tokens(std::string_view in) {
  std::vector<ConfToken> out;
  size_t i = 0;
  while (i < in.size()) {
    char c = in[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '#' || (c == '/' && i + 1 < in.size() && in[i + 1] == '/')) {
      while (i < in.size() && in[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < in.size() && in[i + 1] == '*') {
      size_t end = in.find("*/", i + 2);
      if (end == std::string_view::npos) return fail("unterminated /* comment");
      i = end + 2;
    } else if (c == '{' || c == '}' || c == ';') {
      out.push_back({std::string(1, c), false});
      ++i;
    } else if (c == '"') {
      size_t end = in.find('"', i + 1);
      if (end == std::string_view::npos) return fail("unterminated string");
      out.push_back({std::string(in.substr(i + 1, end - i - 1)), true});
      i = end + 1;
    } else {
      size_t start = i;
      while (i < in.size() && !std::isspace(static_cast<unsigned char>(in[i])) && in[i] != '{' &&
             in[i] != '}' && in[i] != ';' && in[i] != '"')
        ++i;
      out.push_back({std::string(in.substr(start, i - start)), false});
    }
  }
  return out;
}

// dnssec-keygen's private-key format for HMAC keys (Algorithm: 163 (HMAC_SHA256), Key: ...).
Result<dns::TsigKey> parse_private_key(std::string_view text, std::string_view path) {
  std::optional<dns::TsigAlgorithm> alg;
  std::string secret;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    std::string_view line = text.substr(pos, eol == std::string_view::npos ? text.npos : eol - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view field = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front())))
      value.remove_prefix(1);
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
      value.remove_suffix(1);
    if (field == "Algorithm") {
      auto num = dns::parse_uint(value.substr(0, value.find(' ')), 255);
      if (!num) return fail("bad Algorithm line");
      switch (*num) {
        case 157:
          alg = dns::TsigAlgorithm::hmac_md5;
          break;
        case 161:
          alg = dns::TsigAlgorithm::hmac_sha1;
          break;
        case 162:
          alg = dns::TsigAlgorithm::hmac_sha224;
          break;
        case 163:
          alg = dns::TsigAlgorithm::hmac_sha256;
          break;
        case 164:
          alg = dns::TsigAlgorithm::hmac_sha384;
          break;
        case 165:
          alg = dns::TsigAlgorithm::hmac_sha512;
          break;
        default:
          return fail("algorithm " + std::to_string(*num) + " is not an HMAC algorithm");
      }
    } else if (field == "Key") {
      secret = std::string(value);
    }
  }
  if (!alg || secret.empty()) return fail("no Algorithm/Key lines (not an HMAC private key)");
  // The key name is in the file name: K<name>.+<alg>+<id>.private.
  std::string_view base =
      path.substr(path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/') + 1);
  size_t plus = base.find(".+");
  if (base.size() < 2 || base[0] != 'K' || plus == std::string_view::npos)
    return fail("cannot take the key name from the file name (want K<name>.+<alg>+<id>.private)");
  std::string name(base.substr(1, plus - 1));
  return dns::TsigKey::parse(std::string(dns::tsig_algorithm_text(*alg)) + ":" + name + ":" +
                             secret);
}

}  // namespace

Result<dns::TsigKey> parse_key_file(std::string_view text, std::string_view path) {
  if (text.find("Private-key-format:") != std::string_view::npos)
    return parse_private_key(text, path);
  auto toks = conf_tokens(text);
  if (!toks) return toks.error();
  const auto& t = *toks;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i].quoted || !dns::iequal(t[i].text, "key")) continue;
    if (i + 2 >= t.size() || t[i + 2].text != "{" || t[i + 2].quoted)
      return fail("expected key \"NAME\" { ... }");
    std::string name = t[i + 1].text;
    std::string algorithm = "hmac-md5";  // BIND's default for a key clause without one
    std::string secret;
    size_t j = i + 3;
    for (; j < t.size() && !(t[j].text == "}" && !t[j].quoted); ++j) {
      if (j + 2 >= t.size() || t[j + 2].text != ";")
        return fail("expected `algorithm NAME;` or `secret \"BASE64\";` in key " + name);
      if (dns::iequal(t[j].text, "algorithm"))
        algorithm = t[j + 1].text;
      else if (dns::iequal(t[j].text, "secret"))
        secret = t[j + 1].text;
      else
        return fail("unknown key statement '" + t[j].text + "'");
      j += 2;
    }
    if (j >= t.size()) return fail("key " + name + " is missing its closing }");
    if (secret.empty()) return fail("key " + name + " has no secret");
    auto k = dns::TsigKey::parse(algorithm + ":" + name + ":" + secret);
    if (!k) return fail("key " + name + ": " + k.message());
    return k;
  }
  return fail("no key clause found (want key \"NAME\" { algorithm ALG; secret \"BASE64\"; };)");
}

std::string update_rcode_meaning(uint16_t rc) {
  switch (rc) {
    case dns::rcode::NOERROR:
      return "the update was applied";
    case dns::rcode::FORMERR:
      return "the server could not interpret the update message";
    case dns::rcode::SERVFAIL:
      return "the server failed internally; nothing was applied";
    case dns::rcode::NXDOMAIN:
      return "a name required to be in use (prereq yxdomain) does not exist";
    case dns::rcode::NOTIMP:
      return "the server does not support dynamic update";
    case dns::rcode::REFUSED:
      return "the server refused the update (not permitted by its policy)";
    case dns::rcode::YXDOMAIN:
      return "a name required not to be in use (prereq nxdomain) exists";
    case dns::rcode::YXRRSET:
      return "an RRset required not to exist (prereq nxrrset) exists";
    case dns::rcode::NXRRSET:
      return "an RRset required to exist (prereq yxrrset) does not exist or differs";
    case dns::rcode::NOTAUTH:
      return "the server is not authoritative for the zone, or did not accept the TSIG "
             "signature";
    case dns::rcode::NOTZONE:
      return "a name in the update is not within the zone";
    default:
      return "unexpected response code";
  }
}

std::vector<const UpdateRecord*> failed_prerequisite_candidates(
    std::span<const UpdateRecord> prerequisites, uint16_t rc) {
  std::vector<const UpdateRecord*> out;
  for (const auto& p : prerequisites) {
    bool match = false;
    switch (rc) {
      case dns::rcode::NXDOMAIN:
        match = p.op == UpdateOp::prereq_yxdomain;
        break;
      case dns::rcode::YXDOMAIN:
        match = p.op == UpdateOp::prereq_nxdomain;
        break;
      case dns::rcode::NXRRSET:
        match = p.op == UpdateOp::prereq_yxrrset || p.op == UpdateOp::prereq_yxrrset_value;
        break;
      case dns::rcode::YXRRSET:
        match = p.op == UpdateOp::prereq_nxrrset;
        break;
      default:
        break;
    }
    if (match) out.push_back(&p);
  }
  return out;
}

std::string update_failure_text(std::span<const UpdateRecord> prerequisites, uint16_t rc) {
  std::string out = "update failed: " + dns::rcode_to_text(rc) + " (";
  auto blame = failed_prerequisite_candidates(prerequisites, rc);
  if (blame.size() == 1) {
    out += "prerequisite '" + blame[0]->text + "' not satisfied";
  } else if (blame.size() > 1) {
    // The server does not say which one; list those that can fail this way.
    out += "one of these prerequisites not satisfied:";
    for (size_t i = 0; i < blame.size(); ++i)
      out += std::string(i ? "," : "") + " '" + blame[i]->text + "'";
  } else {
    out += update_rcode_meaning(rc);
  }
  out += ")";
  return out;
}

const char* update_commands_help() {
  return "commands (one per line; a blank line sends, as nsupdate):\n"
         "  server HOST [PORT]          send updates to HOST (default: the zone's primary)\n"
         "  local ADDRESS [PORT]        source address for updates\n"
         "  zone NAME                   the zone to update (default: found by SOA query)\n"
         "  class CLASS                 zone class (IN)\n"
         "  ttl SECONDS|none            default TTL for add\n"
         "  key [ALG:]NAME SECRET       sign with this TSIG key (hmac-sha256 by default)\n"
         "  lease SECONDS|none          ask for an RFC 9664 lease (EDNS UPDATE-LEASE)\n"
         "  prereq nxdomain NAME        NAME must not exist\n"
         "  prereq yxdomain NAME        NAME must exist\n"
         "  prereq nxrrset NAME [CLASS] TYPE            no TYPE RRset at NAME\n"
         "  prereq yxrrset NAME [CLASS] TYPE [DATA...]  TYPE RRset at NAME (holding DATA)\n"
         "  [update] add NAME [TTL] [CLASS] TYPE DATA...\n"
         "  [update] del[ete] NAME [TTL] [CLASS] [TYPE [DATA...]]\n"
         "  show                        print the message built so far\n"
         "  send                        send it (also: a blank line)\n"
         "  answer                      print the last reply\n"
         "  debug                       print every message sent and received\n"
         "  quit                        stop\n";
}

}  // namespace namae::cli
