#include "cli/zone_args.h"

#include <cstdio>

#include "dns/rrtype.h"

namespace namae::cli {

void add_zone_input_options(ArgParser& p, ZoneInput& in) {
  p.option({"--origin", "-o"},
           [&](const std::string& v) -> Result<void> {
             std::string text = v;
             if (text.empty() || text.back() != '.') text += '.';
             auto n = dns::Name::from_text(text);
             if (!n) return fail("bad origin '" + v + "': " + n.message());
             in.parser.origin = n.value();
             return {};
           })
      .option({"--class", "-c"},
              [&](const std::string& v) -> Result<void> {
                auto c = dns::class_from_text(v);
                if (!c) return fail("unknown class '" + v + "'");
                in.parser.rclass = *c;
                return {};
              })
      .flag({"--no-include"}, in.parser.allow_include, false)
      .positional([&](const std::string& v) -> Result<void> {
        if (!in.file.empty()) return fail("more than one file given");
        in.file = v;
        return {};
      });
}

std::optional<dns::Name> discover_origin(const std::string& file, zonefile::ParserOptions options,
                                         std::vector<zonefile::Diagnostic>& diags) {
  options.origin.reset();
  auto p = zonefile::Parser::open(file, options);
  if (!p) {
    diags.push_back({zonefile::Severity::error, file, 0, 0, p.message()});
    return std::nullopt;
  }
  zonefile::Record r;
  std::optional<dns::Name> origin;
  while ((*p)->next(r))
    if (r.type == dns::rrtype::SOA) {
      origin = r.owner;
      break;
    }
  if ((*p)->error_count() > 0) {
    diags = (*p)->diagnostics();
    return std::nullopt;
  }
  if (!origin)
    diags.push_back({zonefile::Severity::error, file, 0, 0,
                     "no SOA record found, so the origin is unknown (give --origin)"});
  return origin;
}

// Records are read straight into dns::Records: a vector of parser records
// (with their file and line) first would double the peak memory of a large zone.
std::vector<dns::Record> parse_records(const ZoneInput& in, std::vector<zonefile::Diagnostic>& diags) {
  std::vector<dns::Record> out;
  auto p = zonefile::Parser::open(in.file, in.parser);
  if (!p) {
    diags.push_back({zonefile::Severity::error, in.file, 0, 0, p.message()});
    return out;
  }
  out.reserve((*p)->input_size() / 32);
  zonefile::Record r;
  while ((*p)->next(r)) out.push_back(std::move(static_cast<dns::Record&>(r)));
  diags.insert(diags.end(), (*p)->diagnostics().begin(), (*p)->diagnostics().end());
  return out;
}

std::optional<std::vector<dns::Record>> read_zone_records(ZoneInput& in, bool quiet, const char* command) {
  std::vector<zonefile::Diagnostic> diags;
  if (!in.parser.origin) in.parser.origin = discover_origin(in.file, in.parser, diags);
  std::vector<dns::Record> records;
  if (in.parser.origin) records = parse_records(in, diags);
  size_t errors = 0;
  for (const auto& d : diags) {
    if (d.severity == zonefile::Severity::error) ++errors;
    if (quiet && d.severity != zonefile::Severity::error) continue;
    std::fprintf(stderr, "%s\n", d.to_string().c_str());
  }
  if (!in.parser.origin || errors) {
    std::fprintf(stderr, "namae %s: %s: not read due to errors\n", command, in.file.c_str());
    return std::nullopt;
  }
  return records;
}

std::string zone_label(const ZoneInput& in) {
  std::string label = in.parser.origin ? in.parser.origin->to_text() : in.file;
  if (in.parser.origin && label.size() > 1) label.pop_back();
  return label + "/" + dns::class_to_text(in.parser.rclass);
}

}  // namespace namae::cli
