// DNS over HTTPS requests (RFC 8484), the parts that read untrusted input and
// need no socket: base64url (RFC 4648 5, unpadded as RFC 8484 4.1 requires),
// the request's method, path, content type and body turned into one DNS
// query or an HTTP status, and the freshness lifetime of an answer
// (RFC 8484 5.1). The HTTP/2 framing around them is net/doh_session.h.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace namae::net::doh {

inline constexpr std::string_view kPath = "/dns-query";
inline constexpr std::string_view kMediaType = "application/dns-message";
inline constexpr size_t kMaxMessage = 65535;

/// Base64url without padding (RFC 4648 5). nullopt for any character outside
/// the alphabet (including '='), a length that no encoding has, or non-zero
/// bits left over in the last character.
std::optional<std::vector<uint8_t>> base64url_decode(std::string_view text);

/// What a request's pseudo-headers and body say.
struct RequestHead {
  std::string_view method;        // ":method"
  std::string_view path;          // ":path", with its query string
  std::string_view content_type;  // "content-type", empty if absent
};

/// A request turned into a DNS query (status 200) or refused (the status to answer).
struct ParsedRequest {
  int status = 200;
  std::vector<uint8_t> query;
};

/// RFC 8484 4.1: GET carries the query in the `dns` parameter (base64url),
/// POST as a body of type application/dns-message. 404 for another path, 405
/// for another method, 415 for a POST of another type, 413 for a message
/// over 65535 octets (`body_too_large`: the transport stopped collecting it),
/// 400 for a missing or undecodable parameter or a message shorter than a
/// DNS header. The DNS ID is passed on as sent (RFC 8484 4.1 asks for 0,
/// servers must accept any).
ParsedRequest parse_request(const RequestHead& head, std::span<const uint8_t> body, bool body_too_large);

/// RFC 8484 5.1: seconds an HTTP cache may keep `response`: the smallest TTL
/// of the answer section, or with no answer that of the authority section
/// (the SOA of a negative answer, RFC 2308 5); 0 for a response with neither
/// or one that does not parse.
uint32_t max_age(std::span<const uint8_t> response);

}  // namespace namae::net::doh
