#include "cli/Cli.h"

#include "cli/CliCommon.h"
#include "cli/Commands.h"
#include "cli/JobBuilder.h"
#include "core/BatchJobState.h"
#include "core/Project.h"
#include "core/RunHistory.h"
#include "core/RunLock.h"
#include "core/Text.h"
#include "engine/JobSetup.h"
#include "engine/RunService.h"
#include "engine/RunTools.h"
#include "providers/ProviderFactory.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace sds::cli {
namespace {

// What `sds generate --evaluate` asks for once the dataset is written.
struct EvaluateAfter {
    bool wanted = false;
    std::string judgeModel; // empty: the generation's model
};

// "2 seeds: "Joins", "Window functions"" or "3 elements: #4, #17, #90".
std::string describeFailedWork(const engine::PreparedRun& run) {
    constexpr std::size_t kShown = 10;
    const auto& failed = run.earlierFailures;
    std::string text;
    if (!failed.seeds.empty()) {
        const bool excerpts = !run.chunks.empty();
        text = countOf(failed.seeds.size(), excerpts ? "excerpt" : "seed") + ":";
        for (std::size_t i = 0; i < std::min(failed.seeds.size(), kShown); ++i) {
            const std::size_t index = failed.seeds[i];
            const std::string label = excerpts ? (index < run.chunks.size() ? run.chunks[index].source : "")
                                               : (index < run.job.seeds.size() ? run.job.seeds[index] : "");
            text += (i == 0 ? " \"" : ", \"") + oneLine(label, 40) + "\"";
        }
    } else {
        text = countOf(failed.elements.size(), "element") + ":";
        for (std::size_t i = 0; i < std::min(failed.elements.size(), kShown); ++i)
            text += (i == 0 ? " #" : ", #") + std::to_string(failed.elements[i] + 1);
    }
    const std::size_t total = failed.seeds.size() + failed.elements.size();
    return total > kShown ? text + ", …" : text;
}

// "$0.42", "$0.42 of a $1.00 budget", or "unknown price" (no price for the model).
std::string describeCost(const std::optional<double>& costUsd, const std::optional<double>& maxCostUsd) {
    std::string text =
        costUsd ? formatUsd(*costUsd) : std::string("unknown price (give --price-in and --price-out)");
    if (maxCostUsd)
        text += " of a " + formatUsd(*maxCostUsd) + " budget";
    return text;
}

int runGeneration(const Project& project, RunHistory& history, engine::RunService& service,
                  const engine::PreparedRun& prepared, const std::shared_ptr<providers::Provider>& provider,
                  const EvaluateAfter& evaluateAfter) {
    const auto& run = prepared;
    const auto& job = prepared.job;
    for (const auto& notice : run.notices)
        warn(notice);
    std::string source;
    if (job.workflow == Workflow::CustomDataCuration)
        source = std::to_string(job.size) + " elements of " +
                 std::filesystem::path(job.inputFiles.front()).filename().string();
    else if (!run.chunks.empty())
        source = std::to_string(job.size) + " rows from " + std::to_string(run.chunks.size()) +
                 " excerpts of " + std::to_string(job.inputFiles.size()) + " documents";
    else
        source = std::to_string(job.size) + " rows from " + std::to_string(job.seeds.size()) + " seeds";
    if (run.resumeScope == engine::ResumeScope::FailedOnly)
        std::cerr << "Retrying only what failed in run " << run.id << ": " << describeFailedWork(run) << "\n";
    std::cerr << (run.resumed ? "Resuming run " : "Run ") << run.id << ": " << source << " with "
              << job.provider.name << " / "
              << (job.provider.model.empty() ? "default model" : job.provider.model) << ", up to "
              << job.concurrency << " requests in flight\n";
    CancellationToken cancel;
    ProgressPrinter printer(job.workflow == Workflow::CustomDataCuration ? "elements" : "rows");
    engine::RunCallbacks callbacks;
    callbacks.progress = [&](const engine::Progress& p) {
        printer.update(p);
    };
    callbacks.batchStatus = [](const BatchJobState& state) {
        std::cerr << "Bedrock batch job "
                  << (state.jobArn.empty() ? std::string("(not created)") : state.jobArn) << ": "
                  << describeBatchJob(state) << "\n";
    };
    engine::RunReport report;
    {
        CancelOnInterrupt interrupt(cancel);
        report = service.execute(prepared, provider, engine::runOptionsFor(job), callbacks, cancel);
    }
    printer.finish();

    const auto& p = report.outcome.progress;
    std::cout << "Run " << report.runId << ": " << toString(report.outcome.status) << "\n"
              << "  rows:     " << report.datasetRows << " of " << p.rowsRequested
              << (p.rowsResumed ? " (" + std::to_string(p.rowsResumed) + " from before the resume)"
                                : std::string())
              << "\n"
              << "  requests: " << p.requestsDone << ", retries " << p.retries << ", failed "
              << p.failedRequests << ", duplicates dropped " << p.duplicates << ", near-duplicates rejected "
              << p.nearDuplicates << ", incomplete items re-asked " << p.invalidItems << "\n";
    if (p.skippedInputs > 0)
        std::cout << "  skipped:  " << countOf(static_cast<std::size_t>(p.skippedInputs), "element")
                  << " without the field \"" << job.inputKey << "\"\n";
    int shown = 0;
    for (const auto& seed : report.outcome.seeds)
        if (seed.nearDuplicates > 0 && shown++ < 20)
            std::cout << "            near-duplicates rejected for \"" << oneLine(seed.seed, 60)
                      << "\": " << seed.nearDuplicates << "\n";
    if (p.lowQuality.total() > 0 || job.workflow == Workflow::SupervisedFineTuning)
        std::cout << "  quality:  low-quality rows rejected " << p.lowQuality.total()
                  << (p.lowQuality.total() > 0 ? " (" + p.lowQuality.describe() + ")" : std::string())
                  << "\n";
    shown = 0;
    for (const auto& seed : report.outcome.seeds)
        if (seed.lowQuality.total() > 0 && shown++ < 20)
            std::cout << "            low-quality rows rejected for \"" << oneLine(seed.seed, 60)
                      << "\": " << seed.lowQuality.total() << " (" << seed.lowQuality.describe() << ")\n";
    std::cout << "  tokens:   " << p.tokens.input << " in, " << p.tokens.output << " out\n"
              << "  cost:     " << describeCost(p.costUsd, job.maxCostUsd) << "\n"
              << "  time:     " << formatSeconds(report.seconds) << "\n";
    if (report.validation.ran && report.validation.error.empty()) {
        const auto& c = report.validation.counts;
        std::cout << "  checked:  " << c.passed << " passed, " << c.failed << " failed, " << c.unjudged
                  << " not judged (" << job.validator << " validator)\n";
        for (const auto& failure : report.validation.firstFailures)
            std::cout << "            " << failure << "\n";
    }
    if (!report.datasetPath.empty())
        std::cout << "  dataset:  " << report.datasetPath.string() << "\n"
                  << "  metadata: " << report.metadataPath.string() << "\n";
    if (evaluateAfter.wanted && report.outcome.status == RunStatus::Completed) {
        engine::RunTools tools(history);
        auto loaded = tools.load(report.runId);
        if (auto* error = std::get_if<std::string>(&loaded))
            return fail(kRunFailed, *error);
        engine::EvaluationSpec spec;
        spec.judge = job.provider;
        if (!evaluateAfter.judgeModel.empty())
            spec.judge.model = evaluateAfter.judgeModel;
        spec.concurrency = job.concurrency;
        auto judge = provider;
        if (spec.judge.model != job.provider.model) {
            // The embedded provider serves the one model it loaded: another judge model needs its own.
            auto made = providerFor(spec.judge, project);
            if (!made.ok())
                return fail(kBadInput, made.error().message);
            judge = made.value();
        }
        return evaluateRun(project, history, std::get<engine::LoadedRun>(loaded), spec, judge);
    }
    switch (report.outcome.status) {
    case RunStatus::Completed:
        return kOk;
    case RunStatus::Cancelled:
        std::cerr << "sds: cancelled; resume with: sds generate --resume " << report.runId << "\n";
        return kCancelled;
    case RunStatus::Partial:
        std::cerr << "sds: " << report.outcome.error << "; resume with: sds generate --resume "
                  << report.runId
                  << (report.outcome.failed.empty() ? ""
                                                    : " (add --retry-failed to ask only for what failed)")
                  << "\n";
        return kPartial;
    case RunStatus::StoppedAtBudget:
        std::cerr << "sds: " << report.outcome.error
                  << "; raise the budget and resume with: sds generate --resume " << report.runId
                  << " --max-cost USD\n";
        return kPartial;
    default:
        return fail(kRunFailed, report.outcome.error);
    }
}

// The run's Bedrock batch job, when it has one (a damaged batch.json is a warning).
std::optional<BatchJobState> batchJobOf(const RunRecord& r) {
    if (r.runDir.empty())
        return std::nullopt;
    const auto loaded = loadBatchJobState(r.runDir);
    if (const auto* error = std::get_if<std::string>(&loaded)) {
        warn(*error);
        return std::nullopt;
    }
    return std::get<std::optional<BatchJobState>>(loaded);
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
        {"cost_usd", r.costUsd ? nlohmann::json(*r.costUsd) : nlohmann::json()},
        {"max_cost_usd", r.maxCostUsd ? nlohmann::json(*r.maxCostUsd) : nlohmann::json()},
        {"requests_done", r.requestsDone},
        {"requests_planned", r.requestsPlanned},
    };
    if (!r.validationJson.empty())
        json["validation"] = nlohmann::json::parse(r.validationJson, nullptr, false);
    if (!r.evaluationJson.empty())
        json["evaluation"] = nlohmann::json::parse(r.evaluationJson, nullptr, false);
    if (const auto batch = batchJobOf(r))
        json["batch_job"] = {{"job_arn", batch->jobArn},
                             {"status", batch->status},
                             {"records", batch->records},
                             {"records_processed", batch->processedRecords.value_or(0)},
                             {"records_failed", batch->failedRecords.value_or(0)},
                             {"answers_taken", batch->answersTaken},
                             {"summary", describeBatchJob(*batch)}};
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
    ProviderChoice modelsChoice;
    addProviderOptions(*modelsCommand, modelsChoice, "local, bedrock, caii or openai");

    auto* generateCommand = app.add_subcommand("generate", "Generate a dataset");
    GenerateFlags flags;
    std::string resumeId;
    generateCommand->add_option("--config", flags.configFile, "Job file (as saved by the app)");
    generateCommand->add_option("--template", flags.templateId,
                                "code_generation, text_to_sql, custom, or your own");
    generateCommand->add_option("--workflow", flags.workflow,
                                "sft (supervised fine-tuning, default) or curation (custom data curation)");
    generateCommand->add_option("--provider", flags.provider, "local (default), bedrock, caii or openai");
    generateCommand->add_option("--model", flags.model, "Model id (for local: a .gguf file)");
    generateCommand->add_option("--endpoint", flags.endpoint, "Provider base URL");
    generateCommand->add_option("--region", flags.region, "AWS region (bedrock)");
    generateCommand->add_option("--profile", flags.profile, "AWS profile (bedrock)");
    generateCommand->add_option("--ca-bundle", flags.caBundle, "CA bundle file for TLS");
    generateCommand->add_option("--size", flags.size, "Number of rows in the dataset (sft)");
    generateCommand->add_option("--seed", flags.seeds, "A seed topic (repeatable)");
    generateCommand->add_option("--seeds-file", flags.seedsFile, "Seeds: one per line, or a JSON array");
    generateCommand->add_option("--examples-file", flags.examplesFile, "JSON array of {question, solution}");
    generateCommand->add_option("--prompt", flags.prompt, "The instruction for the model");
    generateCommand->add_option("--prompt-file", flags.promptFile, "Read the prompt from a file");
    generateCommand->add_option("--schema-file", flags.schemaFile, "Database schema DDL (text to SQL)");
    generateCommand->add_option("--input", flags.inputFiles,
                                "sft: a document to ground questions in (PDF, DOCX, TXT, MD; repeatable); "
                                "curation: the JSON array or JSON Lines file to curate");
    generateCommand->add_option("--input-key", flags.inputKey,
                                "curation: the field sent to the model (default Prompt)");
    generateCommand->add_option("--chunk-size", flags.chunkSize,
                                "Characters per document excerpt (default 1000)");
    generateCommand->add_option("--chunk-overlap", flags.chunkOverlap,
                                "Characters shared by consecutive excerpts (default 100)");
    generateCommand->add_option("--similarity-threshold", flags.similarityThreshold,
                                "Reject a question whose ROUGE-L F1 with an earlier one is above this "
                                "(default 0.7; 1 turns it off)");
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
                                "sft: row key of the question (default Prompt); curation: the output field "
                                "(default Completion)");
    generateCommand->add_option("--output-value", flags.outputKeyCompletion,
                                "Row key of the answer (default Completion)");
    auto* resumeOption = generateCommand->add_option("--resume", resumeId, "Finish the run with this id");
    bool retryFailed = false;
    generateCommand
        ->add_flag("--retry-failed", retryFailed,
                   "With --resume: ask again only for what failed (seeds short of their rows after failed "
                   "requests, curation elements whose request failed), nothing never asked")
        ->needs(resumeOption);
    generateCommand->add_option("--max-cost", flags.maxCost,
                                "Budget in USD: the run stops before its cost could pass it (status "
                                "stopped_at_budget, exit code 3; resume with a higher --max-cost)");
    generateCommand->add_option("--price-in", flags.priceIn,
                                "USD per 1M input tokens, for a model the price table does not know");
    generateCommand->add_option("--price-out", flags.priceOut,
                                "USD per 1M output tokens, for a model the price table does not know");
    generateCommand->add_option(
        "--mode", flags.mode,
        "on_demand (default) or batch: one Amazon Bedrock batch inference job at the "
        "batch price (bedrock only, at least 100 requests; see docs/bedrock-batch.md)");
    generateCommand->add_option("--batch-s3-uri", flags.batchS3Uri,
                                "With --mode batch: where the records and answers go, s3://bucket/prefix/");
    generateCommand->add_option("--batch-role-arn", flags.batchRoleArn,
                                "With --mode batch: the IAM role Bedrock assumes to read and write there");
    double batchPollSeconds = 0;
    generateCommand->add_option("--batch-poll-seconds", batchPollSeconds,
                                "With --mode batch: the first wait between job status checks (default 30; "
                                "doubling up to 300)");
    bool dryRun = false;
    generateCommand->add_flag("--dry-run", dryRun,
                              "Print the plan, requests, tokens and cost range; send nothing, write nothing");
    EvaluateAfter evaluateAfter;
    generateCommand->add_flag("--evaluate", evaluateAfter.wanted,
                              "Score the rows with the same provider as judge when the run completes");
    generateCommand->add_option("--judge-model", evaluateAfter.judgeModel,
                                "With --evaluate: the judge's model (default: the generating model)");

    auto* runsCommand = app.add_subcommand("runs", "List the generations");
    bool runsJson = false;
    runsCommand->add_flag("--json", runsJson, "As JSON");

    auto* showCommand = app.add_subcommand("show", "Show one generation");
    std::string showId;
    showCommand->add_option("RUN_ID", showId, "Run id")->required();

    std::vector<std::unique_ptr<Command>> commands = makeWorkflowCommands();
    for (auto& command : makeQualityCommands())
        commands.push_back(std::move(command));
    for (auto& command : commands)
        command->attach(app);

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

    for (auto& command : commands)
        if (command->parsed()) {
            installInterruptHandlers();
            return command->run(project);
        }

    if (templatesCommand->parsed()) {
        const auto templates = project.loadTemplates();
        for (const auto& error : templates.errors())
            warn(error);
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
        auto config = engine::providerConfigFor(modelsChoice, project);
        auto provider = providers::makeProvider(config, providers::SystemEnvironment{});
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
            auto record = history.find(showId);
            if (!record)
                return fail(kBadInput, "no run with id " + showId + " (see `sds runs`)");
            record->status = observedStatus(*record);
            auto json = recordToJson(*record);
            auto& exports = json["exports"] = nlohmann::json::array();
            for (const auto& e : history.exports(showId))
                exports.push_back({{"path", e.path},
                                   {"format", e.format},
                                   {"part", e.part},
                                   {"rows", e.rows},
                                   {"created_at_ms", e.createdAtMs}});
            std::cout << json.dump(2) << "\n";
            return kOk;
        }
        auto records = history.list();
        observeInterruptedRuns(records);
        if (runsJson) {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& r : records)
                list.push_back(recordToJson(r));
            std::cout << list.dump(2) << "\n";
            return kOk;
        }
        std::printf("%-22s %-24s %-16s %-8s %-28s %11s %5s %9s %17s %s\n", "ID", "NAME", "TEMPLATE",
                    "PROVIDER", "MODEL", "ROWS", "SCORE", "COST", "STATUS", "CREATED");
        for (const auto& r : records) {
            const std::string model = std::filesystem::path(r.model).filename().string();
            char score[16] = "-";
            if (r.score)
                std::snprintf(score, sizeof score, "%.2f", *r.score);
            const std::string cost = r.costUsd ? formatUsd(*r.costUsd) : "-";
            std::string status = toString(r.status);
            if (const auto batch = batchJobOf(r); batch && !batch->answersTaken)
                status +=
                    " (batch " + (batch->status.empty() ? std::string("not submitted") : batch->status) + ")";
            std::printf("%-22s %-24.24s %-16.16s %-8s %-28.28s %5d/%-5d %5s %9s %17s %s\n", r.id.c_str(),
                        r.displayName.c_str(), r.templateId.c_str(), r.provider.c_str(), model.c_str(),
                        r.completedRows, r.requestedSize, score, cost.c_str(), status.c_str(),
                        formatTime(r.createdAtMs).c_str());
        }
        return kOk;
    }

    // generate
    installInterruptHandlers();
    if (dryRun && !resumeId.empty())
        return fail(kBadInput, "--dry-run plans a new run; it does not take --resume");
    if (!resumeId.empty() && (flags.priceIn || flags.priceOut))
        return fail(kBadInput,
                    "--price-in and --price-out set a new run's price; a resumed run keeps its own");
    std::optional<JobSpec> job;
    if (resumeId.empty()) {
        const auto templates = project.loadTemplates();
        for (const auto& error : templates.errors())
            warn(error);
        auto built = buildJob(flags, templates);
        if (!built.job)
            return fail(kBadInput, built.error);
        applyLocalModelDefaults(flags, *built.job);
        if (dryRun)
            return planOnly(project, *built.job);
        if (auto refusal = batchBudgetRefusal(project, *built.job); !refusal.empty())
            return fail(kBadInput, refusal);
        job = std::move(built.job);
    }
    RunHistory history;
    if (int code = openHistory(project, history); code != kOk)
        return code;
    engine::RunService service(project, history);
    if (batchPollSeconds > 0) {
        engine::BatchPolling polling;
        polling.first = std::chrono::milliseconds(static_cast<std::int64_t>(batchPollSeconds * 1000));
        polling.longest = std::max(polling.first, polling.longest);
        service.setBatchPolling(polling);
    }
    if (!resumeId.empty()) {
        if (flags.maxCost && !(*flags.maxCost > 0))
            return fail(kBadInput, "--max-cost must be a positive amount of USD, got " +
                                       text::shortNumber(*flags.maxCost));
        auto prepared = service.prepareResume(
            resumeId, retryFailed ? engine::ResumeScope::FailedOnly : engine::ResumeScope::Everything,
            flags.maxCost);
        if (auto* error = std::get_if<std::string>(&prepared))
            return fail(kBadInput, *error);
        auto& run = std::get<engine::PreparedRun>(prepared);
        auto provider = providerFor(run.job.provider, project);
        if (!provider.ok()) {
            service.markFailed(run, provider.error().message);
            return fail(kBadInput, provider.error().message);
        }
        return runGeneration(project, history, service, run, provider.value(), evaluateAfter);
    }
    auto provider = providerFor(job->provider, project);
    if (!provider.ok())
        return fail(kBadInput, provider.error().message);
    auto prepared = service.prepare(*job);
    if (auto* error = std::get_if<std::string>(&prepared))
        return fail(kBadInput, *error);
    return runGeneration(project, history, service, std::get<engine::PreparedRun>(prepared), provider.value(),
                         evaluateAfter);
}

} // namespace sds::cli
