#pragma once

#include "core/JsonLines.h"

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace sds {

// Per-row results kept beside a dataset as JSON Lines, one object per row, appended as they arrive;
// reading them back takes the last result of each row, so a resumed evaluation simply appends.

struct RowEvaluation {
    std::size_t row = 0;
    double score = 0;
    std::string justification;
    std::string seed;
};

inline constexpr const char* kValidationPassed = "passed";
inline constexpr const char* kValidationFailed = "failed";
inline constexpr const char* kValidationUnjudged = "unjudged";
inline constexpr const char* kValidationNotApplicable = "not_applicable";

struct RowValidation {
    std::size_t row = 0;
    std::string status; // "passed", "failed", "unjudged", "not_applicable"
    std::string message;
};

// {"row", "score", "justification", "seed"} and {"row", "status", "message"}: the lines of the files.
[[nodiscard]] nlohmann::json toJson(const RowEvaluation& evaluation);
[[nodiscard]] nlohmann::json toJson(const RowValidation& validation);

// The results in the file, sorted by row, the last line of a row winning. A missing file has none.
// Lines that are not results are skipped; `error` then names the first one ("<file>:<line>: ..."), and
// also says why a file that exists could not be read.
[[nodiscard]] std::vector<RowEvaluation> readEvaluations(const std::filesystem::path& file,
                                                         std::string* error = nullptr);
[[nodiscard]] std::vector<RowValidation> readValidations(const std::filesystem::path& file,
                                                         std::string* error = nullptr);

struct ScoreSummary {
    double mean = 0;
    double min = 0;
    double max = 0;
    std::size_t count = 0;
};
struct EvaluationSummary {
    ScoreSummary overall;
    std::vector<std::pair<std::string, ScoreSummary>> perSeed; // in first-seen order
    std::map<int, std::size_t> histogram;                      // score rounded half away from zero -> rows
};
[[nodiscard]] EvaluationSummary summarize(const std::vector<RowEvaluation>& evaluations);
// {"overall": {"mean","min","max","count"}, "per_seed": [{"seed", "mean","min","max","count"}],
//  "histogram": [{"score", "rows"}] in ascending score order}
[[nodiscard]] nlohmann::json toJson(const EvaluationSummary& summary);

} // namespace sds
