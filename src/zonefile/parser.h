// Parser for RFC 1035 master files: one resource record per next() call.
//
// Handles $ORIGIN, $TTL (RFC 2308), $INCLUDE and BIND's $GENERATE, owner /
// TTL / class inheritance, and reports errors with file, line and column while
// carrying on with the next entry (up to a bound), so one run shows many
// mistakes. Zone-level checks (one SOA, CNAME and other data, ...) are not
// done here: see zonefile/zone.h.
//
// TTL defaults follow BIND's named-checkzone, which differs from a literal
// reading of RFC 1035 in one point (the SOA MINIMUM default below):
//  - after $TTL, records without a TTL get the $TTL value (RFC 2308);
//  - with no $TTL, an SOA without a TTL gets its MINIMUM field as TTL, and
//    that value then acts as if it were a $TTL (BIND's "using SOA MINTTL");
//  - with no $TTL and no SOA default, a record without a TTL gets the last
//    explicit TTL seen (RFC 1035 5.1); the first such record is an error;
//  - a TTL above 2^31-1 is set to 0 with a warning (RFC 2181 8).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "dns/record.h"
#include "zonefile/lexer.h"

namespace namae::zonefile {

/// How bad a diagnostic is. Errors make the zone unusable; warnings do not.
enum class Severity : uint8_t { note, warning, error };

/// One message about the input, with where it was found. `line`/`column` are 0
/// when not tied to a place (e.g. "zone has no SOA").
struct Diagnostic {
  Severity severity = Severity::error;
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;
  std::string message;

  /// "file:line:col: error: message" (as compilers print, so editors jump to it).
  std::string to_string() const;
};

/// One resource record as read from the file: the shared dns::Record plus
/// where it was read, which only the parser knows.
struct Record : dns::Record {
  /// File the record came from (shared by all records of that file).
  std::shared_ptr<const std::string> file;
  uint32_t line = 0;
};

/// Reads an included file's contents given the path as resolved by the
/// parser; lets tests and the fuzzer supply files without a file system.
using IncludeReader = std::function<Result<std::string>(const std::string& path)>;

/// Parser settings.
struct ParserOptions {
  /// Initial $ORIGIN. Without one, relative names before the first $ORIGIN
  /// are errors (`@` too).
  std::optional<dns::Name> origin;
  /// Zone class: records may omit it; records naming another class are errors.
  uint16_t rclass = 1;  // IN
  /// Allow $INCLUDE at all (the fuzzer and untrusted input turn it off).
  bool allow_include = true;
  /// Read included files; default reads the file system. Relative $INCLUDE
  /// paths are resolved against the including file's directory (as Knot
  /// does; BIND uses its working directory).
  IncludeReader include_reader;
  /// Nesting limit for $INCLUDE (also stops include loops that the
  /// same-file check cannot see, e.g. through symlinks).
  uint32_t max_include_depth = 16;
  /// Largest number of records one $GENERATE may produce (0 = no limit).
  uint64_t max_generate = 0;
  /// Stop after this many errors (the parser then reports end of input).
  uint32_t max_errors = 100;
};

/// Streaming master-file parser. Not thread-safe; one per file.
class Parser {
 public:
  /// Parse a file from disk. The file is read in one go.
  static Result<std::unique_ptr<Parser>> open(const std::string& path, ParserOptions options = {});
  /// Parse text held in memory; `file_name` is used in diagnostics and to
  /// resolve relative $INCLUDE paths.
  Parser(std::string text, std::string file_name, ParserOptions options = {});
  ~Parser();
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  /// Next record into `out`; false at end of input (or after max_errors).
  /// Bad entries are reported in diagnostics() and skipped.
  bool next(Record& out);

  /// Errors and warnings so far, in input order.
  const std::vector<Diagnostic>& diagnostics() const { return diags_; }
  size_t error_count() const { return errors_; }
  /// The origin currently in effect (changes with $ORIGIN), if any.
  const std::optional<dns::Name>& origin() const;
  /// Size of the main file's text in octets (callers size their record vectors from it).
  size_t input_size() const { return input_size_; }
  /// First origin ever set ($ORIGIN at top level or the option).
  const std::optional<dns::Name>& first_origin() const { return first_origin_; }

 private:
  struct Frame;
  struct Generate;

  void push_frame(std::string text, std::string file_name, std::optional<dns::Name> origin);
  bool handle_entry(Entry& e, Record& out);
  bool handle_record(Entry& e, Record& out);
  bool read_owner(const Entry& e, dns::Name& owner, size_t& i);
  bool read_type(const Entry& e, size_t& i, std::optional<uint32_t>& ttl, uint16_t& type);
  bool read_rdata(const Entry& e, size_t i, uint16_t type, dns::RdataBytes& rdata);
  void handle_directive(Entry& e);
  void do_include(Entry& e);
  void do_generate(Entry& e);
  bool read_generate_range(std::string_view range, Position where, Generate& g);
  bool generate_next(Record& out);
  /// Resolve TTL defaults for a record; returns false (after reporting) if none.
  bool settle_ttl(std::optional<uint32_t> explicit_ttl, uint16_t type, const dns::RdataBytes& rdata,
                  Position where, uint32_t& ttl);
  Result<dns::Name> owner_name(std::string_view text);
  void report(Severity s, Position where, std::string message);
  void report(Severity s, const Frame& f, Position where, std::string message);
  uint32_t limit_ttl(uint32_t ttl, Position where);

  ParserOptions opts_;
  std::vector<std::unique_ptr<Frame>> frames_;
  std::unique_ptr<Generate> gen_;
  Entry entry_;
  std::vector<Diagnostic> diags_;
  size_t errors_ = 0;
  size_t input_size_ = 0;
  bool stopped_ = false;
  std::optional<dns::Name> first_origin_;
  // TTL state shared across include files (BIND keeps $TTL after $INCLUDE returns).
  std::optional<uint32_t> default_ttl_;
  std::optional<uint32_t> last_ttl_;
  bool warned_1035_ = false;
};

/// Parse a whole file into memory. Diagnostics are appended to `diags`.
/// Returns the records in file order (duplicates included).
std::vector<Record> parse_file(const std::string& path, const ParserOptions& options,
                               std::vector<Diagnostic>& diags);

}  // namespace namae::zonefile
