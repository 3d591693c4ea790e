// Peak memory of a generation run against the number of rows it makes. The stand-in runs in this process;
// each run is a fresh child process (this program again, with --child-rows) so the peaks (VmHWM) of
// different sizes never mix and the stand-in's own memory is not counted. Prints the peak per size, the
// growth per row over the smallest run, and the dataset file size to compare the growth with.

#include "BenchSupport.h"
#include "core/Job.h"
#include "core/Project.h"
#include "core/RunHistory.h"
#include "engine/QuestionSet.h"
#include "engine/RunService.h"
#include "providers/openai/OpenAiProvider.h"
#include "standin/StandinServer.h"
#include "testsupport/TempDir.h"

#include <CLI/CLI.hpp>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace sds;
using bench::fileSize;
using bench::statusKb;

double cpuSeconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Heap bytes (small blocks and mapped ones) that the engine's exact-duplicate set (engine::QuestionSet, sized
// for the run as GenerationRun sizes it) holds with `count` keys, for comparison with the growth.
std::size_t dedupeSetBytes(int count) {
    const auto before = sds::bench::heapBytes();
    sds::engine::QuestionSet keys(static_cast<std::size_t>(count));
    std::mt19937_64 random(1);
    for (int i = 0; i < count; ++i)
        keys.insert(random());
    return sds::bench::heapBytes() - before;
}

// The child: one run of `rows` rows against the stand-in at `endpoint`, then one JSON line on stdout.
int runChild(int rows, int concurrency, double threshold, std::size_t questionsInMemory,
             const std::string& endpoint, const std::filesystem::path& folder) {
    const auto templates = Project(folder).loadTemplates();
    const Template* source = templates.find("code_generation");
    if (!source) {
        std::cerr
            << "bench_engine_memory: the code_generation template was not found (set SDS_TEMPLATES_DIR)\n";
        return 1;
    }
    JobSpec job;
    job.templateId = source->id;
    job.fillFromTemplate(*source);
    job.provider.name = "openai";
    job.provider.model = "standin-model";
    job.provider.endpoint = endpoint;
    job.size = rows;
    job.rowsPerRequest = 5;
    job.concurrency = concurrency;
    job.similarityThreshold = threshold;
    job.outputPath = (folder / "dataset.json").string();
    if (const auto problems = validate(job); !problems.empty()) {
        std::cerr << "bench_engine_memory: " << problems.front() << "\n";
        return 1;
    }

    Project project(folder);
    RunHistory history;
    if (auto error = project.ensureExists(); !error.empty()) {
        std::cerr << error << "\n";
        return 1;
    }
    if (auto error = history.open(project.historyDatabase()); !error.empty()) {
        std::cerr << error << "\n";
        return 1;
    }
    engine::RunService service(project, history);
    auto prepared = service.prepare(job);
    if (auto* error = std::get_if<std::string>(&prepared)) {
        std::cerr << *error << "\n";
        return 1;
    }
    const auto& run = std::get<engine::PreparedRun>(prepared);
    static const providers::FakeEnvironment environment;
    providers::ProviderConfig config;
    config.provider = "openai";
    config.endpoint = endpoint;
    const auto provider = std::make_shared<providers::openai::OpenAiProvider>(config, environment);

    const long rssBeforeKb = statusKb("VmRSS");
    // Highest VmRSS seen at a progress tick: the generation alone, before the dataset is written.
    long peakDuringRunKb = 0;
    engine::RunCallbacks callbacks;
    callbacks.progress = [&](const engine::Progress&) {
        peakDuringRunKb = std::max(peakDuringRunKb, statusKb("VmRSS"));
    };
    engine::RunOptions options;
    options.nearDuplicateQuestionsInMemory = questionsInMemory;
    const auto report = service.execute(run, provider, options, callbacks, CancellationToken{});

    const long hwmKb = statusKb("VmHWM"); // before anything below can raise it
    const nlohmann::json line = {
        {"rows_requested", rows},
        {"rows", report.datasetRows},
        {"status", toString(report.outcome.status)},
        {"error", report.outcome.error},
        {"requests", report.outcome.progress.requestsDone},
        {"seconds", report.seconds},
        {"cpu_seconds", cpuSeconds()},
        {"rss_before_run_kb", rssBeforeKb},
        {"rss_peak_at_progress_kb", peakDuringRunKb},
        {"vm_hwm_kb", hwmKb},
        {"dedupe_set_bytes", dedupeSetBytes(static_cast<int>(report.datasetRows))},
        {"dataset_bytes", fileSize(run.datasetPath)},
        {"journal_bytes", fileSize(run.journalPath)},
    };
    std::cout << line.dump() << std::endl;
    return report.outcome.status == RunStatus::Completed ? 0 : 2;
}

// Runs this program again as a child for one size; its stdout is one JSON line.
bench::ChildResult spawnChild(int rows, int concurrency, double threshold, std::size_t questionsInMemory,
                              const std::string& endpoint, const std::filesystem::path& folder) {
    auto child = bench::runSelfAsChild({"bench_engine_memory", "--child-rows", std::to_string(rows),
                                        "--concurrency", std::to_string(concurrency),
                                        "--near-duplicate-threshold", std::to_string(threshold),
                                        "--questions-in-memory", std::to_string(questionsInMemory),
                                        "--endpoint", endpoint, "--work-dir", folder.string()});
    if (!child.error.empty())
        child.error = "the child for " + std::to_string(rows) + " rows: " + child.error;
    return child;
}
std::string fixed(double value, int decimals) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
}

std::string mib(double kb) {
    return fixed(kb / 1024.0, 1);
}

} // namespace

int main(int argc, char** argv) {
    std::vector<int> sizes{1000, 10000, 100000};
    int concurrency = 64;
    double threshold = JobSpec{}.similarityThreshold;
    std::size_t questionsInMemory = engine::RunOptions{}.nearDuplicateQuestionsInMemory;
    int latencyMs = 0;
    int childRows = 0;
    std::size_t vocabulary = sds::standin::kDefaultQuestionVocabulary;
    std::string endpoint;
    std::string workDir;
    bool json = false;
    CLI::App app{"Engine peak memory against dataset size, each size in a fresh child process"};
    app.add_option("--sizes", sizes, "Rows per run, comma separated; the first is the baseline")
        ->delimiter(',')
        ->capture_default_str()
        ->check(CLI::Range(1, JobSpec::kMaxSize));
    app.add_option("--concurrency", concurrency, "Requests in flight")
        ->capture_default_str()
        ->check(CLI::Range(1, JobSpec::kMaxConcurrency));
    app.add_option("--near-duplicate-threshold", threshold,
                   "ROUGE-L F1 above which a question is a near-duplicate; 1 turns the filter off")
        ->capture_default_str();
    app.add_option(
           "--questions-in-memory", questionsInMemory,
           "Questions the near-duplicate index keeps in memory before moving older ones to a file; 0: "
           "all in memory")
        ->capture_default_str();
    app.add_option("--latency-ms", latencyMs, "Stand-in latency per request")->capture_default_str();
    app.add_option("--question-vocabulary", vocabulary,
                   "Words the stand-in's questions are drawn from (64: questions share many words)")
        ->capture_default_str();
    app.add_flag("--json", json, "Print the children's JSON lines instead of a markdown table");
    auto* child = app.add_option("--child-rows", childRows, "Internal: run one size in this process");
    app.add_option("--endpoint", endpoint, "Internal (with --child-rows): the stand-in base URL with /v1");
    app.add_option("--work-dir", workDir, "Internal (with --child-rows): the project folder");
    CLI11_PARSE(app, argc, argv);

    spdlog::set_level(spdlog::level::err);
    std::signal(SIGPIPE, SIG_IGN);
    if (child->count() > 0)
        return runChild(childRows, concurrency, threshold, questionsInMemory, endpoint, workDir);

    standin::StandinOptions options;
    options.latency = std::chrono::milliseconds(latencyMs);
    options.questionVocabulary = vocabulary;
    standin::StandinServer server(options);
    server.start();

    std::vector<nlohmann::json> lines;
    for (const int rows : sizes) {
        std::cerr << rows << " rows…" << std::flush;
        sds::testing::TempDir folder;
        const auto result = spawnChild(rows, concurrency, threshold, questionsInMemory,
                                       server.baseUrl() + "/v1", folder.path());
        if (!result.error.empty()) {
            std::cerr << "\nbench_engine_memory: " << result.error << "\n";
            return 1;
        }
        std::cerr << " " << result.line["status"].get<std::string>() << "\n";
        lines.push_back(result.line);
    }

    std::cout << "<!-- concurrency " << concurrency << ", stand-in latency " << latencyMs
              << " ms, near-duplicate threshold " << threshold << ", " << questionsInMemory
              << " questions in memory"
              << ", questions from " << vocabulary << " words, each size in a fresh child process -->\n";
    if (json) {
        for (const auto& line : lines)
            std::cout << line.dump() << "\n";
        return 0;
    }
    const auto& base = lines.front();
    const double baseHwm = base["vm_hwm_kb"].get<double>();
    const double baseDataset = base["dataset_bytes"].get<double>();
    const std::string baseRows = std::to_string(base["rows"].get<long>());
    std::cout << "| rows | status | seconds | RSS before run (MiB) | peak RSS, VmHWM (MiB) | **peak / peak("
              << baseRows
              << ")** | peak growth per row since previous size (bytes) | dedupe set alone (MiB) | dataset "
                 "file (MiB) | "
                 "dataset / dataset("
              << baseRows << ") |\n"
              << "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    const nlohmann::json* previous = nullptr;
    for (const auto& line : lines) {
        const double hwm = line["vm_hwm_kb"].get<double>();
        const double rows = line["rows"].get<double>();
        const double dataset = line["dataset_bytes"].get<double>();
        std::string perRow = "–";
        if (previous && rows > (*previous)["rows"].get<double>())
            perRow = fixed((hwm - (*previous)["vm_hwm_kb"].get<double>()) * 1024.0 /
                               (rows - (*previous)["rows"].get<double>()),
                           0);
        std::cout << "| " << line["rows"].get<long>() << " | " << line["status"].get<std::string>() << " | "
                  << fixed(line["seconds"].get<double>(), 1) << " | "
                  << mib(line["rss_before_run_kb"].get<double>()) << " | " << mib(hwm) << " | **"
                  << fixed(hwm / baseHwm, 2) << "** | " << perRow << " | "
                  << fixed(line["dedupe_set_bytes"].get<double>() / 1048576.0, 1) << " | "
                  << fixed(dataset / 1048576.0, 1) << " | " << fixed(dataset / baseDataset, 1) << " |\n";
        previous = &line;
    }
    return 0;
}
