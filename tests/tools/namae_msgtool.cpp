// Test tool for cross-checks with independent implementations (dnspython):
//   namae_msgtool parse HEX     -> namae's parse of the message, as JSON
//   namae_msgtool build < SPEC  -> hex of a message built by namae's builder
// SPEC lines:  id N | flags qr aa tc rd ra ad cd | opcode N | rcode N
//              question NAME CLASS TYPE
//              answer|authority|additional NAME TTL CLASS TYPE RDATA...
//              edns UDPSIZE [do] [version N] [option CODE HEX]...
// Exit status 1 with the WireError text on stderr when parse fails.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "dns/message.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dns/text.h"

using namespace namae::dns;

namespace {

std::string json_str(std::string_view s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') { o += '\\'; o += static_cast<char>(c); }
    else if (c < 0x20) { char b[8]; std::snprintf(b, sizeof b, "\\u%04x", c); o += b; }
    else o += static_cast<char>(c);
  }
  return o + "\"";
}

int parse(const std::string& hex) {
  auto bytes = hex_decode(hex);
  if (!bytes) { std::fprintf(stderr, "bad hex: %s\n", bytes.message().c_str()); return 2; }
  MessageView v;
  WireError e = v.parse(*bytes);
  if (e != WireError::ok) { std::fprintf(stderr, "%s\n", wire_error_text(e)); return 1; }
  const Header& h = v.header();
  std::string out = "{";
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "\"id\":%u,\"qr\":%d,\"aa\":%d,\"tc\":%d,\"rd\":%d,\"ra\":%d,\"ad\":%d,\"cd\":%d,"
                "\"opcode\":%u,\"rcode\":%u,",
                h.id, h.qr, h.aa, h.tc, h.rd, h.ra, h.ad, h.cd, h.opcode,
                v.edns().present ? v.edns().full_rcode(h.rcode) : h.rcode);
  out += buf;
  out += "\"question\":[";
  if (h.qdcount) {
    out += "{\"name\":" + json_str(v.qname().to_text()) + ",\"type\":" + std::to_string(v.qtype()) +
           ",\"class\":" + std::to_string(v.qclass()) + "}";
  }
  out += "]";
  if (v.edns().present) {
    const Edns& ed = v.edns();
    out += ",\"edns\":{\"udp\":" + std::to_string(ed.udp_size) + ",\"version\":" +
           std::to_string(ed.version) + ",\"do\":" + (ed.do_bit ? "true" : "false") + ",\"options\":[";
    auto cur = ed.option_cursor();
    EdnsOption opt;
    bool first = true;
    while (cur.next(opt)) {
      if (!first) out += ",";
      first = false;
      out += "{\"code\":" + std::to_string(opt.code) + ",\"data\":" + json_str(hex_encode(opt.data)) + "}";
    }
    out += "]}";
  }
  for (Section s : {Section::answer, Section::authority, Section::additional}) {
    static const char* names[] = {"", "answer", "authority", "additional"};
    out += std::string(",\"") + names[static_cast<int>(s)] + "\":[";
    auto cur = v.records(s);
    RecordView rr;
    bool first = true;
    while (cur.next(rr)) {
      if (rr.type == rrtype::OPT) continue;
      RdataBytes rd;
      if (rdata::decode(rr.type, v.data(), rr.rdata_offset, rr.rdlength, rd) != WireError::ok) {
        std::fprintf(stderr, "rdata decode failed after a clean parse\n");
        return 3;
      }
      if (!first) out += ",";
      first = false;
      out += "{\"name\":" + json_str(v.owner(rr).to_text()) + ",\"ttl\":" + std::to_string(rr.ttl) +
             ",\"class\":" + std::to_string(rr.rclass) + ",\"type\":" + std::to_string(rr.type) +
             ",\"rdata\":" + json_str(rdata::to_text(rr.type, rd)) + ",\"wire\":" +
             json_str(hex_encode(rd)) + "}";
    }
    out += "]";
  }
  out += "}";
  std::puts(out.c_str());
  return 0;
}

// Splits a spec line into tokens; double quotes group, and stay in the token's
// quoted flag (escapes are left for rdata::from_text to decode).
std::vector<TextToken> tokenize(const std::string& line, std::vector<std::string>& store) {
  std::vector<TextToken> toks;
  store.clear();
  store.reserve(line.size());
  std::vector<bool> quoted;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    std::string t;
    bool q = false;
    if (line[i] == '"') {
      q = true;
      ++i;
      while (i < line.size() && line[i] != '"') {
        if (line[i] == '\\' && i + 1 < line.size()) t += line[i++];
        t += line[i++];
      }
      ++i;
    } else {
      while (i < line.size() && line[i] != ' ' && line[i] != '\t') {
        if (line[i] == '\\' && i + 1 < line.size()) t += line[i++];
        t += line[i++];
      }
    }
    store.push_back(t);
    quoted.push_back(q);
  }
  for (size_t k = 0; k < store.size(); ++k) toks.push_back({store[k], quoted[k]});
  return toks;
}

int build() {
  std::vector<uint8_t> buf(65535);
  MessageBuilder b(buf, buf.size());
  std::vector<std::string> store;
  std::string line;
  Edns edns;
  std::vector<uint8_t> options;
  Section cur = Section::question;
  Name root;
  auto die = [](const std::string& m) { std::fprintf(stderr, "%s\n", m.c_str()); return 2; };
  while (std::getline(std::cin, line)) {
    auto t = tokenize(line, store);
    if (t.empty()) continue;
    std::string_view kw = t[0].text;
    if (kw == "id") {
      b.header().id = static_cast<uint16_t>(std::stoul(std::string(t[1].text)));
    } else if (kw == "opcode") {
      b.header().opcode = static_cast<uint8_t>(std::stoul(std::string(t[1].text)));
    } else if (kw == "rcode") {
      unsigned rc = std::stoul(std::string(t[1].text));
      b.header().rcode = rc & 0xf;
      edns.ext_rcode = static_cast<uint8_t>(rc >> 4);
    } else if (kw == "flags") {
      for (size_t k = 1; k < t.size(); ++k) {
        auto f = t[k].text;
        Header& h = b.header();
        if (f == "qr") h.qr = true; else if (f == "aa") h.aa = true; else if (f == "tc") h.tc = true;
        else if (f == "rd") h.rd = true; else if (f == "ra") h.ra = true;
        else if (f == "ad") h.ad = true; else if (f == "cd") h.cd = true;
      }
    } else if (kw == "question") {
      auto n = Name::from_text(t[1].text);
      auto c = class_from_text(t[2].text);
      auto ty = type_from_text(t[3].text);
      if (!n || !c || !ty) return die("bad question: " + line);
      b.add_question(*n, *ty, *c);
    } else if (kw == "answer" || kw == "authority" || kw == "additional") {
      Section s = kw == "answer" ? Section::answer
                                 : (kw == "authority" ? Section::authority : Section::additional);
      if (s != cur) b.begin(cur = s);
      auto n = Name::from_text(t[1].text);
      auto ttl = parse_uint(t[2].text, 0xffffffff);
      auto c = class_from_text(t[3].text);
      auto ty = type_from_text(t[4].text);
      if (!n || !ttl || !c || !ty) return die("bad record: " + line);
      auto rd = rdata::from_text(*ty, std::span<const TextToken>(t).subspan(5), root);
      if (!rd) return die("bad rdata: " + rd.message() + ": " + line);
      if (!b.add_record(*n, *ty, *c, static_cast<uint32_t>(*ttl), *rd)) return die("message full");
    } else if (kw == "edns") {
      edns.present = true;
      edns.udp_size = static_cast<uint16_t>(std::stoul(std::string(t[1].text)));
      for (size_t k = 2; k < t.size(); ++k) {
        if (t[k].text == "do") edns.do_bit = true;
        else if (t[k].text == "version") edns.version = static_cast<uint8_t>(std::stoul(std::string(t[++k].text)));
        else if (t[k].text == "option") {
          uint16_t code = static_cast<uint16_t>(std::stoul(std::string(t[k + 1].text)));
          auto data = hex_decode(t[k + 2].text);
          if (!data) return die("bad option hex");
          append_edns_option(options, code, *data);
          k += 2;
        }
      }
    } else {
      return die("unknown spec line: " + line);
    }
  }
  if (edns.present) {
    edns.options = options;
    if (cur != Section::additional) b.begin(Section::additional);
    if (!b.add_opt(edns)) return die("no room for OPT");
  }
  size_t len = b.finish();
  std::puts(hex_encode(std::span<const uint8_t>(buf.data(), len)).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "parse" && argc == 3) return parse(argv[2]);
  if (cmd == "build") return build();
  std::fprintf(stderr, "usage: namae_msgtool parse HEX | build < SPEC\n");
  return 2;
}
