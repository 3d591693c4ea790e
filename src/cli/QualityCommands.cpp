#include "cli/CliCommon.h"
#include "cli/Commands.h"
#include "core/JsonFile.h"
#include "engine/JobSetup.h"
#include "engine/RunTools.h"

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace sds::cli {
namespace {

// What every quality command starts from: the run, in the history.
class RunCommand : public Command {
public:
    [[nodiscard]] bool parsed() const override { return m_command->parsed(); }

protected:
    CLI::App* addRunCommand(CLI::App& app, const std::string& name, const std::string& help) {
        m_command = app.add_subcommand(name, help);
        m_command->add_option("RUN_ID", m_runId, "Run id (see `sds runs`)")->required();
        return m_command;
    }
    void addSelectionOptions() {
        m_command->add_option("--min-score", m_minScore, "Keep rows whose evaluation score is at least this");
        m_command->add_flag("--valid-only", m_validOnly,
                            "Drop rows that failed validation (SQL or code checks)");
    }
    [[nodiscard]] engine::RowSelection selection() const { return {m_minScore, m_validOnly}; }

    // Opens the history and loads the run; an exit code other than kOk on a problem.
    int load(const Project& project, RunHistory& history, std::optional<engine::LoadedRun>& run) {
        if (int code = openHistory(project, history); code != kOk)
            return code;
        engine::RunTools tools(history);
        auto loaded = tools.load(m_runId);
        if (auto* error = std::get_if<std::string>(&loaded))
            return fail(kBadInput, *error);
        run = std::move(std::get<engine::LoadedRun>(loaded));
        return kOk;
    }

    CLI::App* m_command = nullptr;
    std::string m_runId;
    std::optional<double> m_minScore;
    bool m_validOnly = false;
};

class ValidateCommand final : public RunCommand {
public:
    void attach(CLI::App& app) override {
        addRunCommand(app, "validate", "Check a run's SQL or code without a model (done after every run)");
    }
    int run(const Project& project) override {
        RunHistory history;
        std::optional<engine::LoadedRun> run;
        if (int code = load(project, history, run); code != kOk)
            return code;
        engine::RunTools tools(history);
        const auto report = tools.validate(*run);
        if (!report.error.empty())
            return fail(kRunFailed, report.error);
        if (!report.ran)
            return fail(kBadInput, engine::noValidatorReason(run->job, m_runId));
        const auto& c = report.counts;
        std::cout << "Run " << m_runId << ": " << c.passed << " passed, " << c.failed << " failed, "
                  << c.unjudged << " not judged, " << c.notApplicable << " without code\n";
        for (const auto& failure : report.firstFailures)
            std::cout << "  " << failure << "\n";
        std::cout << "  results: " << engine::validationFile(run->runDir).string() << "\n";
        return kOk;
    }
};

class EvaluateCommand final : public RunCommand {
public:
    void attach(CLI::App& app) override {
        auto* command =
            addRunCommand(app, "evaluate", "Score every row of a run with a judge model (LLM as judge)");
        addProviderOptions(*command, m_spec.judge,
                           "The judge's provider: local (default), bedrock, caii or openai");
        command->add_option("--concurrency", m_spec.concurrency, "Requests in flight, 1 to 256 (default 16)")
            ->check(CLI::Range(1, 256));
        command->add_option("--temperature", m_spec.parameters.temperature, "0 to 2 (default 0)");
        command->add_option("--rubric-prompt", m_rubricPrompt,
                            "The judge's instructions (default: the template's evaluation prompt)");
        command->add_option("--rubric-prompt-file", m_rubricPromptFile,
                            "Read the judge's instructions from a file");
    }
    int run(const Project& project) override {
        RunHistory history;
        std::optional<engine::LoadedRun> run;
        if (int code = load(project, history, run); code != kOk)
            return code;
        if (!m_rubricPromptFile.empty()) {
            std::string error;
            const auto text = readTextFile(m_rubricPromptFile, &error);
            if (!text)
                return fail(kBadInput, "rubric prompt file " + error);
            m_rubricPrompt = *text;
        }
        auto provider = providerFor(m_spec.judge, project);
        if (!provider.ok())
            return fail(kBadInput, provider.error().message);
        return evaluateRun(project, history, *run, m_spec, provider.value(), m_rubricPrompt);
    }

private:
    engine::EvaluationSpec m_spec;
    std::string m_rubricPrompt;
    std::string m_rubricPromptFile;
};

class FilterCommand final : public RunCommand {
public:
    void attach(CLI::App& app) override {
        addRunCommand(app, "filter", "Write a copy of a run's dataset with only the rows you keep");
        addSelectionOptions();
        m_command->add_option("--output", m_output, "The filtered copy (default: <dataset>_filtered.json)");
    }
    int run(const Project& project) override {
        RunHistory history;
        std::optional<engine::LoadedRun> run;
        if (int code = load(project, history, run); code != kOk)
            return code;
        engine::RunTools tools(history);
        const auto report = tools.filter(*run, selection(), m_output);
        if (!report.error.empty())
            return fail(kBadInput, report.error);
        std::cout << "Kept " << report.rowsKept << " rows, dropped " << report.rowsDropped << ": "
                  << report.output.string() << "\n";
        return kOk;
    }

private:
    std::string m_output;
};

class ExportCommand final : public RunCommand {
public:
    void attach(CLI::App& app) override {
        addRunCommand(app, "export", "Export a run's dataset for fine-tuning");
        m_command->add_option("--format", m_format, "openai, hf, csv, alpaca or bedrock")->required();
        m_command
            ->add_option("--output", m_output, "File to write (with --split: <name>_train and _validation)")
            ->required();
        m_command->add_option("--split", m_split, "Fraction for training, e.g. 0.9; the rest is validation");
        m_command->add_option("--random-seed", m_randomSeed, "Seed of the split's shuffle (default 42)");
        m_command->add_option("--system", m_system, "System message (openai, bedrock)");
        addSelectionOptions();
    }
    int run(const Project& project) override {
        if (m_split && !(*m_split > 0.0 && *m_split < 1.0))
            return fail(kBadInput, "--split must be between 0 and 1 (the share of rows for training), got " +
                                       std::to_string(*m_split));
        const auto format = exporting::exportFormatFromString(m_format);
        if (!format)
            return fail(kBadInput,
                        "--format must be openai, hf, csv, alpaca or bedrock, not \"" + m_format + "\"");
        RunHistory history;
        std::optional<engine::LoadedRun> run;
        if (int code = load(project, history, run); code != kOk)
            return code;
        exporting::ExportRequest request;
        request.format = *format;
        request.output = m_output;
        request.trainFraction = m_split;
        request.randomSeed = m_randomSeed;
        request.systemPrompt = m_system;
        engine::RunTools tools(history);
        const auto result = tools.exportRun(*run, request, selection());
        if (!result.ok())
            return fail(kBadInput, result.error);
        std::cout << "Exported " << result.rowsRead - result.rowsDropped - result.rowsSkipped << " of "
                  << result.rowsRead << " rows as " << m_format;
        if (result.rowsDropped > 0)
            std::cout << " (" << result.rowsDropped << " filtered out)";
        if (result.rowsSkipped > 0)
            std::cout << " (" << result.rowsSkipped << " without a prompt or completion skipped)";
        std::cout << "\n";
        for (const auto& file : result.files)
            std::cout << "  " << file.part << ": " << file.rows << " rows  " << file.path.string() << "\n";
        return kOk;
    }

private:
    std::string m_format;
    std::string m_output;
    std::optional<double> m_split;
    std::uint64_t m_randomSeed = 42;
    std::string m_system;
};

} // namespace

int evaluateRun(const Project& project, RunHistory& history, const engine::LoadedRun& run,
                engine::EvaluationSpec spec, std::shared_ptr<providers::Provider> judge,
                const std::string& rubricPrompt) {
    const auto templates = project.loadTemplates();
    if (const Template* source = templates.find(run.job.templateId))
        spec.rubric = source->evaluation;
    if (rubricPrompt.find_first_not_of(" \t\r\n") != std::string::npos)
        spec.rubric.prompt = rubricPrompt;
    if (spec.judge.name == "local" && spec.concurrency == 16)
        spec.concurrency = engine::kLocalModelConcurrency;
    std::cerr << "Evaluating run " << run.record.id << " with " << spec.judge.name << " / "
              << spec.judge.model << " (scale " << spec.rubric.minScore << "–" << spec.rubric.maxScore
              << ")\n";
    CancellationToken cancel;
    ProgressPrinter printer("rows scored");
    engine::RunTools tools(history);
    engine::EvaluationReport report;
    {
        CancelOnInterrupt interrupt(cancel);
        report = tools.evaluate(
            run, spec, judge, engine::RunOptions{}, [&](const engine::Progress& p) { printer.update(p); },
            cancel);
    }
    printer.finish();
    if (!report.restartedBecause.empty())
        warn("earlier scores were set aside (" + report.restartedBecause + "); every row was scored again");
    const auto& overall = report.summary.overall;
    std::cout << "Evaluation of run " << run.record.id << ": " << toString(report.outcome.status) << "\n"
              << "  requests: " << report.outcome.progress.requestsDone << ", retries "
              << report.outcome.progress.retries << ", failed " << report.outcome.progress.failedRequests
              << "; tokens " << report.outcome.progress.tokens.input << " in, "
              << report.outcome.progress.tokens.output << " out\n";
    if (overall.count > 0) {
        std::printf("  overall:  mean %.2f, min %.0f, max %.0f over %zu rows\n", overall.mean, overall.min,
                    overall.max, overall.count);
        std::cout << "  scores:  ";
        for (const auto& [score, rows] : report.summary.histogram)
            std::cout << " " << score << ": " << rows;
        std::cout << "\n";
        int shown = 0;
        for (const auto& [seed, summary] : report.summary.perSeed) {
            if (shown++ >= 20) {
                std::cout << "  … " << report.summary.perSeed.size() - 20
                          << " more seeds in the summary file\n";
                break;
            }
            const std::string label = oneLine(seed, 40);
            const auto characters =
                static_cast<std::size_t>(std::count_if(label.begin(), label.end(), [](char c) {
                    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
                }));
            std::printf("  %s%s mean %.2f  min %.0f  max %.0f  rows %zu\n", label.c_str(),
                        std::string(characters < 40 ? 40 - characters : 0, ' ').c_str(), summary.mean,
                        summary.min, summary.max, summary.count);
        }
        std::cout << "  summary:  " << report.files.summary.string() << "\n";
    }
    switch (report.outcome.status) {
    case RunStatus::Completed:
        return kOk;
    case RunStatus::Cancelled:
        std::cerr << "sds: cancelled; run the same command again to score the remaining rows\n";
        return kCancelled;
    case RunStatus::Partial:
        std::cerr << "sds: " << report.outcome.error << "; run the same command again to finish\n";
        return kPartial;
    default:
        return fail(kRunFailed, report.outcome.error);
    }
}

std::vector<std::unique_ptr<Command>> makeQualityCommands() {
    std::vector<std::unique_ptr<Command>> commands;
    commands.push_back(std::make_unique<ValidateCommand>());
    commands.push_back(std::make_unique<EvaluateCommand>());
    commands.push_back(std::make_unique<FilterCommand>());
    commands.push_back(std::make_unique<ExportCommand>());
    return commands;
}

} // namespace sds::cli
