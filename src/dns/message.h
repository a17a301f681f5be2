// MessageView (parse in place) and MessageBuilder (write into a caller's
// buffer). Neither allocates: the packet path decodes a query, and writes an
// answer, using only stack objects and the buffers it was handed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/edns.h"
#include "dns/name.h"
#include "dns/rrtype.h"
#include "dns/wire.h"

namespace namae::dns {

inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kMaxMessage = 65535;

/// The fixed 12-octet header, unpacked.
struct Header {
  uint16_t id = 0;
  bool qr = false, aa = false, tc = false, rd = false, ra = false, z = false, ad = false,
       cd = false;
  uint8_t opcode = 0;
  uint8_t rcode = 0;  // low 4 bits; the high 8 are in OPT (see Edns::ext_rcode)
  uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;

  static Header read(const uint8_t* p);
  void write(uint8_t* p) const;
};

/// Sections in message order.
enum class Section : uint8_t { question = 0, answer = 1, authority = 2, additional = 3 };
const char* section_name(Section s);  // "QUESTION", "ANSWER", ...

/// Split a 12-bit rcode between the header (low 4 bits) and OPT (high 8 bits),
/// so BADVERS (16) and friends cannot be written half-way by a caller.
inline void set_full_rcode(uint16_t rc, Header& h, Edns& e) {
  h.rcode = static_cast<uint8_t>(rc & 0x0f);
  e.ext_rcode = static_cast<uint8_t>(rc >> 4);
}

/// One resource record located inside a parsed message. Offsets point into
/// the message; the owner and rdata names may be compressed. For the question
/// section ttl and rdlength are 0 and rdata_offset is just past the question.
struct RecordView {
  Section section = Section::answer;
  size_t owner_offset = 0;
  size_t rdata_offset = 0;
  uint16_t type = 0;
  uint16_t rclass = 0;
  uint32_t ttl = 0;
  uint16_t rdlength = 0;
};

/// A parsed message. parse() checks the whole message once (every name, every
/// count, every rdata against its type, OPT and TSIG placement), so walking it
/// afterwards cannot fail. Holds only a span of the caller's buffer.
class MessageView {
 public:
  /// Parse and validate `msg`. On error the view must not be used (its
  /// counts are zeroed so a walk finds nothing). Empty rdata is accepted only
  /// in UPDATE messages (RFC 2136 prerequisites and deletions).
  WireError parse(std::span<const uint8_t> msg);

  std::span<const uint8_t> data() const { return msg_; }
  const Header& header() const { return header_; }

  /// The first question (most messages have exactly one). Valid if qdcount >= 1.
  const Name& qname() const { return qname_; }
  uint16_t qtype() const { return qtype_; }
  uint16_t qclass() const { return qclass_; }
  /// Offset of the first question's name (for echoing its original case).
  size_t question_offset() const { return kHeaderSize; }
  /// Offset just after the question section.
  size_t question_end() const { return sections_[1]; }
  /// Offset where section `s` starts (for slicing a message without re-walking it).
  size_t section_offset(Section s) const { return sections_[static_cast<int>(s)]; }
  /// Number of records in section `s` (the header counts, all validated).
  uint16_t count(Section s) const {
    const uint16_t c[4] = {header_.qdcount, header_.ancount, header_.nscount, header_.arcount};
    return c[static_cast<int>(s)];
  }

  /// EDNS (from the OPT record) if present.
  const Edns& edns() const { return edns_; }
  /// The TSIG record (last in additional) if present.
  bool has_tsig() const { return tsig_offset_ != 0; }
  const RecordView& tsig() const { return tsig_; }
  /// Offset where the TSIG record starts (the MAC covers everything before it).
  size_t tsig_offset() const { return tsig_offset_; }

  /// Walks the records of one section in order (including OPT/TSIG in additional).
  /// Section::question yields the questions (owner, type, class).
  class Cursor {
   public:
    /// Fill `rr` with the next record; false at the end of the section.
    bool next(RecordView& rr);
   private:
    friend class MessageView;
    const MessageView* view_ = nullptr;
    Section section_ = Section::answer;
    size_t pos_ = 0;
    uint16_t left_ = 0;
  };

  /// Walk the records of section `s`.
  Cursor records(Section s) const;

  /// Decode a record's owner name.
  Name owner(const RecordView& rr) const;
  /// The record's rdata as it sits in the message (names possibly compressed).
  std::span<const uint8_t> raw_rdata(const RecordView& rr) const {
    return msg_.subspan(rr.rdata_offset, rr.rdlength);
  }

 private:
  WireError parse_all(std::span<const uint8_t> msg);

  std::span<const uint8_t> msg_;
  Header header_;
  Name qname_;
  uint16_t qtype_ = 0, qclass_ = 0;
  std::array<size_t, 5> sections_{};  // start offset of each section, [4] = end
  Edns edns_;
  RecordView tsig_;
  size_t tsig_offset_ = 0;
};

/// Writes a message into a caller-owned buffer with name compression.
///
/// Sections must be written in order. add_record() writes nothing and
/// returns false when the record would not fit within the size limit; callers
/// that put whole RRsets use mark()/rollback() and then set_truncated(). Space
/// for an OPT (and a TSIG) record can be reserved up front so it always fits.
///
/// Compression: owners and question names always point at the longest
/// suffix already written (matched case-insensitively); names inside rdata
/// only when rdata::names marks them compressible (RFC 3597 4).
class MessageBuilder {
 public:
  /// `buffer` receives the message; `limit` caps its size (UDP payload size),
  /// at most buffer.size().
  MessageBuilder(std::span<uint8_t> buffer, size_t limit);

  Header& header() { return header_; }

  /// Write the question. Must come before any record (false afterwards or if full).
  bool add_question(const Name& name, uint16_t type, uint16_t rclass);
  /// Copy a question name octet-for-octet from a query (keeps its letter case).
  /// `name_wire` must be an uncompressed wire name; false otherwise.
  bool add_question_raw(std::span<const uint8_t> name_wire, uint16_t type, uint16_t rclass);

  /// Start a section; records that follow go there. Sections only move forward
  /// (a call naming an earlier section is ignored).
  void begin(Section s);
  /// Append one record in the current section (the answer section if begin()
  /// was never called). Rdata is given uncompressed; names in RFC 1035 types'
  /// rdata are compressed. False, and nothing written, if it does not fit.
  bool add_record(const Name& owner, uint16_t type, uint16_t rclass, uint32_t ttl,
                  std::span<const uint8_t> rdata);
  /// The same with the owner as an uncompressed wire name the caller has
  /// validated (a zone node's owner): no Name to build per record.
  bool add_record(std::span<const uint8_t> owner, uint16_t type, uint16_t rclass, uint32_t ttl,
                  std::span<const uint8_t> rdata);
  /// Append a record with the owner of the last record add_record() wrote
  /// (the next RR of an RRset, the next RRset of a name: a zone transfer's
  /// common case): a pointer to that owner, no name lookup. False, and
  /// nothing written, if it does not fit or there is no such record (none
  /// yet, or rolled back).
  bool add_record_same_owner(uint16_t type, uint16_t rclass, uint32_t ttl,
                             std::span<const uint8_t> rdata);

  /// A position to roll back to (so a whole RRset goes in or none of it).
  struct Mark {
    size_t size;
    uint16_t counts[4];
    uint16_t compression_entries;
  };
  /// Remember the current size, counts and compression table.
  Mark mark() const;
  /// Forget everything written after `m` (size, counts, compression entries).
  void rollback(const Mark& m);
  /// Set TC (RFC 2181 9: only when required data, answer or authority, did not fit).
  void set_truncated() { header_.tc = true; }

  /// Keep `bytes` free at the end for records added by add_opt/append_raw_tail.
  void reserve(size_t bytes) { reserved_ += bytes; }
  /// Give reserved space back (add_opt/append_raw_tail release what they use).
  void release(size_t bytes) { reserved_ -= bytes < reserved_ ? bytes : reserved_; }
  size_t reserved() const { return reserved_; }

  /// Append the OPT record in additional (always last before TSIG): root owner,
  /// CLASS = udp_size, TTL = ext_rcode<<24 | version<<16 | DO<<15 | z, then
  /// `edns.options` verbatim. May use reserved space, and releases what it used.
  bool add_opt(const Edns& edns);
  /// Append one complete, uncompressed resource record (e.g. a TSIG record
  /// signed over the finished message) to additional. May use reserved space.
  bool append_raw_tail(std::span<const uint8_t> record);

  /// Write the header with the final counts; returns the message length
  /// (0 if the buffer cannot even hold a header). Adding more afterwards and
  /// calling finish() again is allowed.
  size_t finish();

  size_t size() const { return size_; }
  size_t limit() const { return limit_; }
  uint16_t count(Section s) const { return counts_[static_cast<int>(s)]; }
  std::span<uint8_t> buffer() { return buf_; }

 private:
  // Write an uncompressed wire name (validated by the caller), compressing it
  // against the table when `compress`; registers its literal labels.
  bool write_name(const uint8_t* wire, size_t len, bool compress);
  // True when the name at buffer offset `off` (possibly ending in a pointer)
  // equals the uncompressed `wire`, ASCII case-insensitively.
  bool same_name(size_t off, const uint8_t* wire) const;
  bool room(size_t n) const { return size_ + n + reserved_ <= limit_; }

  std::span<uint8_t> buf_;
  size_t limit_;
  size_t size_ = kHeaderSize;
  size_t reserved_ = 0;
  Header header_;
  uint16_t counts_[4] = {0, 0, 0, 0};
  Section section_ = Section::question;

  // Compression table: offsets of names (and their suffixes) already written.
  static constexpr size_t kMaxCompression = 256;
  std::array<uint16_t, kMaxCompression> comp_offsets_{};
  // The hash of each entry's name (write_name). Past kIndexAfter entries (a
  // zone transfer's 64 KiB messages fill all 256) they are also chained in
  // hash buckets, newest first, so a lookup walks one short chain instead of
  // every entry. Only [0, comp_count_) and, once indexed, the buckets are
  // set: nothing is cleared per message on the query path.
  static constexpr size_t kIndexAfter = 16;
  static constexpr size_t kBuckets = 256;
  std::array<uint32_t, kMaxCompression> comp_hashes_;
  std::array<uint16_t, kMaxCompression> comp_next_;  // entry + 1 of the next older in the bucket, 0: none
  std::array<uint16_t, kBuckets> comp_heads_;        // newest entry + 1 of each bucket, 0: empty
  bool comp_indexed_ = false;
  uint16_t comp_count_ = 0;

  // Type, class, TTL and rdata after an owner already written at [size0, size_).
  bool add_record_body(size_t size0, uint16_t comp0, uint16_t type, uint16_t rclass, uint32_t ttl,
                       std::span<const uint8_t> rdata);
  // Where the owner of the last add_record() starts and its encoded length (0: none).
  uint16_t owner_at_ = 0;
  uint16_t owner_len_ = 0;
  size_t last_owner_end_ = 0;  // end of the owner of the last record body written

  // The entry holding the name `suffix` (whose hash is `hash`), or -1.
  int find_entry(uint32_t hash, const uint8_t* suffix) const;
  void add_entry(uint16_t offset, uint32_t hash);
  void link_entry(size_t e);
  // Forget the entries from `count` on (rollback).
  void truncate_entries(uint16_t count);
};

}  // namespace namae::dns
