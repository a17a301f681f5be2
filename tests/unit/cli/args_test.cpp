#include "cli/args.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace namae::cli {
namespace {

// argv-style words for ArgParser::parse.
struct Argv {
  explicit Argv(std::vector<std::string> w) : words(std::move(w)) {
    for (auto& s : words) ptrs.push_back(s.data());
  }
  std::span<char* const> span() const { return ptrs; }
  std::vector<std::string> words;
  std::vector<char*> ptrs;
};

struct Parsed {
  bool verbose = false;
  std::string server;
  std::vector<std::string> interfaces;
  uint32_t port = 53;
  std::vector<std::string> positional;
};

ArgParser parser(Parsed& p) {
  ArgParser a("demo", "usage: namae demo\n");
  a.flag({"-v", "--verbose"}, p.verbose)
      .option({"-s", "--server"}, p.server)
      .option({"-i", "--interface"}, p.interfaces)
      .number({"-p", "--port"}, 1, 65535, "port", [&](uint32_t n) { p.port = n; })
      .positional([&](const std::string& v) {
        p.positional.push_back(v);
        return Result<void>{};
      });
  return a;
}

std::optional<int> run(Parsed& p, std::vector<std::string> words) {
  Argv argv(std::move(words));
  return parser(p).parse(argv.span());
}

TEST(CliArgs, ShortLongAndGluedLongOptions) {
  Parsed p;
  EXPECT_EQ(run(p, {"-v", "--server", "ns1", "-i", "eth0", "--interface=wlan0", "--port=5353",
                    "name"}),
            std::nullopt);
  EXPECT_TRUE(p.verbose);
  EXPECT_EQ(p.server, "ns1");
  EXPECT_EQ(p.interfaces, (std::vector<std::string>{"eth0", "wlan0"}));
  EXPECT_EQ(p.port, 5353u);
  EXPECT_EQ(p.positional, (std::vector<std::string>{"name"}));
}

TEST(CliArgs, DashAloneIsPositionalAndDoubleDashEndsOptions) {
  Parsed p;
  EXPECT_EQ(run(p, {"-", "--", "-v", "--help"}), std::nullopt);
  EXPECT_FALSE(p.verbose);
  EXPECT_EQ(p.positional, (std::vector<std::string>{"-", "-v", "--help"}));
}

TEST(CliArgs, HelpExitsZeroBeforeLaterErrors) {
  Parsed p;
  testing::internal::CaptureStdout();
  EXPECT_EQ(run(p, {"--help", "--bogus"}), exit_status::ok);
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "usage: namae demo\n");
  testing::internal::CaptureStdout();
  EXPECT_EQ(run(p, {"-h"}), exit_status::ok);
  testing::internal::GetCapturedStdout();
}

TEST(CliArgs, UsageErrorsExitTwoAndNameTheSubcommand) {
  struct Case {
    std::vector<std::string> words;
    std::string message;
  };
  for (const auto& c : std::vector<Case>{
           {{"--bogus"}, "namae demo: unknown option --bogus\n(see namae demo --help)\n"},
           {{"-s"}, "namae demo: -s needs a value\n(see namae demo --help)\n"},
           {{"--verbose=yes"}, "namae demo: --verbose takes no value\n(see namae demo --help)\n"},
           {{"-p", "0"}, "namae demo: bad port '0'\n(see namae demo --help)\n"},
           {{"-p", "65536"}, "namae demo: bad port '65536'\n(see namae demo --help)\n"},
           {{"--port=x"}, "namae demo: bad port 'x'\n(see namae demo --help)\n"},
       }) {
    Parsed p;
    testing::internal::CaptureStderr();
    EXPECT_EQ(run(p, c.words), exit_status::usage) << c.words[0];
    EXPECT_EQ(testing::internal::GetCapturedStderr(), c.message);
  }
}

TEST(CliArgs, PositionalsAreRefusedWithoutAHandler) {
  ArgParser a("bare", "usage\n");
  Argv argv({"extra"});
  testing::internal::CaptureStderr();
  EXPECT_EQ(a.parse(argv.span()), exit_status::usage);
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "namae bare: unexpected argument 'extra'\n(see namae bare --help)\n");
}

TEST(CliArgs, HandlerErrorsAreUsageErrors) {
  ArgParser a("key generate", "usage\n");
  a.option({"--format"}, [](const std::string& v) -> Result<void> {
    if (v != "toml") return fail("--format must be toml");
    return {};
  });
  Argv argv({"--format", "xml"});
  testing::internal::CaptureStderr();
  EXPECT_EQ(a.parse(argv.span()), exit_status::usage);
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "namae key generate: --format must be toml\n(see namae key generate --help)\n");
}

TEST(CliArgs, ParseNumberBounds) {
  EXPECT_EQ(*parse_number("0", 0, 10, "n"), 0u);
  EXPECT_EQ(*parse_number("10", 0, 10, "n"), 10u);
  EXPECT_FALSE(parse_number("11", 0, 10, "n"));
  EXPECT_FALSE(parse_number("", 0, 10, "n"));
  EXPECT_FALSE(parse_number("-1", 0, 10, "n"));
  EXPECT_EQ(parse_number("1x", 0, 10, "retry count").message(), "bad retry count '1x'");
}

}  // namespace
}  // namespace namae::cli
