// What the `namae zone` subcommands share: the zone file argument and the
// options that say how to read it (--origin, --class, --no-include), the
// origin taken from the file's first SOA when not given, and diagnostics
// printed the same way.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cli/args.h"
#include "dns/record.h"
#include "zonefile/parser.h"

namespace namae::cli {

struct ZoneInput {
  std::string file;
  zonefile::ParserOptions parser;
};

/// Usage lines for the shared options.
inline constexpr const char* kZoneInputUsage =
    "  --origin NAME  zone origin (default: the owner of the file's first SOA;\n"
    "                 needed when the file uses relative names before $ORIGIN)\n"
    "  --class CLASS  zone class (default IN)\n"
    "  --no-include   refuse $INCLUDE\n";

/// Register FILE, --origin, --class and --no-include on `p`.
void add_zone_input_options(ArgParser& p, ZoneInput& in);

/// The owner of the file's first SOA, read only as far as that record.
std::optional<dns::Name> discover_origin(const std::string& file, zonefile::ParserOptions options,
                                         std::vector<zonefile::Diagnostic>& diags);

/// Read the whole zone (finding the origin first if needed); diagnostics go
/// to stderr (warnings only unless `quiet`). nullopt after any error.
std::optional<std::vector<dns::Record>> read_zone_records(ZoneInput& in, bool quiet, const char* command);

/// "example/IN" as named-checkzone names zones in its messages.
std::string zone_label(const ZoneInput& in);

/// The subcommands beside `zone check`.
int zone_sign_main(std::span<char*> args);
int zone_verify_main(std::span<char*> args);

}  // namespace namae::cli
