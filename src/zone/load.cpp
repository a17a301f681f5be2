#include "zone/load.h"

#include <utility>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace namae::zone {

namespace {

Result<std::shared_ptr<const ZoneVersion>> load(zonefile::Parser& parser, const std::string& file,
                                                const dns::Name& origin, uint16_t rclass,
                                                std::vector<zonefile::Diagnostic>& diags) {
  ZoneBuilder builder(origin, rclass);
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
  auto file_index = [&](const std::shared_ptr<const std::string>& f) -> uint32_t {
    for (size_t i = 0; i < files.size(); ++i)
      if (files[i] == f || (files[i] && f && *files[i] == *f)) return static_cast<uint32_t>(i);
    if (files.size() >= 255) return 255;
    files.push_back(f);
    return static_cast<uint32_t>(files.size() - 1);
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
  std::string where;
  for (const auto& w : builder.warnings()) {
    uint32_t line = untag(w.line, where);
    report(zonefile::Severity::warning, where, line, w.message);
  }
  for (const auto& e : builder.errors()) {
    uint32_t line = untag(e.line, where);
    report(zonefile::Severity::error, where, line, e.message);
  }
  if (!built) return fail(file + ": zone " + origin.to_text() + ": " + built.message());
#if defined(__GLIBC__)
  // The parser's and builder's scratch is freed by now but glibc keeps it in
  // the heap; hand it back so the resident size is the zone, not the load.
  malloc_trim(0);
#endif
  return built;
}

}  // namespace

Result<std::shared_ptr<const ZoneVersion>> load_zone_file(const std::string& path,
                                                          const dns::Name& origin,
                                                          std::vector<zonefile::Diagnostic>& diags,
                                                          uint16_t rclass) {
  zonefile::ParserOptions opts;
  opts.origin = origin;
  opts.rclass = rclass;
  auto parser = zonefile::Parser::open(path, opts);
  if (!parser) {
    zonefile::Diagnostic d;
    d.file = path;
    d.message = parser.message();
    diags.push_back(d);
    return fail(parser.message());
  }
  return load(**parser, path, origin, rclass, diags);
}

Result<std::shared_ptr<const ZoneVersion>> load_zone_text(std::string text,
                                                          const std::string& file_name,
                                                          const dns::Name& origin,
                                                          std::vector<zonefile::Diagnostic>& diags,
                                                          uint16_t rclass) {
  zonefile::ParserOptions opts;
  opts.origin = origin;
  opts.rclass = rclass;
  zonefile::Parser parser(std::move(text), file_name, opts);
  return load(parser, file_name, origin, rclass, diags);
}

}  // namespace namae::zone
