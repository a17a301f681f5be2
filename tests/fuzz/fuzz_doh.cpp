// libFuzzer target for DNS over HTTPS input (src/net/doh_request and
// src/net/doh_session). The first octet picks the mode:
//  - even: a request head and body for doh::parse_request (method, path and
//    content type are the first three NUL-terminated strings, the rest the
//    body), plus base64url_decode and max_age on the same octets;
//  - odd: raw bytes after the HTTP/2 client preface into a DohSession, whose
//    queries are answered at once with their own octets (as an echoing
//    handler would), then its output drained.
// Oracle: a 200 carries a message of DNS-header size up to 65535 octets, any
// other status no message; a decoded base64url string is 3/4 of its length.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "net/doh_request.h"
#include "net/doh_session.h"

using namespace namae::net;

namespace {

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "doh broke its promise: %s\n", what);
  std::abort();
}

std::string_view next_string(std::string_view& in) {
  size_t z = in.find('\0');
  std::string_view s = in.substr(0, z);
  in = z == std::string_view::npos ? std::string_view{} : in.substr(z + 1);
  return s;
}

void fuzz_request(std::string_view in) {
  std::string_view all = in;
  doh::RequestHead head;
  head.method = next_string(in);
  head.path = next_string(in);
  head.content_type = next_string(in);
  std::span<const uint8_t> body(reinterpret_cast<const uint8_t*>(in.data()), in.size());
  auto r = doh::parse_request(head, body, in.size() > 40000);
  if (r.status == 200 && (r.query.size() < 12 || r.query.size() > doh::kMaxMessage)) broken("200 with a bad size");
  if (r.status != 200 && !r.query.empty()) broken("refusal with a message");
  if (auto d = doh::base64url_decode(all); d && d->size() != all.size() * 3 / 4) broken("base64url length");
  (void)doh::max_age(body);
}

void fuzz_session(std::span<const uint8_t> in) {
  static const std::string_view preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  auto s = DohSession::create(8);
  if (!s) return;
  std::vector<uint8_t> out;
  s->receive({reinterpret_cast<const uint8_t*>(preface.data()), preface.size()});
  // Fed in two pieces, so a frame split across reads is exercised.
  size_t half = in.size() / 2;
  for (auto piece : {in.subspan(0, half), in.subspan(half)}) {
    if (!s->receive(piece)) break;
    for (auto& q : s->take_queries()) s->respond(q.stream, q.message);
    if (!s->send(out)) break;
  }
  s->refuse(1, 400);
  (void)s->send(out);
  (void)s->done();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if (data[0] % 2 == 0) fuzz_request({reinterpret_cast<const char*>(data + 1), size - 1});
  else fuzz_session({data + 1, size - 1});
  return 0;
}
