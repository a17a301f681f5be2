#include "net/metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>

#include <fmt/format.h>

#include "dns/rrtype.h"

namespace namae::net {
namespace {

const char* kRcodeNames[16] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
                               "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI",
                               "RCODE12", "RCODE13", "RCODE14", "RCODE15"};

// Per-type counters cover 0-255; the rest share one label.
std::string qtype_label(size_t t) {
  if (t >= 256) return "other";
  return dns::type_to_text(static_cast<uint16_t>(t));
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Prometheus label values escape backslash, quote and newline.
std::string escape_label(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') { out += "\\n"; continue; }
    out += c;
  }
  return out;
}

}  // namespace

MetricsRegistry::MetricsRegistry() : start_time_(now_seconds()) {}

WorkerMetrics* MetricsRegistry::add_worker() {
  std::lock_guard lock(mu_);
  return &workers_.emplace_back(this);
}

uint32_t MetricsRegistry::zone_slot(std::string_view name) {
  std::string key(name);
  for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (key.size() > 1 && key.back() == '.') key.pop_back();
  std::lock_guard lock(mu_);
  auto it = zone_slots_.find(key);
  if (it != zone_slots_.end()) return it->second;
  uint32_t slot = zone_names_.size() < kMaxZoneSlots - 1 ? static_cast<uint32_t>(zone_names_.size())
                                                         : static_cast<uint32_t>(kMaxZoneSlots - 1);
  if (slot < kMaxZoneSlots - 1) zone_names_.push_back(key);
  zone_slots_.emplace(key, slot);
  return slot;
}

uint64_t MetricsRegistry::total_queries() const {
  std::lock_guard lock(mu_);
  uint64_t n = 0;
  for (const auto& w : workers_) n += w.udp_.get() + w.tcp_.get();
  return n;
}

uint64_t MetricsRegistry::total_dropped() const {
  std::lock_guard lock(mu_);
  uint64_t n = 0;
  for (const auto& w : workers_) n += w.dropped_.get();
  return n;
}

// Response rate limiting: totals by action, then by class and action.
void MetricsRegistry::render_rrl(std::string& o) const {
  uint64_t n[2][kRrlClassNames.size()] = {};
  for (const auto& w : workers_)
    for (size_t a = 0; a < 2; ++a)
      for (size_t c = 0; c < kRrlClassNames.size(); ++c) n[a][c] += w.rrl_[a][c].get();
  static constexpr const char* kAction[2] = {"dropped", "slipped"};
  o += "# HELP namae_rrl_total UDP responses rate limiting dropped, or slipped (sent truncated, TC=1).\n"
       "# TYPE namae_rrl_total counter\n";
  for (size_t a = 0; a < 2; ++a) {
    uint64_t total = 0;
    for (size_t c = 0; c < kRrlClassNames.size(); ++c) total += n[a][c];
    o += fmt::format("namae_rrl_total{{action=\"{}\"}} {}\n", kAction[a], total);
  }
  o += "# HELP namae_rrl_class_total Rate-limited UDP responses by response class (BIND's) and action.\n"
       "# TYPE namae_rrl_class_total counter\n";
  for (size_t c = 0; c < kRrlClassNames.size(); ++c)
    for (size_t a = 0; a < 2; ++a)
      if (n[a][c])
        o += fmt::format("namae_rrl_class_total{{class=\"{}\",action=\"{}\"}} {}\n", kRrlClassNames[c], kAction[a],
                         n[a][c]);
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mu_);
  std::string o;
  o.reserve(8192);
  auto sum = [&](auto field) {
    uint64_t n = 0;
    for (const auto& w : workers_) n += field(w).get();
    return n;
  };

  o += "# HELP namae_queries_total Queries answered, by transport.\n# TYPE namae_queries_total counter\n";
  o += fmt::format("namae_queries_total{{proto=\"udp\"}} {}\n", sum([](const WorkerMetrics& w) -> const Counter& { return w.udp_; }));
  o += fmt::format("namae_queries_total{{proto=\"tcp\"}} {}\n", sum([](const WorkerMetrics& w) -> const Counter& { return w.tcp_; }));

  o += "# HELP namae_queries_by_type_total Queries answered, by question type.\n# TYPE namae_queries_by_type_total counter\n";
  for (size_t t = 0; t < 257; ++t) {
    uint64_t n = sum([t](const WorkerMetrics& w) -> const Counter& { return w.qtype_[t]; });
    if (n) o += fmt::format("namae_queries_by_type_total{{qtype=\"{}\"}} {}\n", qtype_label(t), n);
  }
  o += "# HELP namae_responses_total Responses sent, by rcode.\n# TYPE namae_responses_total counter\n";
  for (size_t r = 0; r < 16; ++r) {
    uint64_t n = sum([r](const WorkerMetrics& w) -> const Counter& { return w.rcode_[r]; });
    if (n || r == 0) o += fmt::format("namae_responses_total{{rcode=\"{}\"}} {}\n", kRcodeNames[r], n);
  }
  o += "# HELP namae_dropped_total Datagrams or frames not answered (malformed, responses, refused by the role).\n"
       "# TYPE namae_dropped_total counter\n";
  o += fmt::format("namae_dropped_total {}\n", sum([](const WorkerMetrics& w) -> const Counter& { return w.dropped_; }));

  o += "# HELP namae_query_duration_seconds Time spent answering a query.\n# TYPE namae_query_duration_seconds histogram\n";
  uint64_t cumulative = 0;
  for (size_t b = 0; b <= kLatencyBucketsUs.size(); ++b) {
    cumulative += sum([b](const WorkerMetrics& w) -> const Counter& { return w.latency_[b]; });
    if (b < kLatencyBucketsUs.size())
      o += fmt::format("namae_query_duration_seconds_bucket{{le=\"{}\"}} {}\n", kLatencyBucketsUs[b] / 1e6, cumulative);
    else
      o += fmt::format("namae_query_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", cumulative);
  }
  o += fmt::format("namae_query_duration_seconds_sum {}\n",
                   sum([](const WorkerMetrics& w) -> const Counter& { return w.latency_sum_ns_; }) / 1e9);
  o += fmt::format("namae_query_duration_seconds_count {}\n", cumulative);

  o += "# HELP namae_zone_queries_total Queries answered from each zone.\n# TYPE namae_zone_queries_total counter\n";
  for (size_t z = 0; z < zone_names_.size(); ++z) {
    uint64_t n = sum([z](const WorkerMetrics& w) -> const Counter& { return w.zone_[z]; });
    o += fmt::format("namae_zone_queries_total{{zone=\"{}\"}} {}\n", escape_label(zone_names_[z]), n);
  }
  if (zone_names_.size() >= kMaxZoneSlots - 1) {
    uint64_t n = sum([](const WorkerMetrics& w) -> const Counter& { return w.zone_[kMaxZoneSlots - 1]; });
    o += fmt::format("namae_zone_queries_total{{zone=\"(other)\"}} {}\n", n);
  }

  render_rrl(o);

  o += "# HELP namae_tcp_connections Open TCP connections.\n# TYPE namae_tcp_connections gauge\n";
  o += fmt::format("namae_tcp_connections {}\n", tcp_connections.load());
  o += "# TYPE namae_tcp_accepted_total counter\n";
  o += fmt::format("namae_tcp_accepted_total {}\n", tcp_accepted.load());
  o += "# HELP namae_tcp_closed_total TCP connections refused at the limit, or closed for idleness or a client that does not read.\n"
       "# TYPE namae_tcp_closed_total counter\n";
  o += fmt::format("namae_tcp_closed_total{{reason=\"refused\"}} {}\n", tcp_refused.load());
  o += fmt::format("namae_tcp_closed_total{{reason=\"idle\"}} {}\n", tcp_idle_closed.load());
  o += fmt::format("namae_tcp_closed_total{{reason=\"slow_reader\"}} {}\n", tcp_slow_closed.load());
  render_tls_streams(o);
  o += "# HELP namae_reloads_total Zone reloads (SIGHUP or ctl reload), and zones that failed to load.\n"
       "# TYPE namae_reloads_total counter\n";
  o += fmt::format("namae_reloads_total {}\n", reloads.load());
  o += "# TYPE namae_reload_failures_total counter\n";
  o += fmt::format("namae_reload_failures_total {}\n", reload_failures.load());
  o += "# HELP namae_notify_sent_total NOTIFY messages sent (RFC 1996), retries included.\n"
       "# TYPE namae_notify_sent_total counter\n";
  o += fmt::format("namae_notify_sent_total {}\n", notify_sent.load());
  o += "# HELP namae_notify_answered_total NOTIFYs a target answered with NOERROR.\n"
       "# TYPE namae_notify_answered_total counter\n";
  o += fmt::format("namae_notify_answered_total {}\n", notify_answered.load());
  o += "# HELP namae_notify_failed_total NOTIFYs given up on after every retry, or answered with an error.\n"
       "# TYPE namae_notify_failed_total counter\n";
  o += fmt::format("namae_notify_failed_total {}\n", notify_failed.load());
  o += "# TYPE namae_zones_loaded gauge\n";
  o += fmt::format("namae_zones_loaded {}\n", zones_loaded.load());
  o += "# HELP namae_xfr_out_total Zone transfers served as primary, by the answer's kind (an IXFR answered in full counts as axfr), and requests refused.\n"
       "# TYPE namae_xfr_out_total counter\n";
  o += fmt::format("namae_xfr_out_total{{type=\"axfr\"}} {}\n", xfr_out_axfr.load());
  o += fmt::format("namae_xfr_out_total{{type=\"ixfr\"}} {}\n", xfr_out_ixfr.load());
  o += fmt::format("namae_xfr_out_total{{type=\"refused\"}} {}\n", xfr_out_refused.load());
  o += "# TYPE namae_xfr_out_bytes_total counter\n";
  o += fmt::format("namae_xfr_out_bytes_total {}\n", xfr_out_bytes.load());

  // Process basics under the conventional names.
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  o += "# TYPE process_cpu_seconds_total counter\n";
  o += fmt::format("process_cpu_seconds_total {}\n", cpu);
  long rss_pages = 0, vsize_pages = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &vsize_pages, &rss_pages) != 2) rss_pages = vsize_pages = 0;
    std::fclose(f);
  }
  long page = sysconf(_SC_PAGESIZE);
  o += "# TYPE process_resident_memory_bytes gauge\n";
  o += fmt::format("process_resident_memory_bytes {}\n", rss_pages * page);
  o += "# TYPE process_virtual_memory_bytes gauge\n";
  o += fmt::format("process_virtual_memory_bytes {}\n", vsize_pages * page);
  int fds = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++fds;
    closedir(d);
    --fds;  // the directory stream itself
  }
  o += "# TYPE process_open_fds gauge\n";
  o += fmt::format("process_open_fds {}\n", fds);
  o += "# TYPE process_start_time_seconds gauge\n";
  o += fmt::format("process_start_time_seconds {:.3f}\n", start_time_);
  for (const auto& fn : renderers_) o += fn();
  return o;
}

void MetricsRegistry::add_renderer(std::function<std::string()> fn) {
  std::lock_guard lock(mu_);
  renderers_.push_back(std::move(fn));
}

void MetricsRegistry::render_tls_streams(std::string& o) const {
  struct Row {
    const char* name;
    const char* type;
    const char* help;
    int64_t dot, doh, push;
  };
  const Row rows[] = {
      {"namae_tls_connections", "gauge", "Open DNS over TLS / HTTPS / DNS Push connections.", dot.open.load(),
       doh.open.load(), push.open.load()},
      {"namae_tls_accepted_total", "counter", "DNS over TLS / HTTPS / DNS Push connections accepted.",
       static_cast<int64_t>(dot.accepted.load()), static_cast<int64_t>(doh.accepted.load()),
       static_cast<int64_t>(push.accepted.load())},
      {"namae_tls_queries_total", "counter", "Messages received over DNS over TLS / HTTPS / DNS Push.",
       static_cast<int64_t>(dot.queries.load()), static_cast<int64_t>(doh.queries.load()),
       static_cast<int64_t>(push.queries.load())},
      {"namae_tls_errors_total", "counter", "TLS handshakes or connections that failed.",
       static_cast<int64_t>(dot.tls_errors.load()), static_cast<int64_t>(doh.tls_errors.load()),
       static_cast<int64_t>(push.tls_errors.load())},
  };
  for (const auto& r : rows) {
    o += fmt::format("# HELP {} {}\n# TYPE {} {}\n", r.name, r.help, r.name, r.type);
    o += fmt::format("{}{{transport=\"dot\"}} {}\n{}{{transport=\"doh\"}} {}\n{}{{transport=\"push\"}} {}\n", r.name,
                     r.dot, r.name, r.doh, r.name, r.push);
  }
  o += "# HELP namae_doh_http_errors_total DoH requests refused with an HTTP error status (RFC 8484 4.2.1).\n"
       "# TYPE namae_doh_http_errors_total counter\n";
  o += fmt::format("namae_doh_http_errors_total {}\n", doh.http_errors.load());
}

}  // namespace namae::net
