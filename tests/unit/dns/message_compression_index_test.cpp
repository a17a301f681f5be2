// MessageBuilder's compression table past its first 16 entries, where names
// are found through hash buckets (a zone transfer fills all 256): repeated
// names still become pointers, names differing only in case match, and a
// rollback forgets exactly the entries it removes, so no pointer ever leads
// into rolled-back octets.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dns/message.h"
#include "dns/rrtype.h"

namespace namae::dns {
namespace {

Name N(const std::string& text) { return *Name::from_text(text); }

const std::vector<uint8_t> kA = {192, 0, 2, 1};

std::vector<std::string> owners(const std::vector<uint8_t>& msg) {
  MessageView v;
  EXPECT_EQ(v.parse(msg), WireError::ok);
  std::vector<std::string> out;
  auto c = v.records(Section::answer);
  RecordView rr;
  while (c.next(rr)) out.push_back(v.owner(rr).to_text());
  return out;
}

TEST(MessageBuilderIndex, RepeatedNamesBecomePointersPastTheIndexThreshold) {
  std::vector<uint8_t> buf(65535);
  MessageBuilder b(buf, buf.size());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(b.add_record(N("host" + std::to_string(i) + ".example.net."), rrtype::A, 1, 60, kA));
  size_t before = b.size();
  ASSERT_TRUE(b.add_record(N("HOST57.Example.NET."), rrtype::A, 1, 60, kA));
  EXPECT_EQ(b.size() - before, 2u + 10 + 4) << "the owner is one pointer";
  before = b.size();
  ASSERT_TRUE(b.add_record(N("new.host57.example.net."), rrtype::A, 1, 60, kA));
  EXPECT_EQ(b.size() - before, 4u + 2 + 10 + 4) << "one label, then a pointer";
  buf.resize(b.finish());
  auto got = owners(buf);
  ASSERT_EQ(got.size(), 102u);
  EXPECT_EQ(got[57], "host57.example.net.");
  EXPECT_EQ(got[100], "host57.example.net.");  // the pointer reads the first spelling
  EXPECT_EQ(got[101], "new.host57.example.net.");
}

TEST(MessageBuilderIndex, RollbackForgetsTheRemovedEntriesOnly) {
  std::vector<uint8_t> buf(65535);
  MessageBuilder b(buf, buf.size());
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(b.add_record(N("a" + std::to_string(i) + ".example.net."), rrtype::A, 1, 60, kA));
  auto m = b.mark();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(b.add_record(N("b" + std::to_string(i) + ".example.net."), rrtype::A, 1, 60, kA));
  b.rollback(m);
  // b7 was rolled back: it must be written out again, not pointed at.
  size_t before = b.size();
  ASSERT_TRUE(b.add_record(N("b7.example.net."), rrtype::A, 1, 60, kA));
  EXPECT_EQ(b.size() - before, 3u + 2 + 10 + 4);
  before = b.size();
  ASSERT_TRUE(b.add_record(N("a7.example.net."), rrtype::A, 1, 60, kA));
  EXPECT_EQ(b.size() - before, 2u + 10 + 4) << "entries before the mark are kept";
  // Back below the threshold and up again.
  b.rollback(MessageBuilder::Mark{12, {0, 0, 0, 0}, 0});
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(b.add_record(N("c" + std::to_string(i) + ".example.org."), rrtype::A, 1, 60, kA));
  before = b.size();
  ASSERT_TRUE(b.add_record(N("c29.example.org."), rrtype::A, 1, 60, kA));
  EXPECT_EQ(b.size() - before, 2u + 10 + 4);
  before = b.size();
  ASSERT_TRUE(b.add_record(N("a7.example.net."), rrtype::A, 1, 60, kA));
  EXPECT_EQ(b.size() - before, 16u + 10 + 4) << "nothing of example.net. is left to point at";
  buf.resize(b.finish());
  auto got = owners(buf);
  ASSERT_EQ(got.size(), 32u);
  EXPECT_EQ(got[30], "c29.example.org.");
  EXPECT_EQ(got[31], "a7.example.net.");
}

TEST(MessageBuilderSameOwner, PointsAtTheOwnerOrCopiesItBeyondPointerReach) {
  std::vector<uint8_t> buf(65535);
  MessageBuilder b(buf, buf.size());
  EXPECT_FALSE(b.add_record_same_owner(rrtype::A, 1, 60, kA)) << "no previous record";
  ASSERT_TRUE(b.add_record(N("www.example.net."), rrtype::A, 1, 60, kA));
  size_t before = b.size();
  ASSERT_TRUE(b.add_record_same_owner(rrtype::A, 1, 60, std::vector<uint8_t>{192, 0, 2, 2}));
  EXPECT_EQ(b.size() - before, 2u + 10 + 4);
  // Past 16 KiB: a name whose first label is literal, then records of the same owner.
  const std::vector<uint8_t> big(1000, 'x');
  for (int i = 0; i < 17; ++i) ASSERT_TRUE(b.add_record(N("pad.example.net."), rrtype::NULL_, 1, 60, big));
  ASSERT_GT(b.size(), 0x4000u);
  ASSERT_TRUE(b.add_record(N("far.example.net."), rrtype::A, 1, 60, kA));
  before = b.size();
  ASSERT_TRUE(b.add_record_same_owner(rrtype::TXT, 1, 60, std::vector<uint8_t>{2, 'h', 'i'}));
  EXPECT_EQ(b.size() - before, 4u + 2 + 10 + 3) << "the owner's encoding copied: 'far' and a pointer";
  // A rollback that removes the owner's record forgets it.
  auto m = b.mark();
  ASSERT_TRUE(b.add_record(N("gone.example.net."), rrtype::A, 1, 60, kA));
  b.rollback(m);
  EXPECT_FALSE(b.add_record_same_owner(rrtype::A, 1, 60, kA));
  buf.resize(b.finish());
  auto got = owners(buf);
  ASSERT_EQ(got.size(), 21u);
  EXPECT_EQ(got[1], "www.example.net.");
  EXPECT_EQ(got[20], "far.example.net.");
}

}  // namespace
}  // namespace namae::dns
