// cpp-httplib glue of UpdateApi, kept apart because <httplib.h> pulls in
// <arpa/nameser.h>, whose NOERROR/REFUSED macros clash with dns::rcode.
#include <httplib.h>

#include "http/update_api.h"

namespace namae::http {

namespace {

ApiRequest from_httplib(const httplib::Request& r) {
  ApiRequest a;
  a.method = r.method;
  a.path = r.path;
  a.target_length = r.target.size();
  a.params = r.params;
  a.peer = r.remote_addr;
  a.authorization = r.get_header_value("Authorization");
  a.forwarded_for = r.get_header_value("X-Forwarded-For");
  a.user_agent = r.get_header_value("User-Agent");
  return a;
}

void to_httplib(const ApiResponse& a, httplib::Response& r) {
  r.status = a.status;
  if (a.challenge) r.set_header("WWW-Authenticate", "Basic realm=\"namae\", charset=\"UTF-8\"");
  r.set_header("Cache-Control", "no-store");
  if (a.lease) r.set_header(kLeaseHeader, std::to_string(*a.lease));
  r.set_content(a.body, a.content_type.c_str());
}

}  // namespace

void UpdateApi::install(httplib::Server& server) {
  server.Get("/nic/update", [this](const httplib::Request& req, httplib::Response& res) {
    to_httplib(nic_update(from_httplib(req)), res);
  });
  auto rest_handler = [this](const httplib::Request& req, httplib::Response& res) {
    to_httplib(rest(from_httplib(req)), res);
  };
  server.Get(R"(/api/.*)", rest_handler);
  server.Get("/api", rest_handler);
  // cpp-httplib answers request lines over its compiled-in limit (8 KiB)
  // itself; give DynDNS clients their protocol word there too.
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 414 && res.body.empty()) res.set_content("badagent\n", "text/plain");
  });
}

}  // namespace namae::http
