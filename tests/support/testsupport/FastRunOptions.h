#pragma once

#include "engine/GenerationRun.h"

#include <chrono>
#include <cstdint>

namespace sds::testing {

// Run options for engine tests: backoff and progress reports in milliseconds, a fixed random seed.
inline engine::RunOptions fastRunOptions(std::uint64_t randomSeed) {
    engine::RunOptions options;
    options.backoffBase = std::chrono::milliseconds(1);
    options.backoffCap = std::chrono::milliseconds(5);
    options.progressInterval = std::chrono::milliseconds(20);
    options.randomSeed = randomSeed;
    return options;
}

} // namespace sds::testing
