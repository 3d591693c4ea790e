#pragma once

// Helpers shared by the engine tests that run a generation or curation against a scripted provider.

#include "core/Journal.h"
#include "engine/GenerationRun.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

namespace sds::testing {

// Retries and progress ticks in milliseconds, and a fixed random seed, so that runs are fast and repeatable.
inline engine::RunOptions fastRunOptions(std::uint64_t randomSeed) {
    engine::RunOptions options;
    options.backoffBase = std::chrono::milliseconds(1);
    options.backoffCap = std::chrono::milliseconds(5);
    options.progressInterval = std::chrono::milliseconds(20);
    options.randomSeed = randomSeed;
    return options;
}

inline std::vector<JournalRow> journalRows(const std::filesystem::path& path) {
    std::vector<JournalRow> rows;
    Journal::read(path, [&](JournalRow&& row) { rows.push_back(std::move(row)); });
    return rows;
}

// An answer whose structured output (and text) is `answer`.
inline providers::ChatResult structured(nlohmann::json answer) {
    providers::ChatResponse response;
    response.text = answer.dump();
    response.structured = std::move(answer);
    response.usage = {10, 5};
    return response;
}

} // namespace sds::testing
