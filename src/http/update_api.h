// The HTTP face of dynamic update: the DynDNS2 endpoint (`/nic/update`) and
// a small read-only JSON REST API (`/api/...`), both behind HTTP Basic
// authentication against Argon2id hashes.
//
// Each /nic/update request becomes one RFC 2136 transaction per zone through
// UpdateService::apply: the same engine, journal, leases and serial bump as
// a DNS UPDATE, so the HTTP path has no rules of its own about what may
// change. The user's permission is a policy of "name" grants for A and AAAA
// at the hostnames the config gives that user, checked again by the engine.
//
// Requests arrive as ApiRequest (a transport-neutral copy of what the
// handler needs), so tests drive the logic without sockets; install() hooks
// it into a cpp-httplib server.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/published.h"
#include "http/auth.h"
#include "http/dyndns.h"
#include "update/policy.h"
#include "net/acl.h"
#include "update/service.h"
#include "zone/zone_set.h"

namespace httplib {
class Server;
}

namespace namae {
class JsonWriter;
}

namespace namae::http {

/// One API user ([http] users in the config).
struct ApiUser {
  std::string name;
  std::string password_hash;         // $argon2id$...
  std::vector<dns::Name> hostnames;  // names this user may point at an address
};

/// Settings of the update API (docs/config.md, [http]).
struct ApiOptions {
  std::vector<ApiUser> users;
  /// Peers whose X-Forwarded-For is believed (reverse proxies in front of us).
  net::AddressAcl trusted_proxies;
  uint32_t ttl = 60;  // TTL of published addresses (the zone's dynamic-max-ttl still applies)
  unsigned fail_limit_source = 5;  // failed logins per source address per window
  unsigned fail_limit_user = 10;   // failed logins per user name per window
  int64_t fail_window_ms = 60000;
  size_t max_query_length = 1024;  // longer query strings get "badagent"
  DynLimits limits;
};

/// What a handler needs from an HTTP request.
struct ApiRequest {
  std::string method = "GET";
  std::string path;          // without the query string
  size_t target_length = 0;  // request-target length (path + query)
  std::multimap<std::string, std::string> params;
  std::string peer;  // remote address as text
  std::string authorization;
  std::string forwarded_for;  // X-Forwarded-For
  std::string user_agent;
};

/// A handler's answer.
struct ApiResponse {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
  bool challenge = false;  // add WWW-Authenticate: Basic
  /// /nic/update: the shortest lease (seconds) on the addresses just
  /// published, sent as `X-Namae-Lease` so a client can renew in time
  /// (DynDNS2 itself has no way to say it).
  std::optional<int64_t> lease;
};

/// The response header carrying ApiResponse::lease (shared with the client).
using net::kLeaseHeader;

/// Where one host's address last came from through this API (in memory).
struct LastUpdate {
  std::string user, source;
  int64_t at = 0;  // unix seconds
};

class UpdateApi {
 public:
  /// `zones` (may be null) lists every served zone for the REST API.
  /// `clock` (which must outlive the API) dates updates and leases
  /// (unix_time) and times the failed-login windows (now_ms).
  UpdateApi(ApiOptions options, update::UpdateService& service, const zone::ZoneSetHolder* zones,
            LogSink log = {}, const Clock& clock = system_clock());

  /// New users, proxies and limits (live reconfiguration): requests from
  /// now on use them; one being answered finishes with the options it
  /// began with (its authenticated user lives in them).
  void set_options(ApiOptions options);

  /// GET /nic/update (DynDNS2).
  ApiResponse nic_update(const ApiRequest& req);
  /// GET /api/zones, /api/zones/NAME, /api/hosts.
  ApiResponse rest(const ApiRequest& req);

  /// Register the routes on `server` (before it starts listening).
  void install(httplib::Server& server);

  /// Prometheus text of the API's counters: namae_http_updates_total{answer}
  /// (one per hostname line or whole-request answer) and
  /// namae_http_login_failures_total.
  std::string render_metrics() const;

 private:
  struct Auth {
    const ApiUser* user = nullptr;     // in the request's options
    std::optional<DynAnswer> refused;  // badauth or abuse
  };
  Auth authenticate(const ApiRequest& req, const std::string& source, const ApiOptions& opt);

  // One DynDNS2 request on its way: who asked, what, and one answer line per
  // hostname in request order.
  struct DynCall {
    const ApiUser& user;
    const std::string& source;
    const ApiOptions& opt;
    DynRequest request;
    std::string addr_text;           // the addresses as the answer lines show them
    std::vector<std::string> lines;  // by hostname
    std::optional<int64_t> lease;    // shortest granted, over every zone touched
  };
  std::optional<ApiResponse> refuse_request(const ApiRequest& req, const std::string& source,
                                            const ApiOptions& opt);
  std::map<dns::Name, std::vector<size_t>> group_by_zone(DynCall& call);
  void update_zone(DynCall& call, const dns::Name& zone, const std::vector<size_t>& idx);
  static DynAnswer dyn_answer(const update::UpdateResult& res, bool unchanged,
                              const std::function<bool()>& published_now);
  void report(DynCall& call, size_t i, DynAnswer a, const update::UpdateResult& res);
  void note_lease(DynCall& call, const dns::Name& zone, const std::vector<size_t>& idx);
  // Whether `name` has each of `addresses` (with `only`: as its one record
  // of that type).
  bool publishes(const dns::Name& zone, const dns::Name& name,
                 std::span<const IpAddress> addresses, bool only) const;
  std::string source_of(const ApiRequest& req, const ApiOptions& opt) const;
  bool owns(const ApiUser& user, const dns::Name& name) const;
  std::optional<dns::Name> dynamic_zone_of(const dns::Name& name) const;
  std::vector<dns::RdataBytes> published(const dns::Name& zone, const dns::Name& name,
                                         uint16_t type) const;
  ApiResponse rest_zones();
  ApiResponse rest_zone(const std::string& name);
  ApiResponse rest_hosts(const ApiOptions& opt);
  void write_host(JsonWriter& w, const dns::Name& name, const std::vector<update::Lease>& leases,
                  int64_t now) const;
  void write_last_update(JsonWriter& w, const dns::Name& name, const std::string& granted_to) const;
  void log(LogLevel level, const std::string& msg) const;

  Published<ApiOptions> opt_;  // each request takes them once and keeps them
  update::UpdateService& service_;
  const zone::ZoneSetHolder* zones_;
  LogSink log_;
  const Clock& clock_;
  FailureLimiter by_source_, by_user_;
  void count(DynAnswer a) {
    answers_[static_cast<size_t>(a)].fetch_add(1, std::memory_order_relaxed);
  }
  std::array<std::atomic<uint64_t>, 10> answers_{};  // by DynAnswer
  std::atomic<uint64_t> login_failures_{0};
  mutable std::mutex last_mu_;
  std::map<dns::Name, LastUpdate> last_;  // by host name
};

}  // namespace namae::http
