// Trust anchors (RFC 4035 4.4; RFC 7958's published form): the zones whose
// keys are trusted without a parent's DS, each as DS or DNSKEY rdata. The
// root's current KSKs (KSK-2017, tag 20326, and KSK-2024, tag 38696) are
// built in; `[resolver] trust-anchor-file` replaces them with the DS or
// DNSKEY records of a zone file.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "dns/name.h"
#include "dns/record.h"
#include "zonefile/parser.h"

namespace namae::validator {

/// One anchored zone: its DS rdatas and/or DNSKEY rdatas (a DNSKEY anchor is
/// trusted as it is; a DS anchor through the DNSKEY it matches).
struct Anchor {
  dns::Name zone;
  std::vector<dns::RdataBytes> ds;
  std::vector<dns::RdataBytes> dnskeys;
};

/// Each DS or DNSKEY record of a trust-anchor file in order, with the file
/// and line it came from (other types are an error naming file and line;
/// a file without one is an error too).
Result<void> read_anchor_records(const std::string& path, const std::function<void(const zonefile::Record&)>& add);

class TrustAnchors {
 public:
  /// The root's KSK-2017 and KSK-2024 as DS records (IANA's root-anchors.xml).
  static TrustAnchors builtin_root();
  /// The DS and DNSKEY records of a zone file (other types are an error,
  /// naming file and line); at least one.
  static Result<TrustAnchors> from_file(const std::string& path);
  /// The same from text (`name` in diagnostics), for tests and the built-in set.
  static Result<TrustAnchors> from_text(const std::string& text, const std::string& name);

  /// Anchors already taken apart (RFC 5011's trust points give them).
  static TrustAnchors from_anchors(std::vector<Anchor> anchors);

  /// The deepest anchor at or above `name`, or nullptr.
  const Anchor* closest(const dns::Name& name) const;
  const std::vector<Anchor>& anchors() const { return anchors_; }

 private:
  void add(const dns::Record& r);
  std::vector<Anchor> anchors_;
};

}  // namespace namae::validator
