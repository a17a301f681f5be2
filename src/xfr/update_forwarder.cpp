#include "xfr/update_forwarder.h"

namespace namae::xfr {

size_t header_reply(const dns::MessageView& query, uint16_t rcode, std::span<uint8_t> response) {
  dns::MessageBuilder b(response, response.size());
  b.header().id = query.header().id;
  b.header().qr = true;
  b.header().opcode = query.header().opcode;
  b.header().rcode = static_cast<uint8_t>(rcode & 0x0f);
  if (query.header().qdcount == 1) b.add_question(query.qname(), query.qtype(), query.qclass());
  return b.finish();
}

UpdateForwarder::UpdateForwarder(SecondaryService& secondaries, auth::RequestHandler* next,
                                 net::Transport& transport)
    : secondaries_(secondaries), next_(next), transport_(transport) {
  thread_ = std::thread([this] { run(); });
}

UpdateForwarder::~UpdateForwarder() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

size_t UpdateForwarder::handle(const dns::MessageView& query, std::span<uint8_t> response,
                               const net::Peer& peer, const zone::ZoneSet& zones) {
  // The zone section is the question section of an UPDATE (RFC 2136 2.3).
  std::shared_ptr<Secondary> s = query.header().qdcount == 1 ? secondaries_.find(query.qname()) : nullptr;
  if (!s) {
    if (next_) return next_->handle(query, response, peer, zones);
    return header_reply(query, dns::rcode::NOTAUTH, response);
  }
  if (!secondaries_.forwards_updates(s->origin()) || !peer.can_defer())
    return header_reply(query, dns::rcode::REFUSED, response);
  Job job;
  job.message.assign(query.data().begin(), query.data().end());
  job.primaries = s->primaries();
  job.reply = peer.channel();
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
  return net::kDeferred;
}

void UpdateForwarder::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    auto answer = forward(job);
    job.reply.send(answer);
    lock.lock();
  }
}

std::vector<uint8_t> UpdateForwarder::forward(const Job& job) {
  net::ExchangeOptions o;
  o.timeout = std::chrono::milliseconds(3000);
  o.tries = 2;
  for (const auto& p : job.primaries) {
    auto ex = transport_.exchange(p.address, job.message, o);
    if (ex.ok() && ex.response.size() >= dns::kHeaderSize && (ex.response[2] & 0x02)) {
      net::ExchangeOptions tcp = o;  // truncated: again over TCP (RFC 7766 5)
      tcp.protocol = net::ClientProtocol::tcp;
      ex = transport_.exchange(p.address, job.message, tcp);
    }
    if (ex.ok()) return ex.response;
  }
  std::vector<uint8_t> out(512);
  dns::MessageView v;
  if (v.parse(job.message) != dns::WireError::ok) return {};
  out.resize(header_reply(v, dns::rcode::SERVFAIL, out));
  return out;
}

}  // namespace namae::xfr
