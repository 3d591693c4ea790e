#pragma once

// What the stand-in service answers to a generation or curation prompt: items with questions that are
// unique across the service's lifetime, shaped after the request's JSON schema when it has one.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sds::standin {

using Json = nlohmann::ordered_json; // keeps the schema's field order

struct PromptFacts {
    int count = 1;                            // from "Create N"; 1 when absent, at most maxItemsPerAnswer
    std::string topic;                        // from `topic "TOPIC"`; "general" when absent
    std::optional<std::string> curationInput; // the text after "Input:" when the prompt has such a line
    bool sql = false; // the prompt shows a database schema: answers carry a ```sql query
};

inline constexpr int maxItemsPerAnswer = 1000;

[[nodiscard]] PromptFacts readPrompt(std::string_view userText);

// The text of every user message, joined by newlines. Content is a string or a list of parts
// ({"type":"text","text":...} for OpenAI, {"text":...} for Converse).
template <typename JsonBody> // Json or nlohmann::json
[[nodiscard]] std::string userText(const JsonBody& body) {
    std::string text;
    if (!body.contains("messages") || !body["messages"].is_array())
        return text;
    for (const auto& message : body["messages"]) {
        if (!message.is_object() || message.value("role", "") != "user" || !message.contains("content"))
            continue;
        const auto& content = message["content"];
        if (content.is_string()) {
            text += content.template get<std::string>() + "\n";
        } else if (content.is_array()) {
            for (const auto& part : content)
                if (part.is_object() && part.contains("text") && part["text"].is_string())
                    text += part["text"].template get<std::string>() + "\n";
        }
    }
    return text;
}

// A question about `topic` for case `caseNumber`. Questions of different cases share few words, so they
// are neither exact nor near-duplicates (ROUGE-L well under 0.7) of each other: fourteen words drawn
// from a fixed vocabulary by the case number.
// 14 words drawn from a vocabulary of `vocabulary` words: the first 64 are real ones, the rest made up
// ("term1234"). The default's questions share many words, a harsh case for the near-duplicate filter.
constexpr std::size_t kDefaultQuestionVocabulary = 64;
[[nodiscard]] std::string questionText(const std::string& topic, std::uint64_t caseNumber,
                                       std::size_t vocabulary = kDefaultQuestionVocabulary);

struct ItemField {
    std::string name;
    std::string type = "string"; // JSON schema type
    std::optional<Json> firstEnumValue;
};

// The answer's shape: {"<listName>": [{<fields>...}, ...]}.
struct ItemShape {
    std::string listName = "items";
    std::vector<ItemField> fields{{"question", "string", std::nullopt}, {"solution", "string", std::nullopt}};
    std::size_t questionField = 0; // carries the unique question
    std::size_t solutionField = 1; // left out by the missing-field fault
};

// From schema.properties.items.items.properties (or the first array property); the default shape when
// `schema` is null or has no recognizable item object.
[[nodiscard]] ItemShape itemShapeFromSchema(const Json* schema);

// Degenerate: one item loops like a small model stuck on a phrase, or trails off into brackets; the
// engine's row-quality gate must turn it away.
enum class ContentFault { None, Malformed, Messy, MissingField, Duplicate, Degenerate };

// Thread-safe.
class ItemWriter {
public:
    // {"items": [...]} for the prompt. For MissingField and Duplicate, `faultApplied` tells whether the
    // fault could be put in (a duplicate needs an earlier question of the topic or two items).
    // Degenerate alternates its two shapes by case number: a looping answer, then a bracket-flooded
    // question.
    [[nodiscard]] Json writeItems(const PromptFacts& facts, const ItemShape& shape, ContentFault fault,
                                  bool& faultApplied);
    void setQuestionVocabulary(std::size_t words) { m_vocabulary = std::max<std::size_t>(words, 1); }

private:
    std::atomic<std::size_t> m_vocabulary{kDefaultQuestionVocabulary};
    std::mutex m_mutex;
    std::uint64_t m_nextCaseNumber = 1;
    std::unordered_map<std::string, std::string> m_lastQuestionByTopic;
};

// The answer for a schema that asks for one object rather than a list of items (curation's {"output"},
// a judge's {"score", "justification"}, suggestions' {"prompt"} or {"seeds": [...]}); nothing when the
// schema asks for a list of item objects. Strings are filled from the prompt; an integer with a minimum
// and maximum (a score) is taken from a hash of the prompt, so it varies over rows but not over runs.
[[nodiscard]] std::optional<Json> objectAnswer(const Json* schema, std::string_view userText);

// Prose without any JSON value in it.
[[nodiscard]] std::string malformedAnswerText();
// Prose, then `answer` in a ```json fence with trailing commas, then more prose.
[[nodiscard]] std::string messyAnswerText(const Json& answer);

} // namespace sds::standin
