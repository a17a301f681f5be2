// MessageView validates a whole message in one pass without allocating, so
// everything after parse() may walk it unchecked; MessageBuilder writes
// straight into the caller's buffer with a small fixed compression table.
#include "dns/message.h"

#include <algorithm>
#include <cstring>

#include "dns/rdata.h"

namespace namae::dns {

Header Header::read(const uint8_t* p) {
  Header h;
  h.id = get_u16(p);
  uint8_t f1 = p[2], f2 = p[3];
  h.qr = f1 & 0x80;
  h.opcode = (f1 >> 3) & 0x0f;
  h.aa = f1 & 0x04;
  h.tc = f1 & 0x02;
  h.rd = f1 & 0x01;
  h.ra = f2 & 0x80;
  h.z = f2 & 0x40;
  h.ad = f2 & 0x20;
  h.cd = f2 & 0x10;
  h.rcode = f2 & 0x0f;
  h.qdcount = get_u16(p + 4);
  h.ancount = get_u16(p + 6);
  h.nscount = get_u16(p + 8);
  h.arcount = get_u16(p + 10);
  return h;
}

void Header::write(uint8_t* p) const {
  put_u16(p, id);
  p[2] = static_cast<uint8_t>((qr ? 0x80 : 0) | (opcode & 0x0f) << 3 | (aa ? 0x04 : 0) |
                              (tc ? 0x02 : 0) | (rd ? 0x01 : 0));
  p[3] = static_cast<uint8_t>((ra ? 0x80 : 0) | (z ? 0x40 : 0) | (ad ? 0x20 : 0) | (cd ? 0x10 : 0) |
                              (rcode & 0x0f));
  put_u16(p + 4, qdcount);
  put_u16(p + 6, ancount);
  put_u16(p + 8, nscount);
  put_u16(p + 10, arcount);
}

const char* section_name(Section s) {
  switch (s) {
    case Section::question:
      return "QUESTION";
    case Section::answer:
      return "ANSWER";
    case Section::authority:
      return "AUTHORITY";
    case Section::additional:
      return "ADDITIONAL";
  }
  return "?";
}

namespace {

// Skip a name that parse() has already validated: stop after the root octet
// or the first pointer.
inline size_t skip_valid_name(const uint8_t* m, size_t pos) {
  for (;;) {
    uint8_t l = m[pos];
    if (l == 0) return pos + 1;
    if ((l & 0xC0) == 0xC0) return pos + 2;
    pos += 1 + l;
  }
}

// True when the (validated) name at `pos` decompresses to the root.
inline bool name_is_root(const uint8_t* m, size_t pos) {
  while ((m[pos] & 0xC0) == 0xC0) pos = static_cast<size_t>(m[pos] & 0x3F) << 8 | m[pos + 1];
  return m[pos] == 0;
}

}  // namespace

WireError MessageView::parse(std::span<const uint8_t> msg) {
  WireError e = parse_all(msg);
  if (e != WireError::ok) {
    // Make accidental use of a rejected message harmless: nothing to walk.
    header_.qdcount = header_.ancount = header_.nscount = header_.arcount = 0;
    msg_ = {};
    sections_ = {};
  }
  return e;
}

WireError MessageView::parse_all(std::span<const uint8_t> msg) {
  msg_ = msg;
  edns_ = Edns{};
  tsig_ = RecordView{};
  tsig_offset_ = 0;
  qtype_ = qclass_ = 0;
  sections_ = {};
  if (msg.size() < kHeaderSize) return WireError::truncated;
  const uint8_t* m = msg.data();
  const size_t n = msg.size();
  header_ = Header::read(m);

  size_t pos = kHeaderSize;
  sections_[0] = pos;
  if (header_.qdcount == 0) qname_ = Name();
  for (uint32_t i = 0; i < header_.qdcount; ++i) {
    size_t next = 0;
    WireError e = i == 0 ? read_name(msg, pos, qname_, next) : skip_name(msg, pos, next);
    if (e != WireError::ok) return e;
    if (next + 4 > n) return WireError::truncated;
    if (i == 0) {
      qtype_ = get_u16(m + next);
      qclass_ = get_u16(m + next + 2);
    }
    pos = next + 4;
  }

  const uint16_t counts[3] = {header_.ancount, header_.nscount, header_.arcount};
  bool seen_opt = false;
  for (int s = 1; s <= 3; ++s) {
    sections_[s] = pos;
    const uint32_t count = counts[s - 1];
    for (uint32_t i = 0; i < count; ++i) {
      const size_t owner = pos;
      size_t next = 0;
      WireError e = skip_name(msg, pos, next);
      if (e != WireError::ok) return e;
      if (next + 10 > n) return WireError::truncated;
      const uint16_t type = get_u16(m + next);
      const uint16_t rclass = get_u16(m + next + 2);
      const uint32_t ttl = get_u32(m + next + 4);
      const uint16_t rdlength = get_u16(m + next + 8);
      const size_t rd = next + 10;
      if (rd + rdlength > n) return WireError::truncated;

      if (type == rrtype::OPT) {
        // RFC 6891 6.1.1: one OPT, in additional, owned by the root.
        if (s != 3 || seen_opt || !name_is_root(m, owner)) return WireError::bad_opt;
        auto options = msg.subspan(rd, rdlength);
        if (!edns_options_valid(options)) return WireError::bad_opt;
        seen_opt = true;
        edns_.present = true;
        edns_.udp_size = rclass;
        edns_.ext_rcode = static_cast<uint8_t>(ttl >> 24);
        edns_.version = static_cast<uint8_t>(ttl >> 16);
        edns_.do_bit = ttl & 0x8000;
        edns_.z = static_cast<uint16_t>(ttl & 0x7fff);
        edns_.options = options;
      } else {
        if (type == rrtype::TSIG) {
          // RFC 8945 5.1: exactly one, the last record of additional, class
          // ANY. Being last in the last section also rules out a second one.
          if (s != 3 || i + 1 != count || rclass != rrclass::ANY) return WireError::bad_tsig;
          tsig_offset_ = owner;
          tsig_ = RecordView{Section::additional, owner, rd, type, rclass, ttl, rdlength};
        }
        // RFC 2136 2.4/2.5: UPDATE prerequisites and deletions carry empty
        // rdata for any type (class ANY/NONE); BIND accepts empty rdata in
        // every UPDATE record and leaves the meaning to the update engine.
        const bool empty_update = rdlength == 0 && header_.opcode == opcode::UPDATE;
        if (!empty_update) {
          e = rdata::check(type, msg, rd, rdlength);
          if (e != WireError::ok) return e;
        }
      }
      pos = rd + rdlength;
    }
  }
  sections_[4] = pos;
  // BIND answers FORMERR to octets after the last counted record; so do we,
  // rather than silently ignoring data a sender thought was meaningful.
  if (pos != n) return WireError::trailing_data;
  return WireError::ok;
}

MessageView::Cursor MessageView::records(Section s) const {
  Cursor c;
  c.view_ = this;
  c.section_ = s;
  c.pos_ = sections_[static_cast<int>(s)];
  c.left_ = count(s);
  return c;
}

bool MessageView::Cursor::next(RecordView& rr) {
  if (left_ == 0 || view_ == nullptr) return false;
  --left_;
  const uint8_t* m = view_->msg_.data();
  size_t next = skip_valid_name(m, pos_);
  rr.section = section_;
  rr.owner_offset = pos_;
  rr.type = get_u16(m + next);
  rr.rclass = get_u16(m + next + 2);
  if (section_ == Section::question) {
    rr.ttl = 0;
    rr.rdlength = 0;
    rr.rdata_offset = next + 4;
    pos_ = next + 4;
  } else {
    rr.ttl = get_u32(m + next + 4);
    rr.rdlength = get_u16(m + next + 8);
    rr.rdata_offset = next + 10;
    pos_ = rr.rdata_offset + rr.rdlength;
  }
  return true;
}

Name MessageView::owner(const RecordView& rr) const {
  Name out;
  size_t next = 0;
  if (read_name(msg_, rr.owner_offset, out, next) != WireError::ok) return Name();
  return out;
}

// ---------------------------------------------------------------------------
// MessageBuilder

namespace {

// Validate an uncompressed wire name occupying exactly `len` octets.
bool valid_plain_name(const uint8_t* w, size_t len) {
  if (len == 0 || len > Name::kMaxWire) return false;
  size_t p = 0;
  while (p < len) {
    uint8_t l = w[p];
    if (l == 0) return p + 1 == len;
    if (l > Name::kMaxLabel) return false;
    p += 1 + l;
  }
  return false;
}

}  // namespace

MessageBuilder::MessageBuilder(std::span<uint8_t> buffer, size_t limit)
    : buf_(buffer), limit_(std::min({limit, buffer.size(), kMaxMessage})) {}

bool MessageBuilder::same_name(size_t off, const uint8_t* w) const {
  const uint8_t* b = buf_.data();
  for (;;) {
    uint8_t l = b[off];
    while ((l & 0xC0) == 0xC0) {
      off = static_cast<size_t>(l & 0x3F) << 8 | b[off + 1];
      l = b[off];
    }
    if (l != *w) return false;
    if (l == 0) return true;
    for (size_t i = 1; i <= l; ++i)
      if (ascii_lower(b[off + i]) != ascii_lower(w[i])) return false;
    off += 1 + l;
    w += 1 + l;
  }
}

int MessageBuilder::find_entry(uint32_t hash, const uint8_t* suffix) const {
  if (comp_indexed_) {
    for (uint16_t v = comp_heads_[hash % kBuckets]; v; v = comp_next_[v - 1u]) {
      const size_t e = v - 1u;
      if (comp_hashes_[e] == hash && same_name(comp_offsets_[e], suffix)) return static_cast<int>(e);
    }
    return -1;
  }
  for (size_t e = 0; e < comp_count_; ++e)
    if (comp_hashes_[e] == hash && same_name(comp_offsets_[e], suffix)) return static_cast<int>(e);
  return -1;
}

void MessageBuilder::link_entry(size_t e) {
  uint16_t& head = comp_heads_[comp_hashes_[e] % kBuckets];
  comp_next_[e] = head;
  head = static_cast<uint16_t>(e + 1);
}

void MessageBuilder::add_entry(uint16_t offset, uint32_t hash) {
  const size_t e = comp_count_++;
  comp_offsets_[e] = offset;
  comp_hashes_[e] = hash;
  if (comp_indexed_) {
    link_entry(e);
  } else if (comp_count_ > kIndexAfter) {
    comp_heads_.fill(0);
    for (size_t k = 0; k < comp_count_; ++k) link_entry(k);
    comp_indexed_ = true;
  }
}

void MessageBuilder::truncate_entries(uint16_t count) {
  if (comp_indexed_ && count <= kIndexAfter) {
    comp_indexed_ = false;
  } else if (comp_indexed_) {
    // Newest first: each removed entry is then the head of its bucket.
    for (size_t e = comp_count_; e-- > count;) comp_heads_[comp_hashes_[e] % kBuckets] = comp_next_[e];
  }
  comp_count_ = count;
}

bool MessageBuilder::write_name(const uint8_t* w, size_t len, bool compress) {
  // Label starts of the uncompressed name (at most 127 labels fit in 255 octets).
  uint8_t starts[Name::kMaxLabels];
  size_t labels = 0;
  for (size_t p = 0; w[p] != 0; p += 1 + w[p]) starts[labels++] = static_cast<uint8_t>(p);

  size_t literal = len - 1;  // octets written before the pointer or root octet
  size_t target = SIZE_MAX;
  uint32_t hashes[Name::kMaxLabels];
  if (compress) {
    // A case-insensitive hash of each suffix, right to left, so an entry is
    // walked only when its hash matches: a full table (a zone transfer's
    // 64 KiB messages) costs one integer compare per entry, not a name walk.
    uint32_t h = 0x811c9dc5u;
    for (size_t i = labels; i-- > 0;) {
      const uint8_t* label = w + starts[i];
      for (size_t k = 0; k <= label[0]; ++k) h = (h ^ ascii_lower(label[k])) * 0x01000193u;
      hashes[i] = h;
    }
    // Longest suffix first: the first suffix that matches any entry wins
    // (entries are distinct names, so at most one entry matches a suffix).
    for (size_t i = 0; i < labels && target == SIZE_MAX; ++i) {
      const uint8_t* suffix = w + starts[i];
      int e = find_entry(hashes[i], suffix);
      if (e >= 0) {
        target = comp_offsets_[static_cast<size_t>(e)];
        literal = starts[i];
      }
    }
  }
  const size_t need = literal + (target != SIZE_MAX ? 2 : 1);
  if (!room(need)) return false;
  uint8_t* out = buf_.data() + size_;
  std::memcpy(out, w, literal);
  if (target != SIZE_MAX) {
    put_u16(out + literal, static_cast<uint16_t>(0xC000 | target));
  } else {
    out[literal] = 0;
  }
  if (compress) {
    // Register each literal suffix; pointers can only reach the first 16 KiB.
    for (size_t i = 0; i < labels && starts[i] < literal; ++i) {
      size_t off = size_ + starts[i];
      if (off > 0x3FFF || comp_count_ >= kMaxCompression) break;
      add_entry(static_cast<uint16_t>(off), hashes[i]);
    }
  }
  size_ += need;
  return true;
}

bool MessageBuilder::add_question(const Name& name, uint16_t type, uint16_t rclass) {
  auto w = name.wire();
  return add_question_raw(w, type, rclass);
}

bool MessageBuilder::add_question_raw(std::span<const uint8_t> name_wire, uint16_t type,
                                      uint16_t rclass) {
  if (section_ != Section::question || counts_[0] == 0xffff) return false;
  if (!valid_plain_name(name_wire.data(), name_wire.size())) return false;
  const size_t size0 = size_;
  const uint16_t comp0 = comp_count_;
  if (!write_name(name_wire.data(), name_wire.size(), true) || !room(4)) {
    size_ = size0;
    truncate_entries(comp0);
    return false;
  }
  put_u16(buf_.data() + size_, type);
  put_u16(buf_.data() + size_ + 2, rclass);
  size_ += 4;
  ++counts_[0];
  return true;
}

void MessageBuilder::begin(Section s) {
  if (s > section_) section_ = s;
}

bool MessageBuilder::add_record(const Name& owner, uint16_t type, uint16_t rclass, uint32_t ttl,
                                std::span<const uint8_t> rdata) {
  return add_record(owner.wire(), type, rclass, ttl, rdata);
}

bool MessageBuilder::add_record(std::span<const uint8_t> owner, uint16_t type, uint16_t rclass,
                                uint32_t ttl, std::span<const uint8_t> rdata) {
  if (section_ == Section::question) section_ = Section::answer;
  if (rdata.size() > 0xffff || counts_[static_cast<int>(section_)] == 0xffff) return false;
  const size_t size0 = size_;
  const uint16_t comp0 = comp_count_;
  owner_len_ = 0;
  if (!write_name(owner.data(), owner.size(), true)) {
    truncate_entries(comp0);
    return false;
  }
  if (!add_record_body(size0, comp0, type, rclass, ttl, rdata)) return false;
  // The owner's encoding, for add_record_same_owner (offsets fit: messages are at most 64 KiB).
  owner_at_ = static_cast<uint16_t>(size0);
  owner_len_ = static_cast<uint16_t>(last_owner_end_ - size0);
  return true;
}

bool MessageBuilder::add_record_same_owner(uint16_t type, uint16_t rclass, uint32_t ttl,
                                           std::span<const uint8_t> rdata) {
  if (owner_len_ == 0 || rdata.size() > 0xffff || counts_[static_cast<int>(section_)] == 0xffff)
    return false;
  const size_t size0 = size_;
  const uint8_t* prev = buf_.data() + owner_at_;
  // A pointer to the previous owner when in reach (a pointer there is copied
  // instead: no pointer leads to another), else a copy of its encoding.
  const bool is_pointer = (prev[0] & 0xC0) == 0xC0;
  const size_t len = is_pointer || owner_at_ > 0x3FFF ? owner_len_ : 2;
  if (!room(len)) return false;
  if (len == 2 && !is_pointer) {
    put_u16(buf_.data() + size_, static_cast<uint16_t>(0xC000 | owner_at_));
  } else {
    std::memmove(buf_.data() + size_, prev, len);
  }
  size_ += len;
  return add_record_body(size0, comp_count_, type, rclass, ttl, rdata);
}

bool MessageBuilder::add_record_body(size_t size0, uint16_t comp0, uint16_t type, uint16_t rclass,
                                     uint32_t ttl, std::span<const uint8_t> rdata) {
  const int sec = static_cast<int>(section_);
  const size_t owner_end = size_;
  auto fail = [&] {
    size_ = size0;
    truncate_entries(comp0);
    return false;
  };
  if (!room(10)) return fail();
  uint8_t* f = buf_.data() + size_;
  put_u16(f, type);
  put_u16(f + 2, rclass);
  put_u32(f + 4, ttl);
  const size_t rdlen_at = size_ + 8;
  size_ += 10;
  const size_t rd_start = size_;

  RdataName names[8];
  size_t nnames = rdata::names(type, rdata, names);
  if (nnames > 8) nnames = 8;
  size_t cur = 0;
  for (size_t k = 0; k < nnames; ++k) {
    const RdataName& rn = names[k];
    if (!rn.compressible) continue;
    // Trust but verify: a position out of order or not holding a plain name
    // is simply left in the literal copy.
    if (rn.offset < cur || size_t{rn.offset} + rn.length > rdata.size() ||
        !valid_plain_name(rdata.data() + rn.offset, rn.length))
      continue;
    size_t gap = rn.offset - cur;
    if (!room(gap)) return fail();
    std::memcpy(buf_.data() + size_, rdata.data() + cur, gap);
    size_ += gap;
    if (!write_name(rdata.data() + rn.offset, rn.length, true)) return fail();
    cur = rn.offset + rn.length;
  }
  const size_t rest = rdata.size() - cur;
  if (!room(rest)) return fail();
  if (rest) std::memcpy(buf_.data() + size_, rdata.data() + cur, rest);
  size_ += rest;
  put_u16(buf_.data() + rdlen_at, static_cast<uint16_t>(size_ - rd_start));
  ++counts_[sec];
  last_owner_end_ = owner_end;
  return true;
}

MessageBuilder::Mark MessageBuilder::mark() const {
  return Mark{size_, {counts_[0], counts_[1], counts_[2], counts_[3]}, comp_count_};
}

void MessageBuilder::rollback(const Mark& m) {
  if (m.size <= owner_at_) owner_len_ = 0;  // the previous owner is gone
  size_ = m.size;
  for (int i = 0; i < 4; ++i) counts_[i] = m.counts[i];
  truncate_entries(m.compression_entries);
}

bool MessageBuilder::add_opt(const Edns& edns) {
  const size_t need = 11 + edns.options.size();
  if (edns.options.size() > 0xffff || size_ + need > limit_ || counts_[3] == 0xffff) return false;
  section_ = Section::additional;
  uint8_t* p = buf_.data() + size_;
  p[0] = 0;  // root owner
  put_u16(p + 1, rrtype::OPT);
  put_u16(p + 3, edns.udp_size);
  put_u32(p + 5, static_cast<uint32_t>(edns.ext_rcode) << 24 |
                     static_cast<uint32_t>(edns.version) << 16 | (edns.do_bit ? 0x8000u : 0u) |
                     (edns.z & 0x7fffu));
  put_u16(p + 9, static_cast<uint16_t>(edns.options.size()));
  if (!edns.options.empty()) std::memcpy(p + 11, edns.options.data(), edns.options.size());
  size_ += need;
  ++counts_[3];
  release(need);
  return true;
}

bool MessageBuilder::append_raw_tail(std::span<const uint8_t> record) {
  if (size_ + record.size() > limit_ || counts_[3] == 0xffff) return false;
  section_ = Section::additional;
  if (!record.empty()) std::memcpy(buf_.data() + size_, record.data(), record.size());
  size_ += record.size();
  ++counts_[3];
  release(record.size());
  return true;
}

size_t MessageBuilder::finish() {
  if (buf_.size() < kHeaderSize) return 0;
  header_.qdcount = counts_[0];
  header_.ancount = counts_[1];
  header_.nscount = counts_[2];
  header_.arcount = counts_[3];
  header_.write(buf_.data());
  return size_;
}

}  // namespace namae::dns
