#pragma once

// What the stand-in service answers to a generation or curation prompt: items with questions that are
// unique across the service's lifetime, shaped after the request's JSON schema when it has one.

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
};

inline constexpr int maxItemsPerAnswer = 1000;

[[nodiscard]] PromptFacts readPrompt(std::string_view userText);

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

enum class ContentFault { None, Malformed, Messy, MissingField, Duplicate };

// Thread-safe.
class ItemWriter {
public:
    // {"items": [...]} for the prompt. For MissingField and Duplicate, `faultApplied` tells whether the
    // fault could be put in (a duplicate needs an earlier question of the topic or two items).
    [[nodiscard]] Json writeItems(const PromptFacts& facts, const ItemShape& shape, ContentFault fault,
                                  bool& faultApplied);

private:
    std::mutex m_mutex;
    std::uint64_t m_nextCaseNumber = 1;
    std::unordered_map<std::string, std::string> m_lastQuestionByTopic;
};

// Prose without any JSON value in it.
[[nodiscard]] std::string malformedAnswerText();
// Prose, then `answer` in a ```json fence with trailing commas, then more prose.
[[nodiscard]] std::string messyAnswerText(const Json& answer);

} // namespace sds::standin
