#pragma once

#include "core/Job.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sds::engine {

struct ValidationCounts {
    std::size_t passed = 0;
    std::size_t failed = 0;
    std::size_t unjudged = 0;
    std::size_t notApplicable = 0;
    [[nodiscard]] std::size_t total() const { return passed + failed + unjudged + notApplicable; }
};
[[nodiscard]] nlohmann::json toJson(const ValidationCounts& counts);
[[nodiscard]] ValidationCounts validationCountsFromJson(const nlohmann::json& json);

struct ValidationReport {
    bool ran = false; // false when the job's template has no validator
    ValidationCounts counts;
    std::vector<std::string> firstFailures; // "row 7: no such column: e.salry", a few
    std::string error;
};

// Checks every row of the dataset with the job's validator (SQL against the template's schema, or the
// syntax of Python code blocks), without a model, and writes one result per row to `results`
// (JSON Lines: {"row", "status", "message"}), replacing an earlier validation of the same dataset.
[[nodiscard]] ValidationReport validateDataset(const JobSpec& job, const std::filesystem::path& dataset,
                                               const std::filesystem::path& results);

[[nodiscard]] std::filesystem::path validationFile(const std::filesystem::path& runDir);

} // namespace sds::engine
