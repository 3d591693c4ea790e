#pragma once

#include <iosfwd>

namespace sds::cli {

// Runs the `sds` command line; returns the process exit code.
int run(int argc, char** argv);

} // namespace sds::cli
