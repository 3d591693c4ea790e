#include "engine/GenerationRun.h"

#include "core/RowParsing.h"
#include "core/quality/NearDuplicateIndex.h"
#include "engine/QuestionSet.h"

#include <algorithm>
#include <deque>
#include <mutex>
#include <spdlog/spdlog.h>

namespace sds::engine {
namespace {

using Clock = std::chrono::steady_clock;

struct SeedState {
    std::string label;     // shown to the model as the topic
    std::string recorded;  // what the row records as its origin: the seed, or the document excerpt
    std::string grounding; // the excerpt the answers must come from; empty for a plain seed
    int quota = 0;
    int accepted = 0;
    int pendingRows = 0; // rows asked for by requests in flight
    int requestsIssued = 0;
    int requestBudget = 0; // planned requests plus refills
    int requestsSpent = 0; // answered, or failed for good
    int failures = 0;      // requests given up after their retries, or refused
    int shortfalls = 0;    // answers that brought fewer usable rows than asked
    int duplicates = 0;
    int nearDuplicates = 0;
    quality::RejectionCounts lowQuality;
    std::deque<std::string> recentQuestions;

    [[nodiscard]] int need() const { return quota - accepted - pendingRows; }
    [[nodiscard]] bool exhausted() const { return requestsIssued >= requestBudget; }
    [[nodiscard]] bool failedThisSession() const {
        return accepted < quota && requestBudget > 0 && (failures > 0 || requestsSpent >= requestBudget);
    }

    void remember(const std::string& question, std::size_t limit) {
        recentQuestions.push_back(question);
        if (recentQuestions.size() > limit)
            recentQuestions.pop_front();
    }
};

SeedState makeSeed(std::string label, std::string recorded, std::string grounding, int quota) {
    SeedState seed;
    seed.label = std::move(label);
    seed.recorded = std::move(recorded);
    seed.grounding = std::move(grounding);
    seed.quota = quota;
    return seed;
}

// Unused: not looked at, the seed already had new items enough for its quota.
enum class Novelty { New, Duplicate, NearDuplicate, Unused };

// Each answer that came back short (items repeated or unusable) makes the seed's next requests a
// little hotter, so a model stuck on the same questions moves on; at most this much above the job's.
constexpr double kTemperatureStepPerShortfall = 0.1;
constexpr double kMaxTemperatureBoost = 0.5;

struct Batch {
    std::size_t seedIndex = 0;
    int count = 0;
    double temperatureBoost = 0;
    BatchRequestInput input; // seed, count and "do not repeat" copied under the lock
};

std::uint64_t questionKey(std::string_view question) {
    return std::hash<std::string>{}(normalizedQuestion(question));
}

// Outside the lock: the items in an answer.
ParsedItems parseAnswer(const providers::ChatResponse& response) {
    ParsedItems parsed =
        response.structured ? itemsFromJson(*response.structured) : parseItems(response.text);
    if (response.structured && parsed.items.empty() && parsed.invalidItems == 0)
        parsed = parseItems(response.text);
    return parsed;
}

} // namespace

struct GenerationRun::State : WorkSource<Batch> {
    JobSpec job;
    Journal& journal;
    RunOptions options;
    RequestPool<Batch> pool;
    std::function<void(const Progress&)> progressCallback;
    std::function<void(const JournalRow&)> rowCallback;
    std::vector<GroundingChunk> chunks;
    std::vector<PrefetchedAnswer> prefetched;
    FailedWork earlierFailures;
    ResumeScope resumeScope = ResumeScope::Everything;
    const quality::RowQualityGate qualityGate;

    // Guarded by questionsMutex rather than the pool's lock, so other workers take and finish batches
    // meanwhile. The near-duplicate search, the slowest step of accepting a row, runs before taking it.
    std::mutex questionsMutex;
    QuestionSet seenQuestions;
    // Its older questions go to a file in the run's folder, so memory stays flat on long runs.
    quality::NearDuplicateIndex similarQuestions;

    // Guarded by pool.mutex().
    std::vector<SeedState> seeds;
    std::size_t nextSeed = 0;
    Progress progress;
    int rowsThisSession = 0;
    Clock::time_point started;

    State(JobSpec jobSpec, std::shared_ptr<providers::Provider> provider, Journal& j, RunOptions o)
        : job(std::move(jobSpec)), journal(j), options(std::move(o)),
          pool(*this, std::move(provider), job.concurrency, options.retryPolicy()),
          qualityGate(job.validator, job.examples),
          seenQuestions(static_cast<std::size_t>(std::max(0, job.size))),
          similarQuestions(job.similarityThreshold, spillOf(job, j, options)) {
        pool.limitSpending(options.spending);
    }

    static quality::NearDuplicateIndex::Spill spillOf(const JobSpec& job, const Journal& journal,
                                                      const RunOptions& options) {
        if (options.nearDuplicateQuestionsInMemory == 0 ||
            static_cast<std::size_t>(std::max(job.size, 0)) <= options.nearDuplicateAllInMemoryUpToRows)
            return {};
        return {journal.path().parent_path(), options.nearDuplicateQuestionsInMemory,
                static_cast<std::size_t>(job.size)};
    }

    [[nodiscard]] bool finished() const override {
        return std::all_of(seeds.begin(), seeds.end(), [](const SeedState& s) {
            return s.accepted >= s.quota || (s.exhausted() && s.pendingRows == 0);
        });
    }

    // Round-robin over seeds that still need rows.
    std::optional<Batch> take() override {
        for (std::size_t step = 0; step < seeds.size(); ++step) {
            const std::size_t index = (nextSeed + step) % seeds.size();
            SeedState& seed = seeds[index];
            if (seed.need() <= 0 || seed.exhausted())
                continue;
            nextSeed = (index + 1) % seeds.size();
            Batch batch;
            batch.seedIndex = index;
            // After a short answer, ask for one more than needed: small models often drop an item.
            batch.count = std::min(seed.need(), job.rowsPerRequest);
            if (seed.shortfalls > 0 && batch.count == seed.need())
                ++batch.count;
            seed.pendingRows += batch.count;
            ++seed.requestsIssued;
            batch.input.seed = seed.label;
            batch.input.groundingText = seed.grounding;
            batch.input.count = batch.count;
            batch.input.doNotRepeat.assign(seed.recentQuestions.begin(), seed.recentQuestions.end());
            batch.temperatureBoost =
                std::min(kMaxTemperatureBoost, kTemperatureStepPerShortfall * seed.shortfalls);
            return batch;
        }
        return std::nullopt;
    }

    void abandon(const Batch& batch) override { seeds[batch.seedIndex].pendingRows -= batch.count; }

    void failed(const Batch& batch) override {
        SeedState& seed = seeds[batch.seedIndex];
        ++seed.failures;
        ++seed.requestsSpent;
    }

    providers::ChatRequest request(const Batch& batch) override {
        auto request = buildChatRequest(job, batch.input, options);
        if (request.temperature && batch.temperatureBoost > 0)
            request.temperature = std::min(2.0, *request.temperature + batch.temperatureBoost);
        return request;
    }

    std::string describe(const Batch& batch) const override {
        return "seed \"" + seeds[batch.seedIndex].label + "\"";
    }

    void complete(Batch& batch, providers::ChatResponse&& response) override {
        ParsedItems parsed = parseAnswer(response);
        if (static_cast<int>(parsed.items.size()) > batch.count)
            parsed.items.resize(static_cast<std::size_t>(batch.count));
        const auto lowQuality = removeLowQuality(parsed.items);
        int room = 0;
        {
            std::lock_guard lock(pool.mutex());
            SeedState& seed = seeds[batch.seedIndex];
            seed.lowQuality += lowQuality;
            progress.lowQuality += lowQuality;
            room = std::max(0, seed.quota - seed.accepted);
        }
        const auto verdicts = judgeNovelty(parsed.items, room);
        std::vector<JournalRow> accepted;
        {
            std::lock_guard lock(pool.mutex());
            accepted = acceptItems(batch, parsed, verdicts);
        }
        journalRows(accepted);
    }

    // Outside the lock: drops the items the row-quality gate turns away, before they are seen as
    // questions, so a degenerate question never blocks a later one as its near-duplicate.
    quality::RejectionCounts removeLowQuality(std::vector<GeneratedItem>& items) const {
        quality::RejectionCounts counts;
        std::erase_if(items, [&](const GeneratedItem& item) {
            const auto reason = qualityGate.check(item.question, item.solution);
            if (reason == quality::RejectionReason::None)
                return false;
            counts.add(reason);
            const auto quoted = [](const std::string& text, std::size_t length) {
                return nlohmann::json(text)
                    .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                    .substr(0, length);
            };
            spdlog::debug("engine: row turned away ({}): {} => {}", quality::reasonName(reason),
                          quoted(item.question, 200), quoted(item.solution, 300));
            return true;
        });
        return counts;
    }

    // Items against every question seen so far, each new one then added to them, until `room` new ones
    // are found: the rest are not looked at, so an item the seed cannot take never blocks a later
    // question as its near-duplicate. (An item turned away because another batch of the seed filled the
    // quota meanwhile does stay seen: that is rare.) The near-duplicate index is searched outside the lock,
    // against the questions kept so far; under it each item is only compared with those kept since.
    std::vector<Novelty> judgeNovelty(const std::vector<GeneratedItem>& items, int room) {
        struct Looked {
            std::uint64_t key = 0;
            quality::NearDuplicateIndex::Prepared prepared;
            quality::NearDuplicateIndex::Search search;
        };
        std::vector<Looked> looked(room > 0 ? items.size() : 0);
        for (std::size_t i = 0; i < looked.size(); ++i) {
            looked[i].key = questionKey(items[i].question);
            looked[i].prepared = similarQuestions.prepare(items[i].question);
            looked[i].search = similarQuestions.search(looked[i].prepared);
        }
        std::vector<Novelty> verdicts;
        verdicts.reserve(items.size());
        std::lock_guard lock(questionsMutex);
        int found = 0;
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (found >= room) {
                verdicts.push_back(Novelty::Unused);
                continue;
            }
            const Looked& item = looked[i];
            if (seenQuestions.contains(item.key))
                verdicts.push_back(Novelty::Duplicate);
            else if (similarQuestions.insertIfNovel(item.prepared, item.search).nearDuplicate)
                verdicts.push_back(Novelty::NearDuplicate);
            else
                verdicts.push_back(seenQuestions.insert(item.key) ? Novelty::New : Novelty::Duplicate);
            found += verdicts.back() == Novelty::New ? 1 : 0;
        }
        return verdicts;
    }

    // Under the pool's lock: which of the answer's items the batch's seed takes.
    std::vector<JournalRow> acceptItems(const Batch& batch, ParsedItems& parsed,
                                        const std::vector<Novelty>& verdicts) {
        SeedState& seed = seeds[batch.seedIndex];
        seed.pendingRows -= batch.count;
        ++seed.requestsSpent;
        progress.invalidItems += parsed.invalidItems;
        if (!parsed.error.empty()) {
            ++progress.invalidItems;
            pool.noteProblem("unusable answer: " + parsed.error);
        }
        std::vector<JournalRow> accepted;
        for (std::size_t i = 0; i < parsed.items.size(); ++i) {
            auto& item = parsed.items[i];
            if (seed.accepted >= seed.quota || verdicts[i] == Novelty::Unused)
                break;
            if (verdicts[i] == Novelty::Duplicate) {
                ++progress.duplicates;
                ++seed.duplicates;
                continue;
            }
            if (verdicts[i] == Novelty::NearDuplicate) {
                ++progress.nearDuplicates;
                ++seed.nearDuplicates;
                continue;
            }
            ++seed.accepted;
            ++progress.rowsDone;
            ++rowsThisSession;
            seed.remember(item.question, options.prompt.doNotRepeatLimit);
            accepted.push_back({static_cast<int>(batch.seedIndex), seed.recorded, std::move(item.question),
                                std::move(item.solution), nullptr});
        }
        if (static_cast<int>(accepted.size()) < batch.count && seed.accepted < seed.quota)
            ++seed.shortfalls;
        return accepted;
    }

    // Outside the lock: rows reach the journal (and the row callback) in any order across workers.
    void journalRows(const std::vector<JournalRow>& rows) {
        for (const auto& row : rows) {
            if (auto error = journal.append(row); !error.empty()) {
                std::lock_guard lock(pool.mutex());
                pool.fail(error);
                return;
            }
            if (rowCallback)
                rowCallback(row);
        }
    }

    void plan() {
        seeds.clear();
        if (chunks.empty()) {
            const auto quotas = job.rowsPerSeed();
            for (std::size_t i = 0; i < quotas.size(); ++i)
                seeds.push_back(makeSeed(job.seeds[i], job.seeds[i], {}, quotas[i]));
        } else {
            const auto quotas = spreadEvenly(job.size, chunks.size());
            for (std::size_t i = 0; i < chunks.size(); ++i)
                seeds.push_back(makeSeed(chunks[i].source, chunks[i].text, chunks[i].text, quotas[i]));
        }
        int plannedRequests = 0;
        for (std::size_t i = 0; i < seeds.size(); ++i) {
            SeedState& seed = seeds[i];
            if (resumeScope == ResumeScope::FailedOnly && !earlierFailures.hasSeed(i))
                continue; // no request budget: the seed is left as it is
            const int planned = (seed.quota + job.rowsPerRequest - 1) / job.rowsPerRequest;
            plannedRequests += planned;
            seed.requestBudget =
                seed.quota == 0 ? 0 : planned + static_cast<int>(planned * options.refillFactor) + 2;
        }
        progress = {};
        progress.rowsRequested = job.size;
        progress.requestsPlanned = plannedRequests;
        progress.maxCostUsd = options.spending.capUsd;
    }

    // Rows already journaled (a resumed run) count, and their questions are not asked again.
    void takeInJournal() {
        Journal::read(journal.path(), [&](JournalRow&& row) {
            if (row.seedIndex < 0 || static_cast<std::size_t>(row.seedIndex) >= seeds.size())
                return;
            SeedState& seed = seeds[static_cast<std::size_t>(row.seedIndex)];
            if (seed.accepted >= seed.quota || !seenQuestions.insert(questionKey(row.question)))
                return;
            similarQuestions.insert(row.question);
            ++seed.accepted;
            ++progress.rowsDone;
            seed.remember(row.question, options.prompt.doNotRepeatLimit);
        });
        progress.rowsResumed = progress.rowsDone;
        // A row that copies a few-shot example teaches nothing new: treat it as a duplicate.
        for (const auto& example : job.examples)
            seenQuestions.insert(questionKey(example.question));
    }

    void takeInPrefetched() {
        for (auto& answer : prefetched) {
            Batch batch;
            {
                std::lock_guard lock(pool.mutex());
                if (answer.seedIndex >= seeds.size() || answer.count <= 0)
                    continue;
                SeedState& seed = seeds[answer.seedIndex];
                batch.seedIndex = answer.seedIndex;
                batch.count = answer.count;
                seed.pendingRows += batch.count;
                ++seed.requestsIssued;
            }
            complete(batch, std::move(answer.response));
        }
        prefetched.clear();
    }

    // Seeds that failed now, and those that failed before and are still short.
    [[nodiscard]] std::vector<std::size_t> failedSeeds() const {
        std::vector<std::size_t> failed;
        for (std::size_t i = 0; i < seeds.size(); ++i) {
            const SeedState& seed = seeds[i];
            const bool stillShort = seed.accepted < seed.quota;
            if (seed.failedThisSession() || (stillShort && earlierFailures.hasSeed(i)))
                failed.push_back(i);
        }
        return failed;
    }

    Progress snapshot() { return withCounters(progress, pool.counters(), started, rowsThisSession); }
};

providers::ChatRequest buildChatRequest(const JobSpec& job, BatchRequestInput input,
                                        const RunOptions& options) {
    input.userPrompt = job.prompt;
    input.examples = job.examples;
    input.databaseSchema = job.databaseSchema;
    BatchPrompt prompt = buildBatchPrompt(input, options.prompt);
    return chatRequest(
        job.provider.model, std::move(prompt.system), std::move(prompt.user), job.parameters,
        options.structuredOutput
            ? std::optional<nlohmann::json>(rowsSchema(
                  input.count, options.boundItemCount,
                  quality::validatorKindFromString(job.validator).value_or(quality::ValidatorKind::None)))
            : std::nullopt,
        "generated_items");
}

GenerationRun::GenerationRun(JobSpec job, std::shared_ptr<providers::Provider> provider, Journal& journal,
                             RunOptions options)
    : m_state(std::make_unique<State>(std::move(job), std::move(provider), journal, std::move(options))) {}

GenerationRun::~GenerationRun() = default;

void GenerationRun::onProgress(std::function<void(const Progress&)> callback) {
    m_state->progressCallback = std::move(callback);
}

void GenerationRun::onRow(std::function<void(const JournalRow&)> callback) {
    m_state->rowCallback = std::move(callback);
}

void GenerationRun::groundIn(std::vector<GroundingChunk> chunks) {
    m_state->chunks = std::move(chunks);
}

void GenerationRun::takeAnswersFirst(std::vector<PrefetchedAnswer> answers) {
    m_state->prefetched = std::move(answers);
}

void GenerationRun::resumeFrom(FailedWork earlier, ResumeScope scope) {
    m_state->earlierFailures = std::move(earlier);
    m_state->resumeScope = scope;
}

RunOutcome GenerationRun::run(const CancellationToken& cancel) {
    State& s = *m_state;
    s.plan();
    s.takeInJournal();
    s.started = Clock::now();
    s.takeInPrefetched();

    runReportingProgress(s.pool, cancel, s.progress.requestsPlanned, &s.journal,
                         s.options.journalSyncInterval, s.progressCallback, [&] { return s.snapshot(); });

    RunOutcome outcome;
    outcome.progress = s.snapshot();
    outcome.problems = s.pool.problems();
    for (const auto& seed : s.seeds)
        outcome.seeds.push_back(
            {seed.label, seed.quota, seed.accepted, seed.duplicates, seed.nearDuplicates, seed.lowQuality});
    outcome.failed.seeds = s.failedSeeds();
    settle(outcome, s.pool.fatalError(), cancel, s.pool.stoppedAtBudget());
    if (s.progressCallback)
        s.progressCallback(outcome.progress);
    return outcome;
}

Progress withCounters(Progress p, const RequestCounters& counters,
                      std::chrono::steady_clock::time_point started, int rowsThisSession) {
    p.requestsDone = counters.requestsDone;
    p.inFlight = counters.inFlight;
    p.concurrencyLimit = counters.concurrencyLimit;
    p.retries = counters.retries;
    p.failedRequests = counters.failedRequests;
    p.tokens = counters.tokens;
    p.costUsd = counters.costUsd;
    p.elapsedSeconds = std::chrono::duration<double>(Clock::now() - started).count();
    p.rowsPerSecond = p.elapsedSeconds > 0 ? rowsThisSession / p.elapsedSeconds : 0;
    const int remaining = p.rowsRequested - p.rowsDone;
    p.etaSeconds = p.rowsPerSecond > 0 ? remaining / p.rowsPerSecond : (remaining == 0 ? 0 : -1);
    return p;
}

void settle(RunOutcome& outcome, const std::string& fatalError, const CancellationToken& cancel,
            bool stoppedAtBudget) {
    const Progress& progress = outcome.progress;
    if (!fatalError.empty()) {
        outcome.status = RunStatus::Failed;
        outcome.error = fatalError;
    } else if (cancel.isCancelled() && progress.rowsDone < progress.rowsRequested) {
        outcome.status = RunStatus::Cancelled;
        outcome.error = "cancelled";
    } else if (progress.rowsDone >= progress.rowsRequested) {
        outcome.status = RunStatus::Completed;
    } else if (stoppedAtBudget) {
        outcome.status = RunStatus::StoppedAtBudget;
        outcome.error = "stopped at the budget of " + formatUsd(progress.maxCostUsd.value_or(0)) +
                        " (spent " + formatUsd(progress.costUsd.value_or(0)) +
                        "): " + std::to_string(progress.rowsRequested - progress.rowsDone) +
                        " rows missing; the next request could have passed it";
    } else {
        outcome.status = RunStatus::Partial;
        outcome.error = std::to_string(progress.rowsRequested - progress.rowsDone) + " rows missing after " +
                        std::to_string(progress.failedRequests) + " failed requests" +
                        (outcome.problems.empty() ? "" : "; last problem: " + outcome.problems.back());
    }
}

} // namespace sds::engine
