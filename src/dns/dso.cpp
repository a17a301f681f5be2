#include "dns/dso.h"

#include "dns/rdata.h"
#include "dns/wire.h"

namespace namae::dns::dso {

const char* error_text(Error e) {
  switch (e) {
    case Error::ok: return "ok";
    case Error::short_header: return "shorter than a DNS header";
    case Error::not_dso: return "not a DSO message";
    case Error::nonzero_count: return "a DSO message with a nonzero section count";
    case Error::response_no_id: return "a DSO response with MESSAGE ID zero";
    case Error::truncated_tlv: return "a TLV runs past the end of the message";
    case Error::no_primary: return "a DSO request without a primary TLV";
    case Error::too_many_tlvs: return "too many TLVs";
  }
  return "?";
}

Error parse(std::span<const uint8_t> msg, Message& out) {
  if (msg.size() < kHeaderSize) return Error::short_header;
  out.header = Header::read(msg.data());
  out.tlvs.clear();
  const Header& h = out.header;
  if (h.opcode != opcode::DSO) return Error::not_dso;
  if (h.qdcount || h.ancount || h.nscount || h.arcount) return Error::nonzero_count;
  if (h.qr && h.id == 0) return Error::response_no_id;
  out.kind = h.qr ? Kind::response : h.id ? Kind::request : Kind::unidirectional;
  WireReader r(msg.subspan(kHeaderSize));
  while (r.remaining()) {
    Tlv t;
    uint16_t len;
    if (!r.u16(t.type) || !r.u16(len) || !r.bytes(len, t.data)) return Error::truncated_tlv;
    if (out.tlvs.size() == kMaxTlvs) return Error::too_many_tlvs;
    out.tlvs.push_back(t);
  }
  if (out.tlvs.empty() && out.kind != Kind::response) return Error::no_primary;
  return Error::ok;
}

bool read_keepalive(std::span<const uint8_t> data, Keepalive& out) {
  WireReader r(data);
  return r.u32(out.inactivity_ms) && r.u32(out.interval_ms) && r.remaining() == 0;
}

bool read_retry_delay(std::span<const uint8_t> data, uint32_t& ms) {
  WireReader r(data);
  return r.u32(ms) && r.remaining() == 0;
}

bool read_subscribe(std::span<const uint8_t> data, Question& out) {
  WireReader r(data);
  return r.name(out.name) && r.u16(out.type) && r.u16(out.rclass) && r.remaining() == 0;
}

bool read_unsubscribe(std::span<const uint8_t> data, uint16_t& id) {
  WireReader r(data);
  return r.u16(id) && r.remaining() == 0;
}

bool read_reconfirm(std::span<const uint8_t> data, Record& out) {
  WireReader r(data);
  std::span<const uint8_t> rd;
  if (!r.name(out.owner) || !r.u16(out.type) || !r.u16(out.rclass) || !r.bytes(r.remaining(), rd))
    return false;
  out.ttl = 0;
  out.rdata.assign(rd.begin(), rd.end());
  return !is_meta_type(out.type) && rdata::validate(out.type, rd).ok();
}

namespace {

// One change: an add, or a removal whose shape matches its TTL (RFC 8765
// 6.3.1: a single removal carries the rdata, a collective one none).
bool read_change(WireReader& r, PushRecord& out) {
  Record& rec = out.record;
  uint16_t len;
  std::span<const uint8_t> rd;
  if (!r.name(rec.owner) || !r.u16(rec.type) || !r.u16(rec.rclass) || !r.u32(rec.ttl) || !r.u16(len) ||
      !r.bytes(len, rd))
    return false;
  rec.rdata.assign(rd.begin(), rd.end());
  if (rec.ttl == kRemoveCollective) {
    if (len != 0) return false;
    out.change = rec.type == rrtype::ANY ? Change::remove_name : Change::remove_rrset;
    return true;
  }
  if (is_meta_type(rec.type) || !rdata::validate(rec.type, rd).ok()) return false;
  out.change = rec.ttl == kRemoveRecord ? Change::remove : Change::add;
  return true;
}

}  // namespace

bool read_push(std::span<const uint8_t> data, std::vector<PushRecord>& out) {
  out.clear();
  WireReader r(data);
  while (r.remaining()) {
    PushRecord c;
    if (!read_change(r, c)) return false;
    out.push_back(std::move(c));
  }
  return !out.empty();
}

Writer::Writer(uint16_t id, bool response, uint8_t rcode) {
  Header h;
  h.id = id;
  h.qr = response;
  h.opcode = opcode::DSO;
  h.rcode = rcode & 0x0f;
  buf_.resize(kHeaderSize);
  h.write(buf_.data());
}

bool Writer::tlv(uint16_t type, std::span<const uint8_t> data) {
  if (data.size() > 0xffff || !fits(4 + data.size())) return false;
  uint8_t head[4];
  put_u16(head, type);
  put_u16(head + 2, static_cast<uint16_t>(data.size()));
  buf_.insert(buf_.end(), head, head + 4);
  buf_.insert(buf_.end(), data.begin(), data.end());
  return true;
}

bool Writer::keepalive(const Keepalive& k) {
  uint8_t d[8];
  put_u32(d, k.inactivity_ms);
  put_u32(d + 4, k.interval_ms);
  return tlv(tlv::KEEPALIVE, d);
}

bool Writer::retry_delay(uint32_t ms) {
  uint8_t d[4];
  put_u32(d, ms);
  return tlv(tlv::RETRY_DELAY, d);
}

namespace {

// NAME TYPE CLASS, the start of a SUBSCRIBE and of a RECONFIRM.
std::vector<uint8_t> name_type_class(const Name& name, uint16_t type, uint16_t rclass) {
  std::vector<uint8_t> d(name.wire().begin(), name.wire().end());
  d.resize(d.size() + 4);
  put_u16(&d[d.size() - 4], type);
  put_u16(&d[d.size() - 2], rclass);
  return d;
}

}  // namespace

bool Writer::subscribe(const Question& q) { return tlv(tlv::SUBSCRIBE, name_type_class(q.name, q.type, q.rclass)); }

bool Writer::unsubscribe(uint16_t id) {
  uint8_t d[2];
  put_u16(d, id);
  return tlv(tlv::UNSUBSCRIBE, d);
}

bool Writer::reconfirm(const Record& r) {
  auto d = name_type_class(r.owner, r.type, r.rclass);
  d.insert(d.end(), r.rdata.begin(), r.rdata.end());
  return tlv(tlv::RECONFIRM, d);
}

bool Writer::padding(size_t n) { return tlv(tlv::PADDING, std::vector<uint8_t>(n, 0)); }

void pad_to_block(std::vector<uint8_t>& msg, size_t block) {
  if (msg.size() + 4 > kMaxMessage || block == 0) return;
  size_t total = (msg.size() + 4 + block - 1) / block * block;
  if (total > kMaxMessage) total = kMaxMessage;
  size_t n = total - msg.size() - 4;
  uint8_t head[4];
  put_u16(head, tlv::PADDING);
  put_u16(head + 2, static_cast<uint16_t>(n));
  msg.insert(msg.end(), head, head + 4);
  msg.insert(msg.end(), n, 0);
}

void Writer::begin_push() {
  open_ = buf_.size();
  uint8_t head[4] = {0, 0, 0, 0};
  put_u16(head, tlv::PUSH);
  buf_.insert(buf_.end(), head, head + 4);
}

bool Writer::push_change(const PushRecord& c) {
  const Record& rec = c.record;
  const bool collective = c.change == Change::remove_rrset || c.change == Change::remove_name;
  const size_t rdlen = collective ? 0 : rec.rdata.size();
  const size_t need = rec.owner.wire().size() + 10 + rdlen;
  if (!open_ || !fits(need) || buf_.size() - open_ - 4 + need > 0xffff) return false;
  uint32_t ttl = c.change == Change::add ? rec.ttl : c.change == Change::remove ? kRemoveRecord : kRemoveCollective;
  uint16_t type = c.change == Change::remove_name ? rrtype::ANY : rec.type;
  buf_.insert(buf_.end(), rec.owner.wire().begin(), rec.owner.wire().end());
  uint8_t f[10];
  put_u16(f, type);
  put_u16(f + 2, rec.rclass);
  put_u32(f + 4, ttl);
  put_u16(f + 8, static_cast<uint16_t>(rdlen));
  buf_.insert(buf_.end(), f, f + 10);
  if (!collective) buf_.insert(buf_.end(), rec.rdata.begin(), rec.rdata.end());
  return true;
}

void Writer::end_push() {
  if (!open_) return;
  put_u16(&buf_[open_ + 2], static_cast<uint16_t>(buf_.size() - open_ - 4));
  open_ = 0;
}

}  // namespace namae::dns::dso
