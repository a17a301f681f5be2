#include "zonefile/parser.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "dns/rrtype.h"
#include "dns/text.h"
#include "dns/wire.h"

namespace namae::zonefile {

using dns::Name;

namespace {

constexpr uint32_t kMaxTtl = 0x7fffffff;  // RFC 2181 8

bool starts_with_digit(std::string_view t) { return !t.empty() && t[0] >= '0' && t[0] <= '9'; }

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Result<std::string> read_whole_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return fail(path + ": " + std::strerror(e));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return fail(path + ": is a directory");
  }
  std::string data;
  data.resize(st.st_size > 0 ? static_cast<size_t>(st.st_size) : 0);
  size_t got = 0;
  for (;;) {
    if (got == data.size()) data.resize(data.size() + 65536);  // pipes, growing files
    ssize_t r = ::read(fd, data.data() + got, data.size() - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return fail(path + ": " + std::strerror(e));
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  data.resize(got);
  return data;
}

/// Decode a token that names a file ($INCLUDE): escapes resolved.
Result<std::string> token_string(const dns::TextToken& t) {
  if (t.text.find('\\') == std::string_view::npos) return std::string(t.text);
  auto octets = dns::unescape(t.text);
  if (!octets) return octets.error();
  return std::string(octets->begin(), octets->end());
}

const char* severity_text(Severity s) {
  switch (s) {
    case Severity::note: return "note";
    case Severity::warning: return "warning";
    case Severity::error: return "error";
  }
  return "error";
}

/// BIND's nibble formatting for $GENERATE's n/N: hex digits least significant
/// first, dot separated; `width` counts output characters including dots.
void append_nibbles(std::string& out, uint64_t value, uint32_t width, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  do {
    out.push_back(digits[value & 0xf]);
    value >>= 4;
    if (width > 0) --width;
    if (width > 0 || value != 0) {
      out.push_back('.');
      if (width > 0) --width;
    }
  } while (value != 0 || width > 0);
}

/// Expand one $GENERATE template for `value`: `$` is the value, `${offset,
/// width,base}` modifies it, backslash sequences (including `\$`) are copied
/// as they are so the name/rdata parser sees them.
Result<void> expand_template(std::string_view pattern, int64_t value, std::string& out) {
  out.clear();
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\') {
      out.push_back(c);
      if (i + 1 < pattern.size()) out.push_back(pattern[++i]);
      continue;
    }
    if (c != '$') {
      out.push_back(c);
      continue;
    }
    int64_t offset = 0;
    uint32_t width = 0;
    char base = 'd';
    if (i + 1 < pattern.size() && pattern[i + 1] == '{') {
      size_t close = pattern.find('}', i + 2);
      if (close == std::string_view::npos) return fail("'${' without '}' in $GENERATE template");
      std::string_view spec = pattern.substr(i + 2, close - (i + 2));
      i = close;
      // offset[,width[,base]]
      std::string_view parts[3];
      size_t nparts = 0;
      for (size_t start = 0;;) {
        size_t comma = spec.find(',', start);
        if (nparts == 3) return fail("too many fields in ${...} modifier");
        parts[nparts++] = spec.substr(start, comma == std::string_view::npos ? spec.npos : comma - start);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
      std::string_view off = parts[0];
      bool negative = false;
      if (!off.empty() && (off[0] == '-' || off[0] == '+')) {
        negative = off[0] == '-';
        off.remove_prefix(1);
      }
      auto o = dns::parse_uint(off, 0x7fffffff);
      if (!o) return fail("bad offset in ${...} modifier");
      offset = negative ? -static_cast<int64_t>(*o) : static_cast<int64_t>(*o);
      if (nparts > 1) {
        auto w = dns::parse_uint(parts[1], 255);
        if (!w) return fail("bad width in ${...} modifier (0-255)");
        width = static_cast<uint32_t>(*w);
      }
      if (nparts > 2) {
        if (parts[2].size() != 1 || std::string_view("doxXnN").find(parts[2][0]) == std::string_view::npos)
          return fail("bad base in ${...} modifier (one of d o x X n N)");
        base = parts[2][0];
      }
    }
    int64_t v = value + offset;
    if (v < 0) return fail("$GENERATE value plus offset is negative");
    if (base == 'n' || base == 'N') {
      append_nibbles(out, static_cast<uint64_t>(v), width, base == 'N');
      continue;
    }
    char buf[64];
    const char* fmt = base == 'o' ? "%0*llo" : base == 'x' ? "%0*llx" : base == 'X' ? "%0*llX" : "%0*lld";
    int len = std::snprintf(buf, sizeof buf, fmt, 0, static_cast<long long>(v));
    if (len < 0) return fail("$GENERATE formatting failed");
    if (static_cast<uint32_t>(len) < width) out.append(width - len, '0');
    out.append(buf, static_cast<size_t>(len));
  }
  return {};
}

}  // namespace

std::string Diagnostic::to_string() const {
  std::string s = file;
  if (line > 0) {
    s += ':' + std::to_string(line);
    if (column > 0) s += ':' + std::to_string(column);
  }
  if (!s.empty()) s += ": ";
  s += severity_text(severity);
  s += ": ";
  s += message;
  return s;
}

struct Parser::Frame {
  Frame(std::string t, std::string name, std::optional<Name> o, std::optional<Name> owner)
      : text(std::move(t)),
        file(std::make_shared<const std::string>(std::move(name))),
        dir(directory_of(*file)),
        lexer(text),
        origin(std::move(o)),
        last_owner(std::move(owner)) {}
  const std::string text;  // must precede lexer: the lexer views it
  std::shared_ptr<const std::string> file;
  std::string dir;
  std::string identity;  // resolved path, for include-loop detection
  Lexer lexer;
  std::optional<Name> origin;
  std::optional<Name> last_owner;
  // The token last_owner was parsed from (a view into `text`): zone files
  // repeat an owner on consecutive lines, and reusing the Name skips a parse.
  std::string_view last_owner_text;
};

struct Parser::Generate {
  uint64_t current = 0, stop = 0, step = 1;
  std::string lhs, rhs;
  std::optional<uint32_t> ttl;
  uint16_t rclass = 0;
  uint16_t type = 0;
  Name origin;
  Position where;
  std::string lhs_buf, rhs_buf;
  Entry rhs_entry;
};

Result<std::unique_ptr<Parser>> Parser::open(const std::string& path, ParserOptions options) {
  auto text = read_whole_file(path);
  if (!text) return text.error();
  auto p = std::make_unique<Parser>(std::move(text.value()), path, std::move(options));
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved)) p->frames_.back()->identity = resolved;
  return p;
}

Parser::Parser(std::string text, std::string file_name, ParserOptions options)
    : opts_(std::move(options)) {
  first_origin_ = opts_.origin;
  input_size_ = text.size();
  push_frame(std::move(text), std::move(file_name), opts_.origin);
  frames_.back()->identity = *frames_.back()->file;
}

Parser::~Parser() = default;

const std::optional<Name>& Parser::origin() const {
  static const std::optional<Name> none;
  return frames_.empty() ? none : frames_.back()->origin;
}

void Parser::push_frame(std::string text, std::string file_name, std::optional<Name> origin) {
  std::optional<Name> owner;
  if (!frames_.empty()) owner = frames_.back()->last_owner;  // BIND: the include inherits it
  frames_.push_back(
      std::make_unique<Frame>(std::move(text), std::move(file_name), std::move(origin), std::move(owner)));
}

void Parser::report(Severity s, const Frame& f, Position where, std::string message) {
  if (stopped_) return;
  diags_.push_back(Diagnostic{s, *f.file, where.line, where.column, std::move(message)});
  if (s != Severity::error) return;
  if (++errors_ >= opts_.max_errors) {
    stopped_ = true;
    diags_.push_back(Diagnostic{Severity::error, *f.file, where.line, 0,
                                "too many errors (" + std::to_string(errors_) + "), giving up"});
  }
}

void Parser::report(Severity s, Position where, std::string message) {
  report(s, *frames_.back(), where, std::move(message));
}

uint32_t Parser::limit_ttl(uint32_t ttl, Position where) {
  if (ttl <= kMaxTtl) return ttl;
  report(Severity::warning, where,
         "TTL " + std::to_string(ttl) + " > MAXTTL (2147483647), setting TTL to 0 (RFC 2181 8)");
  return 0;
}

bool Parser::settle_ttl(std::optional<uint32_t> explicit_ttl, uint16_t type,
                        const dns::RdataBytes& rdata, Position where, uint32_t& ttl) {
  if (explicit_ttl) {
    ttl = *explicit_ttl;
    last_ttl_ = ttl;
    return true;
  }
  if (default_ttl_) {
    ttl = *default_ttl_;
    return true;
  }
  if (!last_ttl_) {
    if (type == dns::rrtype::SOA && rdata.size() >= 20) {
      ttl = limit_ttl(dns::get_u32(rdata.data() + rdata.size() - 4), where);
      report(Severity::warning, where,
             "no TTL specified; using SOA MINIMUM (" + std::to_string(ttl) + ") instead");
      default_ttl_ = ttl;
      return true;
    }
    report(Severity::error, where, "no TTL specified and no $TTL or earlier TTL to inherit");
    return false;
  }
  ttl = *last_ttl_;
  if (!warned_1035_) {
    warned_1035_ = true;
    report(Severity::warning, where,
           "no TTL and no $TTL: using the previous record's TTL (RFC 1035 semantics)");
  }
  return true;
}

Result<Name> Parser::owner_name(std::string_view text) {
  const auto& origin = frames_.back()->origin;
  if (text == "@") {
    if (!origin) return fail("'@' used before any $ORIGIN (give an origin)");
    return *origin;
  }
  if (!origin) {
    // Without an origin only absolute names make sense.
    auto n = Name::from_text(text, nullptr);
    if (!n && (text.empty() || text.back() != '.'))
      return fail("relative name '" + std::string(text) + "' before any $ORIGIN (give an origin)");
    return n;
  }
  return Name::from_text(text, &*origin);
}

bool Parser::next(Record& out) {
  while (!stopped_) {
    if (gen_) {
      if (generate_next(out)) return true;
      continue;
    }
    if (frames_.empty()) return false;
    Frame& f = *frames_.back();
    switch (f.lexer.next(entry_)) {
      case Lexer::Status::end:
        frames_.pop_back();
        continue;
      case Lexer::Status::error:
        report(Severity::error, f, f.lexer.error().where, f.lexer.error().message);
        continue;
      case Lexer::Status::entry:
        if (handle_entry(entry_, out)) return true;
        continue;
    }
  }
  return false;
}

bool Parser::handle_entry(Entry& e, Record& out) {
  if (!e.leading_blank && !e.tokens[0].quoted && !e.tokens[0].text.empty() &&
      e.tokens[0].text[0] == '$') {
    handle_directive(e);
    return false;
  }
  return handle_record(e, out);
}

bool Parser::handle_record(Entry& e, Record& out) {
  size_t i = 0;
  std::optional<uint32_t> ttl;
  uint16_t type = 0;
  if (!read_owner(e, out.owner, i) || !read_type(e, i, ttl, type) || !read_rdata(e, i, type, out.rdata))
    return false;
  if (!settle_ttl(ttl, type, out.rdata, e.positions[0], out.ttl)) return false;
  const Frame& f = *frames_.back();
  out.rclass = opts_.rclass;
  out.type = type;
  out.file = f.file;
  out.line = e.line;
  return true;
}

// A blank first column inherits the previous owner (RFC 1035 5.1); so does
// the same text again, without parsing the name a second time.
bool Parser::read_owner(const Entry& e, Name& owner, size_t& i) {
  Frame& f = *frames_.back();
  const auto& tok = e.tokens;
  if (e.leading_blank) {
    if (!f.last_owner) {
      report(Severity::error, Position{e.line, 1}, "no previous owner name to inherit");
      return false;
    }
    owner = *f.last_owner;
    return true;
  }
  i = 1;
  if (f.last_owner && !f.last_owner_text.empty() && tok[0].text == f.last_owner_text) {
    owner = *f.last_owner;
    return true;
  }
  auto parsed = owner_name(tok[0].text);
  if (!parsed) {
    report(Severity::error, e.positions[0], parsed.message());
    return false;
  }
  owner = parsed.value();
  f.last_owner = owner;
  f.last_owner_text = tok[0].text;
  return true;
}

// [TTL] [class] in either order, then the type (RFC 1035 5.1).
bool Parser::read_type(const Entry& e, size_t& i, std::optional<uint32_t>& ttl, uint16_t& type) {
  const auto& tok = e.tokens;
  const auto& pos = e.positions;
  std::optional<uint16_t> rclass;
  for (;; ++i) {
    if (i >= tok.size()) {
      report(Severity::error, i > 0 ? pos[i - 1] : Position{e.line, 1}, "missing RR type");
      return false;
    }
    std::string_view t = tok[i].text;
    if (!tok[i].quoted && starts_with_digit(t)) {
      if (ttl) {
        report(Severity::error, pos[i], "unexpected '" + std::string(t) + "': TTL given twice");
        return false;
      }
      auto v = dns::parse_ttl(t);
      if (!v) {
        report(Severity::error, pos[i], "bad TTL '" + std::string(t) + "': " + v.message());
        return false;
      }
      ttl = limit_ttl(*v, pos[i]);
      continue;
    }
    if (!tok[i].quoted && !rclass) {
      // NONE and ANY are update/query classes; here they would shadow type ANY.
      if (auto c = dns::class_from_text(t); c && *c != dns::rrclass::NONE && *c != dns::rrclass::ANY) {
        if (*c != opts_.rclass) {
          report(Severity::error, pos[i],
                 "class " + dns::class_to_text(*c) + " does not match the zone's class " +
                     dns::class_to_text(opts_.rclass));
          return false;
        }
        rclass = c;
        continue;
      }
    }
    auto ty = tok[i].quoted ? std::nullopt : dns::type_from_text(t);
    if (!ty) {
      report(Severity::error, pos[i], "unknown RR type '" + std::string(t) + "'");
      return false;
    }
    if (dns::is_meta_type(*ty)) {
      report(Severity::error, pos[i], "meta type " + std::string(t) + " is not allowed in zone data");
      return false;
    }
    type = *ty;
    ++i;
    return true;
  }
}

bool Parser::read_rdata(const Entry& e, size_t i, uint16_t type, dns::RdataBytes& rdata) {
  const Frame& f = *frames_.back();
  const auto& tok = e.tokens;
  const Position where = i < tok.size() ? e.positions[i] : e.positions[i - 1];
  std::span<const dns::TextToken> rd(tok.data() + i, tok.size() - i);
  if (f.origin) {
    auto parsed = dns::rdata::from_text(type, rd, *f.origin);
    if (!parsed) {
      report(Severity::error, where, "bad " + dns::type_to_text(type) + " rdata: " + parsed.message());
      return false;
    }
    rdata = std::move(parsed.value());
    return true;
  }
  // No origin yet: parse against two different origins; if the results
  // differ, the rdata held a relative name, which needs an origin.
  static const Name probe = Name::from_text("namae-origin-probe.invalid.").value();
  auto a = dns::rdata::from_text(type, rd, Name());
  if (!a) {
    report(Severity::error, where, "bad " + dns::type_to_text(type) + " rdata: " + a.message());
    return false;
  }
  auto b = dns::rdata::from_text(type, rd, probe);
  if (!b || b.value() != a.value()) {
    report(Severity::error, where,
           "relative name in " + dns::type_to_text(type) + " rdata before any $ORIGIN (give an origin)");
    return false;
  }
  rdata = std::move(a.value());
  return true;
}

void Parser::handle_directive(Entry& e) {
  Frame& f = *frames_.back();
  std::string_view d = e.tokens[0].text;
  const auto& tok = e.tokens;
  const auto& pos = e.positions;
  if (dns::iequal(d, "$ORIGIN")) {
    if (tok.size() != 2) {
      report(Severity::error, pos[0], "$ORIGIN takes exactly one name");
      return;
    }
    auto n = owner_name(tok[1].text);
    if (!n) {
      report(Severity::error, pos[1], "bad $ORIGIN: " + n.message());
      return;
    }
    f.origin = n.value();
    f.last_owner_text = {};  // relative owners now mean other names
    if (!first_origin_ && frames_.size() == 1) first_origin_ = f.origin;
    return;
  }
  if (dns::iequal(d, "$TTL")) {
    if (tok.size() != 2) {
      report(Severity::error, pos[0], "$TTL takes exactly one TTL");
      return;
    }
    auto v = dns::parse_ttl(tok[1].text);
    if (!v) {
      report(Severity::error, pos[1], "bad $TTL '" + std::string(tok[1].text) + "': " + v.message());
      return;
    }
    default_ttl_ = limit_ttl(*v, pos[1]);
    return;
  }
  if (dns::iequal(d, "$INCLUDE")) return do_include(e);
  if (dns::iequal(d, "$GENERATE")) return do_generate(e);
  report(Severity::error, pos[0], "unknown directive '" + std::string(d) + "'");
}

void Parser::do_include(Entry& e) {
  const auto& tok = e.tokens;
  const auto& pos = e.positions;
  if (!opts_.allow_include) {
    report(Severity::error, pos[0], "$INCLUDE is not allowed here");
    return;
  }
  if (tok.size() < 2 || tok.size() > 3) {
    report(Severity::error, pos[0], "$INCLUDE takes a file name and an optional origin");
    return;
  }
  auto file = token_string(tok[1]);
  if (!file || file->empty()) {
    report(Severity::error, pos[1], "bad $INCLUDE file name");
    return;
  }
  std::optional<Name> origin = frames_.back()->origin;
  if (tok.size() == 3) {
    auto n = owner_name(tok[2].text);
    if (!n) {
      report(Severity::error, pos[2], "bad $INCLUDE origin: " + n.message());
      return;
    }
    origin = n.value();
  }
  if (frames_.size() > opts_.max_include_depth) {
    report(Severity::error, pos[0],
           "$INCLUDE nested more than " + std::to_string(opts_.max_include_depth) + " deep");
    return;
  }
  std::string path = file.value();
  if (path[0] != '/') path = frames_.back()->dir + "/" + path;

  std::string identity = path;
  if (!opts_.include_reader) {
    char resolved[PATH_MAX];
    if (::realpath(path.c_str(), resolved)) identity = resolved;
  }
  for (const auto& fr : frames_) {
    if (fr->identity == identity) {
      report(Severity::error, pos[1], "$INCLUDE loop: " + path + " is already being read");
      return;
    }
  }
  auto text = opts_.include_reader ? opts_.include_reader(path) : read_whole_file(path);
  if (!text) {
    report(Severity::error, pos[1], "cannot read $INCLUDE file: " + text.message());
    return;
  }
  push_frame(std::move(text.value()), path, std::move(origin));
  frames_.back()->identity = identity;
}

// BIND's $GENERATE: range lhs [ttl] [class] type rhs. The [ttl] [class] type
// part is read as in any record, so both accept and refuse the same text.
void Parser::do_generate(Entry& e) {
  Frame& f = *frames_.back();
  const auto& tok = e.tokens;
  const auto& pos = e.positions;
  if (tok.size() < 4) {
    report(Severity::error, pos[0], "$GENERATE needs: range lhs [ttl] [class] type rhs");
    return;
  }
  if (!f.origin) {
    report(Severity::error, pos[0], "$GENERATE before any $ORIGIN (give an origin)");
    return;
  }
  auto g = std::make_unique<Generate>();
  if (!read_generate_range(tok[1].text, pos[1], *g)) return;
  g->lhs = std::string(tok[2].text);
  g->rclass = opts_.rclass;
  g->origin = *f.origin;
  g->where = pos[0];
  size_t i = 3;
  if (!read_type(e, i, g->ttl, g->type)) return;
  if (i + 1 != tok.size()) {
    report(Severity::error, i < tok.size() ? pos[i] : pos[0],
           i < tok.size() ? "extra tokens after $GENERATE rhs (quote an rhs with spaces)"
                          : "$GENERATE without an rhs");
    return;
  }
  g->rhs = std::string(tok[i].text);
  if (opts_.max_generate && (g->stop - g->current) / g->step + 1 > opts_.max_generate) {
    report(Severity::error, pos[1], "$GENERATE range produces more than " +
                                        std::to_string(opts_.max_generate) + " records");
    return;
  }
  gen_ = std::move(g);
}

// start-stop[/step]
bool Parser::read_generate_range(std::string_view range, Position where, Generate& g) {
  auto refuse = [&] {
    report(Severity::error, where, "bad $GENERATE range '" + std::string(range) + "' (start-stop[/step])");
    return false;
  };
  auto dash = range.find('-');
  if (dash == std::string_view::npos) return refuse();
  std::string_view rest = range.substr(dash + 1);
  std::string_view step_text = "1";
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    step_text = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  auto start = dns::parse_uint(range.substr(0, dash), 0x7fffffff);
  auto stop = dns::parse_uint(rest, 0x7fffffff);
  auto step = dns::parse_uint(step_text, 0x7fffffff);
  if (!start || !stop || !step || *step == 0 || *start > *stop) return refuse();
  g.current = *start;
  g.stop = *stop;
  g.step = *step;
  return true;
}

bool Parser::generate_next(Record& out) {
  Generate& g = *gen_;
  Frame& f = *frames_.back();
  while (g.current <= g.stop && !stopped_) {
    const int64_t value = static_cast<int64_t>(g.current);
    g.current += g.step;
    if (auto r = expand_template(g.lhs, value, g.lhs_buf); !r) {
      report(Severity::error, g.where, "$GENERATE lhs: " + r.message());
      break;
    }
    if (auto r = expand_template(g.rhs, value, g.rhs_buf); !r) {
      report(Severity::error, g.where, "$GENERATE rhs: " + r.message());
      break;
    }
    auto owner = g.lhs_buf == "@" ? Result<Name>(g.origin) : Name::from_text(g.lhs_buf, &g.origin);
    if (!owner) {
      report(Severity::error, g.where, "$GENERATE owner '" + g.lhs_buf + "': " + owner.message());
      break;
    }
    Lexer sub(g.rhs_buf, g.where.line);
    g.rhs_entry.tokens.clear();
    Lexer::Status st = sub.next(g.rhs_entry);
    if (st == Lexer::Status::error) {
      report(Severity::error, g.where, "$GENERATE rhs '" + g.rhs_buf + "': " + sub.error().message);
      break;
    }
    auto rdata = dns::rdata::from_text(g.type, g.rhs_entry.tokens, g.origin);
    if (!rdata) {
      report(Severity::error, g.where,
             "$GENERATE " + dns::type_to_text(g.type) + " rdata '" + g.rhs_buf + "': " + rdata.message());
      break;
    }
    out.rdata = std::move(rdata.value());
    if (!settle_ttl(g.ttl, g.type, out.rdata, g.where, out.ttl)) break;
    out.owner = owner.value();
    out.rclass = g.rclass;
    out.type = g.type;
    out.file = f.file;
    out.line = g.where.line;
    if (g.current > g.stop) gen_.reset();
    return true;
  }
  gen_.reset();
  return false;
}

std::vector<Record> parse_file(const std::string& path, const ParserOptions& options,
                               std::vector<Diagnostic>& diags) {
  std::vector<Record> records;
  auto p = Parser::open(path, options);
  if (!p) {
    diags.push_back(Diagnostic{Severity::error, path, 0, 0, p.message()});
    return records;
  }
  Record r;
  while ((*p)->next(r)) records.push_back(std::move(r));
  diags.insert(diags.end(), (*p)->diagnostics().begin(), (*p)->diagnostics().end());
  return records;
}

}  // namespace namae::zonefile
