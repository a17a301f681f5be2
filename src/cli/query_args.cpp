#include "cli/query_args.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include "dns/edns.h"
#include "dns/message.h"
#include "dns/rrtype.h"
#include "dns/text.h"

namespace namae::cli {

namespace {

// "+time=3" -> ("time", "3", has_value); "+notcp" -> negated.
struct PlusOption {
  std::string_view name;
  std::string_view value;
  bool has_value = false;
  bool negated = false;
};

PlusOption split_plus(std::string_view arg) {
  PlusOption o;
  arg.remove_prefix(1);
  size_t eq = arg.find('=');
  if (eq != std::string_view::npos) {
    o.value = arg.substr(eq + 1);
    o.has_value = true;
    arg = arg.substr(0, eq);
  }
  if (arg.size() > 2 && arg.substr(0, 2) == "no") {
    o.negated = true;
    arg.remove_prefix(2);
  }
  o.name = arg;
  return o;
}

// dig accepts unambiguous abbreviations ("+tc" is not one, but "+dnssec" "+dnsse" are);
// we accept the full names and dig's common short forms only.
bool is(const PlusOption& o, std::initializer_list<std::string_view> names) {
  for (auto n : names)
    if (o.name == n) return true;
  return false;
}

Result<int> small_number(const PlusOption& o, int lo, int hi) {
  if (!o.has_value) return fail("+" + std::string(o.name) + " needs a value (+" +
                                std::string(o.name) + "=N)");
  auto v = dns::parse_uint(o.value, static_cast<uint64_t>(hi));
  if (!v || static_cast<int>(*v) < lo)
    return fail("bad value for +" + std::string(o.name) + ": '" + std::string(o.value) + "'");
  return static_cast<int>(*v);
}

Result<void> apply_plus(QueryArgs& a, std::string_view arg) {
  PlusOption o = split_plus(arg);
  bool on = !o.negated;
  if (is(o, {"tcp", "vc"})) {
    a.tcp = on;
  } else if (is(o, {"rec", "recurse"})) {
    a.recurse = on;
  } else if (is(o, {"dnssec"})) {
    a.dnssec = on;
  } else if (is(o, {"cd", "cdflag"})) {
    a.cd = on;
  } else if (is(o, {"ad", "adflag"})) {
    a.ad = on;
  } else if (is(o, {"short"})) {
    a.short_output = on;
  } else if (is(o, {"trace"})) {
    a.trace = on;
  } else if (is(o, {"json"})) {
    a.json = on;
  } else if (is(o, {"ignore"})) {
    a.ignore_tc = on;
  } else if (is(o, {"cookie"})) {
    a.cookie = on;
  } else if (is(o, {"nsid"})) {
    a.nsid = on;
  } else if (is(o, {"edns"})) {
    a.edns = on;
    if (on && o.has_value) {
      auto v = small_number(o, 0, 255);
      if (!v) return v.error();
      a.edns_version = static_cast<uint8_t>(*v);
    }
  } else if (is(o, {"time", "timeout"})) {
    if (!on) return fail("+notime is not an option");
    auto v = small_number(o, 1, 300);
    if (!v) return v.error();
    a.timeout_seconds = *v;
  } else if (is(o, {"tries"})) {
    auto v = small_number(o, 1, 100);
    if (!v) return v.error();
    a.tries = *v;
  } else if (is(o, {"retry"})) {
    auto v = small_number(o, 0, 99);
    if (!v) return v.error();
    a.tries = *v + 1;
  } else if (is(o, {"tls"})) {
    a.tls = on;
  } else if (is(o, {"tls-hostname", "tls-ca"})) {
    if (!on || !o.has_value || o.value.empty())
      return fail("+" + std::string(o.name) + " needs a value (+" + std::string(o.name) + "=...)");
    (o.name == "tls-ca" ? a.tls_ca : a.tls_hostname) = std::string(o.value);
  } else if (is(o, {"bufsize"})) {
    auto v = small_number(o, 0, 65535);
    if (!v) return v.error();
    // RFC 6891 6.2.5: values below 512 are treated as 512.
    a.bufsize = static_cast<uint16_t>(*v < 512 ? 512 : *v);
  } else {
    return fail("invalid option: " + std::string(arg));
  }
  return {};
}

Result<dns::Name> absolute_name(std::string_view text) {
  std::string s(text);
  if (s.empty()) return fail("empty name");
  // dig treats a name without a trailing dot as absolute (no search list).
  if (s.back() != '.' || (s.size() >= 2 && s[s.size() - 2] == '\\' &&
                          (s.size() < 3 || s[s.size() - 3] != '\\')))
    s.push_back('.');
  if (s == "..") s = ".";
  auto n = dns::Name::from_text(s);
  if (!n) return fail("bad name '" + std::string(text) + "': " + n.message());
  return n;
}

}  // namespace

Result<dns::Name> reverse_name(std::string_view address) {
  std::string addr(address);
  unsigned char v6[16];
  if (addr.find(':') != std::string::npos) {
    if (inet_pton(AF_INET6, addr.c_str(), v6) != 1)
      return fail("'" + addr + "' is not an IPv6 address");
    static const char* kHex = "0123456789abcdef";
    std::string name;
    for (int i = 15; i >= 0; --i) {
      name += kHex[v6[i] & 0x0f];
      name += '.';
      name += kHex[v6[i] >> 4];
      name += '.';
    }
    name += "ip6.arpa.";
    return dns::Name::from_text(name);
  }
  // IPv4, possibly partial: 1 to 4 decimal octets.
  std::vector<std::string_view> parts;
  std::string_view rest = address;
  while (true) {
    size_t dot = rest.find('.');
    parts.push_back(rest.substr(0, dot));
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  if (parts.size() > 4) return fail("'" + addr + "' is not an IPv4 address");
  std::string name;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    auto v = dns::parse_uint(*it, 255);
    if (!v || it->empty() || it->size() > 3)
      return fail("'" + addr + "' is not an IPv4 address");
    name += std::to_string(*v) + ".";
  }
  name += "in-addr.arpa.";
  return dns::Name::from_text(name);
}

namespace {

// What parsing has seen so far besides QueryArgs itself.
struct ParseState {
  bool name_given = false;
  bool reverse = false;  // the name came from -x
  std::string shown;     // the command line for the banner, secrets masked
  void show(std::string_view s) {
    if (!shown.empty()) shown += ' ';
    shown += s;
  }
};

// -p, -t, -c, -x, -y with their value.
Result<void> apply_dash_option(QueryArgs& a, ParseState& st, char flag, const std::string& value) {
  switch (flag) {
    case 'p': {
      auto port = dns::parse_uint(value, 65535);
      if (!port) return fail("bad port '" + value + "'");
      a.port = static_cast<uint16_t>(*port);
      break;
    }
    case 't': {
      auto t = dns::type_from_text(value);
      if (!t) return fail("unknown type '" + value + "'");
      a.qtype = *t;
      a.type_given = true;
      break;
    }
    case 'c': {
      auto c = dns::class_from_text(value);
      if (!c) return fail("unknown class '" + value + "'");
      a.qclass = *c;
      a.class_given = true;
      break;
    }
    case 'x': {
      auto n = reverse_name(value);
      if (!n) return n.error();
      a.name = *n;
      st.name_given = true;
      st.reverse = true;
      break;
    }
    case 'y': {
      auto k = dns::TsigKey::parse(value);
      if (!k) return fail("bad -y key: " + k.message());
      a.key = std::move(*k);
      st.show(std::string("-y ") + dns::tsig_algorithm_text(a.key->algorithm) + ":" +
              a.key->name.to_text() + ":<secret>");
      return {};
    }
  }
  st.show(std::string("-") + flag + " " + value);
  return {};
}

// A word that is no option: a type, then a class, then the name (dig's
// order of guesses).
Result<void> apply_positional(QueryArgs& a, ParseState& st, const std::string& arg) {
  st.show(arg);
  if (!a.type_given)
    if (auto t = dns::type_from_text(arg)) {
      a.qtype = *t;
      a.type_given = true;
      return {};
    }
  if (!a.class_given)
    if (auto c = dns::class_from_text(arg)) {
      a.qclass = *c;
      a.class_given = true;
      return {};
    }
  if (st.name_given && !st.reverse) return fail("more than one name: '" + arg + "'");
  auto n = absolute_name(arg);
  if (!n) return n.error();
  a.name = *n;
  st.name_given = true;
  st.reverse = false;
  return {};
}

// One argument (and the next one, for options that take it).
Result<void> apply_argument(QueryArgs& a, ParseState& st, std::span<const std::string> args,
                            size_t& i) {
  const std::string& arg = args[i];
  if (arg.empty()) return fail("empty argument");
  if (arg[0] == '@') {
    if (arg.size() == 1) return fail("@ needs a server");
    a.server = arg.substr(1);
  } else if (arg[0] == '+') {
    if (auto r = apply_plus(a, arg); !r) return r.error();
  } else if (arg == "-h" || arg == "--help") {
    a.help = true;
    return {};
  } else if (arg == "--root-hints") {
    if (i + 1 >= args.size()) return fail("--root-hints needs a file");
    a.root_hints = args[++i];
    st.show(arg);
  } else if (arg == "--allow-localhost") {
    a.allow_localhost = true;
  } else if (arg == "--validate") {
    a.validate = true;
  } else if (arg == "--trust-anchor-file") {
    if (i + 1 >= args.size()) return fail("--trust-anchor-file needs a file");
    a.trust_anchor_file = args[++i];
    a.validate = true;
  } else if (arg == "--stub" || arg == "--forward") {
    if (i + 1 >= args.size() || args[i + 1].find('=') == std::string::npos)
      return fail(std::string(arg) + " needs NAME=ADDR[,ADDR...]");
    (arg == "--stub" ? a.stubs : a.forwards).push_back(std::string(args[++i]));
    st.show(arg);
  } else if (arg == "-4" || arg == "-6") {
    a.family = arg == "-4" ? AF_INET : AF_INET6;
  } else if (arg[0] == '-' && arg.size() >= 2 &&
             std::string_view("ptxcy").find(arg[1]) != std::string_view::npos) {
    // Options that take the next argument (also accepted glued: -p53, -tMX).
    std::string value = arg.substr(2);
    if (value.empty()) {
      if (i + 1 >= args.size()) return fail(arg.substr(0, 2) + " needs an argument");
      value = args[++i];
    }
    return apply_dash_option(a, st, arg[1], value);
  } else if (arg[0] == '-' && arg.size() > 1) {
    return fail("invalid option: " + arg);
  } else {
    return apply_positional(a, st, arg);
  }
  st.show(args[i]);
  return {};
}

}  // namespace

Result<QueryArgs> parse_query_args(std::span<const std::string> args) {
  QueryArgs a;
  ParseState st;
  for (size_t i = 0; i < args.size(); ++i)
    if (auto r = apply_argument(a, st, args, i); !r) return r.error();
  if (st.reverse && !a.type_given) a.qtype = dns::rrtype::PTR;
  if (!st.name_given && !a.type_given) a.qtype = dns::rrtype::NS;  // dig: ". NS"
  if (a.short_output && a.json) return fail("+short and +json cannot be combined");
  if ((a.tls || !a.tls_hostname.empty() || !a.tls_ca.empty()) && (!a.trace || a.forwards.empty()))
    return fail("+tls is for +trace's --forward servers (DNS over TLS to forwarders)");
  // RFC 8310 5.1's strict profile only, as [[resolver.forward]] tls = true.
  if (a.tls && a.tls_hostname.empty()) return fail("+tls needs +tls-hostname=NAME, the forwarders' certificate name");
  if (!a.tls && (!a.tls_hostname.empty() || !a.tls_ca.empty())) return fail("+tls-hostname and +tls-ca need +tls");
  a.command_line = st.shown;
  return a;
}

Result<std::vector<uint8_t>> build_query(const QueryArgs& a, uint16_t id,
                                         std::span<const uint8_t> client_cookie) {
  std::vector<uint8_t> buf(dns::kMaxMessage);
  dns::MessageBuilder b(buf, buf.size());
  dns::Header& h = b.header();
  h.id = id;
  h.opcode = dns::opcode::QUERY;
  h.rd = a.recurse;
  h.ad = a.ad;
  h.cd = a.cd;
  if (!b.add_question(a.name, a.qtype, a.qclass)) return fail("cannot build the question");
  std::vector<uint8_t> options;
  if (a.edns) {
    if (a.nsid) dns::append_edns_option(options, dns::edns_option::NSID, {});
    if (a.cookie && !client_cookie.empty())
      dns::append_edns_option(options, dns::edns_option::COOKIE, client_cookie);
    dns::Edns e;
    e.present = true;
    e.udp_size = a.bufsize;
    e.version = a.edns_version;
    e.do_bit = a.dnssec;
    e.options = options;
    if (!b.add_opt(e)) return fail("cannot add the OPT record");
  }
  size_t len = b.finish();
  buf.resize(len);
  return buf;
}

const char* query_usage() {
  return R"(usage: namae query [@server] [-p port] [-4|-6] [-x addr] [-t type] [-c class]
                   [-y [alg:]keyname:base64secret] name [type] [class] [+options]

Ask a DNS server one question and print the reply the way dig does.

  @server        server address or host name (default: the first nameserver
                 in /etc/resolv.conf, else 127.0.0.1)
  -p port        server port (default 53)
  -4, -6         use only IPv4 / IPv6 server addresses
  -x addr        reverse lookup: PTR query for addr's in-addr.arpa/ip6.arpa name
  -t type        query type (default A; NS when no name is given)
  -c class       query class (default IN)
  -y [alg:]name:secret
                 sign the query with TSIG (RFC 8945) and verify the reply;
                 alg is hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256 (default),
                 hmac-sha384 or hmac-sha512

  +[no]tcp       use TCP (default UDP; a truncated UDP reply is retried over TCP)
  +[no]ignore    do not retry truncated replies over TCP
  +[no]rec       set RD (default on)
  +[no]dnssec    set the DO bit
  +[no]cd        set CD          +[no]adflag  set AD (default on)
  +[no]edns[=V]  send EDNS (default on, version 0)
  +bufsize=N     EDNS UDP payload size (default 1232)
  +[no]cookie    send a DNS cookie   +[no]nsid  ask for the server's NSID
  +time=N        seconds to wait for each try (default 5)
  +tries=N       UDP tries (default 3); +retry=N means N+1 tries
  +short         print only the answer's rdata
  +json          print the reply as RFC 8427 JSON
  +trace         resolve from the root (no @server needed), printing each
                 step: server asked and why, flags, section counts, referral
                 or answer; with +json the steps as data
  --root-hints FILE  +trace starts from these root hints (named.root format)
  --allow-localhost  +trace may ask servers on 127.0.0.0/8 and ::1
  --validate         +trace validates (DNSSEC) from the root's built-in KSKs,
                     showing each zone's keys and the answer: secure, insecure or bogus (why)
  --trust-anchor-file FILE  +trace validates from these DS/DNSKEY records
  --stub NAME=ADDR[,ADDR...]     +trace asks these authoritative servers for
                                 NAME and below (as [[resolver.stub]])
  --forward NAME=ADDR[,ADDR...]  +trace sends NAME and below to these
                                 recursive servers (as [[resolver.forward]])
  +tls +tls-hostname=NAME [+tls-ca=FILE]  --forward servers over DNS over
                 TLS (port 853 unless given), their certificates checked for
                 NAME against FILE's CAs (default: the system's store)

Exit status:
  0   a reply was received (whatever its RCODE)
  2   usage error
  9   no reply: timed out, connection refused, unreachable, or malformed reply
  10  internal error (e.g. the server name did not resolve)
  11  the reply failed TSIG verification or carried a TSIG error
)";
}

}  // namespace namae::cli
