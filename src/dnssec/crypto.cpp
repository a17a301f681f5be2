#include "dnssec/crypto.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <cstring>
#include <string>

#include "dnssec/algorithm.h"

namespace namae::dnssec {

void PkeyFree::operator()(evp_pkey_st* p) const { EVP_PKEY_free(p); }

bool can_sign(uint8_t a) {
  return a == alg::RSASHA256 || a == alg::ECDSAP256SHA256 || a == alg::ED25519;
}

bool can_verify(uint8_t a) {
  switch (a) {
    case alg::RSASHA1: case alg::RSASHA1_NSEC3: case alg::RSASHA256: case alg::RSASHA512:
    case alg::ECDSAP256SHA256: case alg::ECDSAP384SHA384: case alg::ED25519: case alg::ED448:
      return true;
    default:
      return false;
  }
}

namespace {

enum class Kind { rsa, ecdsa, eddsa, none };

Kind kind_of(uint8_t a) {
  switch (a) {
    case alg::RSASHA1: case alg::RSASHA1_NSEC3: case alg::RSASHA256: case alg::RSASHA512:
      return Kind::rsa;
    case alg::ECDSAP256SHA256: case alg::ECDSAP384SHA384:
      return Kind::ecdsa;
    case alg::ED25519: case alg::ED448:
      return Kind::eddsa;
    default:
      return Kind::none;
  }
}

// The message digest the algorithm signs with (EdDSA hashes internally: none).
const EVP_MD* digest_of(uint8_t a) {
  static const EVP_MD* sha1 = EVP_sha1();
  static const EVP_MD* sha256 = EVP_sha256();
  static const EVP_MD* sha384 = EVP_sha384();
  static const EVP_MD* sha512 = EVP_sha512();
  switch (a) {
    case alg::RSASHA1: case alg::RSASHA1_NSEC3: return sha1;
    case alg::RSASHA256: case alg::ECDSAP256SHA256: return sha256;
    case alg::ECDSAP384SHA384: return sha384;
    case alg::RSASHA512: return sha512;
    default: return nullptr;
  }
}

// ECDSA integer size: 32 octets for P-256, 48 for P-384 (RFC 6605 4).
size_t ecdsa_size(uint8_t a) { return a == alg::ECDSAP384SHA384 ? 48 : 32; }
const char* ecdsa_group(uint8_t a) { return a == alg::ECDSAP384SHA384 ? "P-384" : "P-256"; }
const char* eddsa_name(uint8_t a) { return a == alg::ED448 ? "ED448" : "ED25519"; }
size_t eddsa_size(uint8_t a) { return a == alg::ED448 ? 57 : 32; }

struct BnFree { void operator()(BIGNUM* b) const { BN_free(b); } };
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
struct CtxFree { void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); } };
struct MdCtxFree { void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); } };
struct BldFree { void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); } };
struct ParamFree { void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); } };
struct SigFree { void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); } };

Bytes bn_bytes(const BIGNUM* b) {
  Bytes out(BN_num_bytes(b));
  BN_bn2bin(b, out.data());
  return out;
}

Result<PkeyPtr> pkey_from_params(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return fail("the public key does not decode");
  return PkeyPtr(key);
}

// RFC 3110 2: exponent length (one octet, or zero then two), exponent, modulus.
Result<PkeyPtr> rsa_public(std::span<const uint8_t> k) {
  if (k.empty()) return fail("empty RSA public key");
  size_t pos = 1, elen = k[0];
  if (elen == 0) {
    if (k.size() < 3) return fail("truncated RSA exponent length");
    elen = size_t{k[1]} << 8 | k[2];
    pos = 3;
  }
  if (elen == 0 || k.size() <= pos + elen) return fail("truncated RSA public key");
  BnPtr e(BN_bin2bn(k.data() + pos, static_cast<int>(elen), nullptr));
  BnPtr n(BN_bin2bn(k.data() + pos + elen, static_cast<int>(k.size() - pos - elen), nullptr));
  if (BN_num_bits(n.get()) < 512 || BN_num_bits(n.get()) > 4096)
    return fail("RSA modulus of " + std::to_string(BN_num_bits(n.get())) + " bits");
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get());
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get());
  return pkey_from_params("RSA", bld.get());
}

// RFC 6605 4: x || y, without the uncompressed-point octet.
Result<PkeyPtr> ecdsa_public(uint8_t a, std::span<const uint8_t> k) {
  if (k.size() != 2 * ecdsa_size(a)) return fail("ECDSA public key of " + std::to_string(k.size()) + " octets");
  Bytes point{0x04};
  point.insert(point.end(), k.begin(), k.end());
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, ecdsa_group(a), 0);
  OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  return pkey_from_params("EC", bld.get());
}

Result<PkeyPtr> eddsa_public(uint8_t a, std::span<const uint8_t> k) {
  if (k.size() != eddsa_size(a)) return fail("EdDSA public key of " + std::to_string(k.size()) + " octets");
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(a == alg::ED448 ? EVP_PKEY_ED448 : EVP_PKEY_ED25519,
                                              nullptr, k.data(), k.size());
  if (!key) return fail("the public key does not decode");
  return PkeyPtr(key);
}

// r || s (RFC 6605 4) to the DER form OpenSSL verifies.
Result<Bytes> ecdsa_der(uint8_t a, std::span<const uint8_t> sig) {
  const size_t n = ecdsa_size(a);
  if (sig.size() != 2 * n) return fail("ECDSA signature of " + std::to_string(sig.size()) + " octets");
  std::unique_ptr<ECDSA_SIG, SigFree> s(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(sig.data(), static_cast<int>(n), nullptr);
  BIGNUM* ss = BN_bin2bn(sig.data() + n, static_cast<int>(n), nullptr);
  if (!s || !r || !ss || ECDSA_SIG_set0(s.get(), r, ss) != 1) {
    BN_free(r);
    BN_free(ss);
    return fail("out of memory");
  }
  const int len = i2d_ECDSA_SIG(s.get(), nullptr);
  Bytes der(len > 0 ? len : 0);
  unsigned char* p = der.data();
  if (len <= 0 || i2d_ECDSA_SIG(s.get(), &p) != len) return fail("bad ECDSA signature");
  return der;
}

// DER ECDSA-Sig-Value from OpenSSL to r || s.
Result<Bytes> ecdsa_raw(uint8_t a, const Bytes& der) {
  const unsigned char* p = der.data();
  std::unique_ptr<ECDSA_SIG, SigFree> s(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!s) return fail("OpenSSL returned an unreadable ECDSA signature");
  const size_t n = ecdsa_size(a);
  Bytes out(2 * n);
  if (BN_bn2binpad(ECDSA_SIG_get0_r(s.get()), out.data(), static_cast<int>(n)) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(s.get()), out.data() + n, static_cast<int>(n)) < 0)
    return fail("ECDSA signature integer too long");
  return out;
}

Result<Bytes> public_key_field(uint8_t a, EVP_PKEY* key) {
  switch (kind_of(a)) {
    case Kind::rsa: {
      BIGNUM *n = nullptr, *e = nullptr;
      if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
          EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
        BN_free(n);
        return fail("not an RSA key");
      }
      BnPtr np(n), ep(e);
      Bytes eb = bn_bytes(e), nb = bn_bytes(n), out;
      if (eb.size() <= 255) {
        out.push_back(static_cast<uint8_t>(eb.size()));
      } else {
        out = {0, static_cast<uint8_t>(eb.size() >> 8), static_cast<uint8_t>(eb.size())};
      }
      out.insert(out.end(), eb.begin(), eb.end());
      out.insert(out.end(), nb.begin(), nb.end());
      return out;
    }
    case Kind::ecdsa: {
      uint8_t buf[1 + 2 * 48];
      size_t len = 0;
      if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof buf, &len) != 1 ||
          len != 1 + 2 * ecdsa_size(a) || buf[0] != 0x04)
        return fail("not an uncompressed ECDSA key of the algorithm's curve");
      return Bytes(buf + 1, buf + len);
    }
    case Kind::eddsa: {
      Bytes out(eddsa_size(a));
      size_t len = out.size();
      if (EVP_PKEY_get_raw_public_key(key, out.data(), &len) != 1 || len != out.size())
        return fail("not an EdDSA key of the algorithm");
      return out;
    }
    case Kind::none:
      break;
  }
  return fail("unsupported algorithm " + std::to_string(a));
}

bool is_kind(uint8_t a, EVP_PKEY* key) {
  switch (kind_of(a)) {
    case Kind::rsa: return EVP_PKEY_is_a(key, "RSA");
    case Kind::ecdsa: {
      char group[64] = {};
      size_t len = 0;
      if (!EVP_PKEY_is_a(key, "EC") ||
          EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) != 1)
        return false;
      const std::string g = group;
      return a == alg::ECDSAP384SHA384 ? (g == "secp384r1" || g == "P-384")
                                       : (g == "prime256v1" || g == "P-256");
    }
    case Kind::eddsa: return EVP_PKEY_is_a(key, eddsa_name(a));
    case Kind::none: break;
  }
  return false;
}

}  // namespace

Result<PublicKey> PublicKey::from_dnskey(uint8_t a, std::span<const uint8_t> key) {
  Result<PkeyPtr> pkey = fail("unsupported algorithm " + std::to_string(a));
  switch (kind_of(a)) {
    case Kind::rsa: pkey = rsa_public(key); break;
    case Kind::ecdsa: pkey = ecdsa_public(a, key); break;
    case Kind::eddsa: pkey = eddsa_public(a, key); break;
    case Kind::none: break;
  }
  if (!pkey) return pkey.error();
  return PublicKey(a, std::move(*pkey));
}

Result<void> PublicKey::verify(std::span<const uint8_t> data, std::span<const uint8_t> sig) const {
  Bytes der;
  if (kind_of(algorithm_) == Kind::ecdsa) {
    auto d = ecdsa_der(algorithm_, sig);
    if (!d) return d.error();
    der = std::move(*d);
    sig = der;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, digest_of(algorithm_), nullptr, key_.get()) != 1)
    return fail("cannot set up verification");
  if (EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), data.data(), data.size()) != 1)
    return fail("the signature does not verify");
  return {};
}

Result<PrivateKey> PrivateKey::generate(uint8_t a, unsigned rsa_bits) {
  if (!can_sign(a)) return fail("cannot generate keys of algorithm " + std::to_string(a));
  EVP_PKEY* key = nullptr;
  switch (kind_of(a)) {
    case Kind::rsa: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{rsa_bits}); break;
    case Kind::ecdsa: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", ecdsa_group(a)); break;
    case Kind::eddsa: key = EVP_PKEY_Q_keygen(nullptr, nullptr, eddsa_name(a)); break;
    case Kind::none: break;
  }
  if (!key) return fail("key generation failed");
  return from_pkey(a, PkeyPtr(key));
}

Result<PrivateKey> PrivateKey::from_pkey(uint8_t a, PkeyPtr key) {
  if (!can_sign(a)) return fail("cannot sign with algorithm " + std::to_string(a));
  if (!key || !is_kind(a, key.get())) return fail("the key is not of algorithm " + std::to_string(a));
  auto pub = public_key_field(a, key.get());
  if (!pub) return pub.error();
  return PrivateKey(a, std::move(key), std::move(*pub));
}

Result<Bytes> PrivateKey::sign(std::span<const uint8_t> data) const {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, digest_of(algorithm_), nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, data.data(), data.size()) != 1)
    return fail("cannot set up signing");
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, data.data(), data.size()) != 1)
    return fail("signing failed");
  sig.resize(len);
  if (kind_of(algorithm_) == Kind::ecdsa) return ecdsa_raw(algorithm_, sig);
  return sig;
}

}  // namespace namae::dnssec

namespace namae::dnssec {
namespace {

// BIND's RSA field names and OpenSSL's parameter for each, in file order.
constexpr std::pair<const char*, const char*> kRsaFields[] = {
    {"Modulus", OSSL_PKEY_PARAM_RSA_N},           {"PublicExponent", OSSL_PKEY_PARAM_RSA_E},
    {"PrivateExponent", OSSL_PKEY_PARAM_RSA_D},   {"Prime1", OSSL_PKEY_PARAM_RSA_FACTOR1},
    {"Prime2", OSSL_PKEY_PARAM_RSA_FACTOR2},      {"Exponent1", OSSL_PKEY_PARAM_RSA_EXPONENT1},
    {"Exponent2", OSSL_PKEY_PARAM_RSA_EXPONENT2}, {"Coefficient", OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
};

const Bytes* field(const PrivateKey::Fields& fields, std::string_view name) {
  for (const auto& [n, v] : fields)
    if (n == name) return &v;
  return nullptr;
}

Result<PkeyPtr> rsa_private(const PrivateKey::Fields& fields) {
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  std::vector<BnPtr> nums;
  for (const auto& [name, param] : kRsaFields) {
    const Bytes* v = field(fields, name);
    if (!v || v->empty()) return fail(std::string("missing ") + name);
    nums.emplace_back(BN_bin2bn(v->data(), static_cast<int>(v->size()), nullptr));
    OSSL_PARAM_BLD_push_BN(bld.get(), param, nums.back().get());
  }
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_KEYPAIR, params.get()) != 1)
    return fail("the RSA private key does not decode");
  return PkeyPtr(key);
}

Result<PkeyPtr> ecdsa_private(uint8_t a, const Bytes& priv, std::span<const uint8_t> pub) {
  if (priv.size() != ecdsa_size(a)) return fail("ECDSA private key of " + std::to_string(priv.size()) + " octets");
  if (pub.size() != 2 * ecdsa_size(a)) return fail("ECDSA public key of the wrong size");
  Bytes point{0x04};
  point.insert(point.end(), pub.begin(), pub.end());
  BnPtr d(BN_bin2bn(priv.data(), static_cast<int>(priv.size()), nullptr));
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, ecdsa_group(a), 0);
  OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get());
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_KEYPAIR, params.get()) != 1)
    return fail("the ECDSA private key does not decode");
  return PkeyPtr(key);
}

}  // namespace

Result<PrivateKey::Fields> PrivateKey::private_fields() const {
  Fields out;
  switch (kind_of(algorithm_)) {
    case Kind::rsa:
      for (const auto& [name, param] : kRsaFields) {
        BIGNUM* b = nullptr;
        if (EVP_PKEY_get_bn_param(key_.get(), param, &b) != 1) return fail(std::string("no ") + name);
        BnPtr bp(b);
        out.emplace_back(name, bn_bytes(b));
      }
      return out;
    case Kind::ecdsa: {
      BIGNUM* b = nullptr;
      if (EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_PRIV_KEY, &b) != 1) return fail("no private key");
      BnPtr bp(b);
      Bytes d(ecdsa_size(algorithm_));
      BN_bn2binpad(b, d.data(), static_cast<int>(d.size()));
      out.emplace_back("PrivateKey", std::move(d));
      return out;
    }
    case Kind::eddsa: {
      Bytes d(eddsa_size(algorithm_));
      size_t len = d.size();
      if (EVP_PKEY_get_raw_private_key(key_.get(), d.data(), &len) != 1) return fail("no private key");
      d.resize(len);
      out.emplace_back("PrivateKey", std::move(d));
      return out;
    }
    case Kind::none:
      break;
  }
  return fail("unsupported algorithm");
}

Result<PrivateKey> PrivateKey::from_fields(uint8_t a, const Fields& fields, std::span<const uint8_t> pub) {
  if (!can_sign(a)) return fail("cannot sign with algorithm " + std::to_string(a));
  Result<PkeyPtr> pkey = fail("unsupported algorithm");
  const Bytes* priv = field(fields, "PrivateKey");
  if (kind_of(a) == Kind::rsa) {
    pkey = rsa_private(fields);
  } else if (!priv) {
    return fail("missing PrivateKey");
  } else if (kind_of(a) == Kind::ecdsa) {
    pkey = ecdsa_private(a, *priv, pub);
  } else {
    EVP_PKEY* k = priv->size() == eddsa_size(a)
                      ? EVP_PKEY_new_raw_private_key(a == alg::ED448 ? EVP_PKEY_ED448 : EVP_PKEY_ED25519,
                                                     nullptr, priv->data(), priv->size())
                      : nullptr;
    if (!k) return fail("EdDSA private key of " + std::to_string(priv->size()) + " octets");
    pkey = PkeyPtr(k);
  }
  if (!pkey) return pkey.error();
  auto key = from_pkey(a, std::move(*pkey));
  if (!key) return key.error();
  // The public half must be the DNSKEY's, and the private half must match it
  // (a check signature is the one test that covers ECDSA's given point too).
  if (key->public_key() != Bytes(pub.begin(), pub.end()))
    return fail("the private key does not belong to the DNSKEY");
  static const uint8_t probe[] = {'n', 'a', 'm', 'a', 'e'};
  auto sig = key->sign(probe);
  auto check = PublicKey::from_dnskey(a, pub);
  if (!sig || !check || !check->verify(probe, *sig)) return fail("the private key does not belong to the DNSKEY");
  return key;
}

}  // namespace namae::dnssec
