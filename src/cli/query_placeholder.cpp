// Placeholder until the query subcommand lands (its helper deletes this file).
#include <cstdio>
#include "cli/commands.h"
int namae::cli::query_main(std::span<char*>) { std::fprintf(stderr, "not built yet\n"); return 2; }
