#pragma once

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

// Appends one line to a JSON Lines file (creating it and its folder), first cutting a torn last line
// left by a killed writer. Thread-safe within the process (one writing process per file); the line
// reaches the kernel, not necessarily the disk, before this returns. An error, empty on success.
[[nodiscard]] std::string appendJsonLine(const std::filesystem::path& file, const nlohmann::json& line);

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

// The tolerant reading of an append-only JSON Lines file, shared by the result files (and fit for the
// journal): a last line without its '\n' is a torn write and ignored; a complete line that is not JSON,
// or that `onLine` refuses (returns false), is counted and skipped.
struct AppendedLinesResult {
    std::size_t lines = 0;            // lines accepted by onLine
    std::size_t tornBytes = 0;        // bytes of an incomplete last line
    std::size_t corruptLines = 0;     // complete lines skipped
    std::size_t firstCorruptLine = 0; // 1-based, 0 when none
    std::string error;                // the file exists but cannot be read
};
[[nodiscard]] AppendedLinesResult
readAppendedJsonLines(const std::filesystem::path& file,
                      const std::function<bool(const nlohmann::json&)>& onLine);
// Cuts an incomplete last line so the next append starts on a line of its own. An error, empty on success.
[[nodiscard]] std::string cutTornLastLine(const std::filesystem::path& file);

} // namespace sds
