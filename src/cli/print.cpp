#include "cli/print.h"

#include <cctype>

#include "cli/json.h"
#include "dns/edns.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dns/text.h"

namespace namae::cli {

namespace {

using dns::MessageView;
using dns::RecordView;
using dns::Section;

// dig's column layout: tab stops every 8, the owner field reaching column 24.
void pad_to(std::string& line, size_t column) {
  size_t col = line.size();
  do {
    line.push_back('\t');
    col = (col / 8 + 1) * 8;
  } while (col < column);
}

dns::RdataBytes decoded_rdata(const MessageView& msg, const RecordView& rr, bool& ok) {
  dns::RdataBytes out;
  ok = dns::rdata::decode(rr.type, msg.data(), rr.rdata_offset, rr.rdlength, out) ==
       dns::WireError::ok;
  if (!ok) {
    auto raw = msg.raw_rdata(rr);
    out.assign(raw.begin(), raw.end());
  }
  return out;
}

std::string upper_hex(std::span<const uint8_t> data) {
  std::string h = dns::hex_encode(data);
  for (char& c : h) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return h;
}

// Section titles; UPDATE messages rename them (RFC 2136 2).
const char* section_title(const MessageView& msg, Section s) {
  if (msg.header().opcode == dns::opcode::UPDATE) {
    switch (s) {
      case Section::question: return "ZONE";
      case Section::answer: return "PREREQUISITE";
      case Section::authority: return "UPDATE";
      case Section::additional: return "ADDITIONAL";
    }
  }
  return dns::section_name(s);
}

uint16_t full_rcode(const MessageView& msg) {
  const auto& e = msg.edns();
  return e.present ? e.full_rcode(msg.header().rcode) : msg.header().rcode;
}

}  // namespace

std::string record_rdata_text(const MessageView& msg, const RecordView& rr) {
  bool ok = false;
  dns::RdataBytes rd = decoded_rdata(msg, rr, ok);
  return ok ? dns::rdata::to_text(rr.type, rd) : dns::rdata::to_generic_text(rd);
}

std::string format_record(const MessageView& msg, const RecordView& rr) {
  std::string line = msg.owner(rr).to_text();
  pad_to(line, 24);
  line += std::to_string(rr.ttl);
  line += '\t';
  line += dns::class_to_text(rr.rclass);
  line += '\t';
  line += dns::type_to_text(rr.type);
  line += '\t';
  // RFC 2136 prerequisites and deletions (class ANY/NONE) carry no rdata;
  // dig and nsupdate show nothing there rather than RFC 3597's `\# 0`.
  if (rr.rdlength == 0 && msg.header().opcode == dns::opcode::UPDATE &&
      (rr.rclass == dns::rrclass::ANY || rr.rclass == dns::rrclass::NONE))
    return line;
  line += record_rdata_text(msg, rr);
  return line;
}

std::string format_dig(const MessageView& msg, bool query_rd, const ReplyFooter* footer) {
  const dns::Header& h = msg.header();
  std::string out = ";; Got answer:\n";
  out += ";; ->>HEADER<<- opcode: " + dns::opcode_to_text(h.opcode) +
         ", status: " + dns::rcode_to_text(full_rcode(msg)) + ", id: " + std::to_string(h.id) +
         "\n";
  out += ";; flags:";
  const std::pair<bool, const char*> flags[] = {{h.qr, "qr"}, {h.aa, "aa"}, {h.tc, "tc"},
                                                {h.rd, "rd"}, {h.ra, "ra"}, {h.ad, "ad"},
                                                {h.cd, "cd"}};
  for (const auto& [set, text] : flags)
    if (set) out += std::string(" ") + text;
  bool update = h.opcode == dns::opcode::UPDATE;
  out += std::string("; ") + (update ? "ZONE" : "QUERY") + ": " + std::to_string(h.qdcount) +
         ", " + (update ? "PREREQ" : "ANSWER") + ": " + std::to_string(h.ancount) + ", " +
         (update ? "UPDATE" : "AUTHORITY") + ": " + std::to_string(h.nscount) +
         ", ADDITIONAL: " + std::to_string(h.arcount) + "\n";
  if (query_rd && !h.ra && h.opcode == dns::opcode::QUERY)
    out += ";; WARNING: recursion requested but not available\n";
  out += "\n";

  const dns::Edns& e = msg.edns();
  if (e.present) {
    out += ";; OPT PSEUDOSECTION:\n";
    out += "; EDNS: version: " + std::to_string(e.version) + ", flags:";
    if (e.do_bit) out += " do";
    out += ";";
    if (e.z) {
      char mbz[16];
      std::snprintf(mbz, sizeof mbz, " MBZ: 0x%04x,", e.z);
      out += mbz;
    }
    out += " udp: " + std::to_string(e.udp_size) + "\n";
    auto cursor = e.option_cursor();
    dns::EdnsOption opt;
    while (cursor.next(opt)) out += "; " + dns::edns_option_to_text(opt) + "\n";
  }

  if (h.qdcount) {
    out += std::string(";; ") + section_title(msg, Section::question) + " SECTION:\n";
    auto c = msg.records(Section::question);
    RecordView rr;
    while (c.next(rr)) {
      std::string line = ";" + msg.owner(rr).to_text();
      pad_to(line, 24);
      line += '\t';
      line += dns::class_to_text(rr.rclass) + "\t" + dns::type_to_text(rr.type);
      out += line + "\n";
    }
    out += "\n";
  }
  std::string tsig_line;
  for (Section s : {Section::answer, Section::authority, Section::additional}) {
    std::string body;
    auto c = msg.records(s);
    RecordView rr;
    while (c.next(rr)) {
      if (s == Section::additional && rr.type == dns::rrtype::OPT) continue;
      if (s == Section::additional && rr.type == dns::rrtype::TSIG && msg.has_tsig() &&
          rr.owner_offset == msg.tsig_offset()) {
        tsig_line = format_record(msg, rr);
        continue;
      }
      body += format_record(msg, rr) + "\n";
    }
    if (body.empty()) continue;
    out += std::string(";; ") + section_title(msg, s) + " SECTION:\n" + body + "\n";
  }
  if (!tsig_line.empty()) out += ";; TSIG PSEUDOSECTION:\n" + tsig_line + "\n\n";

  if (footer) {
    out += ";; Query time: " + std::to_string(footer->rtt_ms) + " msec\n";
    out += ";; SERVER: " + footer->server_address + "#" + std::to_string(footer->port) + "(" +
           footer->server_address + ") (" + footer->protocol + ")\n";
    char when[64];
    std::tm tm{};
    localtime_r(&footer->when, &tm);
    std::strftime(when, sizeof when, "%a %b %d %H:%M:%S %Z %Y", &tm);
    out += std::string(";; WHEN: ") + when + "\n";
    out += ";; MSG SIZE  rcvd: " + std::to_string(footer->size) + "\n";
  }
  return out;
}

std::string format_short(const MessageView& msg) {
  std::string out;
  auto c = msg.records(Section::answer);
  RecordView rr;
  while (c.next(rr)) out += record_rdata_text(msg, rr) + "\n";
  return out;
}

std::string format_json(const MessageView& msg, std::time_t when) {
  const dns::Header& h = msg.header();
  JsonWriter w;
  w.begin_object();
  char date[32];
  std::tm tm{};
  gmtime_r(&when, &tm);
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
  w.member("dateString", date);
  w.member("dateSeconds", static_cast<int64_t>(when));
  w.member("msgLength", static_cast<uint64_t>(msg.data().size()));
  w.member("ID", h.id);
  // RFC 8427's examples (and kdig) give the flags as 0/1.
  w.member("QR", h.qr ? 1 : 0);
  w.member("Opcode", static_cast<int>(h.opcode));
  w.member("AA", h.aa ? 1 : 0);
  w.member("TC", h.tc ? 1 : 0);
  w.member("RD", h.rd ? 1 : 0);
  w.member("RA", h.ra ? 1 : 0);
  w.member("AD", h.ad ? 1 : 0);
  w.member("CD", h.cd ? 1 : 0);
  w.member("RCODE", static_cast<int>(h.rcode));
  w.member("QDCOUNT", h.qdcount);
  w.member("ANCOUNT", h.ancount);
  w.member("NSCOUNT", h.nscount);
  w.member("ARCOUNT", h.arcount);
  if (h.qdcount) {
    w.member("QNAME", msg.qname().to_text());
    w.member("QTYPE", msg.qtype());
    w.member("QTYPEname", dns::type_to_text(msg.qtype()));
    w.member("QCLASS", msg.qclass());
    w.member("QCLASSname", dns::class_to_text(msg.qclass()));
  }
  const std::pair<Section, const char*> sections[] = {{Section::question, "questionRRs"},
                                                      {Section::answer, "answerRRs"},
                                                      {Section::authority, "authorityRRs"},
                                                      {Section::additional, "additionalRRs"}};
  for (const auto& [section, title] : sections) {
    w.key(title);
    w.begin_array();
    auto c = msg.records(section);
    RecordView rr;
    while (c.next(rr)) {
      w.begin_object();
      w.member("NAME", msg.owner(rr).to_text());
      w.member("TYPE", rr.type);
      std::string mnemonic = dns::type_to_text(rr.type);
      w.member("TYPEname", mnemonic);
      w.member("CLASS", rr.rclass);
      // OPT's CLASS is a payload size, not a class (RFC 6891 6.1.2).
      if (rr.type != dns::rrtype::OPT) w.member("CLASSname", dns::class_to_text(rr.rclass));
      if (section != Section::question) {
        w.member("TTL", rr.ttl);
        bool ok = false;
        dns::RdataBytes rd = decoded_rdata(msg, rr, ok);
        bool known = dns::rdata::find(rr.type) != nullptr;
        if (ok && known && rr.type != dns::rrtype::OPT)
          w.member("rdata" + mnemonic, dns::rdata::to_text(rr.type, rd));
        // Length and octets of the uncompressed rdata (as kdig gives them):
        // what the record means, independent of this message's compression.
        w.member("RDLENGTH", static_cast<uint64_t>(rd.size()));
        if (!rd.empty()) w.member("RDATAHEX", upper_hex(rd));
      }
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();
  return w.str();
}

}  // namespace namae::cli
