// libFuzzer target for DSO messages (RFC 8490) and DNS Push TLVs (RFC 8765),
// src/dns/dso alone. Every TLV of a message that parses is read as each
// TLV body it could be; what reads back is written again and must parse to
// the same values.
// Oracle: TLV views lie inside the input; a SUBSCRIBE or PUSH change that
// reads is rebuilt by the Writer and reads back equal.
#include <cstdio>
#include <cstdlib>

#include "dns/dso.h"

using namespace namae::dns;
using namespace namae::dns::dso;

namespace {

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "dso broke its promise: %s\n", what);
  std::abort();
}

void check_subscribe(std::span<const uint8_t> data) {
  Question q;
  if (!read_subscribe(data, q)) return;
  Writer w(1, false);
  if (!w.subscribe(q)) broken("a SUBSCRIBE that read does not write");
  auto bytes = w.take();
  Message m;
  Question back;
  if (parse(bytes, m) != Error::ok || !read_subscribe(m.primary()->data, back) || !(back == q))
    broken("SUBSCRIBE round trip");
}

void check_push(std::span<const uint8_t> data) {
  std::vector<PushRecord> changes;
  if (!read_push(data, changes)) return;
  Writer w(0, false);
  w.begin_push();
  for (const auto& c : changes)
    if (!w.push_change(c)) broken("a PUSH that read does not write");
  w.end_push();
  auto bytes = w.take();
  Message m;
  std::vector<PushRecord> back;
  if (parse(bytes, m) != Error::ok || !read_push(m.primary()->data, back) || back.size() != changes.size())
    broken("PUSH round trip");
  for (size_t i = 0; i < back.size(); ++i)
    if (back[i].change != changes[i].change || !back[i].record.same_set(changes[i].record))
      broken("PUSH change differs");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  Message m;
  if (parse(in, m) != Error::ok) return 0;
  for (const Tlv& t : m.tlvs) {
    if (t.data.data() < data || t.data.data() + t.data.size() > data + size) broken("TLV outside the input");
    Keepalive k;
    uint32_t ms;
    uint16_t id;
    Record r;
    (void)read_keepalive(t.data, k);
    (void)read_retry_delay(t.data, ms);
    (void)read_unsubscribe(t.data, id);
    (void)read_reconfirm(t.data, r);
    check_subscribe(t.data);
    check_push(t.data);
  }
  return 0;
}
