// UPDATE to a secondary zone (RFC 2136 6): a secondary cannot change its
// copy, so it either forwards the message as it came (its TSIG stays the
// client's, which the primary verifies) and relays the primary's answer,
// or refuses it. UPDATEs for every other zone go on to the update service.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "auth/engine.h"
#include "net/client.h"
#include "net/handler.h"
#include "xfr/secondary_service.h"

namespace namae::xfr {

class UpdateForwarder final : public auth::RequestHandler {
 public:
  /// `next` handles the UPDATEs of non-secondary zones (nullptr: NOTAUTH).
  UpdateForwarder(SecondaryService& secondaries, auth::RequestHandler* next,
                  net::Transport& transport);
  ~UpdateForwarder();

  size_t handle(const dns::MessageView& query, std::span<uint8_t> response, const net::Peer& peer,
                const zone::ZoneSet& zones) override;

 private:
  struct Job {
    std::vector<uint8_t> message;
    std::vector<Remote> primaries;
    net::ReplyChannel reply;
  };
  void run();
  // Ask each primary in turn; the first answer, or SERVFAIL when none answers.
  std::vector<uint8_t> forward(const Job& job);

  SecondaryService& secondaries_;
  auth::RequestHandler* next_;
  net::Transport& transport_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stop_ = false;
  std::thread thread_;
};

/// A reply carrying only the header of `query` (and its question) with `rcode`.
size_t header_reply(const dns::MessageView& query, uint16_t rcode, std::span<uint8_t> response);

}  // namespace namae::xfr
