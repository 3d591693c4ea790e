#include "standin/Generation.h"

#include "core/Text.h"

#include <algorithm>
#include <array>
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

std::string questionText(const std::string& topic, std::uint64_t caseNumber) {
    return "How would you approach " + topic + " case #" + std::to_string(caseNumber) + "?";
}

std::string solutionText(const std::string& topic, std::uint64_t caseNumber) {
    const std::string number = std::to_string(caseNumber);
    // No braces or brackets in the code: a fenced block inside a JSON string must not look like JSON.
    return "For " + topic + " case #" + number + ", start with a small function and test it:\n\n```python\n" +
           "def solve_case_" + number +
           "(values):\n    return sorted(values)\n```\n\nThen extend it with the edge " +
           "cases that matter for " + topic + ".";
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
                                   : questionText(facts.topic, caseNumber);
        Json item = Json::object();
        for (std::size_t f = 0; f < shape.fields.size(); ++f) {
            const ItemField& field = shape.fields[f];
            if (f == shape.questionField)
                item[field.name] = question;
            else if (f == shape.solutionField)
                item[field.name] = solutionText(facts.topic, caseNumber);
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
