#include "zone/load.h"

#include <utility>

#include "zone/builder.h"
#include "zone/check.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace namae::zone {

namespace {

Result<std::shared_ptr<const ZoneVersion>> load(zonefile::Parser& parser, const std::string& file,
                                                const dns::Name& origin, uint16_t rclass,
                                                std::vector<zonefile::Diagnostic>& diags) {
  ZoneBuilder builder(origin, rclass);
  // A staged record is about as long as its line (key, owner and wire rdata
  // against text); untouched reserved pages cost no memory.
  builder.reserve(parser.input_size() / 16 + 16, parser.input_size() * 2 + 4096);
  zonefile::Record rec;
  size_t errors = 0;
  auto report = [&](zonefile::Severity sev, const std::string& where, uint32_t line,
                    std::string message) {
    zonefile::Diagnostic d;
    d.severity = sev;
    d.file = where;
    d.line = line;
    d.message = std::move(message);
    diags.push_back(std::move(d));
    if (sev == zonefile::Severity::error) ++errors;
  };
  // Builder issues carry a 32-bit tag: the record's line in the low 24 bits
  // and, above them, which file it came from ($INCLUDE), so messages name both.
  std::vector<std::shared_ptr<const std::string>> files;
  const std::string* last_file = nullptr;
  uint32_t last_index = 0;
  auto file_index = [&](const std::shared_ptr<const std::string>& f) -> uint32_t {
    if (f.get() == last_file && last_file) return last_index;
    uint32_t idx = 255;
    for (size_t i = 0; i < files.size(); ++i)
      if (files[i] == f || (files[i] && f && *files[i] == *f)) idx = static_cast<uint32_t>(i);
    if (idx == 255 && files.size() < 255) {
      files.push_back(f);
      idx = static_cast<uint32_t>(files.size() - 1);
    }
    last_file = f.get();
    last_index = idx;
    return idx;
  };
  auto untag = [&](uint32_t tag, std::string& where) -> uint32_t {
    if (tag == 0) {
      where = file;
      return 0;
    }
    uint32_t idx = tag >> 24;
    where = idx < files.size() && files[idx] ? *files[idx] : file;
    return tag & 0xffffff;
  };
  while (parser.next(rec)) {
    uint32_t tag = file_index(rec.file) << 24 | (rec.line & 0xffffff);
    auto added = builder.add(rec.owner, rec.type, rec.ttl, rec.rdata, rec.rclass, tag);
    if (!added)
      report(zonefile::Severity::error, rec.file ? *rec.file : file, rec.line, added.message());
  }
  for (const auto& d : parser.diagnostics()) {
    diags.push_back(d);
    if (d.severity == zonefile::Severity::error) ++errors;
  }
  if (errors)
    return fail(file + ": " + std::to_string(errors) + " error(s) while loading zone " +
                origin.to_text());
  auto built = builder.build();
  std::vector<BuildIssue> checked;
  if (built) check_zone(**built, builder.record_tags(), checked);
  std::string where;
  const std::vector<BuildIssue>& from_builder = builder.issues();
  for (const std::vector<BuildIssue>* list :
       {&from_builder, static_cast<const std::vector<BuildIssue>*>(&checked)})
    for (const auto& i : *list) {
      uint32_t line = untag(i.line, where);
      report(i.severity, where, line, i.message);
    }
  if (!built) return fail(file + ": zone " + origin.to_text() + ": " + built.message());
  if (errors)
    return fail(file + ": zone " + origin.to_text() + ": " + std::to_string(errors) +
                " error(s) in the zone checks");
#if defined(__GLIBC__)
  // The parser's and builder's scratch is freed by now but glibc keeps it in
  // the heap; hand it back so the resident size is the zone, not the load.
  malloc_trim(0);
#endif
  return built;
}

}  // namespace

// The origin/class overloads are the options overloads with default parser options.
static zonefile::ParserOptions options_for(const dns::Name& origin, uint16_t rclass) {
  zonefile::ParserOptions opts;
  opts.origin = origin;
  opts.rclass = rclass;
  return opts;
}

Result<std::shared_ptr<const ZoneVersion>> load_zone_file(const std::string& path,
                                                          const dns::Name& origin,
                                                          std::vector<zonefile::Diagnostic>& diags,
                                                          uint16_t rclass) {
  return load_zone_file(path, options_for(origin, rclass), diags);
}

Result<std::shared_ptr<const ZoneVersion>> load_zone_file(
    const std::string& path, const zonefile::ParserOptions& options,
    std::vector<zonefile::Diagnostic>& diags) {
  if (!options.origin) {
    diags.push_back({zonefile::Severity::error, path, 0, 0, "no zone origin given"});
    return fail(path + ": no zone origin given");
  }
  auto parser = zonefile::Parser::open(path, options);
  if (!parser) {
    diags.push_back({zonefile::Severity::error, path, 0, 0, parser.message()});
    return fail(parser.message());
  }
  return load(**parser, path, *options.origin, options.rclass, diags);
}

Result<std::shared_ptr<const ZoneVersion>> load_zone_text(std::string text,
                                                          const std::string& file_name,
                                                          const dns::Name& origin,
                                                          std::vector<zonefile::Diagnostic>& diags,
                                                          uint16_t rclass) {
  return load_zone_text(std::move(text), file_name, options_for(origin, rclass), diags);
}

Result<std::shared_ptr<const ZoneVersion>> load_zone_text(
    std::string text, const std::string& file_name, const zonefile::ParserOptions& options,
    std::vector<zonefile::Diagnostic>& diags) {
  if (!options.origin) {
    diags.push_back({zonefile::Severity::error, file_name, 0, 0, "no zone origin given"});
    return fail(file_name + ": no zone origin given");
  }
  zonefile::Parser parser(std::move(text), file_name, options);
  return load(parser, file_name, *options.origin, options.rclass, diags);
}

}  // namespace namae::zone
