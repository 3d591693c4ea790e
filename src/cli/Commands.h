#pragma once

#include "core/Project.h"
#include "core/RunHistory.h"
#include "engine/RunTools.h"

#include <CLI/CLI.hpp>
#include <memory>
#include <vector>

namespace sds::cli {

// One `sds` subcommand: it adds its options to the app, and runs when the user chose it.
class Command {
public:
    virtual ~Command() = default;
    virtual void attach(CLI::App& app) = 0;
    [[nodiscard]] virtual bool parsed() const = 0;
    virtual int run(const Project& project) = 0;
};

// preview (documents), prompt suggest, seeds suggest.
[[nodiscard]] std::vector<std::unique_ptr<Command>> makeWorkflowCommands();
// Scores `run` with `judge` (the rubric from the run's template; `rubricPrompt`, when given, replaces its
// instructions), printing progress and the summary; an exit code.
int evaluateRun(const Project& project, RunHistory& history, const engine::LoadedRun& run,
                engine::EvaluationSpec spec, std::shared_ptr<providers::Provider> judge,
                const std::string& rubricPrompt = {});

// `sds generate --dry-run`: prints the plan, requests, tokens and cost range of `job`. Sends nothing to a
// model and writes no file; an exit code.
int planOnly(const Project& project, JobSpec job);
// Why a batch job cannot start within its --max-cost (see engine::batchBudgetProblem); empty when it can.
[[nodiscard]] std::string batchBudgetRefusal(const Project& project, const JobSpec& job);

// validate, evaluate, filter, export.
[[nodiscard]] std::vector<std::unique_ptr<Command>> makeQualityCommands();

} // namespace sds::cli
