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

std::mutex& appendMutex() {
    static std::mutex mutex;
    return mutex;
}

bool writeAll(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

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
    const auto read = readAppendedJsonLines(file, [&](const nlohmann::json& line) {
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

AppendedLinesResult readAppendedJsonLines(const std::filesystem::path& file,
                                          const std::function<bool(const nlohmann::json&)>& onLine) {
    AppendedLinesResult result;
    std::error_code ec;
    if (!std::filesystem::exists(file, ec))
        return result; // nothing appended yet
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        result.error = file.string() + ": cannot open: " + std::strerror(errno);
        return result;
    }
    std::string line;
    std::size_t lineNumber = 0;
    while (std::getline(in, line)) {
        ++lineNumber;
        if (in.eof()) { // no newline at the end: the writer died mid-line
            result.tornBytes = line.size();
            break;
        }
        if (line.empty() || line == "\r")
            continue;
        const auto json = nlohmann::json::parse(line, nullptr, false);
        if (json.is_discarded() || !onLine(json)) {
            if (result.corruptLines++ == 0)
                result.firstCorruptLine = lineNumber;
            continue;
        }
        ++result.lines;
    }
    if (in.bad())
        result.error = file.string() + ": read failed";
    return result;
}

std::string cutTornLastLine(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? std::string() : file.string() + ": cannot open: " + std::strerror(errno);
    const auto failed = [&](const char* what) {
        const std::string message = file.string() + ": " + what + ": " + std::strerror(errno);
        ::close(fd);
        return message;
    };
    const off_t size = ::lseek(fd, 0, SEEK_END);
    if (size < 0)
        return failed("cannot read");
    // Search backwards for the last '\n'; everything after it is a torn line.
    off_t keep = 0;
    char buffer[4096];
    for (off_t end = size; end > 0;) {
        const off_t start = std::max<off_t>(0, end - static_cast<off_t>(sizeof buffer));
        const ssize_t n = ::pread(fd, buffer, static_cast<std::size_t>(end - start), start);
        if (n != end - start)
            return failed("cannot read");
        const std::string_view chunk(buffer, static_cast<std::size_t>(n));
        if (end == size && !chunk.empty() && chunk.back() == '\n') {
            keep = size;
            break;
        }
        if (const auto newline = chunk.rfind('\n'); newline != std::string_view::npos) {
            keep = start + static_cast<off_t>(newline) + 1;
            break;
        }
        end = start;
    }
    if (keep != size && ::ftruncate(fd, keep) != 0)
        return failed("cannot repair the torn last line");
    ::close(fd);
    return {};
}

std::string appendJsonLine(const std::filesystem::path& file, const nlohmann::json& line) {
    const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::lock_guard lock(appendMutex());
    std::error_code ec;
    if (file.has_parent_path())
        std::filesystem::create_directories(file.parent_path(), ec);
    if (auto error = cutTornLastLine(file); !error.empty())
        return error;
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return file.string() + ": cannot open for appending: " + std::strerror(errno);
    const bool written = writeAll(fd, text);
    const int savedErrno = errno;
    ::close(fd);
    if (!written)
        return file.string() + ": cannot append: " + std::strerror(savedErrno);
    return {};
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
