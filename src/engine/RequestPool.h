#pragma once

#include "core/Cancellation.h"
#include "core/Template.h"
#include "engine/Backoff.h"
#include "engine/Spending.h"
#include "providers/Provider.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <spdlog/spdlog.h>
#include <string>
#include <thread>
#include <vector>

namespace sds::engine {

struct RetryPolicy {
    int maxAttemptsPerRequest = 6;
    std::chrono::milliseconds backoffBase{500};
    std::chrono::milliseconds backoffCap{std::chrono::seconds(30)};
    std::chrono::milliseconds tickInterval{200};
    std::uint64_t randomSeed = 0;
};

// What the pool counts for every kind of work.
struct RequestCounters {
    int requestsDone = 0;
    int inFlight = 0;
    int concurrencyLimit = 0;
    int retries = 0;
    int failedRequests = 0; // given up after their retries, or failed for good
    providers::TokenUsage tokens;
    std::optional<double> costUsd; // earlier sessions included; none when the price is unknown
};

// The work a pool runs: generation batches, curation elements, rows to judge. Methods marked "locked"
// are called with the pool's mutex held; the others without it, and they take `RequestPool::mutex()`
// themselves for state they share.
template <class Task> class WorkSource {
public:
    virtual ~WorkSource() = default;
    // locked: the next task to send, or nothing while all remaining work is in flight.
    virtual std::optional<Task> take() = 0;
    // locked: no task will be taken again and none in flight needs an answer.
    [[nodiscard]] virtual bool finished() const = 0;
    // locked: the task will get no answer (cancelled, failed for good, or given up after retries).
    virtual void abandon(const Task& task) = 0;
    // locked, before abandon: the task's request failed for good (refused, or given up after retries).
    virtual void failed(const Task& /*task*/) {}
    [[nodiscard]] virtual providers::ChatRequest request(const Task& task) = 0;
    virtual void complete(Task& task, providers::ChatResponse&& response) = 0;
    // For log lines about a task: "seed \"Joins\"", "element 17".
    [[nodiscard]] virtual std::string describe(const Task& task) const = 0;
};

// Requests fanned out over worker threads, as many in flight as the adaptive limit allows, retried
// with exponential backoff (honouring Retry-After); a non-retryable error fails the whole run fast. With a
// cost cap, no request is sent that could take the cost past it (see SpendingMeter).
template <class Task> class RequestPool {
public:
    RequestPool(WorkSource<Task>& source, std::shared_ptr<providers::Provider> provider, int maxConcurrency,
                RetryPolicy policy)
        : m_source(source), m_provider(std::move(provider)), m_limiter(maxConcurrency),
          m_maxConcurrency(maxConcurrency), m_policy(policy) {}

    [[nodiscard]] std::mutex& mutex() { return m_mutex; }

    // Before run(): what requests cost and the cap.
    void limitSpending(const Spending& spending) { m_spending = SpendingMeter(spending); }
    // The run ended because the next request could have passed the cost cap.
    [[nodiscard]] bool stoppedAtBudget() const { return m_spending.capReached(); }

    // locked: stops the run; the first message is kept.
    void fail(const std::string& message) {
        if (m_fatalError.empty())
            m_fatalError = message;
    }
    // locked: a problem worth showing the user, at most a few distinct ones kept.
    void noteProblem(const std::string& message) {
        if (m_problems.size() < 8 &&
            std::find(m_problems.begin(), m_problems.end(), message) == m_problems.end())
            m_problems.push_back(message);
    }
    // locked
    [[nodiscard]] RequestCounters counters() const {
        RequestCounters c = m_counters;
        c.concurrencyLimit = m_limiter.limit();
        c.costUsd = m_spending.spentUsd();
        return c;
    }
    [[nodiscard]] const std::string& fatalError() const { return m_fatalError; }
    [[nodiscard]] const std::vector<std::string>& problems() const { return m_problems; }

    // Blocks until the source is finished, the run fails, or `cancel` fires and every request in flight
    // has returned. `tick` runs on the calling thread about every tickInterval, without the lock.
    void run(const CancellationToken& cancel, int plannedRequests, const std::function<void()>& tick) {
        std::vector<std::thread> workers;
        const int workerCount = std::max(1, std::min(m_maxConcurrency, plannedRequests * 4 + 1));
        workers.reserve(static_cast<std::size_t>(workerCount));
        for (int i = 0; i < workerCount; ++i)
            workers.emplace_back([this, &cancel, i] {
                worker(cancel, m_policy.randomSeed ? m_policy.randomSeed + static_cast<std::uint64_t>(i) : 0);
            });
        while (true) {
            std::unique_lock lock(m_mutex);
            const bool over = m_changed.wait_for(lock, m_policy.tickInterval, [&] {
                return m_counters.inFlight == 0 && (done() || cancel.isCancelled());
            });
            lock.unlock();
            m_changed.notify_all(); // wakes workers waiting on cancellation
            if (tick)
                tick();
            if (over)
                break;
        }
        m_changed.notify_all();
        for (auto& worker : workers)
            worker.join();
    }

    // Wakes workers after the source's state changed outside take/complete.
    void notify() { m_changed.notify_all(); }

private:
    [[nodiscard]] bool done() const {
        return !m_fatalError.empty() || m_spending.capReached() || m_source.finished();
    }

    bool sleepUnlessCancelled(std::chrono::milliseconds wait, const CancellationToken& cancel) {
        using Clock = std::chrono::steady_clock;
        const auto until = Clock::now() + wait;
        std::unique_lock lock(m_mutex);
        while (Clock::now() < until) {
            if (cancel.isCancelled() || !m_fatalError.empty())
                return false;
            m_changed.wait_for(
                lock, std::min<Clock::duration>(until - Clock::now(), std::chrono::milliseconds(50)));
        }
        return !cancel.isCancelled();
    }

    // An exception from a source or a provider stops the run with its message instead of terminating the
    // process; what was journaled stays.
    void worker(const CancellationToken& cancel, std::uint64_t workerSeed) {
        int holding = 0; // requests this worker counts in inFlight
        try {
            work(cancel, workerSeed, holding);
        } catch (const std::exception& error) {
            std::lock_guard lock(m_mutex);
            fail(std::string("internal error: ") + error.what());
            m_counters.inFlight -= holding;
        } catch (...) {
            std::lock_guard lock(m_mutex);
            fail("internal error");
            m_counters.inFlight -= holding;
        }
        m_changed.notify_all();
    }

    void work(const CancellationToken& cancel, std::uint64_t workerSeed, int& holding) {
        ExponentialBackoff backoff(m_policy.backoffBase, m_policy.backoffCap, workerSeed);
        while (true) {
            std::optional<Task> next;
            {
                std::unique_lock lock(m_mutex);
                m_changed.wait(lock, [&] {
                    if (cancel.isCancelled() || done())
                        return true;
                    if (m_counters.inFlight >= m_limiter.limit())
                        return false;
                    next = m_source.take();
                    return next.has_value();
                });
                if (!next)
                    return;
                ++m_counters.inFlight;
                holding = 1;
            }
            Task& task = *next;
            const providers::ChatRequest request = m_source.request(task);
            std::optional<double> reservation;
            {
                std::lock_guard lock(m_mutex);
                reservation = m_spending.reserve(request);
                if (!reservation) {
                    m_source.abandon(task);
                    --m_counters.inFlight;
                    holding = 0;
                }
            }
            if (!reservation) {
                m_changed.notify_all();
                return;
            }
            bool released = false;
            for (int attempt = 0;; ++attempt) {
                auto result = m_provider->chat(request, cancel);
                if (result.ok()) {
                    {
                        std::lock_guard lock(m_mutex);
                        m_limiter.onSuccess();
                        ++m_counters.requestsDone;
                        m_counters.tokens += result.value().usage;
                        m_spending.release(*reservation, request, result.value().usage);
                        released = true;
                    }
                    m_source.complete(task, std::move(result.value()));
                    break;
                }
                std::unique_lock lock(m_mutex);
                const auto& error = result.error();
                if (error.kind == providers::ErrorKind::Cancelled || cancel.isCancelled()) {
                    m_source.abandon(task);
                    break;
                }
                if (!error.retryable()) {
                    m_source.failed(task);
                    m_source.abandon(task);
                    ++m_counters.failedRequests;
                    fail(error.message);
                    break;
                }
                if (error.kind == providers::ErrorKind::RateLimited)
                    m_limiter.onRateLimited();
                noteProblem(error.message);
                if (attempt + 1 >= m_policy.maxAttemptsPerRequest) {
                    m_source.failed(task);
                    m_source.abandon(task);
                    ++m_counters.failedRequests;
                    ++m_counters.requestsDone;
                    spdlog::warn("engine: gave up on a request for {} after {} attempts: {}",
                                 m_source.describe(task), attempt + 1, error.message);
                    break;
                }
                ++m_counters.retries;
                const auto wait = backoff.delay(attempt, error.retryAfter);
                lock.unlock();
                if (!sleepUnlessCancelled(wait, cancel)) {
                    std::lock_guard relock(m_mutex);
                    m_source.abandon(task);
                    break;
                }
            }
            {
                std::lock_guard lock(m_mutex);
                if (!released)
                    m_spending.release(*reservation, request, std::nullopt);
                --m_counters.inFlight;
                holding = 0;
            }
            m_changed.notify_all();
        }
    }

    WorkSource<Task>& m_source;
    std::shared_ptr<providers::Provider> m_provider;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    AdaptiveConcurrency m_limiter;
    int m_maxConcurrency;
    RetryPolicy m_policy;
    RequestCounters m_counters;
    SpendingMeter m_spending;
    std::string m_fatalError;
    std::vector<std::string> m_problems;
};

} // namespace sds::engine

namespace sds::engine {

// A request of one system and one user message, sampled with `parameters`, asking for JSON that fits
// `schema` when one is given.
[[nodiscard]] providers::ChatRequest chatRequest(const std::string& model, std::string system,
                                                 std::string user, const ModelParameters& parameters,
                                                 std::optional<nlohmann::json> schema,
                                                 std::string schemaName);

// One request with the same retries, backoff and cancellation as a run's requests.
[[nodiscard]] providers::ChatResult askWithRetries(std::shared_ptr<providers::Provider> provider,
                                                   const providers::ChatRequest& request, RetryPolicy policy,
                                                   const CancellationToken& cancel);

} // namespace sds::engine
