#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace sds {

// Interrupted is never stored: it is how a run recorded as Running looks when no process runs it any more
// (see core/RunLock.h). StoppedAtBudget: the next request could have passed the run's cost cap; rows kept,
// resumable.
enum class RunStatus { Running, Completed, Partial, Failed, Cancelled, Interrupted, StoppedAtBudget };
[[nodiscard]] std::string toString(RunStatus status);
[[nodiscard]] std::optional<RunStatus> runStatusFromString(const std::string& text);

// One line of the Generations list.
struct RunRecord {
    std::string id;
    std::string displayName;
    std::string templateId;
    std::string workflow;
    std::string provider;
    std::string model;
    std::string parametersJson;
    int requestedSize = 0;
    int completedRows = 0;
    RunStatus status = RunStatus::Running;
    std::string outputPath;
    std::string runDir;
    std::int64_t createdAtMs = 0;
    std::optional<std::int64_t> finishedAtMs;
    std::int64_t inputTokens = 0;
    std::int64_t outputTokens = 0;
    std::optional<double> score; // the overall evaluation score, filled by evaluation
    std::string error;
    std::string validationJson; // {"passed": n, "failed": n, "unjudged": n, "not_applicable": n}; empty until
                                // validated
    std::string evaluationJson; // judge, scale, rows scored, summary file; empty until evaluated
    std::optional<double> costUsd;    // spent so far; none when the model's price is unknown
    std::optional<double> maxCostUsd; // the run's cost cap
    int requestsDone = 0;             // every session of the run, answered or given up
    int requestsPlanned = 0;          // if every answer were complete
};

// A file exported from a run's dataset.
struct ExportRecord {
    std::string runId;
    std::string path;
    std::string format; // openai, hf, csv, alpaca, bedrock
    std::string part;   // all, train, validation
    std::int64_t rows = 0;
    std::int64_t createdAtMs = 0;
};

// The run history in SQLite (WAL, versioned schema, each migration in a transaction). Safe to use from
// several threads and from several processes at once (the CLI and the app).
class RunHistory {
public:
    RunHistory() = default;
    ~RunHistory();
    RunHistory(const RunHistory&) = delete;
    RunHistory& operator=(const RunHistory&) = delete;

    // Opens or creates the database and migrates it; an error message naming the file, empty on success.
    [[nodiscard]] std::string open(const std::filesystem::path& file);
    static constexpr int kSchemaVersion = 3;
    [[nodiscard]] int schemaVersion();

    [[nodiscard]] std::string insert(const RunRecord& record);
    [[nodiscard]] std::string update(const RunRecord& record);
    [[nodiscard]] std::string updateProgress(const std::string& id, int completedRows,
                                             std::int64_t inputTokens, std::int64_t outputTokens,
                                             std::optional<double> costUsd = std::nullopt);
    [[nodiscard]] std::string rename(const std::string& id, const std::string& displayName);
    [[nodiscard]] std::string remove(const std::string& id);
    [[nodiscard]] std::optional<RunRecord> find(const std::string& id);
    // Newest first.
    [[nodiscard]] std::vector<RunRecord> list();

    [[nodiscard]] std::string setValidation(const std::string& id, const std::string& validationJson);
    [[nodiscard]] std::string setEvaluation(const std::string& id, std::optional<double> score,
                                            const std::string& evaluationJson);
    [[nodiscard]] std::string addExport(const ExportRecord& record);
    // Oldest first.
    [[nodiscard]] std::vector<ExportRecord> exports(const std::string& runId);

private:
    std::string exec(const char* sql);
    std::string migrate();

    std::mutex m_mutex;
    sqlite3* m_db = nullptr;
    std::filesystem::path m_file;
};

} // namespace sds
