#include "engine/CostEstimate.h"

#include "core/JsonStream.h"
#include "core/Text.h"
#include "engine/CurationRun.h"
#include "engine/JobSetup.h"
#include "engine/RunService.h"
#include "engine/Spending.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace sds::engine {
namespace {

// Questions of the "do not repeat" lists, when the job has no examples to measure.
constexpr std::size_t kAssumedQuestionCharacters = 80;

struct SeedPlan {
    std::string label;
    std::string grounding;
    int quota = 0;
};

std::vector<SeedPlan> seedPlans(const JobSpec& job, const std::vector<GroundingChunk>& chunks) {
    std::vector<SeedPlan> plans;
    if (chunks.empty()) {
        const auto quotas = job.rowsPerSeed();
        for (std::size_t i = 0; i < quotas.size(); ++i)
            plans.push_back({job.seeds[i], {}, quotas[i]});
    } else {
        const auto quotas = spreadEvenly(job.size, chunks.size());
        for (std::size_t i = 0; i < chunks.size(); ++i)
            plans.push_back({chunks[i].source, chunks[i].text, quotas[i]});
    }
    return plans;
}

std::size_t typicalQuestionCharacters(const JobSpec& job) {
    if (job.examples.empty())
        return kAssumedQuestionCharacters;
    std::size_t total = 0;
    for (const auto& example : job.examples)
        total += characterCount(example.question);
    return std::max<std::size_t>(1, total / job.examples.size());
}

// Characters of one row of the answer as the model writes it, on average over the examples; 0 without.
double exampleRowCharacters(const JobSpec& job) {
    if (job.examples.empty())
        return 0;
    std::size_t total = 0;
    for (const auto& example : job.examples) {
        const nlohmann::json row =
            job.workflow == Workflow::CustomDataCuration
                ? nlohmann::json{{"output", example.solution}}
                : nlohmann::json{{"question", example.question}, {"solution", example.solution}};
        total += characterCount(row.dump()) + 1; // the comma between items
    }
    return static_cast<double>(total) / static_cast<double>(job.examples.size());
}

// What the model reads of a request. A hosted API bills the JSON schema (a tool or a response format) as
// input; the embedded llama.cpp server turns it into a grammar that constrains sampling and reads none of it.
providers::ChatRequest asRead(providers::ChatRequest request, const JobSpec& job) {
    if (job.provider.name == "local")
        request.jsonSchema.reset();
    return request;
}

std::string requestText(const providers::ChatRequest& request) {
    std::string text;
    for (const auto& message : request.messages)
        text += message.content + "\n";
    if (request.jsonSchema)
        text += request.jsonSchema->dump();
    return text;
}

// Input characters of every request of the plan, and the rows each asks for.
struct PlannedRequests {
    std::vector<std::size_t> characters;
    std::vector<int> rows;
    providers::ChatRequest first;
    std::string error;
};

PlannedRequests generationRequests(const JobSpec& job, const RunOptions& options,
                                   const std::vector<GroundingChunk>& chunks) {
    PlannedRequests planned;
    const std::string question(typicalQuestionCharacters(job), 'x');
    const int perRequest = std::max(1, job.rowsPerRequest);
    for (const auto& seed : seedPlans(job, chunks)) {
        if (seed.quota <= 0)
            continue;
        const auto build = [&](int count, std::size_t doNotRepeat) {
            BatchRequestInput input;
            input.seed = seed.label;
            input.groundingText = seed.grounding;
            input.count = count;
            input.doNotRepeat.assign(doNotRepeat, question);
            return asRead(buildChatRequest(job, input, options), job);
        };
        // The "do not repeat" block is a header and a line per question: measured, not rebuilt per request.
        const std::size_t none = requestCharacters(build(perRequest, 0));
        const std::size_t one = requestCharacters(build(perRequest, 1));
        const std::size_t perQuestion = requestCharacters(build(perRequest, 2)) - one;
        const std::size_t header = one - none - perQuestion;
        const int requests = (seed.quota + perRequest - 1) / perRequest;
        const int lastCount = seed.quota - (requests - 1) * perRequest;
        const std::size_t lastNone = lastCount == perRequest ? none : requestCharacters(build(lastCount, 0));
        if (planned.characters.empty())
            planned.first = build(std::min(perRequest, seed.quota), 0);
        for (int j = 0; j < requests; ++j) {
            const bool last = j == requests - 1;
            const auto doNotRepeat =
                std::min(options.prompt.doNotRepeatLimit,
                         static_cast<std::size_t>(j) * static_cast<std::size_t>(perRequest));
            planned.characters.push_back((last ? lastNone : none) +
                                         (doNotRepeat > 0 ? header + doNotRepeat * perQuestion : 0));
            planned.rows.push_back(last ? lastCount : perRequest);
        }
    }
    return planned;
}

PlannedRequests curationRequests(const JobSpec& job, const RunOptions& options) {
    PlannedRequests planned;
    if (job.inputFiles.empty()) {
        planned.error = "curation needs the file to curate";
        return planned;
    }
    JsonElementReader reader(job.inputFiles.front());
    if (auto error = reader.open(); !error.empty()) {
        planned.error = error;
        return planned;
    }
    while (auto element = reader.next()) {
        const auto text = curationInputText(element->value, job.inputKey);
        if (!text)
            continue;
        const auto request = asRead(buildCurationRequest(job, *text, options.structuredOutput), job);
        if (planned.characters.empty())
            planned.first = request;
        planned.characters.push_back(requestCharacters(request));
        planned.rows.push_back(1);
    }
    planned.error = reader.error();
    return planned;
}

std::string describeTokensPerRow(double tokens) {
    char text[32];
    std::snprintf(text, sizeof text, "%.0f", tokens);
    return text;
}

std::string withThousands(std::int64_t value) {
    std::string digits = std::to_string(value < 0 ? -value : value);
    for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3)
        digits.insert(static_cast<std::size_t>(i), ",");
    return (value < 0 ? "-" : "") + digits;
}

} // namespace

EarlierRuns earlierRunsOf(const std::vector<RunRecord>& history, const JobSpec& job, int limit) {
    const auto usable = [&](const RunRecord& r) {
        return r.status == RunStatus::Completed && r.templateId == job.templateId &&
               r.workflow == toString(job.workflow) && r.requestsPlanned > 0 && r.requestsDone > 0 &&
               r.completedRows > 0;
    };
    std::vector<const RunRecord*> chosen;
    EarlierRuns earlier;
    for (const bool sameModel : {true, false}) {
        for (const auto& r : history)
            if (usable(r) &&
                (!sameModel || (r.provider == job.provider.name && r.model == job.provider.model)) &&
                static_cast<int>(chosen.size()) < limit)
                chosen.push_back(&r);
        if (!chosen.empty()) {
            earlier.sameModel = sameModel;
            break;
        }
    }
    if (chosen.empty())
        return earlier;
    earlier.runs = static_cast<int>(chosen.size());
    double tokensPerRow = 0;
    for (const RunRecord* r : chosen) {
        const double ratio = static_cast<double>(r->requestsDone) / static_cast<double>(r->requestsPlanned);
        earlier.highestRequestRatio = std::max(earlier.highestRequestRatio, ratio);
        // Output tokens went to every request, re-asks included: per row asked for, divide those out.
        tokensPerRow +=
            static_cast<double>(r->outputTokens) / (static_cast<double>(r->completedRows) * ratio);
    }
    earlier.outputTokensPerRow = tokensPerRow / static_cast<double>(chosen.size());
    return earlier;
}

std::variant<CostEstimate, std::string>
estimateCost(const JobSpec& job, const std::vector<GroundingChunk>& chunks, const EarlierRuns& earlier,
             std::optional<FoundPrice> price, const TokenCounter& counter) {
    const RunOptions options = runOptionsFor(job);
    const bool curation = job.workflow == Workflow::CustomDataCuration;
    const PlannedRequests planned =
        curation ? curationRequests(job, options) : generationRequests(job, options, chunks);
    if (!planned.error.empty())
        return planned.error;

    CostEstimate estimate;
    estimate.earlier = earlier;
    estimate.maxTokens = job.parameters.maxTokens;
    estimate.plannedRequests = static_cast<int>(planned.characters.size());
    estimate.charactersPerToken = kCharactersPerToken;
    estimate.tokenCounting = text::shortNumber(kCharactersPerToken) + " characters per token";
    if (counter.tokenize && !planned.characters.empty()) {
        const std::string text = requestText(planned.first);
        if (const auto tokens = counter.tokenize(text); tokens && *tokens > 0) {
            estimate.charactersPerToken =
                static_cast<double>(characterCount(text)) / static_cast<double>(*tokens);
            char ratio[32];
            std::snprintf(ratio, sizeof ratio, "%.2f", estimate.charactersPerToken);
            estimate.tokenCounting = counter.tokenizerName + " (" + ratio + " characters per token)";
        }
    }

    const double rowCharacters = exampleRowCharacters(job);
    if (earlier.outputTokensPerRow) {
        estimate.outputTokensPerRow = *earlier.outputTokensPerRow;
        estimate.outputBasis = "as in " + std::to_string(earlier.runs) + " earlier run" +
                               (earlier.runs == 1 ? "" : "s") + " of this template" +
                               (earlier.sameModel ? " and model" : " (other models)");
    } else if (rowCharacters > 0) {
        estimate.outputTokensPerRow = rowCharacters / estimate.charactersPerToken;
        estimate.outputBasis = "the size of the " + std::to_string(job.examples.size()) + " example" +
                               (job.examples.size() == 1 ? "" : "s");
    } else {
        estimate.outputTokensPerRow = kAssumedOutputTokensPerRow;
        estimate.outputBasis = "assumed: no examples and no earlier runs to measure";
    }
    const double wrapperTokens =
        curation ? 0 : characterCount(R"({"items":[]})") / estimate.charactersPerToken;

    double input = 0;
    double output = 0;
    for (std::size_t i = 0; i < planned.characters.size(); ++i) {
        const auto tokens = tokensFromCharacters(planned.characters[i], estimate.charactersPerToken);
        input += static_cast<double>(tokens);
        output += planned.rows[i] * estimate.outputTokensPerRow + wrapperTokens;
        estimate.largestRequestInputTokens = std::max(estimate.largestRequestInputTokens, tokens);
        if (i == 0)
            estimate.firstRequestInputTokens = tokens;
    }
    estimate.requestMargin =
        earlier.runs > 0 ? std::max(1.0, earlier.highestRequestRatio) : kAssumedRequestMargin;
    estimate.requestsHigh = static_cast<int>(std::ceil(estimate.plannedRequests * estimate.requestMargin));
    estimate.inputTokens = {static_cast<std::int64_t>(std::ceil(input)),
                            static_cast<std::int64_t>(std::ceil(input * estimate.requestMargin))};
    estimate.outputTokens = {static_cast<std::int64_t>(std::ceil(output)),
                             static_cast<std::int64_t>(std::ceil(output * estimate.requestMargin))};
    estimate.bedrockBatch = job.runsAsBatch();
    priceEstimate(estimate, std::move(price));
    return estimate;
}

void priceEstimate(CostEstimate& estimate, std::optional<FoundPrice> price) {
    estimate.price = std::move(price);
    if (!estimate.price) {
        estimate.costLowUsd.reset();
        estimate.costHighUsd.reset();
        estimate.worstCaseUsd.reset();
        estimate.requestUpperBoundUsd.reset();
        return;
    }
    const TokenPrice p = estimate.bedrockBatch ? batchPrice(estimate.price->price) : estimate.price->price;
    estimate.costLowUsd = p.costUsd(estimate.inputTokens.low, estimate.outputTokens.low);
    estimate.costHighUsd = p.costUsd(estimate.inputTokens.high, estimate.outputTokens.high);
    estimate.worstCaseUsd = p.costUsd(estimate.inputTokens.high,
                                      static_cast<std::int64_t>(estimate.requestsHigh) * estimate.maxTokens);
    estimate.requestUpperBoundUsd = p.costUsd(estimate.largestRequestInputTokens, estimate.maxTokens);
}

std::variant<CostEstimate, std::string> estimateRun(const JobSpec& job, const PriceTable& prices,
                                                    const std::vector<RunRecord>& history,
                                                    const TokenCounter& counter) {
    std::vector<GroundingChunk> chunks;
    if (job.groundedInDocuments()) {
        std::vector<std::string> notices;
        auto excerpts = documentExcerpts(job, notices);
        if (auto* error = std::get_if<std::string>(&excerpts))
            return *error;
        chunks = std::move(std::get<std::vector<GroundingChunk>>(excerpts));
    }
    return estimateCost(job, chunks, earlierRunsOf(history, job), priceOf(job, prices), counter);
}

std::string batchBudgetProblem(const CostEstimate& estimate, const JobSpec& job) {
    if (!job.runsAsBatch() || !job.maxCostUsd || !estimate.costHighUsd ||
        *estimate.costHighUsd <= *job.maxCostUsd)
        return {};
    return "the batch job's estimate (up to " + formatUsd(*estimate.costHighUsd) + ") passes the budget of " +
           formatUsd(*job.maxCostUsd) +
           " and a batch job cannot stop halfway: raise the budget, lower the size or run on demand";
}

std::vector<std::string> describeEstimate(const CostEstimate& e, const JobSpec& job) {
    std::vector<std::string> lines;
    const bool curation = job.workflow == Workflow::CustomDataCuration;
    lines.push_back("requests: " + std::to_string(e.plannedRequests) +
                    (curation ? " (one per element)"
                              : " (" + std::to_string(job.size) + " rows, up to " +
                                    std::to_string(job.rowsPerRequest) + " per request)") +
                    ", up to " + std::to_string(e.requestsHigh) + " with retries and re-asks");
    std::string margin = "x" + text::shortNumber(std::round(e.requestMargin * 100) / 100);
    if (e.earlier.runs > 0)
        margin += " (highest requests done / planned of " + std::to_string(e.earlier.runs) + " earlier run" +
                  (e.earlier.runs == 1 ? "" : "s") + " of this template)";
    else
        margin += " (assumed: no earlier completed run of this template)";
    lines.push_back("retry and re-ask margin: " + margin);
    lines.push_back("tokens counted: " + e.tokenCounting);
    lines.push_back("input tokens per request: " + withThousands(e.firstRequestInputTokens) +
                    " for the first, " + withThousands(e.largestRequestInputTokens) +
                    " at most (the prompt as sent, with the questions not to repeat)");
    lines.push_back("output tokens per row: " + describeTokensPerRow(e.outputTokensPerRow) + " (" +
                    e.outputBasis + "); max_tokens " + std::to_string(e.maxTokens) + " per request");
    lines.push_back("input tokens: " + withThousands(e.inputTokens.low) + " - " +
                    withThousands(e.inputTokens.high));
    lines.push_back("output tokens: " + withThousands(e.outputTokens.low) + " - " +
                    withThousands(e.outputTokens.high));
    if (!e.price) {
        lines.push_back("price: unknown price for " + job.provider.name + " / " + job.provider.model);
        return lines;
    }
    lines.push_back("price: " + formatUsd(e.price->price.inputPerMillion) + " in, " +
                    formatUsd(e.price->price.outputPerMillion) + " out per 1M tokens (" + e.price->source +
                    ")");
    if (e.bedrockBatch) {
        const TokenPrice batch = batchPrice(e.price->price);
        lines.push_back("batch price: " + formatUsd(batch.inputPerMillion) + " in, " +
                        formatUsd(batch.outputPerMillion) + " out per 1M tokens (Bedrock batch inference, " +
                        text::shortNumber(kBatchPriceFactor) + " × on demand); re-asks go on demand");
    }
    lines.push_back("cost: " + formatUsd(*e.costLowUsd) + " - " + formatUsd(*e.costHighUsd) + " (at most " +
                    formatUsd(*e.worstCaseUsd) + " if every answer ran to max_tokens)");
    if (!job.maxCostUsd)
        return lines;
    if (auto problem = batchBudgetProblem(e, job); !problem.empty()) {
        lines.push_back(problem);
        return lines;
    }
    lines.push_back("budget: " + formatUsd(*job.maxCostUsd) + ": the run stops before spent plus in-flight " +
                    "cost (each request in flight counted at up to " + formatUsd(*e.requestUpperBoundUsd) +
                    ") would pass it");
    if (*job.maxCostUsd < *e.costLowUsd)
        lines.push_back("the budget is below the low estimate: expect the run to stop at it with about " +
                        std::to_string(static_cast<int>(100 * *job.maxCostUsd / *e.costLowUsd)) +
                        "% of the rows");
    else if (*job.maxCostUsd < *e.costHighUsd)
        lines.push_back("the budget is within the estimate: the run may stop at it");
    return lines;
}

} // namespace sds::engine
