#include "cli/CliCommon.h"
#include "cli/Commands.h"
#include "engine/CostEstimate.h"
#include "engine/Spending.h"

#include <iostream>

namespace sds::cli {

int planOnly(const Project& project, JobSpec job) {
    const auto prices = project.loadPrices();
    if (!prices.error.empty())
        return fail(kBadInput, prices.error);
    // The provider is made for its default model and its tokenizer; making one sends nothing.
    std::shared_ptr<providers::Provider> provider;
    if (auto made = providerFor(job.provider, project); made.ok())
        provider = made.value();
    else
        warn(made.error().message + "; estimating without the provider");
    // Earlier runs give the retry margin and row sizes; a project without a history has none to give.
    std::vector<RunRecord> history;
    std::error_code ec;
    if (std::filesystem::exists(project.historyDatabase(), ec)) {
        RunHistory runs;
        if (auto error = runs.open(project.historyDatabase()); error.empty())
            history = runs.list();
        else
            warn(error);
    }
    CancellationToken cancel;
    engine::TokenCounter counter;
    if (provider && job.provider.name == "local") {
        counter.tokenize = [&](const std::string& text) {
            return provider->countTokens(text, cancel);
        };
        counter.tokenizerName = "the embedded model's tokenizer";
    }
    const auto estimated = engine::estimateRun(job, prices.table, history, counter);
    if (const auto* error = std::get_if<std::string>(&estimated))
        return fail(kBadInput, *error);
    const auto& estimate = std::get<engine::CostEstimate>(estimated);
    std::cout << "Plan for " << job.displayName << ": " << job.provider.name << " / "
              << (job.provider.model.empty() ? "default model" : job.provider.model) << ", up to "
              << job.concurrency << " requests in flight\n";
    for (const auto& line : engine::describeEstimate(estimate, job))
        std::cout << "  " << line << "\n";
    if (!estimate.price)
        std::cout << "  give the price with --price-in and --price-out (USD per 1M tokens) to see the cost\n";
    std::cout << "Dry run: nothing was sent to the model and nothing was written.\n";
    if (auto problem = engine::budgetProblem(job, prices.table); !problem.empty())
        return fail(kBadInput, problem);
    if (auto problem = engine::batchBudgetProblem(estimate, job); !problem.empty())
        return fail(kBadInput, problem);
    return kOk;
}

std::string batchBudgetRefusal(const Project& project, const JobSpec& job) {
    if (!job.runsAsBatch() || !job.maxCostUsd)
        return {};
    const auto prices = project.loadPrices();
    if (!prices.error.empty())
        return prices.error;
    std::vector<RunRecord> history;
    std::error_code ec;
    if (std::filesystem::exists(project.historyDatabase(), ec)) {
        RunHistory runs;
        if (runs.open(project.historyDatabase()).empty())
            history = runs.list();
    }
    const auto estimated = engine::estimateRun(job, prices.table, history);
    if (const auto* error = std::get_if<std::string>(&estimated))
        return *error;
    return engine::batchBudgetProblem(std::get<engine::CostEstimate>(estimated), job);
}

} // namespace sds::cli
