#include "xfr/out_stream.h"

#include "dns/rrtype.h"

namespace namae::xfr {
namespace {

constexpr size_t kOptSize = 11;  // root owner, type, class, ttl, rdlength: no options

// Octets one message's TSIG takes: owner, fixed RR fields, algorithm name,
// time/fudge/MAC size/original ID/error/other length, and the MAC.
size_t tsig_size(const dns::TsigKey& key) {
  return key.name.wire().size() + 10 + dns::tsig_algorithm_name(key.algorithm).wire().size() + 16 +
         dns::tsig_digest_length(key.algorithm);
}

}  // namespace

TransferStream::TransferStream(Envelope env) : env_(std::move(env)) {
  if (env_.key) {
    signer_.emplace(*env_.key, env_.request_mac);
    tsig_size_ = tsig_size(*env_.key);
  }
}

size_t TransferStream::next(std::span<uint8_t> out) {
  if (done_) return 0;
  dns::MessageBuilder b(out, std::min<size_t>(out.size(), 65535));
  dns::Header& h = b.header();
  h.id = env_.id;
  h.qr = true;
  h.aa = true;
  h.rd = env_.rd;
  if (env_.edns) b.reserve(kOptSize);
  b.reserve(tsig_size_);
  if (first_ && !b.add_question_raw(env_.qname, env_.qtype, env_.qclass)) {
    done_ = true;
    return 0;
  }
  b.begin(dns::Section::answer);
  const bool end = fill(b);
  if (!end && b.count(dns::Section::answer) == 0) {
    done_ = true;  // one record larger than a message: the transfer cannot go on
    return 0;
  }
  if (env_.edns) {
    dns::Edns e;
    e.present = true;
    e.udp_size = env_.udp_size;
    b.add_opt(e);
  }
  size_t len = b.finish();
  if (signer_) {
    auto signed_len = signer_->sign(out.first(b.limit()), len, dns::tsig_now());
    if (!signed_len) {
      done_ = true;
      return 0;
    }
    len = *signed_len;
  }
  first_ = false;
  done_ = end;
  bytes_ += len;
  if (env_.bytes) env_.bytes->fetch_add(len, std::memory_order_relaxed);
  return len;
}

AxfrStream::AxfrStream(Envelope env, std::shared_ptr<const zone::ZoneVersion> zone)
    : TransferStream(std::move(env)), zone_(std::move(zone)) {
  const zone::Node& apex = zone_->node(0);
  rrsets_ = apex.rrsets();
  owner_ = apex.owner();
}

bool AxfrStream::advance() {
  const zone::ZoneVersion& z = *zone_;
  for (;;) {
    zone::RRsetView v;
    while (rrsets_.next(v)) {
      if (node_ == 0 && v.type() == dns::rrtype::SOA) continue;
      set_ = v;
      rdatas_ = v.rdatas();
      return true;
    }
    if (++node_ >= z.node_count()) return false;
    const zone::Node& n = z.node(node_);
    if (n.empty()) continue;
    rrsets_ = n.rrsets();
    owner_ = n.owner();
    new_owner_ = true;
  }
}

bool AxfrStream::fill(dns::MessageBuilder& b) {
  const zone::ZoneVersion& z = *zone_;
  const zone::RRsetView soa = z.soa();
  if (phase_ == Phase::first_soa) {
    if (!b.add_record(z.origin(), dns::rrtype::SOA, z.rclass(), soa.ttl(), soa.first())) return false;
    phase_ = advance() ? Phase::records : Phase::last_soa;
  }
  // A message's first record writes its owner in full; the owner's next
  // records point at it (half of a typical zone's owners: no name lookup).
  new_owner_ = true;
  std::span<const uint8_t> rd;
  while (phase_ == Phase::records) {
    const auto before = rdatas_;
    if (!rdatas_.next(rd)) {
      if (!advance()) phase_ = Phase::last_soa;
      continue;
    }
    const bool ok = new_owner_ ? b.add_record(owner_, set_.type(), z.rclass(), set_.ttl(), rd)
                               : b.add_record_same_owner(set_.type(), z.rclass(), set_.ttl(), rd);
    if (!ok) {
      rdatas_ = before;
      return false;
    }
    new_owner_ = false;
  }
  if (phase_ == Phase::last_soa) {
    if (!b.add_record(z.origin(), dns::rrtype::SOA, z.rclass(), soa.ttl(), soa.first())) return false;
    phase_ = Phase::end;
  }
  return true;
}

std::vector<const dns::Record*> ixfr_order(const std::vector<update::JournalEntry>& entries,
                                           const dns::Record& soa) {
  std::vector<const dns::Record*> out{&soa};
  auto find_soa = [](const std::vector<dns::Record>& rs) -> const dns::Record* {
    for (const auto& r : rs)
      if (r.type == dns::rrtype::SOA) return &r;
    return nullptr;
  };
  for (const auto& e : entries) {
    const dns::Record* old_soa = find_soa(e.diff.removed);
    const dns::Record* new_soa = find_soa(e.diff.added);
    if (!old_soa || !new_soa) return {};
    out.push_back(old_soa);
    for (const auto& r : e.diff.removed)
      if (r.type != dns::rrtype::SOA) out.push_back(&r);
    out.push_back(new_soa);
    for (const auto& r : e.diff.added)
      if (r.type != dns::rrtype::SOA) out.push_back(&r);
  }
  out.push_back(&soa);
  return out;
}

IxfrStream::IxfrStream(Envelope env, std::shared_ptr<const zone::ZoneVersion> zone,
                       std::vector<update::JournalEntry> entries)
    : TransferStream(std::move(env)), zone_(std::move(zone)), entries_(std::move(entries)) {
  auto s = zone_->soa();
  auto rd = s.first();
  soa_ = dns::Record{zone_->origin(), dns::rrtype::SOA, zone_->rclass(), s.ttl(),
                     dns::RdataBytes(rd.begin(), rd.end())};
  order_ = ixfr_order(entries_, soa_);
}

bool IxfrStream::fill(dns::MessageBuilder& b) {
  const uint16_t rclass = zone_->rclass();
  for (; pos_ < order_.size(); ++pos_) {
    const dns::Record& r = *order_[pos_];
    if (!b.add_record(r.owner, r.type, rclass, r.ttl, r.rdata)) return false;
  }
  return true;
}

}  // namespace namae::xfr
