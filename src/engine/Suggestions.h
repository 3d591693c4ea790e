#pragma once

#include "core/Cancellation.h"
#include "core/Job.h"
#include "engine/RequestPool.h"
#include "providers/Provider.h"

#include <memory>
#include <string>
#include <vector>

namespace sds::engine {

// What the model is told when it helps write a job: the use case in the user's words, and what the job
// already has (its template's prompt, examples, seeds, schema, a sample of the curation input).
struct SuggestionContext {
    std::string useCase;
    JobSpec job;
    std::vector<std::string> inputSample; // curation: a few input texts
};

struct PromptSuggestion {
    std::string prompt;
    std::string error; // one line when no prompt came back
};
// "Generate prompt": a prompt for the job's template and workflow, for the user to edit.
[[nodiscard]] PromptSuggestion suggestPrompt(std::shared_ptr<providers::Provider> provider,
                                             const SuggestionContext& context, RetryPolicy policy,
                                             const CancellationToken& cancel);

struct SeedSuggestions {
    std::vector<std::string> seeds;    // new, none a near-duplicate of an existing seed or of each other
    std::vector<std::string> rejected; // proposed but too close to a seed already listed
    std::string error;                 // set when the model could not be asked; seeds may still hold some
};
// "Suggest seeds": up to `count` new seeds; asks again (at most three times) while too few are new.
[[nodiscard]] SeedSuggestions suggestSeeds(std::shared_ptr<providers::Provider> provider,
                                           const SuggestionContext& context, int count, RetryPolicy policy,
                                           const CancellationToken& cancel);

// True when two seeds say the same thing: equal once normalised, or ROUGE-L F1 above 0.7 over words.
[[nodiscard]] bool similarSeeds(const std::string& a, const std::string& b);

} // namespace sds::engine
