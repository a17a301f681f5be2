#include "dns/name.h"

#include <gtest/gtest.h>

#include "dns/wire.h"

using namae::dns::Name;

namespace {
Name N(std::string_view t) {
  auto r = Name::from_text(t);
  EXPECT_TRUE(r.ok()) << t;
  return r.ok() ? r.value() : Name();
}
}  // namespace

TEST(Name, TextRoundTrip) {
  EXPECT_EQ(N("www.Example.COM.").to_text(), "www.Example.COM.");
  EXPECT_EQ(N(".").to_text(), ".");
  EXPECT_EQ(N("a\\.b.c.").label_count(), 2u);
  EXPECT_EQ(N("a\\.b.c.").to_text(), "a\\.b.c.");
  EXPECT_EQ(N("\\065\\000x.").to_text(), "A\\000x.");
  EXPECT_EQ(N("sp\\032ace.").to_text(), "sp\\032ace.");
}

TEST(Name, RelativeAndOrigin) {
  Name origin = N("example.net.");
  auto r = Name::from_text("www", &origin);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->to_text(), "www.example.net.");
  EXPECT_EQ(Name::from_text("@", &origin)->to_text(), "example.net.");
  EXPECT_FALSE(Name::from_text("www").ok());
  EXPECT_EQ(r->to_text_relative(origin), "www");
  EXPECT_EQ(origin.to_text_relative(origin), "@");
}

TEST(Name, Limits) {
  std::string l63(63, 'a'), l64(64, 'a');
  EXPECT_TRUE(Name::from_text(l63 + ".").ok());
  EXPECT_FALSE(Name::from_text(l64 + ".").ok());
  std::string n253;  // 4 labels of 62 + dots = 252 chars + root: wire length 254
  for (int i = 0; i < 4; ++i) n253 += std::string(62, 'b') + ".";
  EXPECT_TRUE(Name::from_text(n253).ok());
  EXPECT_FALSE(Name::from_text("c" + n253).ok() && Name::from_text("cc." + n253).ok());
  EXPECT_FALSE(Name::from_text("a..b.").ok());
  EXPECT_FALSE(Name::from_text("\\256.").ok());
  EXPECT_FALSE(Name::from_text("a\\").ok());
}

TEST(Name, CaseInsensitiveEquality) {
  EXPECT_EQ(N("WWW.example.com."), N("www.EXAMPLE.com."));
  EXPECT_NE(N("www.example.com."), N("ww.example.com."));
  EXPECT_EQ(N("ABC.").hash(), N("abc.").hash());
}

TEST(Name, CanonicalOrderRfc4034) {
  // The example list from RFC 4034 section 6.1, in order.
  const char* ordered[] = {"example.",       "a.example.",       "yljkjljk.a.example.",
                           "Z.a.example.",   "zABC.a.EXAMPLE.",  "z.example.",
                           "\\001.z.example.", "*.z.example.",   "\\200.z.example."};
  for (size_t i = 0; i + 1 < std::size(ordered); ++i) {
    EXPECT_LT(N(ordered[i]), N(ordered[i + 1])) << ordered[i] << " < " << ordered[i + 1];
    EXPECT_LT(N(ordered[i]).lookup_key(), N(ordered[i + 1]).lookup_key()) << ordered[i];
  }
}

TEST(Name, LookupKeyOrderHoldsForZeroAndOneOctets) {
  // A 0 octet inside a label must not look like the label separator.
  const char* ordered[] = {"a.example.", "a\\000.example.", "a\\000\\000.example.",
                           "a\\001.example.", "a\\002.example.", "b.a.example.",
                           "a\\000.b.example."};
  std::vector<Name> names;
  for (auto t : ordered) names.push_back(N(t));
  for (size_t i = 0; i < names.size(); ++i)
    for (size_t j = 0; j < names.size(); ++j)
      EXPECT_EQ(names[i] < names[j], names[i].lookup_key() < names[j].lookup_key())
          << ordered[i] << " vs " << ordered[j];
}

TEST(Name, Hierarchy) {
  Name a = N("a.b.example.");
  EXPECT_TRUE(a.is_subdomain_of(N("EXAMPLE.")));
  EXPECT_TRUE(a.is_subdomain_of(N(".")));
  EXPECT_FALSE(N("example.").is_subdomain_of(a));
  EXPECT_EQ(a.strip_left().to_text(), "b.example.");
  EXPECT_EQ(a.suffix(1).to_text(), "example.");
  EXPECT_TRUE(N("*.example.").is_wildcard());
}

TEST(Wire, CompressedNames) {
  // header(12) + "example.com." at 12, then "www" + pointer to 12 at 25
  std::vector<uint8_t> m(12, 0);
  const uint8_t name[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0};
  m.insert(m.end(), std::begin(name), std::end(name));
  const uint8_t www[] = {3, 'w', 'w', 'w', 0xC0, 12};
  m.insert(m.end(), std::begin(www), std::end(www));
  Name out;
  size_t next = 0;
  ASSERT_EQ(namae::dns::read_name(m, 25, out, next), namae::dns::WireError::ok);
  EXPECT_EQ(out.to_text(), "www.example.com.");
  EXPECT_EQ(next, 31u);
  // A pointer to itself and a forward pointer are rejected.
  std::vector<uint8_t> loop(12, 0);
  loop.push_back(0xC0);
  loop.push_back(12);
  EXPECT_NE(namae::dns::read_name(loop, 12, out, next), namae::dns::WireError::ok);
  std::vector<uint8_t> fwd(12, 0);
  fwd.insert(fwd.end(), {0xC0, 14, 0});
  EXPECT_NE(namae::dns::read_name(fwd, 12, out, next), namae::dns::WireError::ok);
  std::vector<uint8_t> past(12, 0);
  past.insert(past.end(), {0xC0, 200});
  EXPECT_EQ(namae::dns::read_name(past, 12, out, next), namae::dns::WireError::pointer_past_end);
}
