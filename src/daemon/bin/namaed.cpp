// namaed's entry point; everything lives in the namae_daemon library so tests
// and tools can reuse it.
#include "daemon/daemon.h"

int main(int argc, char** argv) { return namae::daemon::namaed_main(argc, argv); }
