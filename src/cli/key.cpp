// `namae key generate NAME [--algorithm ALG] [--format all|toml|y|bind]`:
// a new random TSIG key, printed in the forms namaed, namae update/query and
// BIND take, so one command sets up both ends of a dynamic-update client.
#include <cstdio>
#include <optional>
#include <string>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/key_util.h"

namespace namae::cli {

namespace {

const char* kUsage =
    "usage: namae key generate NAME [--algorithm ALG] [--format all|toml|y|bind]\n"
    "\n"
    "Prints a new random TSIG key (secret as long as the algorithm's digest):\n"
    "a [[key]] block for namaed's config, the -y string for namae update,\n"
    "namae query and nsupdate, and (with --format bind) a named.conf key clause.\n"
    "\n"
    "  --algorithm ALG  hmac-sha256 (default), hmac-sha384, hmac-sha512,\n"
    "                   hmac-sha224, hmac-sha1, hmac-md5 (old clients only)\n"
    "  --format F       all (default: toml and y), toml, y, bind\n";

}  // namespace

int key_main(std::span<char*> argv) {
  ArgParser top("key", kUsage);
  if (argv.size() < 2) return top.error("give a subcommand (generate)");
  if (std::string_view(argv[1]) != "generate") {
    if (auto status = top.parse(argv.subspan(1, 1))) return *status;  // --help, or an option
    return top.error("unknown subcommand '" + std::string(argv[1]) + "'");
  }
  std::optional<std::string> name;
  dns::TsigAlgorithm alg = dns::TsigAlgorithm::hmac_sha256;
  std::string format = "all";
  ArgParser p("key generate", kUsage);
  p.option({"--algorithm", "-a"},
           [&](const std::string& v) -> Result<void> {
             auto parsed = dns::tsig_algorithm_from_text(v);
             if (!parsed) return fail("unknown algorithm '" + v + "'");
             alg = *parsed;
             return {};
           })
      .option({"--format"},
              [&](const std::string& v) -> Result<void> {
                if (v != "all" && v != "toml" && v != "y" && v != "bind")
                  return fail("--format must be all, toml, y or bind");
                format = v;
                return {};
              })
      .positional([&](const std::string& v) -> Result<void> {
        if (name) return fail("only one key name");
        name = v;
        return {};
      });
  if (auto status = p.parse(argv.subspan(2))) return *status;
  if (!name) return p.error("generate needs a key NAME");
  auto key = generate_tsig_key(*name, alg);
  if (!key) {
    std::fprintf(stderr, "namae key: %s\n", key.message().c_str());
    return 1;
  }
  if (format == "all") {
    std::printf("# namaed configuration\n%s\n# namae update / namae query / nsupdate -y\n%s\n",
                key_to_toml(*key).c_str(), key_to_y(*key).c_str());
  } else if (format == "toml") {
    std::fputs(key_to_toml(*key).c_str(), stdout);
  } else if (format == "y") {
    std::printf("%s\n", key_to_y(*key).c_str());
  } else {
    std::fputs(key_to_bind(*key).c_str(), stdout);
  }
  return 0;
}

}  // namespace namae::cli
