// DNSSEC's parsers of untrusted input: BIND private-key files (a key
// directory's contents), and RRSIG verification, the resolver validator's
// entry point, with arbitrary RRSIG and DNSKEY rdata (keys of every
// algorithm, signatures of any length). Neither may crash or leak; both
// answer with a reason.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "dnssec/algorithm.h"
#include "dnssec/key_file.h"
#include "dnssec/rrsig.h"

using namespace namae;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const uint8_t mode = data[0];
  std::span<const uint8_t> rest(data + 1, size - 1);
  if (mode & 1) {
    // A private-key file checked against an arbitrary public key field.
    const size_t pub_len = std::min<size_t>(rest[0], rest.size() - 1);
    auto pub = rest.subspan(1, pub_len);
    std::string_view text(reinterpret_cast<const char*>(rest.data() + 1 + pub_len), rest.size() - 1 - pub_len);
    static const dns::Name zone = dns::Name::from_text("example.").value();
    for (uint8_t a : {dnssec::alg::RSASHA256, dnssec::alg::ECDSAP256SHA256, dnssec::alg::ED25519})
      (void)dnssec::parse_private_file(text, zone, 257, pub, a);
    return 0;
  }
  // RRSIG rdata (length-prefixed) then DNSKEY rdata, over a fixed RRset.
  const size_t sig_len = std::min<size_t>(rest[0] << 8 | rest[1], rest.size() - 2);
  auto rrsig = rest.subspan(2, sig_len);
  auto dnskey = rest.subspan(2 + sig_len);
  static const dns::RRset set{dns::Name::from_text("www.example.").value(), 1, 1, 3600, {{192, 0, 2, 1}, {192, 0, 2, 2}}};
  (void)dnssec::verify_rrsig(set, rrsig, dnskey, mode & 2 ? std::optional<uint32_t>(1700000000) : std::nullopt);
  return 0;
}
