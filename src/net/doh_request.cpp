#include "net/doh_request.h"

#include <algorithm>
#include <limits>

#include "dns/message.h"

namespace namae::net::doh {
namespace {

int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

bool ascii_iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
         });
}

// The media type without parameters or surrounding blanks (RFC 9110 8.3.1).
std::string_view media_type(std::string_view v) {
  v = v.substr(0, v.find(';'));
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  return v;
}

// The value of parameter `name` in a query string ("a=1&dns=..."), if present.
std::optional<std::string_view> query_parameter(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
  }
  return std::nullopt;
}

ParsedRequest refuse(int status) { return {status, {}}; }

ParsedRequest accept_message(std::vector<uint8_t> msg) {
  if (msg.size() > kMaxMessage) return refuse(413);
  if (msg.size() < dns::kHeaderSize) return refuse(400);
  return {200, std::move(msg)};
}

}  // namespace

std::optional<std::vector<uint8_t>> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::vector<uint8_t> out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = base64url_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
      acc &= (1u << bits) - 1;
    }
  }
  if (acc != 0) return std::nullopt;  // a canonical encoding leaves zero bits
  return out;
}

ParsedRequest parse_request(const RequestHead& head, std::span<const uint8_t> body, bool body_too_large) {
  std::string_view path = head.path;
  size_t q = path.find('?');
  if (path.substr(0, q) != kPath) return refuse(404);
  std::string_view query = q == std::string_view::npos ? std::string_view{} : path.substr(q + 1);
  if (head.method == "GET") {
    auto param = query_parameter(query, "dns");
    if (!param || param->empty()) return refuse(400);
    if (param->size() > (kMaxMessage + 2) / 3 * 4) return refuse(413);
    auto msg = base64url_decode(*param);
    if (!msg) return refuse(400);
    return accept_message(std::move(*msg));
  }
  if (head.method == "POST") {
    if (!ascii_iequal(media_type(head.content_type), kMediaType)) return refuse(415);
    if (body_too_large) return refuse(413);
    return accept_message(std::vector<uint8_t>(body.begin(), body.end()));
  }
  return refuse(405);
}

uint32_t max_age(std::span<const uint8_t> response) {
  dns::MessageView view;
  if (view.parse(response) != dns::WireError::ok) return 0;
  for (auto section : {dns::Section::answer, dns::Section::authority}) {
    uint32_t least = std::numeric_limits<uint32_t>::max();
    auto cursor = view.records(section);
    dns::RecordView rr;
    while (cursor.next(rr)) least = std::min(least, rr.ttl);
    if (view.count(section)) return least;
  }
  return 0;
}

}  // namespace namae::net::doh
