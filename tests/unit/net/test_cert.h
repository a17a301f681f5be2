// A self-signed certificate made in-process with OpenSSL's X509 API, for
// unit tests that run a TLS listener or client on loopback: P-256, valid
// from an hour ago for a day, the name as CN and as subjectAltName DNS
// (RFC 6125 6.4.4: clients check the SAN), the key written mode 0600 as the
// listener requires. Self-signed, so the certificate file is its own CA file.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <string>

namespace namae::net::testing {

inline bool make_self_signed(const std::string& cert_file, const std::string& key_file,
                             const std::string& name = "dns.test") {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key);
  X509_NAME* subject = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(name.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(x, subject);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, ("DNS:" + name).c_str());
  X509_add_ext(x, san, -1);
  X509_EXTENSION_free(san);
  bool ok = X509_sign(x, key, EVP_sha256()) > 0;
  if (FILE* f = std::fopen(cert_file.c_str(), "w")) {
    ok = PEM_write_X509(f, x) == 1 && ok;
    std::fclose(f);
  } else {
    ok = false;
  }
  if (FILE* f = std::fopen(key_file.c_str(), "w")) {
    ::chmod(key_file.c_str(), 0600);
    ok = PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1 && ok;
    std::fclose(f);
  } else {
    ok = false;
  }
  X509_free(x);
  EVP_PKEY_free(key);
  return ok;
}

}  // namespace namae::net::testing
