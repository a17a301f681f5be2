// `namae key generate NAME [--algorithm ALG] [--format all|toml|y|bind]`:
// a new random TSIG key, printed in the forms namaed, namae update/query and
// BIND take, so one command sets up both ends of a dynamic-update client.
#include <cstdio>
#include <optional>
#include <string>

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
  if (argv.size() < 2 || std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help") {
    std::fputs(kUsage, argv.size() < 2 ? stderr : stdout);
    return argv.size() < 2 ? 1 : 0;
  }
  if (std::string(argv[1]) != "generate") {
    std::fprintf(stderr, "namae key: unknown subcommand '%s'\n%s", argv[1], kUsage);
    return 1;
  }
  std::optional<std::string> name;
  dns::TsigAlgorithm alg = dns::TsigAlgorithm::hmac_sha256;
  std::string format = "all";
  for (size_t i = 2; i < argv.size(); ++i) {
    std::string a = argv[i];
    std::string value;
    bool has_value = false;
    // `--opt VALUE`, `--opt=VALUE` (and -a for --algorithm).
    auto take = [&](const std::string& opt, const char* short_opt) {
      if (a == opt || (short_opt && a == short_opt)) {
        if (i + 1 < argv.size()) {
          value = argv[++i];
          has_value = true;
        }
        return true;
      }
      if (a.rfind(opt + "=", 0) == 0) {
        value = a.substr(opt.size() + 1);
        has_value = true;
        return true;
      }
      return false;
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (take("--algorithm", "-a")) {
      if (!has_value) {
        std::fprintf(stderr, "namae key: --algorithm needs a value\n");
        return 1;
      }
      auto parsed = dns::tsig_algorithm_from_text(value);
      if (!parsed) {
        std::fprintf(stderr, "namae key: unknown algorithm '%s'\n%s", value.c_str(), kUsage);
        return 1;
      }
      alg = *parsed;
    } else if (take("--format", nullptr)) {
      if (!has_value || (value != "all" && value != "toml" && value != "y" && value != "bind")) {
        std::fprintf(stderr, "namae key: --format must be all, toml, y or bind\n");
        return 1;
      }
      format = value;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "namae key: unknown option '%s'\n%s", a.c_str(), kUsage);
      return 1;
    } else if (name) {
      std::fprintf(stderr, "namae key: only one key name\n");
      return 1;
    } else {
      name = a;
    }
  }
  if (!name) {
    std::fprintf(stderr, "namae key: generate needs a key NAME\n%s", kUsage);
    return 1;
  }
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
