#include "cli/Cli.h"

#include <iostream>

namespace sds::cli {

int run(int argc, char** argv) {
    (void)argc;
    (void)argv;
    std::cout << "sds " << SDS_VERSION << "\n";
    return 0;
}

} // namespace sds::cli
