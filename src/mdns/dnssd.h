// DNS-SD (RFC 6763) on top of the mDNS core: the records a service or a host
// publishes, TXT encoding rules, and names with spaces and UTF-8 in their
// instance label. Pure functions: no sockets, no time.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "mdns/packet.h"

namespace namae::mdns {

/// Default TTLs (RFC 6762 10): host-name records 120 s, everything else 75 min.
inline constexpr uint32_t kHostTtl = 120;
inline constexpr uint32_t kOtherTtl = 4500;

/// "_services._dns-sd._udp.local." (RFC 6763 9).
const dns::Name& services_name();

/// TXT rdata from "key=value" strings (RFC 6763 6): each string at most 255
/// octets, keys printable ASCII without '=' and not empty; no strings at all
/// gives the single zero octet of 6.1.
Result<dns::RdataBytes> encode_txt(const std::vector<std::string>& items);
/// The strings of TXT rdata (an empty rdata or a lone empty string gives none).
std::vector<std::string> decode_txt(std::span<const uint8_t> rdata);

/// "_http._tcp" (or "_http._tcp.local") → "_http._tcp.local."; checks the
/// RFC 6335 shape: "_service._tcp" or "_service._udp".
Result<dns::Name> service_type(const std::string& type, const std::string& domain = "local");
/// Instance name: `instance` taken as one raw label (spaces, dots, UTF-8
/// allowed, at most 63 octets) before the service type (RFC 6763 4.3).
Result<dns::Name> instance_name(const std::string& instance, const dns::Name& type);
/// "My Printer (2)" for attempt 2 (RFC 6762 9 style rename of an instance).
std::string instance_for_attempt(const std::string& instance, int attempt);
/// "host-2" for attempt 2 (what Avahi does for host names).
std::string host_for_attempt(const std::string& host, int attempt);
/// The first label of `name` as text, without escapes (for display of instance names).
std::string first_label(const dns::Name& name);

/// Presentation form for people: a service instance's first label raw
/// ("My Printer._ipp._tcp.local."), every other name as Name::to_text().
std::string display_name(const dns::Name& name);

/// A service to register.
struct ServiceSpec {
  std::string instance;              // "My Printer"
  std::string type;                  // "_ipp._tcp"
  uint16_t port = 0;
  std::vector<std::string> txt;      // "rp=queue1"
  std::vector<std::string> subtypes; // "_universal" → _universal._sub._ipp._tcp.local
  std::string domain = "local";
};

/// The records of `svc` for naming attempt `attempt` with SRV target `host`
/// (PTR type→instance, PTR enumeration, subtype PTRs; SRV and TXT unique).
Result<std::vector<Record>> service_records(const ServiceSpec& svc, const dns::Name& host, int attempt);

/// A host's records: A/AAAA for each address (unique), and a reverse PTR for
/// each (under in-addr.arpa / ip6.arpa, unique). Addresses as text.
Result<std::vector<Record>> host_records(const dns::Name& host, const std::vector<std::string>& addresses);
/// The reverse-mapping name of an address ("4.3.2.1.in-addr.arpa.").
Result<dns::Name> reverse_name(const std::string& address);

/// A resolved service: SRV + TXT + addresses.
struct ServiceInfo {
  std::string instance;
  dns::Name name, type, target;
  uint16_t port = 0, priority = 0, weight = 0;
  std::vector<std::string> txt;
  std::vector<std::string> addresses;
};

/// Build a ServiceInfo from records (as found in a cache) for instance `name`.
std::optional<ServiceInfo> assemble_service(const dns::Name& name, const std::vector<Record>& records);

/// Text of an A/AAAA rdata.
std::string address_text(const Record& r);

}  // namespace namae::mdns
