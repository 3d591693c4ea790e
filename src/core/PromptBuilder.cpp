#include "core/PromptBuilder.h"

namespace sds {

BatchPrompt buildBatchPrompt(const BatchRequestInput& input, const PromptOptions& options) {
    BatchPrompt prompt;
    if (!options.seedPersona)
        prompt.system = "You write training data for fine-tuning language models. Answer with one valid JSON "
                        "object and nothing else.";
    else if (!input.groundingText.empty())
        prompt.system =
            "You write clear quiz questions about the document excerpt you are given, with correct "
            "answers taken from it, as JSON.";
    else
        prompt.system = "You are an expert in " + input.seed +
                        ". You write clear quiz questions with correct, complete answers, as JSON.";
    std::string& user = prompt.user;
    user += "Create " + std::to_string(input.count) + " distinct question and answer item" +
            (input.count == 1 ? "" : "s") + " about the topic \"" + input.seed + "\"";
    if (input.groundingText.empty()) {
        user += ".\n\n";
    } else {
        user += ", using only this excerpt of the document. Every question must be answerable from the "
                "excerpt alone and every solution must be taken from it.\n\nExcerpt:\n\"\"\"\n" +
                input.groundingText + "\n\"\"\"\n\n";
    }
    if (!input.userPrompt.empty())
        user += input.userPrompt + "\n\n";
    if (!input.databaseSchema.empty())
        user += "Database schema:\n```sql\n" + input.databaseSchema + "\n```\n\n";
    if (!input.doNotRepeat.empty() && options.doNotRepeatLimit > 0) {
        user +=
            "These questions already exist for this topic. Do not repeat them or ask the same thing in other "
            "words:\n";
        const std::size_t first = input.doNotRepeat.size() > options.doNotRepeatLimit
                                      ? input.doNotRepeat.size() - options.doNotRepeatLimit
                                      : 0;
        for (std::size_t i = first; i < input.doNotRepeat.size(); ++i)
            user += "- " + input.doNotRepeat[i] + "\n";
        user += "\n";
    }
    user +=
        "Return a JSON object with one key, \"items\": an array of exactly " + std::to_string(input.count) +
        " objects, each with a \"question\" string and a \"solution\" string. Each question stands on its "
        "own; each solution answers it completely.";
    if (!input.examples.empty()) {
        nlohmann::json examples = nlohmann::json::array();
        for (std::size_t i = 0; i < input.examples.size() && i < options.maxExamples; ++i)
            examples.push_back(
                {{"question", input.examples[i].question}, {"solution", input.examples[i].solution}});
        user += " Follow the style and format of these examples:\n" + examples.dump(2);
    }
    user += "\n";
    return prompt;
}

nlohmann::json rowsSchema(int count, bool boundItemCount) {
    nlohmann::json item = {
        {"type", "object"},
        {"properties", {{"question", {{"type", "string"}}}, {"solution", {{"type", "string"}}}}},
        {"required", {"question", "solution"}},
        {"additionalProperties", false}};
    nlohmann::json items = {{"type", "array"}, {"items", item}};
    if (boundItemCount) {
        // Bounded strings stop a small model from running on until max_tokens and truncating the JSON.
        items["items"]["properties"]["question"]["minLength"] = 10;
        items["items"]["properties"]["question"]["maxLength"] = 300;
        items["items"]["properties"]["question"]["pattern"] =
            "^(How|What|Why|Which|When|Where|Can) [^\\n]{8,280}\\?$";
        items["items"]["properties"]["solution"]["minLength"] = 10;
        items["items"]["properties"]["solution"]["maxLength"] = 1500;
        items["minItems"] = count;
        items["maxItems"] = count;
    }
    return {{"type", "object"},
            {"properties", {{"items", items}}},
            {"required", {"items"}},
            {"additionalProperties", false}};
}

} // namespace sds
