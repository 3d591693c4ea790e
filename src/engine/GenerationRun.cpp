#include "engine/GenerationRun.h"

#include "core/RowParsing.h"
#include "engine/Backoff.h"
#include "engine/QuestionSet.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <spdlog/spdlog.h>
#include <thread>

namespace sds::engine {
namespace {

using Clock = std::chrono::steady_clock;

struct SeedState {
    std::string seed;
    int quota = 0;
    int accepted = 0;
    int pendingRows = 0; // rows asked for by requests in flight
    int requestsIssued = 0;
    int requestBudget = 0; // planned requests plus refills
    int shortfalls = 0;    // answers that brought fewer usable rows than asked
    std::deque<std::string> recentQuestions;

    [[nodiscard]] int need() const { return quota - accepted - pendingRows; }
    [[nodiscard]] bool exhausted() const { return requestsIssued >= requestBudget; }
};

struct Batch {
    std::size_t seedIndex = 0;
    int count = 0;
    BatchRequestInput input; // seed, count and "do not repeat" copied under the lock
};

std::uint64_t questionKey(std::string_view question) {
    return std::hash<std::string>{}(normalizedQuestion(question));
}

} // namespace

struct GenerationRun::State {
    JobSpec job;
    std::shared_ptr<providers::Provider> provider;
    Journal& journal;
    RunOptions options;
    std::function<void(const Progress&)> progressCallback;
    std::function<void(const JournalRow&)> rowCallback;

    std::mutex mutex;
    std::condition_variable changed;
    std::vector<SeedState> seeds;
    QuestionSet seenQuestions;
    std::size_t nextSeed = 0;
    AdaptiveConcurrency limiter;
    Progress progress;
    int rowsThisSession = 0;
    std::string fatalError;
    std::vector<std::string> problems;
    Clock::time_point started;

    State(JobSpec jobSpec, std::shared_ptr<providers::Provider> p, Journal& j, RunOptions o)
        : job(std::move(jobSpec)), provider(std::move(p)), journal(j), options(std::move(o)),
          seenQuestions(static_cast<std::size_t>(std::max(0, job.size))), limiter(job.concurrency) {}

    void notePrevious(std::vector<std::string>& list, const std::string& message) {
        if (list.size() < 8 && std::find(list.begin(), list.end(), message) == list.end())
            list.push_back(message);
    }

    bool finished() const {
        if (!fatalError.empty())
            return true;
        return std::all_of(seeds.begin(), seeds.end(), [](const SeedState& s) {
            return s.accepted >= s.quota || (s.exhausted() && s.pendingRows == 0);
        });
    }

    // Under the lock: the next batch to ask for, round-robin over seeds that still need rows.
    std::optional<Batch> takeBatch() {
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
            batch.input.seed = seed.seed;
            batch.input.count = batch.count;
            batch.input.doNotRepeat.assign(seed.recentQuestions.begin(), seed.recentQuestions.end());
            return batch;
        }
        return std::nullopt;
    }

    // Outside the lock: the prompt and the request for a batch.
    providers::ChatRequest chatRequestFor(Batch& batch) const {
        return buildChatRequest(job, std::move(batch.input), options);
    }

    // Outside the lock: the items in an answer.
    static ParsedItems parseAnswer(const providers::ChatResponse& response) {
        ParsedItems parsed =
            response.structured ? itemsFromJson(*response.structured) : parseItems(response.text);
        if (response.structured && parsed.items.empty() && parsed.invalidItems == 0)
            parsed = parseItems(response.text);
        return parsed;
    }

    // Under the lock: which of the answer's items the batch's seed takes. The caller journals them
    // after unlocking.
    std::vector<JournalRow> acceptItems(const Batch& batch, ParsedItems& parsed,
                                        const providers::TokenUsage& usage) {
        SeedState& seed = seeds[batch.seedIndex];
        seed.pendingRows -= batch.count;
        progress.tokens += usage;
        progress.invalidItems += parsed.invalidItems;
        if (!parsed.error.empty()) {
            ++progress.invalidItems;
            notePrevious(problems, "unusable answer: " + parsed.error);
        }
        std::vector<JournalRow> accepted;
        for (auto& item : parsed.items) {
            if (seed.accepted >= seed.quota || static_cast<int>(accepted.size()) >= batch.count)
                break;
            if (!seenQuestions.insert(questionKey(item.question))) {
                ++progress.duplicates;
                continue;
            }
            ++seed.accepted;
            ++progress.rowsDone;
            ++rowsThisSession;
            seed.recentQuestions.push_back(item.question);
            if (seed.recentQuestions.size() > options.prompt.doNotRepeatLimit)
                seed.recentQuestions.pop_front();
            accepted.push_back({static_cast<int>(batch.seedIndex), seed.seed, std::move(item.question),
                                std::move(item.solution)});
        }
        if (static_cast<int>(accepted.size()) < batch.count && seed.accepted < seed.quota)
            ++seed.shortfalls;
        return accepted;
    }

    // Outside the lock: rows reach the journal (and the row callback) in any order across workers.
    void journalRows(const std::vector<JournalRow>& rows) {
        for (const auto& row : rows) {
            if (auto error = journal.append(row); !error.empty()) {
                std::lock_guard lock(mutex);
                if (fatalError.empty())
                    fatalError = error;
                return;
            }
            if (rowCallback)
                rowCallback(row);
        }
    }

    void releaseBatch(const Batch& batch) { seeds[batch.seedIndex].pendingRows -= batch.count; }

    bool sleepUnlessCancelled(std::chrono::milliseconds wait, const CancellationToken& cancel) {
        const auto until = Clock::now() + wait;
        std::unique_lock lock(mutex);
        while (Clock::now() < until) {
            if (cancel.isCancelled() || !fatalError.empty())
                return false;
            changed.wait_for(lock,
                             std::min<Clock::duration>(until - Clock::now(), std::chrono::milliseconds(50)));
        }
        return !cancel.isCancelled();
    }

    void worker(const CancellationToken& cancel, std::uint64_t workerSeed) {
        ExponentialBackoff backoff(options.backoffBase, options.backoffCap, workerSeed);
        while (true) {
            Batch batch;
            {
                std::unique_lock lock(mutex);
                std::optional<Batch> next;
                changed.wait(lock, [&] {
                    if (cancel.isCancelled() || finished())
                        return true;
                    if (progress.inFlight >= limiter.limit())
                        return false;
                    next = takeBatch();
                    return next.has_value();
                });
                if (!next)
                    return;
                batch = std::move(*next);
                ++progress.inFlight;
            }
            const auto request = chatRequestFor(batch);
            bool done = false;
            for (int attempt = 0; !done; ++attempt) {
                auto result = provider->chat(request, cancel);
                if (result.ok()) {
                    ParsedItems parsed = parseAnswer(result.value());
                    std::vector<JournalRow> accepted;
                    {
                        std::lock_guard lock(mutex);
                        limiter.onSuccess();
                        ++progress.requestsDone;
                        accepted = acceptItems(batch, parsed, result.value().usage);
                    }
                    journalRows(accepted);
                    done = true;
                    break;
                }
                std::unique_lock lock(mutex);
                const auto& error = result.error();
                if (error.kind == providers::ErrorKind::Cancelled || cancel.isCancelled()) {
                    releaseBatch(batch);
                    done = true;
                    break;
                }
                if (!error.retryable()) {
                    releaseBatch(batch);
                    ++progress.failedRequests;
                    if (fatalError.empty())
                        fatalError = error.message;
                    done = true;
                    break;
                }
                if (error.kind == providers::ErrorKind::RateLimited)
                    limiter.onRateLimited();
                notePrevious(problems, error.message);
                if (attempt + 1 >= options.maxAttemptsPerRequest) {
                    releaseBatch(batch);
                    ++progress.failedRequests;
                    ++progress.requestsDone;
                    spdlog::warn("engine: gave up on a request for seed \"{}\" after {} attempts: {}",
                                 seeds[batch.seedIndex].seed, attempt + 1, error.message);
                    done = true;
                    break;
                }
                ++progress.retries;
                const auto wait = backoff.delay(attempt, error.retryAfter);
                lock.unlock();
                if (!sleepUnlessCancelled(wait, cancel)) {
                    std::lock_guard relock(mutex);
                    releaseBatch(batch);
                    done = true;
                }
            }
            {
                std::lock_guard lock(mutex);
                --progress.inFlight;
            }
            changed.notify_all();
        }
    }

    Progress snapshot() {
        Progress p = progress;
        p.concurrencyLimit = limiter.limit();
        p.elapsedSeconds = std::chrono::duration<double>(Clock::now() - started).count();
        p.rowsPerSecond = p.elapsedSeconds > 0 ? rowsThisSession / p.elapsedSeconds : 0;
        const int remaining = p.rowsRequested - p.rowsDone;
        p.etaSeconds = p.rowsPerSecond > 0 ? remaining / p.rowsPerSecond : (remaining == 0 ? 0 : -1);
        return p;
    }
};

providers::ChatRequest buildChatRequest(const JobSpec& job, BatchRequestInput input,
                                        const RunOptions& options) {
    input.userPrompt = job.prompt;
    input.examples = job.examples;
    input.databaseSchema = job.databaseSchema;
    const BatchPrompt prompt = buildBatchPrompt(input, options.prompt);
    providers::ChatRequest request;
    request.model = job.provider.model;
    request.messages = {{providers::ChatMessage::Role::System, prompt.system},
                        {providers::ChatMessage::Role::User, prompt.user}};
    request.temperature = job.parameters.temperature;
    request.topP = job.parameters.topP;
    request.topK = job.parameters.topK;
    request.maxTokens = job.parameters.maxTokens;
    if (options.structuredOutput)
        request.jsonSchema = rowsSchema(input.count, options.boundItemCount);
    request.schemaName = "generated_items";
    return request;
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

RunOutcome GenerationRun::run(const CancellationToken& cancel) {
    State& s = *m_state;
    const auto quotas = s.job.rowsPerSeed();
    s.seeds.clear();
    for (std::size_t i = 0; i < quotas.size(); ++i) {
        SeedState seed;
        seed.seed = s.job.seeds[i];
        seed.quota = quotas[i];
        const int planned = (seed.quota + s.job.rowsPerRequest - 1) / s.job.rowsPerRequest;
        seed.requestBudget = planned + static_cast<int>(planned * s.options.refillFactor) + 2;
        s.seeds.push_back(std::move(seed));
    }
    s.progress = {};
    s.progress.rowsRequested = s.job.size;
    s.progress.requestsPlanned = s.job.plannedRequests();

    // Rows already journaled (a resumed run) count, and their questions are not asked again.
    Journal::read(s.journal.path(), [&](JournalRow&& row) {
        if (row.seedIndex < 0 || static_cast<std::size_t>(row.seedIndex) >= s.seeds.size())
            return;
        SeedState& seed = s.seeds[static_cast<std::size_t>(row.seedIndex)];
        if (seed.accepted >= seed.quota || !s.seenQuestions.insert(questionKey(row.question)))
            return;
        ++seed.accepted;
        ++s.progress.rowsDone;
        seed.recentQuestions.push_back(row.question);
        if (seed.recentQuestions.size() > s.options.prompt.doNotRepeatLimit)
            seed.recentQuestions.pop_front();
    });
    s.progress.rowsResumed = s.progress.rowsDone;
    // A row that copies a few-shot example teaches nothing new: treat it as a duplicate.
    for (const auto& example : s.job.examples)
        s.seenQuestions.insert(questionKey(example.question));
    s.started = Clock::now();

    std::vector<std::thread> workers;
    const int workerCount = std::max(1, std::min(s.job.concurrency, s.progress.requestsPlanned * 4 + 1));
    workers.reserve(static_cast<std::size_t>(workerCount));
    for (int i = 0; i < workerCount; ++i)
        workers.emplace_back(
            [&s, &cancel, i] { s.worker(cancel, s.options.randomSeed ? s.options.randomSeed + i : 0); });

    auto lastSync = Clock::now();
    while (true) {
        std::unique_lock lock(s.mutex);
        const bool over = s.changed.wait_for(lock, s.options.progressInterval, [&] {
            return (s.progress.inFlight == 0 && (s.finished() || cancel.isCancelled()));
        });
        const Progress progress = s.snapshot();
        lock.unlock();
        s.changed.notify_all(); // wakes workers waiting on cancellation
        if (s.progressCallback)
            s.progressCallback(progress);
        if (Clock::now() - lastSync >= s.options.journalSyncInterval) {
            s.journal.sync();
            lastSync = Clock::now();
        }
        if (over)
            break;
    }
    s.changed.notify_all();
    for (auto& worker : workers)
        worker.join();
    s.journal.sync();

    RunOutcome outcome;
    outcome.progress = s.snapshot();
    outcome.problems = s.problems;
    if (!s.fatalError.empty()) {
        outcome.status = RunStatus::Failed;
        outcome.error = s.fatalError;
    } else if (cancel.isCancelled() && outcome.progress.rowsDone < outcome.progress.rowsRequested) {
        outcome.status = RunStatus::Cancelled;
        outcome.error = "cancelled";
    } else if (outcome.progress.rowsDone >= outcome.progress.rowsRequested) {
        outcome.status = RunStatus::Completed;
    } else {
        outcome.status = RunStatus::Partial;
        outcome.error = std::to_string(outcome.progress.rowsRequested - outcome.progress.rowsDone) +
                        " rows missing after " + std::to_string(outcome.progress.failedRequests) +
                        " failed requests" +
                        (s.problems.empty() ? "" : "; last problem: " + s.problems.back());
    }
    if (s.progressCallback)
        s.progressCallback(outcome.progress);
    return outcome;
}

} // namespace sds::engine
