#include "daemon/mdns.h"

#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/logging.h"

namespace namae::daemon {

Result<std::vector<mdns::ServiceSpec>> mdns_services(const Config& cfg) {
  std::vector<mdns::ServiceSpec> out;
  for (const auto& s : cfg.mdns.services) {
    mdns::ServiceSpec spec;
    spec.instance = s.name;
    spec.type = s.type;
    spec.port = s.port;
    spec.txt = s.txt;
    spec.subtypes = s.subtypes;
    auto recs = mdns::service_records(spec, *dns::Name::from_text("x.local."), 1);
    if (!recs) return fail(fmt::format("{}:{}: [mdns] service '{}': {}", cfg.source, s.line, s.name, recs.message()));
    out.push_back(std::move(spec));
  }
  return out;
}

Result<std::unique_ptr<mdns::Stack>> start_mdns(const Config& cfg) {
  auto services = mdns_services(cfg);
  if (!services) return services.error();
  mdns::StackOptions opt;
  opt.interfaces = cfg.mdns.interfaces;
  opt.hostname = cfg.mdns.hostname;
  if (opt.hostname.empty()) {
    char buf[256] = "";
    gethostname(buf, sizeof buf - 1);
    opt.hostname = buf;
    if (auto dot = opt.hostname.find('.'); dot != std::string::npos) opt.hostname.resize(dot);
  }
  opt.ipv6 = cfg.mdns.ipv6;
  opt.rescan_ms = static_cast<int>(cfg.mdns.rescan_interval) * 1000;
  auto stack = std::make_unique<mdns::Stack>(opt);
  stack->log = spdlog_sink();
  if (auto r = stack->start(); !r) return r.error();
  for (const auto& s : *services) {
    auto id = stack->add_service(s);
    if (!id) return fail("[mdns] service '" + s.instance + "': " + id.message());
  }
  spdlog::info("mdns: responder for {}.local with {} service(s)", opt.hostname, services->size());
  return stack;
}

}  // namespace namae::daemon
