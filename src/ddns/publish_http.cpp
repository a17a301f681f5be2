// The HTTP(S) half of publish.h, apart because <httplib.h> brings
// <arpa/nameser.h> macros that clash with dns::rcode names.
#include <httplib.h>

#include "ddns/publish.h"
#include "dns/text.h"
#include "net/dyndns2.h"

namespace namae::ddns {
namespace {

std::unique_ptr<httplib::Client> client(const std::string& base, const std::string& ca_file,
                                        bool insecure, std::chrono::milliseconds timeout) {
  auto c = std::make_unique<httplib::Client>(base);
  auto secs = static_cast<time_t>(timeout.count() / 1000);
  auto usecs = static_cast<time_t>((timeout.count() % 1000) * 1000);
  c->set_connection_timeout(secs, usecs);
  c->set_read_timeout(secs, usecs);
  c->set_write_timeout(secs, usecs);
  if (!ca_file.empty()) c->set_ca_cert_path(ca_file.c_str());
  c->enable_server_certificate_verification(!insecure);
  c->set_follow_location(false);
  return c;
}

std::string first_line(const std::string& body) {
  auto nl = body.find_first_of("\r\n");
  return body.substr(0, nl);
}

}  // namespace

Result<std::pair<std::string, std::string>> split_url(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos || scheme == 0) return fail("URL needs a scheme: " + url);
  auto path = url.find('/', scheme + 3);
  if (path == std::string::npos) return std::pair{url, std::string("/")};
  return std::pair{url.substr(0, path), url.substr(path)};
}

PublishOutcome send_dyndns_update(const HttpTarget& t, const Selection& addrs, bool ipv4,
                                  bool ipv6) {
  PublishOutcome out;
  std::string myip;
  if (ipv4 && !addrs.v4.empty()) myip = addrs.v4.front().to_text();
  if (ipv6 && !addrs.v6.empty()) myip += (myip.empty() ? "" : ",") + addrs.v6.front().to_text();
  if (myip.empty()) {
    // DynDNS2 cannot withdraw an address: nothing to send, and nothing to
    // retry; the server's lease removes the old one.
    out.ok = true;
    out.message = "nothing sent (DynDNS2 cannot delete; the server's lease will)";
    return out;
  }
  auto c = client(t.base_url, t.ca_file, t.insecure, t.timeout);
  c->set_basic_auth(t.user.c_str(), t.password.c_str());
  httplib::Params params{{"hostname", t.hostname}, {"myip", myip}};
  std::string path = "/nic/update?" + httplib::detail::params_to_query_str(params);
  httplib::Headers headers{{"User-Agent", "namae-ddns/0.1"}};
  auto res = c->Get(path.c_str(), headers);
  if (!res) {
    out.message = t.base_url + ": " + httplib::to_string(res.error());
    return out;
  }
  std::string answer = first_line(res->body);
  out.message = t.base_url + ": HTTP " + std::to_string(res->status) + " " + answer;
  auto word = net::parse_dyn_answer(answer);
  out.ok = res->status == 200 &&
           (word == net::DynAnswer::good || word == net::DynAnswer::nochg);
  // namaed says which lease it granted (DynDNS2 has no field for it).
  if (out.ok && res->has_header(net::kLeaseHeader)) {
    auto v = dns::parse_uint(res->get_header_value(net::kLeaseHeader), 0x7fffffff);
    if (v && *v > 0) out.lease = static_cast<uint32_t>(*v);
  }
  return out;
}

Result<net::IpAddress> fetch_external_address(const std::string& url, const std::string& ca_file,
                                               bool insecure, std::chrono::milliseconds timeout) {
  auto parts = split_url(url);
  if (!parts) return parts.error();
  auto c = client(parts->first, ca_file, insecure, timeout);
  auto res = c->Get(parts->second.c_str());
  if (!res) return fail(url + ": " + httplib::to_string(res.error()));
  if (res->status != 200) return fail(url + ": HTTP " + std::to_string(res->status));
  std::string body = res->body.substr(0, 256);
  size_t b = body.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return fail(url + ": empty answer");
  size_t e = body.find_first_of(" \t\r\n", b);
  std::string word = body.substr(b, e == std::string::npos ? std::string::npos : e - b);
  auto ip = net::parse_ip(word);
  if (!ip) return fail(url + ": not an address: '" + word.substr(0, 64) + "'");
  return *ip;
}

}  // namespace namae::ddns
