#include "standin/Generation.h"

#include "core/Text.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>

namespace sds::standin {
namespace {

using text::toLower;
using text::trim;

// Regex `Create (\d+)`, capped.
std::optional<int> requestedCount(std::string_view text) {
    constexpr std::string_view marker = "Create ";
    for (auto at = text.find(marker); at != std::string_view::npos; at = text.find(marker, at + 1)) {
        std::size_t digit = at + marker.size();
        if (digit >= text.size() || !std::isdigit(static_cast<unsigned char>(text[digit])))
            continue;
        long long count = 0;
        for (; digit < text.size() && std::isdigit(static_cast<unsigned char>(text[digit])); ++digit)
            count = std::min<long long>(count * 10 + (text[digit] - '0'), maxItemsPerAnswer);
        return static_cast<int>(std::max<long long>(count, 1));
    }
    return std::nullopt;
}

// Regex `topic "([^"]*)"`.
std::optional<std::string> requestedTopic(std::string_view text) {
    constexpr std::string_view marker = "topic \"";
    const auto at = text.find(marker);
    if (at == std::string_view::npos)
        return std::nullopt;
    const auto start = at + marker.size();
    const auto end = text.find('"', start);
    if (end == std::string_view::npos)
        return std::nullopt;
    return std::string(text.substr(start, end - start));
}

// The text of the first line that starts with "Input:" (or of the next non-blank line when empty).
std::optional<std::string> curationInput(std::string_view text) {
    std::size_t lineStart = 0;
    bool takeNextNonBlank = false;
    while (lineStart <= text.size()) {
        auto lineEnd = text.find('\n', lineStart);
        if (lineEnd == std::string_view::npos)
            lineEnd = text.size();
        const std::string_view line = trim(text.substr(lineStart, lineEnd - lineStart));
        lineStart = lineEnd + 1;
        if (takeNextNonBlank) {
            if (!line.empty())
                return std::string(line);
            continue;
        }
        if (line.starts_with("Input:")) {
            const std::string_view rest = trim(line.substr(6));
            if (!rest.empty())
                return std::string(rest);
            takeNextNonBlank = true;
        }
        if (lineEnd == text.size())
            break;
    }
    if (takeNextNonBlank)
        return std::string();
    return std::nullopt;
}

bool isOneOf(std::string_view name, std::initializer_list<std::string_view> candidates) {
    const std::string lower = toLower(name);
    return std::find(candidates.begin(), candidates.end(), lower) != candidates.end();
}

} // namespace

std::string questionText(const std::string& topic, std::uint64_t caseNumber, std::size_t vocabulary) {
    static constexpr std::array<std::string_view, 64> words = {
        "sorting",   "parsing",    "caching",    "retrying",  "merging",     "indexing", "grouping",
        "joining",   "streaming",  "batching",   "hashing",   "tracing",     "paging",   "logging",
        "scaling",   "locking",    "orders",     "invoices",  "sensors",     "students", "flights",
        "recipes",   "tickets",    "songs",      "ledgers",   "parcels",     "patients", "forecasts",
        "playlists", "vehicles",   "meetings",   "rivers",    "quickly",     "safely",   "lazily",
        "offline",   "in bulk",    "per user",   "nightly",   "at scale",    "with SQL", "in Python",
        "by region", "over time",  "under load", "for audit", "by weight",   "on disk",  "large",
        "sparse",    "nested",     "noisy",      "stale",     "skewed",      "partial",  "unicode",
        "encrypted", "compressed", "duplicated", "versioned", "timestamped", "signed",   "ranked",
        "shared"};
    std::uint64_t state = caseNumber * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
    std::string text = "Case " + std::to_string(caseNumber) + ":";
    for (int i = 0; i < 14; ++i) {
        state ^= state >> 31;
        state *= 0xBF58476D1CE4E5B9ULL;
        state ^= state >> 27;
        text += ' ';
        if (const std::uint64_t word = (state >> 17) % vocabulary; word < words.size())
            text += words[word];
        else
            text += "term" + std::to_string(word);
    }
    return text + " for " + topic + "?";
}

namespace {

// Every fifth case's code, and every fourth case's query, is wrong on purpose (a missing colon, a column
// that is not in the schema), so validation has something to find: rows with those case numbers fail.
std::string solutionText(const std::string& topic, std::uint64_t caseNumber, bool sql) {
    const std::string number = std::to_string(caseNumber);
    if (sql) {
        const std::string query =
            caseNumber % 4 == 0
                ? "SELECT first_name, salry FROM employees WHERE employee_id = " + number + ";"
                : "SELECT first_name, last_name FROM employees WHERE employee_id = " + number + ";";
        return "For " + topic + " case #" + number + ":\n\n```sql\n" + query +
               "\n```\n\nThe WHERE clause picks the one employee.";
    }
    // No braces or brackets in the code: a fenced block inside a JSON string must not look like JSON.
    return "For " + topic + " case #" + number + ", start with a small function and test it:\n\n```python\n" +
           "def solve_case_" + number + "(values)" + (caseNumber % 5 == 0 ? "" : ":") +
           "\n    return sorted(values)\n```\n\nThen extend it with the edge " + "cases that matter for " +
           topic + ".";
}

Json fieldValue(const ItemField& field, const std::string& topic, std::uint64_t caseNumber) {
    if (field.firstEnumValue)
        return *field.firstEnumValue;
    if (field.type == "integer")
        return caseNumber;
    if (field.type == "number")
        return static_cast<double>(caseNumber) + 0.5;
    if (field.type == "boolean")
        return caseNumber % 2 == 0;
    if (field.type == "array")
        return Json::array({field.name + " for " + topic + " case #" + std::to_string(caseNumber)});
    if (field.type == "object")
        return Json::object();
    return field.name + " for " + topic + " case #" + std::to_string(caseNumber);
}

} // namespace

PromptFacts readPrompt(std::string_view userText) {
    PromptFacts facts;
    facts.count = requestedCount(userText).value_or(1);
    facts.topic = requestedTopic(userText).value_or("");
    if (facts.topic.empty())
        facts.topic = "general";
    facts.curationInput = curationInput(userText);
    facts.sql = userText.find("Database schema:") != std::string_view::npos;
    if (facts.curationInput)
        facts.count = 1;
    return facts;
}

ItemShape itemShapeFromSchema(const Json* schema) {
    ItemShape shape;
    if (!schema || !schema->is_object() || !schema->contains("properties") ||
        !(*schema)["properties"].is_object())
        return shape;
    const Json& properties = (*schema)["properties"];
    const Json* list = nullptr;
    if (properties.contains("items") && properties["items"].is_object()) {
        list = &properties["items"];
    } else {
        for (const auto& [name, property] : properties.items())
            if (property.is_object() && property.value("type", "") == "array") {
                shape.listName = name;
                list = &property;
                break;
            }
    }
    if (!list || !list->contains("items") || !(*list)["items"].is_object())
        return shape;
    const Json& item = (*list)["items"];
    if (!item.contains("properties") || !item["properties"].is_object() || item["properties"].empty())
        return shape;

    std::vector<ItemField> fields;
    for (const auto& [name, property] : item["properties"].items()) {
        ItemField field{name, "string", std::nullopt};
        if (property.is_object()) {
            if (property.contains("type") && property["type"].is_string())
                field.type = property["type"].get<std::string>();
            if (property.contains("enum") && property["enum"].is_array() && !property["enum"].empty())
                field.firstEnumValue = property["enum"].front();
        }
        fields.push_back(std::move(field));
    }
    shape.fields = std::move(fields);

    const auto findField = [&](std::initializer_list<std::string_view> names) -> std::optional<std::size_t> {
        for (std::size_t i = 0; i < shape.fields.size(); ++i)
            if (isOneOf(shape.fields[i].name, names))
                return i;
        return std::nullopt;
    };
    const auto firstString = [&](std::optional<std::size_t> except) -> std::optional<std::size_t> {
        for (std::size_t i = 0; i < shape.fields.size(); ++i)
            if (shape.fields[i].type == "string" && !shape.fields[i].firstEnumValue && i != except)
                return i;
        return std::nullopt;
    };
    shape.questionField = findField({"question", "prompt", "instruction", "input", "query"})
                              .value_or(firstString({}).value_or(0));
    shape.solutionField = findField({"solution", "answer", "completion", "output", "response"})
                              .value_or(firstString(shape.questionField).value_or(shape.fields.size() - 1));
    return shape;
}

Json ItemWriter::writeItems(const PromptFacts& facts, const ItemShape& shape, ContentFault fault,
                            bool& faultApplied) {
    faultApplied = false;
    const auto count = static_cast<std::size_t>(std::clamp(facts.count, 1, maxItemsPerAnswer));
    std::uint64_t firstCaseNumber = 0;
    std::optional<std::string> earlierQuestion;
    {
        std::lock_guard lock(m_mutex);
        firstCaseNumber = m_nextCaseNumber;
        m_nextCaseNumber += count;
        if (const auto found = m_lastQuestionByTopic.find(facts.topic); found != m_lastQuestionByTopic.end())
            earlierQuestion = found->second;
    }

    Json items = Json::array();
    std::vector<std::string> questions;
    for (std::size_t index = 0; index < count; ++index) {
        const std::uint64_t caseNumber = firstCaseNumber + index;
        std::string question = facts.curationInput && !facts.curationInput->empty()
                                   ? *facts.curationInput
                                   : questionText(facts.topic, caseNumber, m_vocabulary.load());
        Json item = Json::object();
        for (std::size_t f = 0; f < shape.fields.size(); ++f) {
            const ItemField& field = shape.fields[f];
            if (f == shape.questionField)
                item[field.name] = question;
            else if (f == shape.solutionField)
                item[field.name] = solutionText(facts.topic, caseNumber, facts.sql);
            else
                item[field.name] = fieldValue(field, facts.topic, caseNumber);
        }
        questions.push_back(std::move(question));
        items.push_back(std::move(item));
    }

    const std::string& questionName = shape.fields[shape.questionField].name;
    if (fault == ContentFault::MissingField && shape.fields.size() > 1) {
        items.back().erase(shape.fields[shape.solutionField].name);
        faultApplied = true;
    } else if (fault == ContentFault::Degenerate) {
        const std::string& solutionName = shape.fields[shape.solutionField].name;
        if ((firstCaseNumber + count - 1) % 2 == 0) {
            std::string looping;
            for (int i = 0; i < 40; ++i)
                looping += "is_valid_answer() ";
            items.back()[solutionName] = looping;
        } else {
            std::string flooded = questions.back();
            flooded.pop_back();
            for (int i = 0; i < 30; ++i)
                flooded += "}}],}]";
            items.back()[questionName] = flooded + "?";
        }
        faultApplied = true;
    } else if (fault == ContentFault::Duplicate) {
        if (earlierQuestion) {
            items.back()[questionName] = *earlierQuestion;
            faultApplied = true;
        } else if (count >= 2) {
            items.back()[questionName] = questions.front();
            faultApplied = true;
        }
    }

    {
        std::lock_guard lock(m_mutex);
        m_lastQuestionByTopic[facts.topic] = questions.back();
    }
    Json answer = Json::object();
    answer[shape.listName] = std::move(items);
    return answer;
}

std::optional<Json> objectAnswer(const Json* schema, std::string_view userText) {
    if (!schema || !schema->is_object() || !schema->contains("properties") ||
        !(*schema)["properties"].is_object())
        return std::nullopt;
    const Json& properties = (*schema)["properties"];
    for (const auto& [name, property] : properties.items())
        if (property.is_object() && property.value("type", "") == "array" && property.contains("items") &&
            property["items"].is_object() && property["items"].value("type", "") == "object")
            return std::nullopt;
    if (properties.contains("items"))
        return std::nullopt;

    const PromptFacts facts = readPrompt(userText);
    const std::uint64_t hash = std::hash<std::string_view>{}(userText);
    static std::atomic<std::uint64_t> nextIdea{1};
    Json answer = Json::object();
    for (const auto& [name, property] : properties.items()) {
        const std::string type = property.is_object() ? property.value("type", "string") : "string";
        if (type == "integer" || type == "number") {
            const long long minimum = property.value("minimum", 1LL);
            const long long maximum = std::max(minimum, property.value("maximum", minimum + 4));
            answer[name] =
                minimum + static_cast<long long>(hash % static_cast<std::uint64_t>(maximum - minimum + 1));
        } else if (type == "array") {
            const int count = std::max<int>(property.value("minItems", facts.count), 1);
            Json ideas = Json::array();
            for (int i = 0; i < count; ++i) {
                const std::string words = questionText("", nextIdea++);
                // "Case N: w1 w2 … for ?" -> "W1 w2 w3 w4"
                const auto start = words.find(':') + 2;
                std::string idea;
                std::size_t at = start;
                for (int w = 0; w < 4 && at < words.size(); ++w) {
                    const auto end = words.find(' ', at);
                    idea += (idea.empty() ? "" : " ") + words.substr(at, end - at);
                    at = end == std::string::npos ? words.size() : end + 1;
                }
                idea[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(idea[0])));
                ideas.push_back(idea);
            }
            answer[name] = std::move(ideas);
        } else if (type == "boolean") {
            answer[name] = hash % 2 == 0;
        } else if (name == "output") {
            answer[name] = "Curated output for: " + facts.curationInput.value_or(facts.topic);
        } else if (name == "justification") {
            answer[name] =
                "The answer was judged by the stand-in (hash " + std::to_string(hash % 1000) + ").";
        } else {
            answer[name] = "A " + name + " written by the stand-in for " + facts.topic + ".";
        }
    }
    return answer;
}

std::string malformedAnswerText() {
    return "I'm sorry, but I can't put these into the requested format right now. Here are some thoughts "
           "instead: a good question would ask how to get started, and a good answer would depend on the "
           "details of the project.";
}

std::string messyAnswerText(const Json& answer) {
    // Pretty-printed JSON has real newlines only between tokens, so a comma before each line that closes
    // an object or array is a trailing comma.
    const std::string pretty = answer.dump(2);
    std::vector<std::string_view> lines;
    for (std::size_t start = 0; start <= pretty.size();) {
        auto end = pretty.find('\n', start);
        if (end == std::string::npos)
            end = pretty.size();
        lines.emplace_back(pretty.data() + start, end - start);
        start = end + 1;
    }
    std::string withTrailingCommas;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        withTrailingCommas += lines[i];
        if (i + 1 < lines.size()) {
            const std::string_view next = trim(lines[i + 1]);
            const std::string_view current = trim(lines[i]);
            const bool nextCloses = !next.empty() && (next.front() == '}' || next.front() == ']');
            const bool currentOpens = !current.empty() && (current.back() == '{' || current.back() == '[');
            if (nextCloses && !currentOpens && !current.ends_with(","))
                withTrailingCommas += ',';
            withTrailingCommas += '\n';
        }
    }
    return "Sure! Here are the items you asked for:\n\n```json\n" + withTrailingCommas +
           "\n```\n\nLet me know if you would like more of them.";
}

} // namespace sds::standin
