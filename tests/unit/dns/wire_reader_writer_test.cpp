// WireReader and WireWriter: big-endian fields and uncompressed names round
// trip, and neither ever reads or writes past its buffer.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "dns/wire.h"

namespace namae::dns {
namespace {

Name N(const char* text) { return *Name::from_text(text); }

TEST(WireWriter, WritesBigEndianFieldsAndNames) {
  std::array<uint8_t, 32> buf{};
  WireWriter w(buf);
  EXPECT_TRUE(w.u8(0x01));
  EXPECT_TRUE(w.u16(0x0203));
  EXPECT_TRUE(w.u32(0x04050607));
  EXPECT_TRUE(w.name(N("Ab.c.")));
  const uint8_t tail[] = {0xee, 0xff};
  EXPECT_TRUE(w.bytes(tail));
  EXPECT_TRUE(w.bytes({}));
  EXPECT_TRUE(w.ok());
  const std::vector<uint8_t> want = {1, 2, 3, 4, 5, 6, 7, 2, 'A', 'b', 1, 'c', 0, 0xee, 0xff};
  ASSERT_EQ(w.size(), want.size());
  EXPECT_TRUE(std::equal(want.begin(), want.end(), buf.begin()));
}

TEST(WireWriter, RefusesWhatDoesNotFitAndStaysFailed) {
  std::array<uint8_t, 5> buf{};
  WireWriter w(buf);
  EXPECT_TRUE(w.u32(0xaabbccdd));
  EXPECT_FALSE(w.u16(1));  // one octet left: nothing written
  EXPECT_EQ(w.size(), 4u);
  EXPECT_EQ(buf[4], 0);
  EXPECT_FALSE(w.u8(1));  // would fit, but the writer already failed
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.size(), 4u);

  WireWriter empty(std::span<uint8_t>{});
  EXPECT_FALSE(empty.name(Name{}));
  EXPECT_FALSE(empty.ok());
}

TEST(WireReader, ReadsWhatTheWriterWrote) {
  std::array<uint8_t, 64> buf{};
  WireWriter w(buf);
  w.u8(9);
  w.u16(0xbeef);
  w.u32(0xdeadbeef);
  w.name(N("Host.Example."));
  const uint8_t rd[] = {192, 0, 2, 1};
  w.bytes(rd);
  ASSERT_TRUE(w.ok());

  WireReader r(std::span<const uint8_t>(buf.data(), w.size()));
  uint8_t a = 0;
  uint16_t b = 0;
  uint32_t c = 0;
  Name n;
  std::span<const uint8_t> bytes;
  ASSERT_TRUE(r.u8(a) && r.u16(b) && r.u32(c) && r.name(n) && r.bytes(4, bytes));
  EXPECT_EQ(a, 9);
  EXPECT_EQ(b, 0xbeef);
  EXPECT_EQ(c, 0xdeadbeefu);
  EXPECT_EQ(n.to_text(), "Host.Example.");  // case kept
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), rd));
  EXPECT_EQ(bytes.data(), buf.data() + 1 + 2 + 4 + 14);  // a view, not a copy
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_EQ(r.offset(), w.size());
}

TEST(WireReader, NeverReadsPastTheEnd) {
  const uint8_t data[] = {1, 2, 3};
  WireReader r(data);
  uint32_t v32 = 7;
  EXPECT_FALSE(r.u32(v32));
  EXPECT_EQ(v32, 7u);
  EXPECT_EQ(r.offset(), 0u);  // a failed read consumes nothing
  uint16_t v16 = 0;
  EXPECT_TRUE(r.u16(v16));
  EXPECT_EQ(v16, 0x0102);
  std::span<const uint8_t> b;
  EXPECT_FALSE(r.bytes(2, b));
  EXPECT_TRUE(r.bytes(1, b));
  uint8_t v8 = 0;
  EXPECT_FALSE(r.u8(v8));
  EXPECT_FALSE(r.bytes(SIZE_MAX, b));
}

TEST(WireReader, NamesMustBeUncompressedAndComplete) {
  Name n;
  const uint8_t pointer[] = {0xc0, 0x00};
  EXPECT_FALSE(WireReader(pointer).name(n));
  const uint8_t extended[] = {0x41, 0x00};
  EXPECT_FALSE(WireReader(extended).name(n));
  const uint8_t cut[] = {3, 'a', 'b'};
  EXPECT_FALSE(WireReader(cut).name(n));
  const uint8_t root[] = {0};
  WireReader r(root);
  EXPECT_TRUE(r.name(n));
  EXPECT_TRUE(n.is_root());
  EXPECT_EQ(r.remaining(), 0u);
}

}  // namespace
}  // namespace namae::dns
