// libFuzzer target for the transfer reader (src/xfr/reader): the input is a
// stream of messages, each preceded by its 2-octet length as on TCP (RFC
// 1035 4.2.2); the first octet picks AXFR or IXFR. The request's ID is taken
// from the first message so the fuzzer reaches past the header checks.
// Oracle: a finished transfer has the shape the reader promises (a full zone
// starts with its SOA; IXFR steps chain and end at the first SOA's serial),
// and a full zone goes through ZoneBuilder without crashing.
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "dns/message.h"
#include "xfr/reader.h"
#include "zone/builder.h"

using namespace namae;

namespace {

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "xfr reader broke its promise: %s\n", what);
  std::abort();
}

void check(const xfr::XfrResult& res, const dns::Name& zone) {
  using Kind = xfr::XfrResult::Kind;
  if (res.kind == Kind::full) {
    if (res.records.empty() || res.records[0].type != dns::rrtype::SOA) broken("full without SOA");
    zone::ZoneBuilder b(zone);
    for (const auto& r : res.records) (void)b.add(r);
    (void)b.build();
  }
  if (res.kind == Kind::incremental) {
    if (res.steps.empty() || res.steps.back().serial_to != res.serial) broken("chain end");
    for (size_t i = 1; i < res.steps.size(); ++i)
      if (res.steps[i].serial_from != res.steps[i - 1].serial_to) broken("chain link");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  static const dns::Name zone = *dns::Name::from_text("example.");
  const uint16_t qtype = data[0] & 1 ? dns::rrtype::IXFR : dns::rrtype::AXFR;
  size_t pos = 1;
  std::optional<xfr::XfrReader> reader;
  while (pos + 2 <= size) {
    size_t len = size_t{data[pos]} << 8 | data[pos + 1];
    pos += 2;
    if (len > size - pos) len = size - pos;
    std::span<const uint8_t> msg(data + pos, len);
    pos += len;
    dns::MessageView v;
    if (v.parse(msg) != dns::WireError::ok) continue;  // the client drops what does not parse
    if (!reader) reader.emplace(xfr::XfrQuestion{v.header().id, zone, qtype, dns::rrclass::IN});
    if (reader->feed(v) != xfr::XfrReader::Status::more) break;
  }
  if (reader && reader->status() == xfr::XfrReader::Status::done) check(reader->take(), zone);
  return 0;
}
