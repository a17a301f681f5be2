// namaed: reads the config, loads zones, starts the listeners of the roles
// the config asks for, and runs until SIGTERM/SIGINT or `namae ctl stop`.
#pragma once

namespace namae::daemon {

/// The whole program; returns the exit status. `namaed --help` lists options.
int namaed_main(int argc, char** argv);

}  // namespace namae::daemon
