#include "xfr/reader.h"

#include <fmt/format.h>

#include "dns/rdata.h"
#include "xfr/soa.h"

namespace namae::xfr {

using dns::Record;
using Status = XfrReader::Status;

namespace {

uint32_t serial_of(const Record& soa) {
  auto t = soa_timers(soa.rdata);
  return t ? t->serial : 0;
}

}  // namespace

XfrReader::XfrReader(XfrQuestion question, XfrLimits limits)
    : q_(std::move(question)), limits_(limits) {}

Status XfrReader::fail(std::string why) {
  if (status_ != Status::error) error_ = std::move(why);
  state_ = State::finished;
  return status_ = Status::error;
}

Status XfrReader::feed(const dns::MessageView& msg) {
  if (status_ != Status::more) {
    return status_ == Status::error ? status_ : fail("message after the end of the transfer");
  }
  if (++messages_ > limits_.max_messages) return fail("too many messages");
  if (check_header(msg) == Status::error) return status_;
  if (check_question(msg) == Status::error) return status_;
  auto cur = msg.records(dns::Section::answer);
  dns::RecordView rr;
  while (cur.next(rr)) {
    if (status_ == Status::done) return fail("records after the closing SOA");
    if (read_record(msg, rr) == Status::error) return status_;
  }
  // RFC 1995 2: a lone SOA in the first message of an IXFR answer.
  if (status_ == Status::more && state_ == State::second && q_.qtype == dns::rrtype::IXFR &&
      messages_ == 1 && msg.count(dns::Section::answer) == 1) {
    result_.kind = XfrResult::Kind::up_to_date;
    state_ = State::finished;
    status_ = Status::done;
  }
  return status_;
}

Status XfrReader::check_header(const dns::MessageView& msg) {
  const dns::Header& h = msg.header();
  if (h.id != q_.id) return fail(fmt::format("message ID {} is not the request's {}", h.id, q_.id));
  if (!h.qr) return fail("message is not a response");
  if (h.opcode != dns::opcode::QUERY) return fail("response opcode is not QUERY");
  uint16_t rc = static_cast<uint16_t>(h.rcode | msg.edns().ext_rcode << 4);
  if (rc != dns::rcode::NOERROR) {
    rcode_ = rc;
    return fail("primary answered " + dns::rcode_to_text(rc));
  }
  if (h.tc) return fail("truncated response");
  if (h.nscount != 0) return fail("authority section is not empty");
  if (h.ancount == 0) return fail("message without answer records");
  return Status::more;
}

Status XfrReader::check_question(const dns::MessageView& msg) {
  uint16_t n = msg.count(dns::Section::question);
  if (n > 1) return fail("more than one question");
  if (n == 0) return messages_ == 1 ? fail("first message has no question") : Status::more;
  if (!(msg.qname() == q_.zone) || msg.qtype() != q_.qtype || msg.qclass() != q_.rclass)
    return fail("question does not match the request");
  return Status::more;
}

bool XfrReader::is_soa(const Record& rec) const {
  return rec.type == dns::rrtype::SOA && rec.owner == q_.zone;
}

Status XfrReader::read_record(const dns::MessageView& msg, const dns::RecordView& rr) {
  if (++records_ > limits_.max_records) return fail("too many records");
  Record rec;
  rec.owner = msg.owner(rr);
  rec.type = rr.type;
  rec.rclass = rr.rclass;
  rec.ttl = rr.ttl;
  if (rr.rclass != q_.rclass) return fail("record " + rec.owner.to_text() + " is of another class");
  if (!rec.owner.is_subdomain_of(q_.zone))
    return fail("record " + rec.owner.to_text() + " is outside the zone");
  if (dns::is_meta_type(rr.type))
    return fail("meta type " + dns::type_to_text(rr.type) + " in the answer");
  if (dns::rdata::decode(rr.type, msg.data(), rr.rdata_offset, rr.rdlength, rec.rdata) !=
      dns::WireError::ok)
    return fail("malformed rdata at " + rec.owner.to_text());
  if (rec.type == dns::rrtype::SOA && !(rec.owner == q_.zone))
    return fail("SOA below the apex at " + rec.owner.to_text());
  if (rec.type == dns::rrtype::SOA && !soa_timers(rec.rdata)) return fail("malformed SOA");
  switch (state_) {
    case State::first_soa: return on_first_soa(std::move(rec));
    case State::second: return on_second(std::move(rec));
    case State::full: return on_full(std::move(rec));
    case State::removals: return on_removal(std::move(rec));
    case State::additions: return on_addition(std::move(rec));
    case State::finished: break;
  }
  return fail("records after the closing SOA");
}

Status XfrReader::on_first_soa(Record rec) {
  if (!is_soa(rec)) return fail("first record is not the zone's SOA");
  result_.serial = serial_of(rec);
  first_soa_ = rec;
  state_ = State::second;
  return Status::more;
}

// The second record tells the shapes apart: an SOA with another serial
// opens the first IXFR step; anything else (or the same SOA: a zone of one
// record) is a full zone.
Status XfrReader::on_second(Record rec) {
  if (is_soa(rec) && serial_of(rec) != result_.serial) {
    if (q_.qtype != dns::rrtype::IXFR) return fail("second SOA in an AXFR");
    result_.kind = XfrResult::Kind::incremental;
    result_.steps.push_back({serial_of(rec), 0, {}});
    result_.steps.back().diff.removed.push_back(std::move(rec));
    state_ = State::removals;
    return Status::more;
  }
  result_.kind = XfrResult::Kind::full;
  result_.records.push_back(first_soa_);
  state_ = State::full;
  return on_full(std::move(rec));
}

Status XfrReader::on_full(Record rec) {
  if (!is_soa(rec)) {
    result_.records.push_back(std::move(rec));
    return Status::more;
  }
  if (!(rec == first_soa_)) return fail("closing SOA differs from the first");
  state_ = State::finished;
  return status_ = Status::done;
}

Status XfrReader::on_removal(Record rec) {
  XfrStep& step = result_.steps.back();
  if (is_soa(rec)) {
    step.serial_to = serial_of(rec);
    state_ = State::additions;
  }
  (is_soa(rec) ? step.diff.added : step.diff.removed).push_back(std::move(rec));
  return Status::more;
}

// In the additions an SOA either closes the transfer (the last step reached
// the first SOA's serial and this is that SOA again) or opens the next step,
// which must start where this one ended.
Status XfrReader::on_addition(Record rec) {
  XfrStep& step = result_.steps.back();
  if (!is_soa(rec)) {
    step.diff.added.push_back(std::move(rec));
    return Status::more;
  }
  uint32_t serial = serial_of(rec);
  if (step.serial_to == result_.serial && serial == result_.serial) {
    if (!(rec == first_soa_)) return fail("closing SOA differs from the first");
    state_ = State::finished;
    return status_ = Status::done;
  }
  if (serial != step.serial_to)
    return fail(fmt::format("IXFR step starts at serial {}, the previous one ended at {}", serial,
                            step.serial_to));
  result_.steps.push_back({serial, 0, {}});
  result_.steps.back().diff.removed.push_back(std::move(rec));
  state_ = State::removals;
  return Status::more;
}

}  // namespace namae::xfr
