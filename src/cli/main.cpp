// namae: every command-line tool as a subcommand (query, zone, ...).
#include <cstdio>

int main(int argc, char** argv) {
  std::fprintf(stderr, "usage: namae <command> ...\n");
  return 2;
}
