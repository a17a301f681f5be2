#include "dnssec/sig0.h"

#include <string>

#include "dns/rrtype.h"
#include "dns/wire.h"
#include "dnssec/dnskey.h"

namespace namae::dnssec {
namespace {

constexpr size_t kHeaderArcount = 10;  // offset of ARCOUNT in the header
constexpr size_t kSigFixed = 18;       // SIG rdata before the signer's name
constexpr size_t kRrFixed = 11;        // root owner, type, class, TTL, rdlength

// RFC 2931 3.1: the SIG rdata before the signature (signer's name as sent),
// then the message before the SIG with its ARCOUNT not counting it.
Bytes signed_data(std::span<const uint8_t> rdata_prefix, std::span<const uint8_t> unsigned_msg,
                  uint16_t arcount) {
  Bytes out(rdata_prefix.begin(), rdata_prefix.end());
  const size_t header = out.size();
  out.insert(out.end(), unsigned_msg.begin(), unsigned_msg.end());
  dns::put_u16(&out[header + kHeaderArcount], arcount);
  return out;
}

}  // namespace

Result<std::optional<Sig0>> find_sig0(const dns::MessageView& msg) {
  const uint16_t total = msg.count(dns::Section::additional);
  auto cur = msg.records(dns::Section::additional);
  dns::RecordView rr;
  for (uint16_t i = 0; cur.next(rr); ++i) {
    if (rr.type != dns::rrtype::SIG) continue;
    auto rdata = msg.raw_rdata(rr);
    const bool sig0 = rdata.size() >= 2 && dns::get_u16(rdata.data()) == 0;
    if (!sig0) continue;  // an ordinary SIG (RFC 2535) is data, not ours
    // RFC 2931 3: the last record, owner root, class ANY, TTL 0.
    if (i + 1 != total) return fail("SIG(0) is not the last record");
    if (msg.owner(rr).label_count() != 0) return fail("SIG(0) owner is not the root");
    if (rr.rclass != dns::rrclass::ANY || rr.ttl != 0) return fail("SIG(0) class or TTL is wrong");
    auto fields = parse_rrsig(rdata);
    if (!fields) return fail("SIG(0) rdata is malformed");
    return std::optional<Sig0>(Sig0{rr.owner_offset, rdata, *fields});
  }
  return std::optional<Sig0>();
}

Result<void> verify_sig0(std::span<const uint8_t> msg, const Sig0& sig,
                         std::span<const uint8_t> key, std::optional<uint32_t> now) {
  const RrsigFields& f = sig.fields;
  auto k = parse_dnskey(key);
  if (!k) return fail("the KEY rdata is malformed");
  if (k->algorithm != f.algorithm) return fail("the SIG(0) algorithm is not the key's");
  if (key_tag(key) != f.key_tag) return fail("the SIG(0) key tag is not the key's");
  if (f.labels != 0 || f.original_ttl != 0) return fail("SIG(0) labels or original TTL not 0");
  if (now && !within_validity(f.inception - kSig0Fudge, f.expiration + kSig0Fudge, *now))
    return fail(static_cast<int32_t>(*now + kSig0Fudge - f.inception) < 0
                    ? "the SIG(0) is not yet valid"
                    : "the SIG(0) has expired");
  if (sig.offset < dns::kHeaderSize || sig.offset > msg.size()) return fail("SIG(0) offset");
  auto pub = PublicKey::from_dnskey(k->algorithm, k->key);
  if (!pub) return pub.error();
  const uint16_t arcount = dns::get_u16(msg.data() + kHeaderArcount);
  if (arcount == 0) return fail("SIG(0) not counted");
  auto prefix = sig.rdata.first(sig.rdata.size() - f.signature.size());
  return pub->verify(signed_data(prefix, msg.first(sig.offset), arcount - 1), f.signature);
}

Result<void> sign_sig0(Bytes& msg, const PrivateKey& key, std::span<const uint8_t> key_rdata,
                       const dns::Name& signer, Validity validity) {
  if (msg.size() < dns::kHeaderSize) return fail("message shorter than its header");
  // Type covered 0 (a whole transaction), labels 0, original TTL 0.
  Bytes rdata(kSigFixed);
  rdata[2] = key.algorithm();
  dns::put_u32(&rdata[8], validity.expiration);
  dns::put_u32(&rdata[12], validity.inception);
  dns::put_u16(&rdata[16], key_tag(key_rdata));
  rdata.insert(rdata.end(), signer.wire().begin(), signer.wire().end());
  const uint16_t arcount = dns::get_u16(msg.data() + kHeaderArcount);
  auto signature = key.sign(signed_data(rdata, msg, arcount));
  if (!signature) return signature.error();
  rdata.insert(rdata.end(), signature->begin(), signature->end());
  if (rdata.size() > 0xffff) return fail("SIG(0) too large");
  const size_t rr = msg.size();
  msg.resize(rr + kRrFixed);  // owner: the root; TTL 0
  dns::put_u16(&msg[rr + 1], dns::rrtype::SIG);
  dns::put_u16(&msg[rr + 3], dns::rrclass::ANY);
  dns::put_u16(&msg[rr + 9], static_cast<uint16_t>(rdata.size()));
  msg.insert(msg.end(), rdata.begin(), rdata.end());
  dns::put_u16(&msg[kHeaderArcount], static_cast<uint16_t>(arcount + 1));
  return {};
}

}  // namespace namae::dnssec
