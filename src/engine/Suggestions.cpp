#include "engine/Suggestions.h"

#include "core/RowParsing.h"
#include "core/quality/RougeL.h"

#include <algorithm>

namespace sds::engine {
namespace {

providers::ChatRequest suggestionRequest(const JobSpec& job, std::string user, nlohmann::json schema,
                                         std::string schemaName) {
    ModelParameters parameters = job.parameters;
    parameters.temperature = std::max(parameters.temperature, 0.7); // ideas, not one answer
    parameters.maxTokens = std::min(parameters.maxTokens, 2048);
    return chatRequest(job.provider.model,
                       "You help data scientists design synthetic datasets for fine-tuning language models. "
                       "Answer with one valid JSON object and nothing else.",
                       std::move(user), parameters, std::move(schema), std::move(schemaName));
}

std::string describeJob(const SuggestionContext& context) {
    const JobSpec& job = context.job;
    std::string text = "Use case: " + context.useCase + "\n";
    text += "Template: " + job.templateId + "\n";
    if (job.workflow == Workflow::CustomDataCuration)
        text += "Workflow: each input below is sent to a model with the prompt, and the model writes the "
                "output.\n";
    else if (job.groundedInDocuments())
        text += "Workflow: question and answer pairs grounded in excerpts of the user's documents.\n";
    else
        text += "Workflow: question and answer pairs, each batch about one seed topic.\n";
    if (!job.databaseSchema.empty())
        text += "Database schema:\n" + job.databaseSchema + "\n";
    if (!job.examples.empty()) {
        text += "Examples:\n";
        for (std::size_t i = 0; i < job.examples.size() && i < 3; ++i)
            text +=
                "- Question: " + job.examples[i].question + "\n  Answer: " + job.examples[i].solution + "\n";
    }
    if (!context.inputSample.empty()) {
        text += "Sample of the inputs:\n";
        for (std::size_t i = 0; i < context.inputSample.size() && i < 5; ++i)
            text += "- " + context.inputSample[i] + "\n";
    }
    return text;
}

std::optional<nlohmann::json> answerObject(const providers::ChatResponse& response) {
    if (response.structured && response.structured->is_object())
        return *response.structured;
    auto json = extractJson(response.text);
    if (json && json->is_object())
        return json;
    return std::nullopt;
}

std::string normalizedSeed(const std::string& seed) {
    std::string out;
    for (const char c : seed)
        if (std::isalnum(static_cast<unsigned char>(c)))
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

} // namespace

bool similarSeeds(const std::string& a, const std::string& b) {
    return normalizedSeed(a) == normalizedSeed(b) || quality::rougeLF1(a, b) > 0.7;
}

PromptSuggestion suggestPrompt(std::shared_ptr<providers::Provider> provider,
                               const SuggestionContext& context, RetryPolicy policy,
                               const CancellationToken& cancel) {
    const bool curation = context.job.workflow == Workflow::CustomDataCuration;
    std::string user =
        "Write the prompt (the instruction) for this dataset. " +
        std::string(curation ? "The prompt tells the model what to do with each input."
                             : "The prompt tells the model what kind of questions to write and "
                               "what a complete answer contains.") +
        " Use plain language and a short list of requirements. Do not include examples.\n\n" +
        describeJob(context);
    if (!context.job.prompt.empty())
        user += "The current prompt, to improve on:\n" + context.job.prompt + "\n";
    user += "\nReturn a JSON object {\"prompt\": string}.\n";
    const nlohmann::json schema = {
        {"type", "object"},
        {"properties", {{"prompt", {{"type", "string"}, {"minLength", 20}, {"maxLength", 3000}}}}},
        {"required", {"prompt"}},
        {"additionalProperties", false}};
    auto result = askWithRetries(std::move(provider), suggestionRequest(context.job, user, schema, "prompt"),
                                 policy, cancel);
    if (!result.ok())
        return {{}, result.error().message};
    const auto object = answerObject(result.value());
    if (!object || !object->contains("prompt") || !(*object)["prompt"].is_string() ||
        (*object)["prompt"].get<std::string>().find_first_not_of(" \t\r\n") == std::string::npos)
        return {{}, "the model's answer had no prompt in it; try again"};
    return {(*object)["prompt"].get<std::string>(), {}};
}

SeedSuggestions suggestSeeds(std::shared_ptr<providers::Provider> provider, const SuggestionContext& context,
                             int count, RetryPolicy policy, const CancellationToken& cancel) {
    SeedSuggestions suggestions;
    if (count < 1)
        return suggestions;
    std::vector<std::string> known = context.job.seeds;
    for (int attempt = 0; attempt < 3 && static_cast<int>(suggestions.seeds.size()) < count; ++attempt) {
        const int wanted = count - static_cast<int>(suggestions.seeds.size());
        std::string user =
            "Suggest " + std::to_string(wanted) +
            " new seeds for this dataset. A seed is a short topic (2 to 6 words) that one batch of "
            "data is about; together the seeds keep the data diverse.\n\n" +
            describeJob(context);
        if (!known.empty()) {
            user += "Seeds already listed; do not repeat them or say the same in other words:\n";
            for (const auto& seed : known)
                user += "- " + seed + "\n";
        }
        user += "\nReturn a JSON object {\"seeds\": [" + std::to_string(wanted) + " strings]}.\n";
        const nlohmann::json schema = {
            {"type", "object"},
            {"properties",
             {{"seeds",
               {{"type", "array"},
                // Letters first: a small model otherwise answers with numbers.
                {"items", {{"type", "string"}, {"pattern", "^[A-Za-z][^\\n]{2,79}$"}}},
                {"minItems", wanted},
                {"maxItems", wanted}}}}},
            {"required", {"seeds"}},
            {"additionalProperties", false}};
        auto result =
            askWithRetries(provider, suggestionRequest(context.job, user, schema, "seeds"), policy, cancel);
        if (!result.ok()) {
            suggestions.error = result.error().message;
            break;
        }
        const auto object = answerObject(result.value());
        if (!object || !object->contains("seeds") || !(*object)["seeds"].is_array()) {
            suggestions.error = "the model's answer had no list of seeds in it";
            continue;
        }
        suggestions.error.clear();
        for (const auto& item : (*object)["seeds"]) {
            if (!item.is_string())
                continue;
            std::string seed = item.get<std::string>();
            seed.erase(0, seed.find_first_not_of(" \t\r\n-*"));
            seed.erase(seed.find_last_not_of(" \t\r\n.") + 1);
            if (seed.empty())
                continue;
            const bool repeat = std::any_of(known.begin(), known.end(), [&](const std::string& other) {
                return similarSeeds(seed, other);
            });
            if (repeat) {
                suggestions.rejected.push_back(seed);
                continue;
            }
            known.push_back(seed);
            if (static_cast<int>(suggestions.seeds.size()) < count)
                suggestions.seeds.push_back(std::move(seed));
        }
    }
    if (suggestions.seeds.empty() && suggestions.error.empty())
        suggestions.error = "the model suggested no seed that is not already listed";
    return suggestions;
}

} // namespace sds::engine
