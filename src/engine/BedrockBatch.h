#pragma once

#include "core/BatchJobState.h"
#include "core/Cancellation.h"
#include "core/Job.h"
#include "engine/GenerationRun.h"
#include "providers/bedrock/BedrockProvider.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sds::engine {

// How often a batch job's status is asked: `first` after submitting, doubling (with jitter) up to `longest`.
struct BatchPolling {
    std::chrono::milliseconds first{std::chrono::seconds(30)};
    std::chrono::milliseconds longest{std::chrono::minutes(5)};
};

// One record of a batch job: `count` rows for seed (or excerpt) `seedIndex`.
struct BatchRecordPlan {
    std::size_t seedIndex = 0;
    int batchNumber = 0; // of the seed, from 0
    int count = 0;
    [[nodiscard]] std::string recordId() const; // "s12-b3-n5"
    bool operator==(const BatchRecordPlan&) const = default;
};
[[nodiscard]] std::optional<BatchRecordPlan> recordPlanFromId(const std::string& recordId);

// Each seed's missing rows (its quota less `rowsHeld`) in requests of at most `rowsPerRequest` rows: the
// same seed × batch plan the on-demand run starts from.
[[nodiscard]] std::vector<BatchRecordPlan>
planBatchRecords(const std::vector<int>& quotas, const std::vector<int>& rowsHeld, int rowsPerRequest);

// What a batch job brought back.
struct BatchPhaseResult {
    std::vector<PrefetchedAnswer> answers;
    int records = 0;       // records the job was given (this session read its output)
    int failedRecords = 0; // records that came back with an error or an unusable answer
    providers::TokenUsage tokens;
    std::vector<std::string> problems; // the first few distinct record failures
    bool cancelled = false;            // stopped while waiting; the job goes on and a resume re-attaches
    std::string error;                 // why the run cannot go on (the job failed, S3 refused, …)
    std::string notice;                // why no job was submitted (too few rows left), if so
};

// The batch part of a run: builds the job's records (recordId + the model's native body) from the
// seed × batch plan, uploads them under the job's S3 location, creates the job with the role ARN, polls
// it with backoff, and reads its output records back as answers for the generation to take in. When at
// least a job's minimum of records failed, they go into one follow-up job. Every step is kept in
// runs/<id>/batch.json first, so that a resumed run re-attaches to the same job.
class BedrockBatchPhase {
public:
    struct Inputs {
        std::string runId;
        std::filesystem::path runDir;
        std::filesystem::path journalPath;
        JobSpec job;
        std::vector<GroundingChunk> chunks;
        RunOptions options;
    };

    BedrockBatchPhase(Inputs inputs, const providers::bedrock::BedrockProvider& provider,
                      BatchPolling polling = {});

    // Called after every change of the job's state (created, each status check, output read).
    void onStatus(std::function<void(const BatchJobState&)> callback);

    BatchPhaseResult run(const CancellationToken& cancel);

private:
    // The records of the seeds' missing rows, uploaded; a notice instead when they are too few for a job.
    [[nodiscard]] std::string submit(BatchJobState& state, BatchPhaseResult& result,
                                     const CancellationToken& cancel);
    [[nodiscard]] std::string upload(BatchJobState& state, const std::vector<BatchRecordPlan>& plan,
                                     BatchPhaseResult& result, const CancellationToken& cancel);
    [[nodiscard]] std::string create(BatchJobState& state, BatchPhaseResult& result,
                                     const CancellationToken& cancel);
    [[nodiscard]] std::string waitForJob(BatchJobState& state, BatchPhaseResult& result,
                                         const CancellationToken& cancel);
    // The answers of every round's output (a record answered in any of them counts), and the records
    // that none answered.
    [[nodiscard]] std::string readOutputs(const BatchJobState& state, BatchPhaseResult& result,
                                          std::vector<BatchRecordPlan>& failed,
                                          const CancellationToken& cancel);
    [[nodiscard]] std::string save(const BatchJobState& state);
    [[nodiscard]] providers::ChatRequest requestFor(const BatchRecordPlan& plan) const;

    Inputs m_inputs;
    const providers::bedrock::BedrockProvider& m_provider;
    BatchPolling m_polling;
    std::function<void(const BatchJobState&)> m_statusCallback;
};

// Records in runs/<id>/batch.json that the job's answers are in the run's journal, so that a resumed
// run asks for what is missing on demand instead of reading the job's output again.
[[nodiscard]] std::string markBatchAnswersTaken(const std::filesystem::path& runDir);

} // namespace sds::engine
