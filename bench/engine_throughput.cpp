// Throughput of the generation engine against the stand-in service at a fixed latency, for several
// numbers of requests in flight. Prints, per level, achieved/ideal throughput of a real run (RunService →
// GenerationRun → OpenAiProvider → libcurl → stand-in) and of a bare-transport baseline (the same provider
// called from plain threads, no engine), so the engine's own cost shows as a ratio measured in the same
// process. Also the CPU time spent per request (getrusage), since client and stand-in share the machine.

#include "core/Job.h"
#include "core/Journal.h"
#include "core/Project.h"
#include "core/PromptBuilder.h"
#include "core/RunHistory.h"
#include "engine/RunService.h"
#include "providers/openai/OpenAiProvider.h"
#include "standin/StandinServer.h"
#include "testsupport/TempDir.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <deque>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <spdlog/spdlog.h>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using namespace sds;
using Clock = std::chrono::steady_clock;

double seconds(const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

double processCpuSeconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

struct StandinSample {
    int maxConcurrent = 0;
    std::uint64_t chatRequests = 0;
    double cpuSeconds =
        NAN; // since the last reset; known only when the stand-in runs in a process of its own
};

// The stand-in, either in this process or in a forked child (so its CPU time can be told apart from the
// engine's). The child is forked before this process starts any thread.
class Standin {
public:
    virtual ~Standin() = default;
    virtual std::string baseUrl() = 0;
    virtual void resetStats() = 0;
    virtual StandinSample sample() = 0;
};

class InProcessStandin final : public Standin {
public:
    explicit InProcessStandin(standin::StandinOptions options) : m_server(std::move(options)) {
        m_server.start();
    }
    std::string baseUrl() override { return m_server.baseUrl(); }
    void resetStats() override { m_server.resetStats(); }
    StandinSample sample() override {
        const auto stats = m_server.stats();
        return {stats.maxConcurrentChatRequests, stats.chatRequests, NAN};
    }

private:
    standin::StandinServer m_server;
};

bool writeLine(int fd, const std::string& line) {
    const std::string data = line + "\n";
    return ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
}

std::string readLine(int fd) {
    std::string line;
    char c = 0;
    while (::read(fd, &c, 1) == 1 && c != '\n')
        line += c;
    return line;
}

class ChildProcessStandin final : public Standin {
public:
    explicit ChildProcessStandin(const standin::StandinOptions& options) {
        int commands[2];
        int replies[2];
        if (::pipe(commands) != 0 || ::pipe(replies) != 0)
            throw std::runtime_error("pipe failed");
        m_pid = ::fork();
        if (m_pid < 0)
            throw std::runtime_error("fork failed");
        if (m_pid == 0) {
            ::close(commands[1]);
            ::close(replies[0]);
            serve(options, commands[0], replies[1]);
            ::_exit(0);
        }
        ::close(commands[0]);
        ::close(replies[1]);
        m_commands = commands[1];
        m_replies = replies[0];
        std::istringstream reply(readLine(m_replies));
        std::string word;
        int port = 0;
        reply >> word >> port;
        if (word != "port" || port <= 0)
            throw std::runtime_error("the stand-in child did not start");
        m_baseUrl = "http://127.0.0.1:" + std::to_string(port);
    }
    ~ChildProcessStandin() override {
        ::close(m_commands); // the child stops when its command pipe closes
        ::close(m_replies);
        int status = 0;
        ::waitpid(m_pid, &status, 0);
    }
    std::string baseUrl() override { return m_baseUrl; }
    void resetStats() override {
        writeLine(m_commands, "reset");
        readLine(m_replies);
    }
    StandinSample sample() override {
        writeLine(m_commands, "stats");
        std::istringstream reply(readLine(m_replies));
        StandinSample s;
        reply >> s.maxConcurrent >> s.chatRequests >> s.cpuSeconds;
        return s;
    }

private:
    static void serve(const standin::StandinOptions& options, int commands, int replies) {
        standin::StandinServer server(options);
        const int port = server.start();
        writeLine(replies, "port " + std::to_string(port));
        double cpuAtReset = processCpuSeconds();
        while (true) {
            const std::string command = readLine(commands);
            if (command == "reset") {
                server.resetStats();
                cpuAtReset = processCpuSeconds();
                writeLine(replies, "ok");
            } else if (command == "stats") {
                const auto stats = server.stats();
                char line[128];
                std::snprintf(line, sizeof line, "%d %llu %.6f", stats.maxConcurrentChatRequests,
                              static_cast<unsigned long long>(stats.chatRequests),
                              processCpuSeconds() - cpuAtReset);
                writeLine(replies, line);
            } else {
                break; // EOF: the parent is done
            }
        }
        server.stop();
    }

    pid_t m_pid = -1;
    int m_commands = -1;
    int m_replies = -1;
    std::string m_baseUrl;
};

struct CallTimes {
    std::vector<double> callMs;
    std::vector<double> gapMs;
};

struct Settings {
    int latencyMs = 100;
    std::vector<int> levels{1, 4, 16, 64, 128, 256};
    int requestsPerSlot = 50;
    int rowsPerRequest = 5;
    bool baseline = true;
    bool standinInChild = false;
    bool json = false;
    double similarityThreshold = 0.7; // the job's near-duplicate filter; 1 turns it off
    bool compareFilter = false;       // each level also without the filter, right after
    // Questions the near-duplicate index keeps in memory before older ones go to a file; 0: all in memory.
    std::size_t questionsInMemory = engine::RunOptions{}.nearDuplicateQuestionsInMemory;
    std::size_t allInMemoryUpToRows = engine::RunOptions{}.nearDuplicateAllInMemoryUpToRows;
    std::size_t questionVocabulary = standin::kDefaultQuestionVocabulary;
};

struct Measurement {
    int requests = 0;
    double seconds = 0;
    double cpuSeconds = 0;
    StandinSample standin;
    CallTimes times;
    std::string status = "completed";
};

struct LevelResult {
    int concurrency = 0;
    int plannedRequests = 0;
    double idealSeconds = 0;
    Measurement engine;
    std::optional<Measurement> withoutFilter;
    std::optional<Measurement> baseline;
    int rows = 0;
};

// Where a slot's time goes: inside chat() (transport + stand-in) and between one chat() and the next on
// the same thread (the engine's own work: taking a batch, building the prompt, accepting the rows, and
// waiting for its lock).
class TimingProvider final : public providers::Provider {
public:
    // Room for `capacity` calls; later calls are not recorded. No lock, so timing adds no contention.
    TimingProvider(std::shared_ptr<providers::Provider> inner, std::size_t capacity)
        : m_inner(std::move(inner)), m_generation(++s_generations), m_callMs(capacity), m_gapMs(capacity) {}

    [[nodiscard]] std::string name() const override { return m_inner->name(); }
    [[nodiscard]] providers::ChatResult chat(const providers::ChatRequest& request,
                                             const CancellationToken& cancel) override {
        thread_local std::uint64_t lastGeneration = 0;
        thread_local Clock::time_point lastEnd;
        const auto start = Clock::now();
        auto result = m_inner->chat(request, cancel);
        const auto end = Clock::now();
        if (const auto i = m_calls++; i < m_callMs.size())
            m_callMs[i] = std::chrono::duration<double, std::milli>(end - start).count();
        if (lastGeneration == m_generation)
            if (const auto i = m_gaps++; i < m_gapMs.size())
                m_gapMs[i] = std::chrono::duration<double, std::milli>(start - lastEnd).count();
        lastGeneration = m_generation;
        lastEnd = end;
        return result;
    }
    [[nodiscard]] providers::ModelListResult listModels(const CancellationToken& cancel) override {
        return m_inner->listModels(cancel);
    }
    [[nodiscard]] std::string defaultModel() const override { return m_inner->defaultModel(); }

    // Call when no chat() is running.
    [[nodiscard]] CallTimes times() const {
        CallTimes times;
        times.callMs.assign(m_callMs.begin(), m_callMs.begin() + std::min(m_calls.load(), m_callMs.size()));
        times.gapMs.assign(m_gapMs.begin(), m_gapMs.begin() + std::min(m_gaps.load(), m_gapMs.size()));
        return times;
    }

private:
    static inline std::atomic<std::uint64_t> s_generations{0};
    std::shared_ptr<providers::Provider> m_inner;
    std::uint64_t m_generation;
    std::vector<double> m_callMs;
    std::vector<double> m_gapMs;
    std::atomic<std::size_t> m_calls{0};
    std::atomic<std::size_t> m_gaps{0};
};

std::shared_ptr<TimingProvider> makeProvider(const std::string& baseUrl, std::size_t expectedCalls) {
    static const providers::FakeEnvironment environment; // no OPENAI_* from the machine
    providers::ProviderConfig config;
    config.provider = "openai";
    config.endpoint = baseUrl + "/v1";
    return std::make_shared<TimingProvider>(
        std::make_shared<providers::openai::OpenAiProvider>(config, environment), expectedCalls * 2 + 64);
}

double mean(const std::vector<double>& values) {
    return values.empty() ? NAN : std::accumulate(values.begin(), values.end(), 0.0) / values.size();
}

double percentile(std::vector<double> values, double fraction) {
    if (values.empty())
        return NAN;
    const auto index = static_cast<std::size_t>(fraction * (values.size() - 1));
    std::nth_element(values.begin(), values.begin() + index, values.end());
    return values[index];
}

// A job whose rows divide into whole batches over its seeds, so the ideal time is exactly
// (requests / concurrency) × latency.
JobSpec benchJob(const Template& source, int concurrency, int requests, int rowsPerRequest,
                 double similarityThreshold) {
    JobSpec job;
    job.templateId = source.id;
    job.fillFromTemplate(source);
    const int seedCount = std::gcd(requests, static_cast<int>(source.seeds.size()));
    job.seeds.assign(source.seeds.begin(), source.seeds.begin() + seedCount);
    job.provider.name = "openai";
    job.provider.model = "standin-model";
    job.rowsPerRequest = rowsPerRequest;
    job.size = requests * rowsPerRequest;
    job.concurrency = concurrency;
    job.displayName = "bench c=" + std::to_string(concurrency);
    job.similarityThreshold = similarityThreshold;
    return job;
}

Measurement runEngine(Standin& standin, const JobSpec& jobTemplate, const std::filesystem::path& folder,
                      std::vector<std::string>& lastQuestions, const Settings& settings) {
    Measurement m;
    Project project(folder);
    RunHistory history;
    if (auto error = project.ensureExists(); !error.empty())
        throw std::runtime_error(error);
    if (auto error = history.open(project.historyDatabase()); !error.empty())
        throw std::runtime_error(error);
    engine::RunService service(project, history);
    JobSpec job = jobTemplate;
    job.provider.endpoint = standin.baseUrl() + "/v1";
    job.outputPath = (folder / "dataset.json").string();
    auto prepared = service.prepare(job);
    if (auto* error = std::get_if<std::string>(&prepared))
        throw std::runtime_error(*error);
    const auto& run = std::get<engine::PreparedRun>(prepared);

    const auto provider = makeProvider(standin.baseUrl(), static_cast<std::size_t>(job.plannedRequests()));
    standin.resetStats();
    const double cpuBefore = processCpuSeconds();
    engine::RunOptions options;
    options.nearDuplicateQuestionsInMemory = settings.questionsInMemory;
    options.nearDuplicateAllInMemoryUpToRows = settings.allInMemoryUpToRows;
    const auto report = service.execute(run, provider, options, {}, CancellationToken{});
    m.cpuSeconds = processCpuSeconds() - cpuBefore;
    m.times = provider->times();
    m.standin = standin.sample();
    m.requests = report.outcome.progress.requestsDone;
    m.seconds = report.outcome.progress.elapsedSeconds; // the generation itself, not the dataset write
    m.status = toString(report.outcome.status);
    if (!report.outcome.error.empty())
        m.status += ": " + report.outcome.error;

    // The questions the engine last told seed 0 not to repeat, so the baseline sends prompts of the same
    // size.
    std::deque<std::string> recent;
    Journal::read(run.journalPath, [&](JournalRow&& row) {
        if (row.seedIndex != 0)
            return;
        recent.push_back(std::move(row.question));
        if (recent.size() > PromptOptions{}.doNotRepeatLimit)
            recent.pop_front();
    });
    lastQuestions.assign(recent.begin(), recent.end());
    return m;
}

// The same provider and a request like the engine's, from `concurrency` plain threads, each sending
// `perThread` requests back to back: what the transport and stand-in allow without the engine.
Measurement runBaseline(Standin& standin, const JobSpec& job, int concurrency, int perThread,
                        const std::vector<std::string>& doNotRepeat) {
    BatchRequestInput input;
    input.seed = job.seeds.front();
    input.count = job.rowsPerRequest;
    input.doNotRepeat = doNotRepeat;
    const providers::ChatRequest request =
        engine::buildChatRequest(job, std::move(input), engine::RunOptions{});

    const auto provider = makeProvider(standin.baseUrl(), static_cast<std::size_t>(concurrency * perThread));
    std::atomic<int> done{0};
    std::atomic<int> failed{0};
    const CancellationToken cancel;
    standin.resetStats();
    const double cpuBefore = processCpuSeconds();
    const auto started = Clock::now();
    {
        std::vector<std::jthread> threads;
        threads.reserve(static_cast<std::size_t>(concurrency));
        for (int t = 0; t < concurrency; ++t)
            threads.emplace_back([&] {
                for (int i = 0; i < perThread; ++i) {
                    if (provider->chat(request, cancel).ok())
                        ++done;
                    else
                        ++failed;
                }
            });
    }
    Measurement m;
    m.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    m.cpuSeconds = processCpuSeconds() - cpuBefore;
    m.standin = standin.sample();
    m.times = provider->times();
    m.requests = done.load();
    m.status = failed.load() == 0 ? "completed" : std::to_string(failed.load()) + " requests failed";
    return m;
}

std::string fixed(double value, int decimals) {
    if (std::isnan(value))
        return "n/a";
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
}

double ratioOf(const LevelResult& r, const Measurement& m) {
    return r.idealSeconds / m.seconds * m.requests / r.plannedRequests;
}

void printMarkdown(const std::vector<LevelResult>& results, const Settings& settings) {
    const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
    std::cout << "| in flight | requests | seconds | req/s | ideal req/s | **achieved/ideal** |"
              << (settings.baseline ? " bare transport achieved/ideal | engine/bare |" : "")
              << " stand-in max in flight |\n"
              << "|---:|---:|---:|---:|---:|---:|" << (settings.baseline ? "---:|---:|" : "") << "---:|\n";
    for (const auto& r : results) {
        const auto& e = r.engine;
        const double ideal = r.concurrency * 1000.0 / settings.latencyMs;
        std::cout << "| " << r.concurrency << " | " << e.requests << " | " << fixed(e.seconds, 2) << " | "
                  << fixed(e.requests / e.seconds, 1) << " | " << fixed(ideal, 1) << " | **"
                  << fixed(ratioOf(r, e), 3) << "** |";
        if (r.baseline)
            std::cout << " " << fixed(ratioOf(r, *r.baseline), 3) << " | "
                      << fixed(ratioOf(r, e) / ratioOf(r, *r.baseline), 3) << " |";
        std::cout << " " << e.standin.maxConcurrent << " |\n";
    }

    const bool split = settings.standinInChild;
    std::cout
        << "\nWhere a slot's time goes (engine run; ms per request):\n\n"
        << "| in flight | chat() − latency, mean | p99 | engine gap between requests, mean | p99 | max |"
        << (settings.baseline ? " bare: chat() − latency, mean |" : "")
        << (split ? " engine CPU | stand-in CPU |" : " CPU (engine + stand-in) |") << " CPU busy (of "
        << cores << " cores) |\n"
        << "|---:|---:|---:|---:|---:|---:|" << (settings.baseline ? "---:|" : "")
        << (split ? "---:|---:|" : "---:|") << "---:|\n";
    for (const auto& r : results) {
        const auto& e = r.engine;
        const double latency = settings.latencyMs;
        const double totalCpu = e.cpuSeconds + (split ? e.standin.cpuSeconds : 0.0);
        std::cout << "| " << r.concurrency << " | " << fixed(mean(e.times.callMs) - latency, 2) << " | "
                  << fixed(percentile(e.times.callMs, 0.99) - latency, 2) << " | "
                  << fixed(mean(e.times.gapMs), 2) << " | " << fixed(percentile(e.times.gapMs, 0.99), 2)
                  << " | " << fixed(percentile(e.times.gapMs, 1.0), 1) << " |";
        if (r.baseline)
            std::cout << " " << fixed(mean(r.baseline->times.callMs) - latency, 2) << " |";
        std::cout << " " << fixed(e.cpuSeconds * 1000 / e.requests, 2) << " |";
        if (split)
            std::cout << " " << fixed(e.standin.cpuSeconds * 1000 / e.requests, 2) << " |";
        std::cout << " " << fixed(100.0 * totalCpu / (e.seconds * cores), 0) << "% |\n";
    }
    if (settings.compareFilter) {
        std::cout << "\nThe near-duplicate filter on (threshold " << fixed(settings.similarityThreshold, 2)
                  << ") and off (1), one run right after the other:\n\n"
                  << "| in flight | **filter on: achieved/ideal** | **filter off: achieved/ideal** | on/off |"
                  << " engine gap mean, on (ms) | off (ms) | gap p99, on (ms) | off (ms) | "
                  << (settings.standinInChild ? "engine CPU" : "CPU (engine + stand-in)")
                  << " per request, on (ms) | off (ms) |\n"
                  << "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
        for (const auto& r : results) {
            if (!r.withoutFilter)
                continue;
            const auto& on = r.engine;
            const auto& off = *r.withoutFilter;
            std::cout << "| " << r.concurrency << " | **" << fixed(ratioOf(r, on), 3) << "** | **"
                      << fixed(ratioOf(r, off), 3) << "** | " << fixed(ratioOf(r, on) / ratioOf(r, off), 3)
                      << " | " << fixed(mean(on.times.gapMs), 2) << " | " << fixed(mean(off.times.gapMs), 2)
                      << " | " << fixed(percentile(on.times.gapMs, 0.99), 2) << " | "
                      << fixed(percentile(off.times.gapMs, 0.99), 2) << " | "
                      << fixed(on.cpuSeconds * 1000 / on.requests, 2) << " | "
                      << fixed(off.cpuSeconds * 1000 / off.requests, 2) << " |\n";
        }
    }
    for (const auto& r : results) {
        if (r.withoutFilter && r.withoutFilter->status != "completed")
            std::cout << "\nin flight " << r.concurrency << ": engine run without the filter "
                      << r.withoutFilter->status << "\n";
        if (r.engine.status != "completed")
            std::cout << "\nin flight " << r.concurrency << ": engine run " << r.engine.status << "\n";
        if (r.baseline && r.baseline->status != "completed")
            std::cout << "\nin flight " << r.concurrency << ": baseline " << r.baseline->status << "\n";
    }
}

void printJson(const std::vector<LevelResult>& results, const Settings& settings) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : results) {
        auto measurement = [&](const Measurement& m) {
            return nlohmann::json{{"requests", m.requests},
                                  {"seconds", m.seconds},
                                  {"achieved_over_ideal", ratioOf(r, m)},
                                  {"chat_ms_mean", mean(m.times.callMs)},
                                  {"chat_ms_p99", percentile(m.times.callMs, 0.99)},
                                  {"gap_ms_mean", mean(m.times.gapMs)},
                                  {"gap_ms_p99", percentile(m.times.gapMs, 0.99)},
                                  {"gap_ms_max", percentile(m.times.gapMs, 1.0)},
                                  {"cpu_seconds", m.cpuSeconds},
                                  {"standin_cpu_seconds", std::isnan(m.standin.cpuSeconds)
                                                              ? nlohmann::json()
                                                              : nlohmann::json(m.standin.cpuSeconds)},
                                  {"standin_max_in_flight", m.standin.maxConcurrent},
                                  {"status", m.status}};
        };
        nlohmann::json level = {{"in_flight", r.concurrency},
                                {"latency_ms", settings.latencyMs},
                                {"planned_requests", r.plannedRequests},
                                {"ideal_seconds", r.idealSeconds},
                                {"engine", measurement(r.engine)}};
        if (r.withoutFilter)
            level["engine_without_filter"] = measurement(*r.withoutFilter);
        if (r.baseline)
            level["bare_transport"] = measurement(*r.baseline);
        out.push_back(level);
    }
    std::cout << out.dump(2) << "\n";
}

} // namespace

int main(int argc, char** argv) {
    Settings settings;
    CLI::App app{"Engine throughput against the stand-in service: achieved/ideal requests per second"};
    app.add_option("--latency-ms", settings.latencyMs, "Fixed latency of every stand-in answer")
        ->capture_default_str()
        ->check(CLI::Range(1, 60000));
    app.add_option("--levels", settings.levels, "Requests in flight to measure, comma separated")
        ->delimiter(',')
        ->capture_default_str()
        ->check(CLI::Range(1, JobSpec::kMaxConcurrency));
    app.add_option("--requests-per-slot", settings.requestsPerSlot,
                   "Requests per level = in flight × this (the run lasts about this × latency)")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000));
    app.add_option("--rows-per-request", settings.rowsPerRequest, "Rows each request asks for")
        ->capture_default_str()
        ->check(CLI::Range(1, 100));
    app.add_flag("!--no-baseline", settings.baseline, "Skip the bare-transport baseline");
    app.add_option("--similarity-threshold", settings.similarityThreshold,
                   "The job's near-duplicate threshold (ROUGE-L F1); 1 turns the filter off")
        ->capture_default_str()
        ->check(CLI::Range(0.01, 1.0));
    app.add_flag("--compare-filter", settings.compareFilter,
                 "Run each level's engine twice, with the near-duplicate filter (--similarity-threshold) and "
                 "without it, one right after the other, and print both");
    app.add_option(
           "--questions-in-memory", settings.questionsInMemory,
           "Questions the near-duplicate index keeps in memory before moving older ones to a file; 0: "
           "all in memory")
        ->capture_default_str();
    app.add_option("--question-vocabulary", settings.questionVocabulary,
                   "Words the stand-in's questions are drawn from (64: questions share many words)")
        ->capture_default_str();
    app.add_option("--all-in-memory-up-to", settings.allInMemoryUpToRows,
                   "Runs planned for at most this many rows keep every question in memory")
        ->capture_default_str();
    app.add_flag("--standin-in-child", settings.standinInChild,
                 "Run the stand-in in a forked child process, to split CPU time between engine and stand-in");
    app.add_flag("--json", settings.json, "Print JSON instead of a markdown table");
    CLI11_PARSE(app, argc, argv);

    spdlog::set_level(spdlog::level::err);
    std::signal(SIGPIPE, SIG_IGN);

    standin::StandinOptions options;
    options.latency = std::chrono::milliseconds(settings.latencyMs);
    options.questionVocabulary = settings.questionVocabulary;
    std::unique_ptr<Standin> standin;
    if (settings.standinInChild)
        standin = std::make_unique<ChildProcessStandin>(options); // before any thread starts
    else
        standin = std::make_unique<InProcessStandin>(options);

    const auto templates = Project(std::filesystem::temp_directory_path()).loadTemplates();
    const Template* source = templates.find("code_generation");
    if (!source) {
        std::cerr << "bench_engine_throughput: the code_generation template was not found (set "
                     "SDS_TEMPLATES_DIR)\n";
        return 1;
    }

    std::vector<LevelResult> results;
    for (const int concurrency : settings.levels) {
        LevelResult level;
        level.concurrency = concurrency;
        level.plannedRequests = concurrency * settings.requestsPerSlot;
        level.idealSeconds = settings.requestsPerSlot * settings.latencyMs / 1000.0;
        const JobSpec job = benchJob(*source, concurrency, level.plannedRequests, settings.rowsPerRequest,
                                     settings.similarityThreshold);
        if (const auto problems = validate(job); !problems.empty()) {
            std::cerr << "bench_engine_throughput: " << problems.front() << "\n";
            return 1;
        }
        std::cerr << "in flight " << concurrency << ": engine…" << std::flush;
        sds::testing::TempDir folder;
        std::vector<std::string> lastQuestions;
        level.engine = runEngine(*standin, job, folder.path(), lastQuestions, settings);
        level.rows = level.engine.requests * settings.rowsPerRequest;
        if (settings.compareFilter) {
            std::cerr << " engine without the filter…" << std::flush;
            JobSpec unfiltered = job;
            unfiltered.similarityThreshold = 1;
            sds::testing::TempDir unfilteredFolder;
            std::vector<std::string> unusedQuestions;
            level.withoutFilter =
                runEngine(*standin, unfiltered, unfilteredFolder.path(), unusedQuestions, settings);
        }
        if (settings.baseline) {
            std::cerr << " bare transport…" << std::flush;
            level.baseline = runBaseline(*standin, job, concurrency, settings.requestsPerSlot, lastQuestions);
        }
        std::cerr << " done\n";
        results.push_back(std::move(level));
    }

    std::cout << "<!-- latency " << settings.latencyMs << " ms, " << settings.requestsPerSlot
              << " requests per slot, " << settings.rowsPerRequest << " rows per request, stand-in "
              << (settings.standinInChild ? "in a child process" : "in process") << ", questions from "
              << settings.questionVocabulary << " words, near-duplicate index in memory up to "
              << settings.allInMemoryUpToRows << " rows, else " << settings.questionsInMemory
              << " questions -->\n";
    if (settings.json)
        printJson(results, settings);
    else
        printMarkdown(results, settings);
    return 0;
}
