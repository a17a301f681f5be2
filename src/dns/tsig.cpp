#include "dns/tsig.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>
#include <ctime>

#include "base/clock.h"
#include "dns/message.h"
#include "dns/rrtype.h"
#include "dns/text.h"
#include "dns/wire.h"

namespace namae::dns {

namespace {

struct AlgInfo {
  TsigAlgorithm alg;
  const char* text;      // command-line form
  const char* wire;      // RFC 8945 6 name
  const char* digest;    // OpenSSL digest name
  size_t length;         // HMAC output octets
};

constexpr AlgInfo kAlgs[] = {
    {TsigAlgorithm::hmac_md5, "hmac-md5", "hmac-md5.sig-alg.reg.int.", "MD5", 16},
    {TsigAlgorithm::hmac_sha1, "hmac-sha1", "hmac-sha1.", "SHA1", 20},
    {TsigAlgorithm::hmac_sha224, "hmac-sha224", "hmac-sha224.", "SHA224", 28},
    {TsigAlgorithm::hmac_sha256, "hmac-sha256", "hmac-sha256.", "SHA256", 32},
    {TsigAlgorithm::hmac_sha384, "hmac-sha384", "hmac-sha384.", "SHA384", 48},
    {TsigAlgorithm::hmac_sha512, "hmac-sha512", "hmac-sha512.", "SHA512", 64},
};

const AlgInfo& info(TsigAlgorithm alg) { return kAlgs[static_cast<size_t>(alg)]; }

// Incremental HMAC over OpenSSL 3's EVP_MAC. The HMAC method is fetched once;
// a context per computation keeps this thread-safe.
class Hmac {
 public:
  Hmac(TsigAlgorithm alg, std::span<const uint8_t> secret) {
    static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (!mac) return;
    ctx_ = EVP_MAC_CTX_new(mac);
    if (!ctx_) return;
    char digest[16];
    std::strncpy(digest, info(alg).digest, sizeof digest - 1);
    digest[sizeof digest - 1] = 0;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    // A zero-length key must still be a non-null pointer or OpenSSL reports "no key".
    static const uint8_t empty = 0;
    ok_ = EVP_MAC_init(ctx_, secret.empty() ? &empty : secret.data(), secret.size(), params) == 1;
  }
  ~Hmac() { EVP_MAC_CTX_free(ctx_); }
  Hmac(const Hmac&) = delete;
  Hmac& operator=(const Hmac&) = delete;

  void update(std::span<const uint8_t> data) {
    if (ok_ && !data.empty()) ok_ = EVP_MAC_update(ctx_, data.data(), data.size()) == 1;
  }
  void u16(uint16_t v) {
    uint8_t b[2];
    put_u16(b, v);
    update(b);
  }
  void u48(uint64_t v) {
    uint8_t b[6];
    for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(v >> (8 * (5 - i)));
    update(b);
  }
  bool final(std::vector<uint8_t>& out) {
    if (!ok_) return false;
    out.resize(EVP_MAX_MD_SIZE);
    size_t len = 0;
    if (EVP_MAC_final(ctx_, out.data(), &len, out.size()) != 1) return false;
    out.resize(len);
    return true;
  }

 private:
  EVP_MAC_CTX* ctx_ = nullptr;
  bool ok_ = false;
};

// What the digest covers besides the message itself.
struct DigestInput {
  const std::vector<uint8_t>* prior_mac;  // request MAC / previous MAC, with u16 length
  std::span<const uint8_t> preceding;     // unsigned messages of a stream since the last MAC
  const Name* key_name;
  const Name* algorithm;
  uint64_t time_signed;
  uint16_t fudge;
  uint16_t error;
  std::span<const uint8_t> other;
  bool timers_only;
};

// RFC 8945 4.3: [prior MAC] message TSIG-variables. `header` is the message
// header as it was before the TSIG was added (original ID, ARCOUNT without
// the TSIG); `body` everything after the header up to the TSIG record.
bool compute_mac(TsigAlgorithm alg, std::span<const uint8_t> secret, const uint8_t* header,
                 std::span<const uint8_t> body, const DigestInput& in, std::vector<uint8_t>& out) {
  Hmac h(alg, secret);
  if (in.prior_mac) {
    h.u16(static_cast<uint16_t>(in.prior_mac->size()));
    h.update(*in.prior_mac);
  }
  h.update(in.preceding);
  h.update({header, kHeaderSize});
  h.update(body);
  if (!in.timers_only) {
    h.update(in.key_name->lower().wire());
    h.u16(rrclass::ANY);
    uint8_t ttl[4] = {0, 0, 0, 0};
    h.update(ttl);
    h.update(in.algorithm->lower().wire());
    h.u48(in.time_signed);
    h.u16(in.fudge);
    h.u16(in.error);
    h.u16(static_cast<uint16_t>(in.other.size()));
    h.update(in.other);
  } else {
    h.u48(in.time_signed);
    h.u16(in.fudge);
  }
  return h.final(out);
}

// Constant-time comparison of the first `n` octets.
bool mac_equal(std::span<const uint8_t> a, std::span<const uint8_t> b, size_t n) {
  if (a.size() < n || b.size() < n) return false;
  return CRYPTO_memcmp(a.data(), b.data(), n) == 0;
}

}  // namespace

const Name& tsig_algorithm_name(TsigAlgorithm alg) {
  static const Name* names = [] {
    static Name n[std::size(kAlgs)];
    for (size_t i = 0; i < std::size(kAlgs); ++i) n[i] = Name::from_text(kAlgs[i].wire).value();
    return n;
  }();
  return names[static_cast<size_t>(alg)];
}

const char* tsig_algorithm_text(TsigAlgorithm alg) { return info(alg).text; }

std::optional<TsigAlgorithm> tsig_algorithm_from_text(std::string_view text) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  for (const auto& a : kAlgs) {
    std::string_view wire = a.wire;
    wire.remove_suffix(1);
    if (iequal(text, a.text) || iequal(text, wire)) return a.alg;
  }
  return std::nullopt;
}

std::optional<TsigAlgorithm> tsig_algorithm_from_name(const Name& name) {
  for (const auto& a : kAlgs)
    if (tsig_algorithm_name(a.alg) == name) return a.alg;
  return std::nullopt;
}

size_t tsig_digest_length(TsigAlgorithm alg) { return info(alg).length; }

size_t tsig_min_mac_length(TsigAlgorithm alg) {
  size_t half = (info(alg).length + 1) / 2;
  return half > 10 ? half : 10;
}

Result<TsigKey> TsigKey::parse(std::string_view spec) {
  // [alg:]name:secret. Base64 has no ':', so the last colon ends the name.
  size_t last = spec.rfind(':');
  if (last == std::string_view::npos)
    return fail("TSIG key must be [algorithm:]name:base64-secret");
  std::string_view secret_text = spec.substr(last + 1);
  std::string_view head = spec.substr(0, last);
  TsigKey key;
  size_t first = head.find(':');
  std::string_view name_text = head;
  if (first != std::string_view::npos) {
    std::string_view alg_text = head.substr(0, first);
    name_text = head.substr(first + 1);
    auto alg = tsig_algorithm_from_text(alg_text);
    if (!alg) return fail("unknown TSIG algorithm '" + std::string(alg_text) + "'");
    key.algorithm = *alg;
  }
  if (name_text.empty()) return fail("TSIG key name is empty");
  std::string absolute(name_text);
  if (absolute.back() != '.') absolute.push_back('.');
  auto name = Name::from_text(absolute);
  if (!name) return fail("bad TSIG key name '" + std::string(name_text) + "': " + name.message());
  key.name = *name;
  if (secret_text.empty()) return fail("TSIG secret is empty");
  auto secret = base64_decode(secret_text);
  if (!secret) return fail("TSIG secret is not valid base64: " + secret.message());
  if (secret->empty()) return fail("TSIG secret is empty");
  key.secret = std::move(*secret);
  return key;
}

std::optional<uint64_t> TsigRecord::other_time() const {
  if (other_data.size() != 6) return std::nullopt;
  uint64_t t = 0;
  for (uint8_t b : other_data) t = t << 8 | b;
  return t;
}

std::optional<TsigRecord> tsig_record(const MessageView& msg) {
  if (!msg.has_tsig()) return std::nullopt;
  std::span<const uint8_t> data = msg.data();
  TsigRecord rec;
  size_t pos = 0;
  if (read_name(data, msg.tsig_offset(), rec.key_name, pos) != WireError::ok) return std::nullopt;
  if (pos + 10 > data.size()) return std::nullopt;
  uint16_t type = get_u16(&data[pos]);
  uint16_t rclass = get_u16(&data[pos + 2]);
  uint32_t ttl = get_u32(&data[pos + 4]);
  uint16_t rdlength = get_u16(&data[pos + 8]);
  pos += 10;
  // RFC 8945 4.2: CLASS ANY and TTL 0; anything else is malformed.
  if (type != rrtype::TSIG || rclass != rrclass::ANY || ttl != 0) return std::nullopt;
  size_t end = pos + rdlength;
  if (end > data.size()) return std::nullopt;
  std::span<const uint8_t> bounded = data.first(end);
  if (read_name(bounded, pos, rec.algorithm, pos) != WireError::ok) return std::nullopt;
  if (pos + 10 > end) return std::nullopt;
  rec.time_signed = 0;
  for (int i = 0; i < 6; ++i) rec.time_signed = rec.time_signed << 8 | data[pos + i];
  rec.fudge = get_u16(&data[pos + 6]);
  uint16_t mac_size = get_u16(&data[pos + 8]);
  pos += 10;
  if (pos + mac_size + 6 > end) return std::nullopt;
  rec.mac.assign(data.begin() + pos, data.begin() + pos + mac_size);
  pos += mac_size;
  rec.original_id = get_u16(&data[pos]);
  rec.error = get_u16(&data[pos + 2]);
  uint16_t other_len = get_u16(&data[pos + 4]);
  pos += 6;
  if (pos + other_len != end) return std::nullopt;
  rec.other_data.assign(data.begin() + pos, data.begin() + end);
  return rec;
}

namespace {

// tsig_sign_raw plus the unsigned stream messages the MAC must also cover.
Result<size_t> sign_impl(std::span<uint8_t> buffer, size_t length, const Name& key_name,
                         const Name& algorithm, std::span<const uint8_t> secret,
                         std::optional<TsigAlgorithm> alg, const TsigSignParams& params,
                         std::span<const uint8_t> preceding, std::vector<uint8_t>* mac_out) {
  if (length < kHeaderSize || length > buffer.size()) return fail("message too short to sign");
  if (!params.unsigned_error && !alg) return fail("unsupported TSIG algorithm");
  if (params.other_data.size() > 0xffff) return fail("TSIG other data too long");
  std::vector<uint8_t> mac;
  if (!params.unsigned_error) {
    DigestInput in{params.prior_mac, preceding,    &key_name,          &algorithm,
                   params.time_signed, params.fudge, params.error, params.other_data,
                   params.timers_only};
    if (!compute_mac(*alg, secret, buffer.data(),
                     std::span<const uint8_t>(buffer.data() + kHeaderSize, length - kHeaderSize),
                     in, mac))
      return fail("HMAC computation failed");
  }
  uint16_t arcount = get_u16(&buffer[10]);
  if (arcount == 0xffff) return fail("ARCOUNT overflow");
  size_t rdlength = algorithm.wire_length() + 10 + mac.size() + 6 + params.other_data.size();
  size_t total = key_name.wire_length() + 10 + rdlength;
  if (length + total > buffer.size() || length + total > kMaxMessage)
    return fail("no room for the TSIG record");
  uint8_t* p = buffer.data() + length;
  auto put = [&](std::span<const uint8_t> s) {
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    p += s.size();
  };
  // Key and algorithm names are never compressed (RFC 8945 4.2).
  put(key_name.wire());
  put_u16(p, rrtype::TSIG);
  put_u16(p + 2, rrclass::ANY);
  put_u32(p + 4, 0);
  put_u16(p + 8, static_cast<uint16_t>(rdlength));
  p += 10;
  put(algorithm.wire());
  for (int i = 0; i < 6; ++i) p[i] = static_cast<uint8_t>(params.time_signed >> (8 * (5 - i)));
  put_u16(p + 6, params.fudge);
  put_u16(p + 8, static_cast<uint16_t>(mac.size()));
  p += 10;
  put(mac);
  put_u16(p, get_u16(&buffer[0]));  // original ID = this message's ID
  put_u16(p + 2, params.error);
  put_u16(p + 4, static_cast<uint16_t>(params.other_data.size()));
  p += 6;
  put(params.other_data);
  put_u16(&buffer[10], static_cast<uint16_t>(arcount + 1));
  if (mac_out) *mac_out = std::move(mac);
  return length + total;
}

}  // namespace

Result<size_t> tsig_sign_raw(std::span<uint8_t> buffer, size_t length, const Name& key_name,
                             const Name& algorithm, std::span<const uint8_t> secret,
                             std::optional<TsigAlgorithm> alg, const TsigSignParams& params,
                             std::vector<uint8_t>* mac_out) {
  return sign_impl(buffer, length, key_name, algorithm, secret, alg, params, {}, mac_out);
}

Result<size_t> tsig_sign(std::span<uint8_t> buffer, size_t length, const TsigKey& key,
                         const TsigSignParams& params, std::vector<uint8_t>* mac_out) {
  return tsig_sign_raw(buffer, length, key.name, tsig_algorithm_name(key.algorithm), key.secret,
                       key.algorithm, params, mac_out);
}

Result<void> tsig_sign_request(std::vector<uint8_t>& message, const TsigKey& key,
                               std::vector<uint8_t>* mac_out) {
  size_t len = message.size();
  message.resize(kMaxMessage);
  TsigSignParams params;
  params.time_signed = tsig_now();
  auto n = tsig_sign(message, len, key, params, mac_out);
  message.resize(n ? *n : len);
  if (!n) return n.error();
  return {};
}

const char* tsig_status_text(TsigStatus s) {
  switch (s) {
    case TsigStatus::ok: return "ok";
    case TsigStatus::unsigned_message: return "unsigned";
    case TsigStatus::formerr: return "malformed TSIG";
    case TsigStatus::badkey: return "BADKEY";
    case TsigStatus::badsig: return "BADSIG";
    case TsigStatus::badtime: return "BADTIME";
    case TsigStatus::badtrunc: return "BADTRUNC";
    case TsigStatus::peer_error: return "TSIG error from peer";
  }
  return "unknown";
}

uint16_t TsigVerification::error_code() const {
  switch (status) {
    case TsigStatus::badkey: return rcode::BADKEY;
    case TsigStatus::badsig: return rcode::BADSIG;
    case TsigStatus::badtime: return rcode::BADTIME;
    case TsigStatus::badtrunc: return rcode::BADTRUNC;
    case TsigStatus::peer_error: return record ? record->error : 0;
    default: return 0;
  }
}

uint16_t TsigVerification::reply_rcode() const {
  switch (status) {
    case TsigStatus::formerr: return rcode::FORMERR;
    case TsigStatus::badkey:
    case TsigStatus::badsig:
    case TsigStatus::badtime:
    case TsigStatus::badtrunc: return rcode::NOTAUTH;
    default: return rcode::NOERROR;
  }
}

namespace {

// Checks the MAC of a message whose TSIG parsed as `rec`, signed with `key`.
// Returns ok, formerr (illegal MAC size) or badsig.
TsigStatus check_mac(const MessageView& msg, const TsigRecord& rec, const TsigKey& key,
                     const TsigVerifyParams& params, std::span<const uint8_t> preceding = {}) {
  size_t full = tsig_digest_length(key.algorithm);
  size_t size = rec.mac.size();
  if (size > full || size < tsig_min_mac_length(key.algorithm)) return TsigStatus::formerr;
  // Rebuild the header as the signer saw it: original ID, ARCOUNT without TSIG.
  std::span<const uint8_t> data = msg.data();
  uint8_t header[kHeaderSize];
  std::memcpy(header, data.data(), kHeaderSize);
  put_u16(header, rec.original_id);
  put_u16(header + 10, static_cast<uint16_t>(get_u16(header + 10) - 1));
  DigestInput in{params.prior_mac, preceding,     &rec.key_name,  &rec.algorithm,
                 rec.time_signed,  rec.fudge,     rec.error,      rec.other_data,
                 params.timers_only};
  std::vector<uint8_t> mac;
  if (!compute_mac(key.algorithm, key.secret, header,
                   data.subspan(kHeaderSize, msg.tsig_offset() - kHeaderSize), in, mac))
    return TsigStatus::badsig;
  return mac_equal(mac, rec.mac, size) ? TsigStatus::ok : TsigStatus::badsig;
}

// The verification's start: the TSIG record to check, or no record and the
// verdict already (unsigned, or FORMERR for a TSIG that does not parse).
TsigVerification read_tsig(const MessageView& msg) {
  TsigVerification v;
  if (!msg.has_tsig()) return v;
  v.record = tsig_record(msg);
  if (!v.record) v.status = TsigStatus::formerr;
  return v;
}

bool time_ok(const TsigRecord& rec, uint64_t now) {
  uint64_t diff = now > rec.time_signed ? now - rec.time_signed : rec.time_signed - now;
  return diff <= rec.fudge;
}

}  // namespace

TsigVerification tsig_verify(const MessageView& msg, std::span<const TsigKey> keys,
                             const TsigVerifyParams& params) {
  TsigVerification v = read_tsig(msg);
  if (!v.record) return v;
  const TsigRecord& rec = *v.record;
  auto alg = tsig_algorithm_from_name(rec.algorithm);
  for (const TsigKey& k : keys)
    if (alg && k.algorithm == *alg && k.name == rec.key_name) {
      v.key = &k;
      break;
    }
  if (!v.key) {
    v.status = TsigStatus::badkey;
    return v;
  }
  v.status = check_mac(msg, rec, *v.key, params);
  if (v.status != TsigStatus::ok) return v;
  if (!time_ok(rec, params.now)) {
    v.status = TsigStatus::badtime;
    return v;
  }
  if (params.min_mac_length && rec.mac.size() < params.min_mac_length &&
      rec.mac.size() < tsig_digest_length(v.key->algorithm))
    v.status = TsigStatus::badtrunc;
  return v;
}

TsigVerification tsig_verify_response(const MessageView& msg, const TsigKey& key,
                                      const TsigVerifyParams& params) {
  TsigVerification v = read_tsig(msg);
  if (!v.record) return v;
  const TsigRecord& rec = *v.record;
  auto alg = tsig_algorithm_from_name(rec.algorithm);
  if (!(rec.key_name == key.name) || !alg || *alg != key.algorithm) {
    v.status = TsigStatus::badkey;
    return v;
  }
  v.key = &key;
  // BADKEY/BADSIG replies come unsigned (RFC 8945 5.3.2): nothing to verify.
  if (rec.error != 0 && rec.mac.empty()) {
    v.status = TsigStatus::peer_error;
    return v;
  }
  v.status = check_mac(msg, rec, key, params);
  if (v.status != TsigStatus::ok) return v;
  if (rec.error != 0) {
    v.status = TsigStatus::peer_error;
    return v;
  }
  if (!time_ok(rec, params.now)) v.status = TsigStatus::badtime;
  return v;
}

Result<size_t> tsig_sign_reply(std::span<uint8_t> buffer, size_t length,
                               const TsigVerification& request, uint64_t now,
                               std::vector<uint8_t>* mac_out) {
  if (!request.record) return length;
  const TsigRecord& rec = *request.record;
  TsigSignParams p;
  p.prior_mac = &rec.mac;
  p.time_signed = now;
  p.fudge = rec.fudge;
  switch (request.status) {
    case TsigStatus::unsigned_message:
    case TsigStatus::formerr:
      return length;  // a FORMERR reply carries no TSIG
    case TsigStatus::badkey:
    case TsigStatus::badsig:
      p.unsigned_error = true;
      p.prior_mac = nullptr;
      p.error = request.error_code();
      return tsig_sign_raw(buffer, length, rec.key_name, rec.algorithm, {}, std::nullopt, p,
                           mac_out);
    case TsigStatus::badtime:
      p.error = rcode::BADTIME;
      p.time_signed = rec.time_signed;
      p.other_data.resize(6);
      for (int i = 0; i < 6; ++i) p.other_data[i] = static_cast<uint8_t>(now >> (8 * (5 - i)));
      break;
    case TsigStatus::badtrunc:
      p.error = rcode::BADTRUNC;
      break;
    case TsigStatus::ok:
    case TsigStatus::peer_error:
      break;
  }
  if (!request.key) return fail("no key to sign the reply with");
  return tsig_sign_raw(buffer, length, rec.key_name, rec.algorithm, request.key->secret,
                       request.key->algorithm, p, mac_out);
}

TsigStreamSigner::TsigStreamSigner(const TsigKey& key, std::vector<uint8_t> request_mac,
                                   uint16_t fudge)
    : key_(&key), prior_mac_(std::move(request_mac)), fudge_(fudge) {}

Result<size_t> TsigStreamSigner::sign(std::span<uint8_t> buffer, size_t length, uint64_t now) {
  TsigSignParams p;
  p.time_signed = now;
  p.fudge = fudge_;
  p.prior_mac = &prior_mac_;
  p.timers_only = !first_;
  std::vector<uint8_t> mac;
  auto n = sign_impl(buffer, length, key_->name, tsig_algorithm_name(key_->algorithm),
                     key_->secret, key_->algorithm, p, unsigned_, &mac);
  if (!n) return n;
  prior_mac_ = std::move(mac);
  unsigned_.clear();
  first_ = false;
  return n;
}

void TsigStreamSigner::skip(std::span<const uint8_t> message) {
  unsigned_.insert(unsigned_.end(), message.begin(), message.end());
}

TsigStreamVerifier::TsigStreamVerifier(const TsigKey& key, std::vector<uint8_t> request_mac)
    : key_(&key), prior_mac_(std::move(request_mac)) {}

TsigStatus TsigStreamVerifier::next(const MessageView& msg, uint64_t now) {
  if (status_ != TsigStatus::ok) return status_;
  if (!msg.has_tsig()) {
    // The first message must be signed; later ones may skip, up to 99 in a row.
    if (first_ || unsigned_count_ >= kMaxUnsigned) return status_ = TsigStatus::unsigned_message;
    auto d = msg.data();
    unsigned_.insert(unsigned_.end(), d.begin(), d.end());
    ++unsigned_count_;
    last_signed_ = false;
    return TsigStatus::ok;
  }
  auto rec = tsig_record(msg);
  if (!rec) return status_ = TsigStatus::formerr;
  auto alg = tsig_algorithm_from_name(rec->algorithm);
  if (!(rec->key_name == key_->name) || !alg || *alg != key_->algorithm)
    return status_ = TsigStatus::badkey;
  if (rec->error != 0 && rec->mac.empty()) return status_ = TsigStatus::peer_error;
  TsigVerifyParams p;
  p.prior_mac = &prior_mac_;
  p.timers_only = !first_;
  TsigStatus s = check_mac(msg, *rec, *key_, p, unsigned_);
  if (s != TsigStatus::ok) return status_ = s;
  if (rec->error != 0) return status_ = TsigStatus::peer_error;
  if (!time_ok(*rec, now)) return status_ = TsigStatus::badtime;
  prior_mac_ = std::move(rec->mac);
  unsigned_.clear();
  unsigned_count_ = 0;
  first_ = false;
  last_signed_ = true;
  return TsigStatus::ok;
}

uint64_t tsig_now() { return static_cast<uint64_t>(system_clock().unix_time()); }

}  // namespace namae::dns
