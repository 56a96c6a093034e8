// The faasnet binary: everything is in the libraries; see src/cli/cli.h.
#include "cli/cli.h"

int main(int argc, char** argv) { return faasnet::cli::Main(argc, argv); }
