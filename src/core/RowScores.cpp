#include "core/RowScores.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <limits>
#include <mutex>
#include <optional>
#include <unistd.h>
#include <unordered_map>

namespace sds {
namespace {

std::optional<std::size_t> rowOf(const nlohmann::json& line) {
    const auto it = line.find("row");
    if (it == line.end() || !it->is_number_unsigned())
        return std::nullopt;
    return it->get<std::size_t>();
}

std::string stringOr(const nlohmann::json& line, const char* key) {
    const auto it = line.find(key);
    return it != line.end() && it->is_string() ? it->get<std::string>() : std::string();
}

template <typename Result>
std::vector<Result> readResults(const std::filesystem::path& file, std::string* error, const char* what,
                                const std::function<std::optional<Result>(const nlohmann::json&)>& parse) {
    std::map<std::size_t, Result> byRow;
    const auto read = readAppendedJsonLines(file, [&](const nlohmann::ordered_json& line) {
        auto result = parse(line);
        if (!result)
            return false;
        byRow[result->row] = std::move(*result);
        return true;
    });
    if (error) {
        if (!read.error.empty())
            *error = read.error;
        else if (read.corruptLines > 0)
            *error = file.string() + ":" + std::to_string(read.firstCorruptLine) + ": not " + what + " (" +
                     std::to_string(read.corruptLines) + (read.corruptLines == 1 ? " line" : " lines") +
                     " skipped)";
        else
            error->clear();
    }
    std::vector<Result> results;
    results.reserve(byRow.size());
    for (auto& [row, result] : byRow)
        results.push_back(std::move(result));
    return results;
}

void add(ScoreSummary& summary, double score) {
    if (summary.count == 0) {
        summary.min = score;
        summary.max = score;
    } else {
        summary.min = std::min(summary.min, score);
        summary.max = std::max(summary.max, score);
    }
    ++summary.count;
    summary.mean += score; // the sum until finish()
}

void finish(ScoreSummary& summary) {
    if (summary.count > 0)
        summary.mean /= static_cast<double>(summary.count);
}

nlohmann::json summaryJson(const ScoreSummary& summary) {
    return {{"mean", summary.mean}, {"min", summary.min}, {"max", summary.max}, {"count", summary.count}};
}

} // namespace

nlohmann::json toJson(const RowEvaluation& evaluation) {
    return {{"row", evaluation.row},
            {"score", evaluation.score},
            {"justification", evaluation.justification},
            {"seed", evaluation.seed}};
}

nlohmann::json toJson(const RowValidation& validation) {
    return {{"row", validation.row}, {"status", validation.status}, {"message", validation.message}};
}

std::vector<RowEvaluation> readEvaluations(const std::filesystem::path& file, std::string* error) {
    return readResults<RowEvaluation>(
        file, error, "an evaluation result", [](const nlohmann::json& line) -> std::optional<RowEvaluation> {
            const auto row = rowOf(line);
            if (!row)
                return std::nullopt;
            const auto score = line.find("score");
            if (score == line.end() || !score->is_number() || !std::isfinite(score->get<double>()))
                return std::nullopt;
            return RowEvaluation{*row, score->get<double>(), stringOr(line, "justification"),
                                 stringOr(line, "seed")};
        });
}

std::vector<RowValidation> readValidations(const std::filesystem::path& file, std::string* error) {
    return readResults<RowValidation>(
        file, error, "a validation result", [](const nlohmann::json& line) -> std::optional<RowValidation> {
            const auto row = rowOf(line);
            if (!row)
                return std::nullopt;
            const std::string status = stringOr(line, "status");
            if (status != kValidationPassed && status != kValidationFailed && status != kValidationUnjudged &&
                status != kValidationNotApplicable)
                return std::nullopt;
            return RowValidation{*row, status, stringOr(line, "message")};
        });
}

EvaluationSummary summarize(const std::vector<RowEvaluation>& evaluations) {
    EvaluationSummary summary;
    std::unordered_map<std::string, std::size_t> seedSlot;
    for (const auto& evaluation : evaluations) {
        add(summary.overall, evaluation.score);
        const auto [slot, inserted] = seedSlot.try_emplace(evaluation.seed, summary.perSeed.size());
        if (inserted)
            summary.perSeed.emplace_back(evaluation.seed, ScoreSummary{});
        add(summary.perSeed[slot->second].second, evaluation.score);
        ++summary.histogram[static_cast<int>(std::lround(evaluation.score))];
    }
    finish(summary.overall);
    for (auto& [seed, scores] : summary.perSeed)
        finish(scores);
    return summary;
}

nlohmann::json toJson(const EvaluationSummary& summary) {
    nlohmann::json perSeed = nlohmann::json::array();
    for (const auto& [seed, scores] : summary.perSeed) {
        auto item = summaryJson(scores);
        item["seed"] = seed;
        perSeed.push_back(std::move(item));
    }
    nlohmann::json histogram = nlohmann::json::array();
    for (const auto& [score, rows] : summary.histogram)
        histogram.push_back({{"score", score}, {"rows", rows}});
    return {{"overall", summaryJson(summary.overall)},
            {"per_seed", std::move(perSeed)},
            {"histogram", histogram}};
}

} // namespace sds
