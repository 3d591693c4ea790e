#pragma once

#include "core/Cancellation.h"
#include "core/Job.h"
#include "core/Journal.h"
#include "core/PromptBuilder.h"
#include "core/RunHistory.h"
#include "core/quality/NearDuplicateIndex.h"
#include "core/quality/RowQualityGate.h"
#include "engine/FailedWork.h"
#include "engine/RequestPool.h"
#include "providers/Provider.h"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sds::engine {

struct Progress {
    int rowsDone = 0;
    int rowsRequested = 0;
    int rowsResumed = 0; // rows found in the journal when the run started
    int requestsDone = 0;
    int requestsPlanned = 0;
    int inFlight = 0;
    int concurrencyLimit = 0;
    int retries = 0;
    int failedRequests = 0; // requests given up after their retries
    int duplicates = 0;
    int invalidItems = 0;                // items missing a field, re-asked
    int nearDuplicates = 0;              // questions too close to an earlier one (ROUGE-L), re-asked
    quality::RejectionCounts lowQuality; // rows that failed the row-quality gate, re-asked
    int skippedInputs = 0;               // curation: elements without the input field
    providers::TokenUsage tokens;
    std::optional<double> costUsd;    // spent, earlier sessions included; none when the price is unknown
    std::optional<double> maxCostUsd; // the cap
    double elapsedSeconds = 0;
    double rowsPerSecond = 0;
    double etaSeconds = -1; // unknown
};

struct RunOptions {
    int maxAttemptsPerRequest = 6;
    std::chrono::milliseconds backoffBase{500};
    std::chrono::milliseconds backoffCap{std::chrono::seconds(30)};
    bool structuredOutput = true;
    bool boundItemCount = false; // put minItems/maxItems in the schema (helps small local models)
    // Requests a seed may use beyond its plan to replace duplicates and incomplete items.
    double refillFactor = 2.0;
    std::chrono::milliseconds progressInterval{200};
    std::chrono::milliseconds journalSyncInterval{std::chrono::seconds(1)};
    PromptOptions prompt;
    std::uint64_t randomSeed = 0;
    Spending spending;
    // The near-duplicate index of a run planned for more rows than `...AllInMemoryUpToRows` keeps this many
    // questions in memory and older ones in a file in the run's folder (NearDuplicateIndex::Spill), so its
    // memory stays flat however long the run; 0 keeps them all in memory. A smaller run keeps them all in
    // memory (about 600 bytes a question, so at most about 40 MB): searching files costs more CPU (the
    // reads), and the run is not long enough for its memory to matter.
    std::size_t nearDuplicateQuestionsInMemory = quality::NearDuplicateIndex::kDefaultHotLimit;
    std::size_t nearDuplicateAllInMemoryUpToRows = 65536;

    [[nodiscard]] RetryPolicy retryPolicy() const {
        return {maxAttemptsPerRequest, backoffBase, backoffCap, progressInterval, randomSeed};
    }
};

// How one seed (or document excerpt) fared.
struct SeedReport {
    std::string seed;
    int requested = 0;
    int accepted = 0;
    int duplicates = 0;
    int nearDuplicates = 0;
    quality::RejectionCounts lowQuality;
};

struct RunOutcome {
    RunStatus status = RunStatus::Failed;
    Progress progress;
    std::string error;                 // why it stopped early, one line; empty when completed
    std::vector<std::string> problems; // distinct request failures seen, first few
    std::vector<SeedReport> seeds;     // generation only
    FailedWork failed;                 // this session's failures and the earlier ones still not made good
};

// A document excerpt that stands in for a seed: questions are asked about it and answered from it.
struct GroundingChunk {
    std::string source; // the document's file name, shown to the model as the topic
    std::string text;
};

// An answer that came outside the request pool (a record of a Bedrock batch job) for `count` rows of
// seed (or excerpt) `seedIndex`; it goes through the same parsing, quality gate and duplicate checks.
struct PrefetchedAnswer {
    std::size_t seedIndex = 0;
    int count = 0;
    providers::ChatResponse response;
};

// The request the engine sends for one batch: `input` names the seed, count and questions not to
// repeat; the prompt, examples, schema and parameters come from the job.
[[nodiscard]] providers::ChatRequest buildChatRequest(const JobSpec& job, BatchRequestInput input,
                                                      const RunOptions& options);

// `base` with the pool's counters, the elapsed time, the rate of this session's rows and the ETA.
[[nodiscard]] Progress withCounters(Progress base, const RequestCounters& counters,
                                    std::chrono::steady_clock::time_point started, int rowsThisSession);

// Runs `pool` to the end, reporting `snapshot()` (taken under the pool's lock) to `onProgress` about every
// tick and syncing `journal` (when given) to the disk every `syncInterval`.
template <class Task, class Snapshot>
void runReportingProgress(RequestPool<Task>& pool, const CancellationToken& cancel, int plannedRequests,
                          Journal* journal, std::chrono::milliseconds syncInterval,
                          const std::function<void(const Progress&)>& onProgress, Snapshot snapshot) {
    auto lastSync = std::chrono::steady_clock::now();
    pool.run(cancel, plannedRequests, [&] {
        Progress progress;
        {
            std::lock_guard lock(pool.mutex());
            progress = snapshot();
        }
        if (onProgress)
            onProgress(progress);
        if (journal && std::chrono::steady_clock::now() - lastSync >= syncInterval) {
            journal->sync();
            lastSync = std::chrono::steady_clock::now();
        }
    });
    if (journal)
        journal->sync();
}

// The outcome's status and error from its counts: failed (with `fatalError`), cancelled, completed, stopped
// at the budget or partial.
void settle(RunOutcome& outcome, const std::string& fatalError, const CancellationToken& cancel,
            bool stoppedAtBudget = false);

// One generation: the plan of seed × batch fanned out over a pool of workers, as many requests in
// flight as the adaptive limit allows. Accepted rows go to the journal as they arrive.
class GenerationRun {
public:
    GenerationRun(JobSpec job, std::shared_ptr<providers::Provider> provider, Journal& journal,
                  RunOptions options = {});
    ~GenerationRun();
    GenerationRun(const GenerationRun&) = delete;
    GenerationRun& operator=(const GenerationRun&) = delete;

    void onProgress(std::function<void(const Progress&)> callback);
    // Called from the worker threads, possibly at the same time, once a row is in the journal.
    void onRow(std::function<void(const JournalRow&)> callback);
    // Questions come from these excerpts instead of the job's seeds; the size is spread over them and
    // each row records its excerpt.
    void groundIn(std::vector<GroundingChunk> chunks);
    // A resumed run: seeds that failed in earlier sessions stay failed until they get their rows; with
    // ResumeScope::FailedOnly, only they are asked, for exactly the rows they miss.
    void resumeFrom(FailedWork earlier, ResumeScope scope);
    // Taken in before any request is sent; the pool then asks for what they did not bring.
    void takeAnswersFirst(std::vector<PrefetchedAnswer> answers);

    // Blocks until the dataset is complete, the run fails, or `cancel` fires (then returns within
    // about a second, keeping every accepted row).
    RunOutcome run(const CancellationToken& cancel);

private:
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace sds::engine
