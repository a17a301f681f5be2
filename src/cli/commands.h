// Subcommands of the `namae` tool. Each takes the arguments after its name
// (args[0] is the subcommand name) and returns the process exit status.
#pragma once

#include <span>

namespace namae::cli {

int query_main(std::span<char*> args);  // dig-like client (query.cpp)
int zone_main(std::span<char*> args);   // `zone check` (zone_check.cpp)
int ctl_main(std::span<char*> args);    // control a running namaed (ctl.cpp)
int update_main(std::span<char*> args); // nsupdate-like dynamic update client (update.cpp)
int key_main(std::span<char*> args);    // `key generate`: new TSIG keys (key.cpp)
int passwd_main(std::span<char*> args); // Argon2id hash for an [http] user (passwd.cpp)
int ddns_main(std::span<char*> args);   // the mobile host's update client (ddns.cpp)
int mdns_main(std::span<char*> args);   // multicast DNS / DNS-SD tools (mdns.cpp)
int watch_main(std::span<char*> args);  // DNS Push subscriber (watch.cpp)
int srp_main(std::span<char*> args);    // SRP requester: register a service (srp.cpp)

}  // namespace namae::cli
