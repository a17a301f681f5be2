// libFuzzer target: arbitrary text through the zone-file lexer and parser, and
// then the server loader with every zone check. $INCLUDE is disabled (no file-system access) and
// $GENERATE is bounded so one input cannot run for minutes.
//
// Property: every record the parser accepts prints (format_record) to a line
// that parses back to the same owner, TTL, type and rdata.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "zone/load.h"
#include "zonefile/parser.h"
#include "zonefile/writer.h"

using namespace namae;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  std::string text(reinterpret_cast<const char*>(data), size);

  zonefile::ParserOptions opts;
  opts.origin = dns::Name::from_text("fuzz.example.").value();
  opts.allow_include = false;
  opts.max_generate = 256;
  opts.max_errors = 20;

  zonefile::Parser parser(text, "fuzz", opts);
  zonefile::Record r;
  size_t n = 0;
  while (parser.next(r) && n++ < 4096) {
    std::string line = zonefile::format_record(r) + "\n";
    zonefile::ParserOptions again = opts;
    zonefile::Parser reparse(line, "roundtrip", again);
    zonefile::Record back;
    if (!reparse.next(back)) {
      std::fprintf(stderr, "dump line does not parse back: %s", line.c_str());
      for (const auto& d : reparse.diagnostics())
        std::fprintf(stderr, "  %s\n", d.to_string().c_str());
      std::abort();
    }
    if (!(back.owner == r.owner) || back.ttl != r.ttl || back.type != r.type ||
        back.rdata != r.rdata) {
      std::fprintf(stderr, "round trip changed the record: %s", line.c_str());
      std::abort();
    }
  }

  // The server's loader and all zone checks (zone/zone.h, zone/check.h).
  std::vector<zonefile::Diagnostic> diags;
  auto zone = zone::load_zone_text(text, "fuzz", opts, diags);
  (void)zone;
  return 0;
}
