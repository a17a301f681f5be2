#include "update/zone_file.h"

#include "base/durable_file.h"
#include "dns/rrtype.h"
#include "zonefile/writer.h"

namespace namae::update {

std::string zone_to_text(const zone::ZoneVersion& z) {
  std::string out = "; zone " + z.origin().to_text() + " serial " + std::to_string(z.serial()) +
                    ", written by namaed from memory (dynamic zone)\n";
  auto records = z.records();
  auto line = [&](const dns::Record& r) {
    out += zonefile::format_record(r);
    out += '\n';
  };
  for (const auto& r : records)
    if (r.type == dns::rrtype::SOA && r.owner == z.origin()) line(r);
  for (const auto& r : records)
    if (!(r.type == dns::rrtype::SOA && r.owner == z.origin())) line(r);
  return out;
}

Result<void> write_zone_file(const std::string& path, const zone::ZoneVersion& z) {
  return write_file_durably(path, zone_to_text(z));
}

}  // namespace namae::update
