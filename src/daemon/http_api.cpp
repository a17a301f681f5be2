#include "daemon/http_api.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/dynamic.h"
#include "daemon/logging.h"

namespace namae::daemon {

Result<http::ApiOptions> api_options(const HttpConfig& cfg) {
  http::ApiOptions o;
  for (const auto& u : cfg.users) {
    http::ApiUser user;
    user.name = u.name;
    user.password_hash = u.password_hash;
    for (const auto& h : u.hostnames) {
      auto n = absolute_name(h);
      if (!n) return fail("[http] user '" + u.name + "': hostname '" + h + "': " + n.message());
      user.hostnames.push_back(std::move(*n));
    }
    o.users.push_back(std::move(user));
  }
  auto proxies = net::parse_acl(cfg.trusted_proxies);
  if (!proxies) return fail("[http] trusted-proxies: " + proxies.message());
  o.trusted_proxies = std::move(*proxies);
  o.ttl = cfg.update_ttl;
  o.fail_limit_source = cfg.login_failures_per_source;
  o.fail_limit_user = cfg.login_failures_per_user;
  o.fail_window_ms = int64_t{cfg.login_failure_window} * 1000;
  o.max_query_length = cfg.max_query_length;
  return o;
}

std::vector<std::string> hostnames_without_zone(const http::ApiOptions& opt, const update::UpdateService& service) {
  std::vector<std::string> out;
  for (const auto& u : opt.users)
    for (const auto& h : u.hostnames) {
      bool found = false;
      for (dns::Name n = h; !found; n = n.strip_left(1)) {
        found = service.has_zone(n);
        if (n.is_root()) break;
      }
      if (!found)
        out.push_back(fmt::format("[http] user '{}': {} is in no dynamic zone (a zone with a journal); its "
                                  "updates will answer nohost",
                                  u.name, h.to_text()));
    }
  return out;
}

Result<std::unique_ptr<http::UpdateApi>> install_update_api(const Config& cfg,
                                                            update::UpdateService& service,
                                                            const zone::ZoneSetHolder& zones,
                                                            http::MetricsServer& server) {
  auto opt = api_options(cfg.http);
  if (!opt) return fail(opt.message());
  for (const auto& w : hostnames_without_zone(*opt, service)) spdlog::warn("{}", w);
  auto api = std::make_unique<http::UpdateApi>(std::move(*opt), service, &zones, spdlog_sink());
  http::UpdateApi* raw = api.get();
  server.add_routes([raw](httplib::Server& s) { raw->install(s); });
  server.add_metrics([raw] { return raw->render_metrics(); });
  return api;
}

}  // namespace namae::daemon
