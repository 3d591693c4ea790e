#include "cli/Cli.h"

int main(int argc, char** argv) {
    return sds::cli::run(argc, argv);
}
