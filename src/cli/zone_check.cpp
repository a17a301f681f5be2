// `namae zone check FILE [--origin NAME] [--dump] [--quiet]`: load a zone file
// the way the server would and report what is wrong with it, in the spirit of
// named-checkzone ("zone example/IN: loaded serial N", "OK", non-zero exit on
// errors). --dump prints the zone in canonical form on stdout; messages then
// go to stderr only, so the dump can be piped.
#include <cstdio>
#include <cstring>
#include <string>

#include "cli/commands.h"
#include "dns/rrtype.h"
#include "zonefile/writer.h"
#include "zonefile/zone.h"

namespace namae::cli {
namespace {

void usage() {
  std::fprintf(stderr,
               "usage: namae zone check FILE [--origin NAME] [--class CLASS] [--dump] [--quiet]\n"
               "  --origin NAME  zone origin (default: the owner of the file's first SOA;\n"
               "                 needed when the file uses relative names before $ORIGIN)\n"
               "  --class CLASS  zone class (default IN)\n"
               "  --dump         print the zone in canonical form (one RR a line) on stdout\n"
               "  --no-include   refuse $INCLUDE\n"
               "  --quiet        print errors only\n");
}

}  // namespace

int zone_main(std::span<char*> args) {
  if (args.size() < 2 || std::strcmp(args[1], "check") != 0) {
    if (args.size() >= 2 && (!std::strcmp(args[1], "-h") || !std::strcmp(args[1], "--help"))) {
      usage();
      return 0;
    }
    usage();
    return 2;
  }
  std::string file;
  bool dump = false, quiet = false;
  zonefile::LoadOptions options;
  for (size_t i = 2; i < args.size(); ++i) {
    std::string_view a = args[i];
    auto value = [&](const char* opt) -> const char* {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "namae zone check: %s needs a value\n", opt);
        return nullptr;
      }
      return args[++i];
    };
    if (a == "--origin" || a == "-o") {
      const char* v = value("--origin");
      if (!v) return 2;
      std::string text = v;
      if (text.empty() || text.back() != '.') text += '.';
      auto n = dns::Name::from_text(text);
      if (!n) {
        std::fprintf(stderr, "namae zone check: bad origin '%s': %s\n", v, n.message().c_str());
        return 2;
      }
      options.origin = n.value();
    } else if (a == "--class" || a == "-c") {
      const char* v = value("--class");
      if (!v) return 2;
      auto c = dns::class_from_text(v);
      if (!c) {
        std::fprintf(stderr, "namae zone check: unknown class '%s'\n", v);
        return 2;
      }
      options.parser.rclass = *c;
    } else if (a == "--dump" || a == "-D") {
      dump = true;
    } else if (a == "--quiet" || a == "-q") {
      quiet = true;
    } else if (a == "--no-include") {
      options.parser.allow_include = false;
    } else if (a == "-h" || a == "--help") {
      usage();
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "namae zone check: unknown option '%s'\n", args[i]);
      usage();
      return 2;
    } else if (file.empty()) {
      file = args[i];
    } else {
      std::fprintf(stderr, "namae zone check: more than one file given\n");
      return 2;
    }
  }
  if (file.empty()) {
    usage();
    return 2;
  }

  zonefile::LoadedZone zone = zonefile::load_zone(file, options);
  for (const auto& d : zone.diagnostics) {
    if (quiet && d.severity != zonefile::Severity::error) continue;
    std::fprintf(stderr, "%s\n", d.to_string().c_str());
  }
  std::string label = zone.origin_known ? zone.origin.to_text() : file;
  if (zone.origin_known && label.size() > 1) label.pop_back();
  std::FILE* msg = dump ? stderr : stdout;
  const std::string cls = dns::class_to_text(zone.rclass);
  if (!zone.ok()) {
    std::fprintf(msg, "zone %s/%s: not loaded due to errors (%zu error%s)\n", label.c_str(),
                 cls.c_str(), zone.errors, zone.errors == 1 ? "" : "s");
    return 1;
  }
  if (!quiet) std::fprintf(msg, "zone %s/%s: loaded serial %u\n", label.c_str(), cls.c_str(), zone.serial);
  if (dump && !zonefile::write_records(stdout, zone.records)) {
    std::fprintf(stderr, "namae zone check: writing the dump failed\n");
    return 1;
  }
  if (!quiet) std::fprintf(msg, "OK\n");
  return 0;
}

}  // namespace namae::cli
