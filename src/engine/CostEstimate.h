#pragma once

#include "core/Job.h"
#include "core/Pricing.h"
#include "core/RunHistory.h"
#include "engine/GenerationRun.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sds::engine {

// When no earlier run of the template says how many requests beyond the plan a run needs (retries of
// unusable answers, re-asks for duplicates), the high end of an estimate allows this many.
inline constexpr double kAssumedRequestMargin = 1.25;
// Output tokens per row when neither examples nor earlier runs give a size.
inline constexpr double kAssumedOutputTokensPerRow = 150;

// What earlier runs of the same template tell about a new one.
struct EarlierRuns {
    int runs = 0;                             // completed runs that counted their requests
    bool sameModel = false;                   // they used the job's provider and model
    double highestRequestRatio = 1.0;         // requests done / planned, the highest of them
    std::optional<double> outputTokensPerRow; // their output tokens per row asked for, on average
};
// The newest `limit` completed runs of the job's template with its provider and model, else with any.
[[nodiscard]] EarlierRuns earlierRunsOf(const std::vector<RunRecord>& history, const JobSpec& job,
                                        int limit = 10);

// How tokens are counted: the model's own tokenizer when the provider offers one (measured on the first
// request and applied as characters per token), else kCharactersPerToken.
struct TokenCounter {
    std::function<std::optional<std::int64_t>(const std::string&)> tokenize; // empty: no tokenizer
    std::string tokenizerName; // "the embedded model's tokenizer"
};

struct TokenRange {
    std::int64_t low = 0;
    std::int64_t high = 0;
};

struct CostEstimate {
    int plannedRequests = 0;
    int requestsHigh = 0;       // with the margin
    double requestMargin = 1.0; // highest requests done / planned of earlier runs, or the assumed one
    EarlierRuns earlier;
    std::string tokenCounting; // "4 characters per token" or "… (3.1 characters per token)"
    double charactersPerToken = 0;
    std::int64_t firstRequestInputTokens = 0;   // the first request, nothing yet to not repeat
    std::int64_t largestRequestInputTokens = 0; // with the longest "do not repeat" list
    double outputTokensPerRow = 0;
    std::string outputBasis; // where outputTokensPerRow comes from
    int maxTokens = 0;
    TokenRange inputTokens; // the whole run: low as planned, high with the margin
    TokenRange outputTokens;
    std::optional<FoundPrice> price; // the on-demand price
    bool bedrockBatch = false;       // the job runs as a Bedrock batch job: costs use batchPrice(price)
    std::optional<double> costLowUsd;
    std::optional<double> costHighUsd;
    std::optional<double> worstCaseUsd;         // every answer runs to max_tokens, at the high request count
    std::optional<double> requestUpperBoundUsd; // the largest request at max_tokens, as the cap counts it
};

// The run's requests as the engine would build them (buildChatRequest, buildCurationRequest), each seed's
// "do not repeat" list growing by the rows accepted before it (questions as long as the examples'), times
// the price. The JSON schema counts as input except for the embedded model, whose server makes a grammar
// of it. `chunks` are the documents' excerpts of a documents job.
[[nodiscard]] std::variant<CostEstimate, std::string>
estimateCost(const JobSpec& job, const std::vector<GroundingChunk>& chunks, const EarlierRuns& earlier,
             std::optional<FoundPrice> price, const TokenCounter& counter = {});

// Sets the estimate's price and the costs that follow from it (none without a price).
void priceEstimate(CostEstimate& estimate, std::optional<FoundPrice> price);

// estimateCost with everything looked up: the documents' excerpts, the history's runs, the price table.
[[nodiscard]] std::variant<CostEstimate, std::string> estimateRun(const JobSpec& job,
                                                                  const PriceTable& prices,
                                                                  const std::vector<RunRecord>& history,
                                                                  const TokenCounter& counter = {});

// Why a batch job cannot be submitted within the job's budget: a batch job is not stopped halfway, so its
// high estimate must fit under max_cost_usd. Empty when it fits, or when the job is not a batch job, has no
// budget or no known price.
[[nodiscard]] std::string batchBudgetProblem(const CostEstimate& estimate, const JobSpec& job);

// The estimate for people, one line each: plan, tokens, margin, price, cost range and worst case.
[[nodiscard]] std::vector<std::string> describeEstimate(const CostEstimate& estimate, const JobSpec& job);

} // namespace sds::engine
