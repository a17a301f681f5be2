// Placeholder until the zone subcommand lands (its helper deletes this file).
#include <cstdio>
#include "cli/commands.h"
int namae::cli::zone_main(std::span<char*>) { std::fprintf(stderr, "not built yet\n"); return 2; }
