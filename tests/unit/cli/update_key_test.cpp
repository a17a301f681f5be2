// `namae key generate`: random secrets of the digest's length, and the text
// forms (TOML, -y, BIND) read back by the parsers that consume them.
#include <gtest/gtest.h>

#include "cli/key_util.h"
#include "cli/nsupdate_parser.h"
#include "dns/text.h"

namespace namae::cli {
namespace {

TEST(KeyGenerate, SecretLengthIsDigestLength) {
  for (auto alg : {dns::TsigAlgorithm::hmac_md5, dns::TsigAlgorithm::hmac_sha1,
                   dns::TsigAlgorithm::hmac_sha224, dns::TsigAlgorithm::hmac_sha256,
                   dns::TsigAlgorithm::hmac_sha384, dns::TsigAlgorithm::hmac_sha512}) {
    auto k = generate_tsig_key("laptop.example", alg);
    ASSERT_TRUE(k.ok()) << k.message();
    EXPECT_EQ(k->secret.size(), dns::tsig_digest_length(alg));
    EXPECT_EQ(k->algorithm, alg);
    EXPECT_EQ(k->name.to_text(), "laptop.example.");
  }
}

TEST(KeyGenerate, SecretsDiffer) {
  auto a = generate_tsig_key("k", dns::TsigAlgorithm::hmac_sha256);
  auto b = generate_tsig_key("k", dns::TsigAlgorithm::hmac_sha256);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->secret, b->secret);
  // Not all zero (RAND_bytes really filled it).
  EXPECT_NE(a->secret, std::vector<uint8_t>(32, 0));
}

TEST(KeyGenerate, BadNames) {
  EXPECT_FALSE(generate_tsig_key("", dns::TsigAlgorithm::hmac_sha256).ok());
  EXPECT_FALSE(generate_tsig_key(".", dns::TsigAlgorithm::hmac_sha256).ok());
  EXPECT_FALSE(generate_tsig_key("a..b", dns::TsigAlgorithm::hmac_sha256).ok());
  EXPECT_FALSE(generate_tsig_key(std::string(64, 'a'), dns::TsigAlgorithm::hmac_sha256).ok());
  EXPECT_TRUE(generate_tsig_key("trailing.dot.", dns::TsigAlgorithm::hmac_sha256).ok());
}

TEST(KeyGenerate, TextFormsRoundTrip) {
  auto k = generate_tsig_key("laptop", dns::TsigAlgorithm::hmac_sha512);
  ASSERT_TRUE(k.ok());
  std::string b64 = dns::base64_encode(k->secret);

  EXPECT_EQ(key_to_toml(*k),
            "[[key]]\nname = \"laptop\"\nalgorithm = \"hmac-sha512\"\nsecret = \"" + b64 + "\"\n");

  std::string y = key_to_y(*k);
  EXPECT_EQ(y, "hmac-sha512:laptop:" + b64);
  auto from_y = dns::TsigKey::parse(y);
  ASSERT_TRUE(from_y.ok());
  EXPECT_EQ(from_y->name, k->name);
  EXPECT_EQ(from_y->algorithm, k->algorithm);
  EXPECT_EQ(from_y->secret, k->secret);

  auto from_bind = parse_key_file(key_to_bind(*k), "laptop.key");
  ASSERT_TRUE(from_bind.ok()) << from_bind.message();
  EXPECT_EQ(from_bind->name, k->name);
  EXPECT_EQ(from_bind->algorithm, k->algorithm);
  EXPECT_EQ(from_bind->secret, k->secret);
}

TEST(KeyGenerate, TomlEscapesQuotes) {
  auto k = generate_tsig_key("we\\\"ird", dns::TsigAlgorithm::hmac_sha256);
  ASSERT_TRUE(k.ok()) << k.message();
  std::string toml = key_to_toml(*k);
  // The presentation form we\"ird. has a backslash and a quote, both escaped.
  EXPECT_NE(toml.find("name = \"we\\\\\\\"ird\""), std::string::npos) << toml;
}

}  // namespace
}  // namespace namae::cli
