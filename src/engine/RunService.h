#pragma once

#include "core/Job.h"
#include "core/Project.h"
#include "core/RunHistory.h"
#include "core/RunLock.h"
#include "engine/BedrockBatch.h"
#include "engine/FailedWork.h"
#include "engine/GenerationRun.h"
#include "engine/Validation.h"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <variant>

namespace sds::engine {

// A run with its folder and history entry, ready to execute.
struct PreparedRun {
    std::string id;
    JobSpec job;
    std::filesystem::path runDir;
    std::filesystem::path journalPath;
    std::filesystem::path datasetPath;
    std::filesystem::path metadataPath;
    std::int64_t createdAtMs = 0;
    bool resumed = false;
    ResumeScope resumeScope = ResumeScope::Everything;
    FailedWork earlierFailures; // a resumed run: what failed in its earlier sessions
    // Held from before the history says "running" until the run is dropped: others see it is running.
    std::shared_ptr<RunLock> lock;
    providers::TokenUsage tokensBefore; // spent by earlier sessions of a resumed run
    std::optional<double> costBefore;   // their cost, when known
    int requestsBefore = 0;             // their requests
    std::optional<FoundPrice> price;    // the model's price; none when unknown
    std::vector<GroundingChunk> chunks; // documents workflow: the excerpts, saved in the run folder
    std::size_t inputElements = 0;      // curation: elements in the input file
    // What the user should know before the run starts: unusable documents, skipped curation elements.
    std::vector<std::string> notices;
};

struct RunReport {
    std::string runId;
    RunOutcome outcome;
    std::filesystem::path datasetPath; // empty when no row arrived
    std::filesystem::path metadataPath;
    std::size_t datasetRows = 0;
    double seconds = 0;
    ValidationReport validation; // ran when the template has a validator
};

struct RunCallbacks {
    std::function<void(const Progress&)> progress;
    std::function<void(const JournalRow&)> row;
    // A batch run's job: created, and every change its status checks see.
    std::function<void(const BatchJobState&)> batchStatus;
};

// Everything around one generation: the run folder (job.json, journal.jsonl), the history entry,
// the dataset written atomically from the journal at the end, and its metadata file.
class RunService {
public:
    RunService(Project project, RunHistory& history);

    // A new run of `job`; a one-line error when the folder or history entry cannot be made, or when the
    // job's input cannot be used (no document has text, the curation file is malformed).
    [[nodiscard]] std::variant<PreparedRun, std::string> prepare(const JobSpec& job);
    // The run `runId` again, from its saved job and journal; an error when unknown, already complete,
    // running in another process, or (FailedOnly) when nothing of it failed. `maxCostUsd`, when given, is
    // the run's new cost cap (saved in its job.json).
    [[nodiscard]] std::variant<PreparedRun, std::string>
    prepareResume(const std::string& runId, ResumeScope scope = ResumeScope::Everything,
                  std::optional<double> maxCostUsd = std::nullopt);

    RunReport execute(const PreparedRun& run, std::shared_ptr<providers::Provider> provider,
                      RunOptions options, const RunCallbacks& callbacks, const CancellationToken& cancel);

    // Marks a prepared run as failed before it ran (e.g. the provider could not be created).
    void markFailed(const PreparedRun& run, const std::string& error);

    [[nodiscard]] const Project& project() const { return m_project; }
    void setBatchPolling(BatchPolling polling) { m_batchPolling = polling; }

private:
    // The Bedrock batch job of a batch run, before the generation takes in its answers; an error when the
    // run cannot go on now.
    [[nodiscard]] std::string runBatchPhase(const PreparedRun& run, providers::Provider& provider,
                                            const RunOptions& options, const RunCallbacks& callbacks,
                                            const CancellationToken& cancel, BatchPhaseResult& result);

    Project m_project;
    RunHistory& m_history;
    BatchPolling m_batchPolling;
};

// The excerpts of the job's documents; a file that cannot be read is a notice and the others are used. An
// error when no document gives any text.
[[nodiscard]] std::variant<std::vector<GroundingChunk>, std::string>
documentExcerpts(const JobSpec& job, std::vector<std::string>& notices);

[[nodiscard]] std::string newRunId();
[[nodiscard]] std::int64_t nowMs();
// "qa_pairs_<model>_<UTC time>_<run suffix>_final.json", close to how Cloudera's Synthetic Data Studio
// names them.
[[nodiscard]] std::string datasetFileName(const std::string& model, std::int64_t timeMs,
                                          const std::string& runId);

} // namespace sds::engine
