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

namespace {

// llama.cpp's LLGuidance does not compile a bare \n in a pattern (it then samples unconstrained), but does
// compile it inside a character class.
constexpr std::string_view kNewline = "[\\n\\r]";

// `body` in a fence labelled `language`, then optionally one line of prose: no fences, braces, brackets or
// markup, where a small model's degenerate endings start.
std::string fencedAnswerPattern(std::string_view language, const std::string& body) {
    return "^```" + std::string(language) + std::string(kNewline) + body + std::string(kNewline) + "```(" +
           std::string(kNewline) + "[A-Z][^`\\n\\r{}<>$\\[\\]]{10,200})?$";
}

} // namespace

std::string codeAnswerPattern() {
    const std::string name = "[a-z_][a-z0-9_]{0,20}(\\.[a-z_][a-z0-9_]{0,20})?";
    // A single letter or a snake_case name: never a keyword, so never `if = x`.
    const std::string target = "([a-z]|[a-z][a-z0-9]{0,15}_[a-z0-9_]{0,15})";
    const std::string simple = "(" + name + "|[0-9]{1,6}|'[A-Za-z0-9 ,.!?_-]{0,40}')";
    const std::string list = "\\[(" + simple + "(, " + simple + "){0,5})?\\]";
    const std::string call = name + "\\((" + simple + "(, " + simple + "){0,3})?\\)";
    const std::string atom = "(" + call + "|" + list + "|" + simple + ")";
    const std::string expression = atom + "( ([-+*/%<>]|==|<=|>=) " + atom + "){0,3}";
    const std::string statement = "(return " + expression + "|print\\(" + expression + "(, " + expression +
                                  "){0,2}\\)|" + target + " = " + expression + ")";
    return fencedAnswerPattern("python",
                               "def [a-z_][a-z0-9_]{0,20}\\(([a-z_]{1,12}(, [a-z_]{1,12}){0,3})?\\):(" +
                                   std::string(kNewline) + "    " + statement + "){1,6}");
}

std::string sqlAnswerPattern() {
    return fencedAnswerPattern("sql", "(SELECT|WITH) [^`;]{10,400};?");
}

nlohmann::json rowsSchema(int count, bool boundItemCount, quality::ValidatorKind answers) {
    nlohmann::json item = {
        {"type", "object"},
        {"properties", {{"question", {{"type", "string"}}}, {"solution", {{"type", "string"}}}}},
        {"required", {"question", "solution"}},
        {"additionalProperties", false}};
    nlohmann::json items = {{"type", "array"}, {"items", item}};
    if (boundItemCount) {
        // Bounded strings stop a small model from running on until max_tokens and truncating the JSON.
        // A pattern bounds its string by itself: LLGuidance gives up on a pattern combined with
        // minLength/maxLength ("too many expressions constructed") and samples unconstrained.
        auto& question = items["items"]["properties"]["question"];
        auto& solution = items["items"]["properties"]["solution"];
        // No brackets or markup in a question: that is where degenerate questions trail off.
        question["pattern"] = "^(How|What|Why|Which|When|Where|Can) [^\\n{}\\[\\]<>]{8,280}\\?$";
        if (answers == quality::ValidatorKind::Code) {
            solution["pattern"] = codeAnswerPattern();
        } else if (answers == quality::ValidatorKind::Sql) {
            solution["pattern"] = sqlAnswerPattern();
        } else {
            solution["minLength"] = 10;
            solution["maxLength"] = 1500;
        }
        items["minItems"] = count;
        items["maxItems"] = count;
    }
    return {{"type", "object"},
            {"properties", {{"items", items}}},
            {"required", {"items"}},
            {"additionalProperties", false}};
}

} // namespace sds
