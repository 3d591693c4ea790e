#include "cli/Cli.h"

#include "cli/JobBuilder.h"
#include "core/Project.h"
#include "core/RunHistory.h"
#include "engine/JobSetup.h"
#include "engine/RunService.h"
#include "providers/ProviderFactory.h"
#include "providers/local/LocalServer.h"

#include <CLI/CLI.hpp>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <thread>
#include <unistd.h>

namespace sds::cli {
namespace {

enum ExitCode { kOk = 0, kRunFailed = 1, kBadInput = 2, kPartial = 3, kCancelled = 130 };

std::atomic<int> g_interrupts{0};

void onInterrupt(int) {
    if (g_interrupts.fetch_add(1) >= 1) {
        providers::local::stopAllLocalServers();
        std::_Exit(kCancelled);
    }
}

void installInterruptHandlers() {
    struct sigaction action {};
    action.sa_handler = onInterrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

int fail(int code, const std::string& message) {
    std::cerr << "sds: error: " << message << "\n";
    return code;
}

std::string formatSeconds(double seconds) {
    if (seconds < 0)
        return "?";
    const auto total = static_cast<long long>(std::llround(seconds));
    if (total < 60)
        return std::to_string(total) + "s";
    if (total < 3600)
        return std::to_string(total / 60) + "m" + std::to_string(total % 60) + "s";
    return std::to_string(total / 3600) + "h" + std::to_string((total % 3600) / 60) + "m";
}

std::string formatTime(std::int64_t ms) {
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm local{};
    localtime_r(&seconds, &local);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M", &local);
    return buffer;
}

class ProgressPrinter {
public:
    ProgressPrinter() : m_terminal(::isatty(STDERR_FILENO) != 0) {}

    void update(const engine::Progress& p) {
        const int total = std::max(1, p.rowsRequested);
        if (m_terminal) {
            constexpr int kWidth = 28;
            const int filled = std::min(kWidth, p.rowsDone * kWidth / total);
            std::string bar(static_cast<std::size_t>(filled), '#');
            bar.append(static_cast<std::size_t>(kWidth - filled), '.');
            std::fprintf(stderr,
                         "\r[%s] %d/%d rows  %.1f rows/s  ETA %s  in flight %d  retries %d  failed %d  "
                         "tokens %lld/%lld ",
                         bar.c_str(), p.rowsDone, p.rowsRequested, p.rowsPerSecond,
                         formatSeconds(p.etaSeconds).c_str(), p.inFlight, p.retries, p.failedRequests,
                         static_cast<long long>(p.tokens.input), static_cast<long long>(p.tokens.output));
            std::fflush(stderr);
            m_dirty = true;
        } else {
            const int decile = p.rowsDone * 10 / total;
            if (decile > m_lastDecile) {
                m_lastDecile = decile;
                std::fprintf(stderr, "%d/%d rows (%.1f rows/s, %d retries, %d failed requests)\n", p.rowsDone,
                             p.rowsRequested, p.rowsPerSecond, p.retries, p.failedRequests);
            }
        }
    }
    void finish() {
        if (m_dirty)
            std::fprintf(stderr, "\n");
        m_dirty = false;
    }

private:
    bool m_terminal;
    bool m_dirty = false;
    int m_lastDecile = 0;
};

int openHistory(const Project& project, RunHistory& history) {
    if (auto error = project.ensureExists(); !error.empty())
        return fail(kRunFailed, error);
    if (auto error = history.open(project.historyDatabase()); !error.empty())
        return fail(kRunFailed, error);
    return kOk;
}

providers::Result<std::shared_ptr<providers::Provider>> providerFor(JobSpec& job, const Project& project) {
    auto provider = providers::makeProvider(engine::providerConfigFor(job.provider, project),
                                            providers::SystemEnvironment{});
    if (!provider.ok())
        return provider;
    if (job.provider.model.empty())
        job.provider.model = provider.value()->defaultModel();
    if (job.provider.model.empty())
        return providers::ProviderError{providers::ErrorKind::UnknownModel,
                                        "choose a model with --model (see `sds models --provider " +
                                            job.provider.name + "`)",
                                        std::nullopt, std::nullopt};
    return provider;
}

int runGeneration(engine::RunService& service, const engine::PreparedRun& prepared,
                  const std::shared_ptr<providers::Provider>& provider) {
    const auto& run = prepared;
    const auto& job = prepared.job;
    std::cerr << (run.resumed ? "Resuming run " : "Run ") << run.id << ": " << job.size << " rows from "
              << job.seeds.size() << " seeds with " << job.provider.name << " / "
              << (job.provider.model.empty() ? "default model" : job.provider.model) << ", up to "
              << job.concurrency << " requests in flight\n";
    CancellationToken cancel;
    std::atomic<bool> finished{false};
    std::thread watcher([&] {
        while (!finished.load()) {
            if (g_interrupts.load() > 0 && !cancel.isCancelled()) {
                cancel.cancel();
                std::fprintf(stderr,
                             "\nCancelling: keeping the rows that arrived (Ctrl-C again to quit now)\n");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    });
    ProgressPrinter printer;
    engine::RunCallbacks callbacks;
    callbacks.progress = [&](const engine::Progress& p) {
        printer.update(p);
    };
    const auto report = service.execute(prepared, provider, engine::runOptionsFor(job), callbacks, cancel);
    finished = true;
    watcher.join();
    printer.finish();

    const auto& p = report.outcome.progress;
    std::cout << "Run " << report.runId << ": " << toString(report.outcome.status) << "\n"
              << "  rows:     " << report.datasetRows << " of " << p.rowsRequested
              << (p.rowsResumed ? " (" + std::to_string(p.rowsResumed) + " from before the resume)"
                                : std::string())
              << "\n"
              << "  requests: " << p.requestsDone << ", retries " << p.retries << ", failed "
              << p.failedRequests << ", duplicates dropped " << p.duplicates << ", incomplete items re-asked "
              << p.invalidItems << "\n"
              << "  tokens:   " << p.tokens.input << " in, " << p.tokens.output << " out\n"
              << "  time:     " << formatSeconds(report.seconds) << "\n";
    if (!report.datasetPath.empty())
        std::cout << "  dataset:  " << report.datasetPath.string() << "\n"
                  << "  metadata: " << report.metadataPath.string() << "\n";
    switch (report.outcome.status) {
    case RunStatus::Completed:
        return kOk;
    case RunStatus::Cancelled:
        std::cerr << "sds: cancelled; resume with: sds generate --resume " << report.runId << "\n";
        return kCancelled;
    case RunStatus::Partial:
        std::cerr << "sds: " << report.outcome.error << "; resume with: sds generate --resume "
                  << report.runId << "\n";
        return kPartial;
    default:
        return fail(kRunFailed, report.outcome.error);
    }
}

nlohmann::json recordToJson(const RunRecord& r) {
    nlohmann::json json = {
        {"id", r.id},
        {"display_name", r.displayName},
        {"template", r.templateId},
        {"workflow", r.workflow},
        {"provider", r.provider},
        {"model", r.model},
        {"parameters", nlohmann::json::parse(r.parametersJson, nullptr, false)},
        {"requested_size", r.requestedSize},
        {"completed_rows", r.completedRows},
        {"status", toString(r.status)},
        {"output_path", r.outputPath},
        {"run_dir", r.runDir},
        {"created_at_ms", r.createdAtMs},
        {"finished_at_ms", r.finishedAtMs ? nlohmann::json(*r.finishedAtMs) : nlohmann::json()},
        {"input_tokens", r.inputTokens},
        {"output_tokens", r.outputTokens},
        {"score", r.score ? nlohmann::json(*r.score) : nlohmann::json()},
        {"error", r.error},
    };
    return json;
}

} // namespace

int run(int argc, char** argv) {
    auto logger = spdlog::stderr_color_mt("sds");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::warn);
    spdlog::set_pattern("%^%l%$: %v");

    CLI::App app{"Synthetic Data Studio: create synthetic datasets for fine-tuning LLMs"};
    app.name("sds");
    app.set_version_flag("--version", std::string("sds ") + SDS_VERSION);
    app.require_subcommand(1);
    bool verbose = false;
    app.add_flag("-v,--verbose", verbose, "Log more (secrets are never logged)");

    auto* templatesCommand = app.add_subcommand("templates", "List the templates");
    bool templatesJson = false;
    templatesCommand->add_flag("--json", templatesJson, "As JSON");

    auto* modelsCommand = app.add_subcommand("models", "List the models a provider offers");
    providers::ProviderConfig modelsConfig;
    modelsConfig.provider = "local";
    modelsCommand->add_option("--provider", modelsConfig.provider, "local, bedrock, caii or openai");
    modelsCommand->add_option("--endpoint", modelsConfig.endpoint, "Base URL of the provider");
    modelsCommand->add_option("--region", modelsConfig.region, "AWS region (bedrock)");
    modelsCommand->add_option("--profile", modelsConfig.profile, "AWS profile (bedrock)");
    modelsCommand->add_option("--ca-bundle", modelsConfig.caBundlePath, "CA bundle file for TLS");

    auto* generateCommand = app.add_subcommand("generate", "Generate a dataset");
    GenerateFlags flags;
    std::string resumeId;
    generateCommand->add_option("--config", flags.configFile, "Job file (as saved by the app)");
    generateCommand->add_option("--template", flags.templateId,
                                "code_generation, text_to_sql, custom, or your own");
    generateCommand->add_option("--workflow", flags.workflow, "sft (supervised fine-tuning)");
    generateCommand->add_option("--provider", flags.provider, "local (default), bedrock, caii or openai");
    generateCommand->add_option("--model", flags.model, "Model id (for local: a .gguf file)");
    generateCommand->add_option("--endpoint", flags.endpoint, "Provider base URL");
    generateCommand->add_option("--region", flags.region, "AWS region (bedrock)");
    generateCommand->add_option("--profile", flags.profile, "AWS profile (bedrock)");
    generateCommand->add_option("--ca-bundle", flags.caBundle, "CA bundle file for TLS");
    generateCommand->add_option("--size", flags.size, "Number of rows in the dataset");
    generateCommand->add_option("--seed", flags.seeds, "A seed topic (repeatable)");
    generateCommand->add_option("--seeds-file", flags.seedsFile, "Seeds: one per line, or a JSON array");
    generateCommand->add_option("--examples-file", flags.examplesFile, "JSON array of {question, solution}");
    generateCommand->add_option("--prompt", flags.prompt, "The instruction for the model");
    generateCommand->add_option("--prompt-file", flags.promptFile, "Read the prompt from a file");
    generateCommand->add_option("--schema-file", flags.schemaFile, "Database schema DDL (text to SQL)");
    generateCommand->add_option("--temperature", flags.temperature, "0 to 2");
    generateCommand->add_option("--top-p", flags.topP, "0 to 1");
    generateCommand->add_option("--top-k", flags.topK, "0 to 300");
    generateCommand->add_option("--max-tokens", flags.maxTokens, "Most tokens per answer");
    generateCommand->add_option("--concurrency", flags.concurrency,
                                "Requests in flight, 1 to 256 (default 16)");
    generateCommand->add_option("--rows-per-request", flags.rowsPerRequest,
                                "Rows asked per request (default 5)");
    generateCommand->add_option("--name", flags.name, "Display name of the run");
    generateCommand->add_option("--output", flags.output, "Dataset file to write");
    generateCommand->add_option("--output-key", flags.outputKeyPrompt,
                                "Row key of the question (default Prompt)");
    generateCommand->add_option("--output-value", flags.outputKeyCompletion,
                                "Row key of the answer (default Completion)");
    generateCommand->add_option("--resume", resumeId, "Finish the run with this id");

    auto* runsCommand = app.add_subcommand("runs", "List the generations");
    bool runsJson = false;
    runsCommand->add_flag("--json", runsJson, "As JSON");

    auto* showCommand = app.add_subcommand("show", "Show one generation");
    std::string showId;
    showCommand->add_option("RUN_ID", showId, "Run id")->required();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        if (error.get_exit_code() == 0)
            return app.exit(error);
        std::cerr << "sds: error: " << error.what() << "\n";
        return kBadInput;
    }
    if (verbose)
        spdlog::set_level(spdlog::level::debug);

    const Project project = Project::fromEnvironment();

    if (templatesCommand->parsed()) {
        const auto templates = project.loadTemplates();
        for (const auto& error : templates.errors())
            std::cerr << "sds: warning: " << error << "\n";
        if (templatesJson) {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& t : templates.templates()) {
                auto json = templateToJson(t);
                json["id"] = t.id;
                json["file"] = t.sourceFile.string();
                list.push_back(json);
            }
            std::cout << list.dump(2) << "\n";
        } else {
            for (const auto& t : templates.templates())
                std::cout << t.id << "\t" << t.name << "\t" << t.seeds.size() << " seeds, "
                          << t.examples.size() << " examples\t" << t.description << "\n";
        }
        return kOk;
    }

    if (modelsCommand->parsed()) {
        modelsConfig.modelsDir = project.modelsDir().string();
        auto provider = providers::makeProvider(modelsConfig, providers::SystemEnvironment{});
        if (!provider.ok())
            return fail(kBadInput, provider.error().message);
        CancellationToken cancel;
        const auto models = provider.value()->listModels(cancel);
        if (!models.ok())
            return fail(kRunFailed, models.error().message);
        for (const auto& model : models.value())
            std::cout << model.id << (model.displayName != model.id ? "\t" + model.displayName : "") << "\n";
        return kOk;
    }

    if (runsCommand->parsed() || showCommand->parsed()) {
        RunHistory history;
        if (int code = openHistory(project, history); code != kOk)
            return code;
        if (showCommand->parsed()) {
            const auto record = history.find(showId);
            if (!record)
                return fail(kBadInput, "no run with id " + showId + " (see `sds runs`)");
            std::cout << recordToJson(*record).dump(2) << "\n";
            return kOk;
        }
        const auto records = history.list();
        if (runsJson) {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& r : records)
                list.push_back(recordToJson(r));
            std::cout << list.dump(2) << "\n";
            return kOk;
        }
        std::printf("%-22s %-24s %-16s %-8s %-28s %9s %10s %s\n", "ID", "NAME", "TEMPLATE", "PROVIDER",
                    "MODEL", "ROWS", "STATUS", "CREATED");
        for (const auto& r : records) {
            const std::string model = std::filesystem::path(r.model).filename().string();
            std::printf("%-22s %-24.24s %-16.16s %-8s %-28.28s %4d/%-4d %10s %s\n", r.id.c_str(),
                        r.displayName.c_str(), r.templateId.c_str(), r.provider.c_str(), model.c_str(),
                        r.completedRows, r.requestedSize, toString(r.status).c_str(),
                        formatTime(r.createdAtMs).c_str());
        }
        return kOk;
    }

    // generate
    installInterruptHandlers();
    RunHistory history;
    if (int code = openHistory(project, history); code != kOk)
        return code;
    engine::RunService service(project, history);
    if (!resumeId.empty()) {
        auto prepared = service.prepareResume(resumeId);
        if (auto* error = std::get_if<std::string>(&prepared))
            return fail(kBadInput, *error);
        auto& run = std::get<engine::PreparedRun>(prepared);
        auto provider = providerFor(run.job, project);
        if (!provider.ok()) {
            service.markFailed(run, provider.error().message);
            return fail(kBadInput, provider.error().message);
        }
        return runGeneration(service, run, provider.value());
    }
    const auto templates = project.loadTemplates();
    for (const auto& error : templates.errors())
        std::cerr << "sds: warning: " << error << "\n";
    auto built = buildJob(flags, templates);
    if (!built.job)
        return fail(kBadInput, built.error);
    if (built.job->provider.name == "local" && !flags.concurrency && flags.configFile.empty())
        built.job->concurrency = engine::kLocalModelConcurrency;
    if (built.job->provider.name == "local" && !flags.rowsPerRequest && flags.configFile.empty())
        built.job->rowsPerRequest = engine::kLocalModelRowsPerRequest;
    auto provider = providerFor(*built.job, project);
    if (!provider.ok())
        return fail(kBadInput, provider.error().message);
    auto prepared = service.prepare(*built.job);
    if (auto* error = std::get_if<std::string>(&prepared))
        return fail(kRunFailed, *error);
    return runGeneration(service, std::get<engine::PreparedRun>(prepared), provider.value());
}

} // namespace sds::cli
