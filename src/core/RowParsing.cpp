#include "core/RowParsing.h"

#include <algorithm>
#include <cctype>

namespace sds {
namespace {

std::string withoutTrailingCommas(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    bool inString = false;
    bool escaped = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            out += c;
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                inString = false;
            continue;
        }
        if (c == '"') {
            inString = true;
        } else if (c == ',') {
            std::size_t next = i + 1;
            while (next < text.size() && std::isspace(static_cast<unsigned char>(text[next])))
                ++next;
            if (next < text.size() && (text[next] == '}' || text[next] == ']'))
                continue;
        }
        out += c;
    }
    return out;
}

// The balanced {...} or [...] starting at `start`, respecting strings; npos when unbalanced.
std::size_t matchingEnd(std::string_view text, std::size_t start) {
    int depth = 0;
    bool inString = false;
    bool escaped = false;
    for (std::size_t i = start; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                inString = false;
            continue;
        }
        if (c == '"')
            inString = true;
        else if (c == '{' || c == '[')
            ++depth;
        else if (c == '}' || c == ']') {
            if (--depth == 0)
                return i;
        }
    }
    return std::string_view::npos;
}

std::optional<nlohmann::json> parseLenient(std::string_view candidate) {
    auto json = nlohmann::json::parse(candidate, nullptr, false);
    if (!json.is_discarded())
        return json;
    json = nlohmann::json::parse(withoutTrailingCommas(candidate), nullptr, false);
    if (!json.is_discarded())
        return json;
    return std::nullopt;
}

std::optional<nlohmann::json> firstJsonValue(std::string_view text) {
    for (std::size_t start = text.find_first_of("{["); start != std::string_view::npos;
         start = text.find_first_of("{[", start + 1)) {
        const std::size_t end = matchingEnd(text, start);
        if (end == std::string_view::npos)
            continue;
        if (auto json = parseLenient(text.substr(start, end - start + 1));
            json && (json->is_object() || json->is_array()))
            return json;
    }
    return std::nullopt;
}

std::optional<std::string> stringField(const nlohmann::json& object,
                                       std::initializer_list<const char*> names) {
    for (const char* name : names)
        if (object.contains(name) && object[name].is_string())
            return object[name].get<std::string>();
    return std::nullopt;
}

// Empty, or placeholder text such as "..." that a small model copies from the instructions.
bool blank(const std::string& text) {
    if (text.find("<start_of_") != std::string::npos || text.find("<end_of_turn>") != std::string::npos)
        return true; // a small model's stray control tokens
    return std::none_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80;
    });
}

} // namespace

std::optional<nlohmann::json> extractJson(std::string_view text) {
    if (auto whole = parseLenient(text); whole && (whole->is_object() || whole->is_array()))
        return whole;
    for (std::size_t fence = text.find("```"); fence != std::string_view::npos;
         fence = text.find("```", fence + 3)) {
        std::size_t bodyStart = text.find('\n', fence);
        if (bodyStart == std::string_view::npos)
            break;
        const std::size_t close = text.find("```", bodyStart);
        if (close == std::string_view::npos)
            break;
        if (auto json = firstJsonValue(text.substr(bodyStart + 1, close - bodyStart - 1)))
            return json;
        fence = close;
    }
    return firstJsonValue(text);
}

ParsedItems itemsFromJson(const nlohmann::json& json) {
    ParsedItems parsed;
    const nlohmann::json* list = nullptr;
    nlohmann::json single;
    if (json.is_array()) {
        list = &json;
    } else if (json.is_object()) {
        for (const char* key : {"items", "questions", "data", "rows", "results"})
            if (json.contains(key) && json[key].is_array()) {
                list = &json[key];
                break;
            }
        if (!list) {
            single = nlohmann::json::array({json});
            list = &single;
        }
    } else {
        parsed.error = "the answer is JSON but not an object or array";
        return parsed;
    }
    for (const auto& element : *list) {
        if (!element.is_object()) {
            ++parsed.invalidItems;
            continue;
        }
        const auto question = stringField(element, {"question", "Question", "prompt", "Prompt"});
        const auto solution =
            stringField(element, {"solution", "Solution", "answer", "completion", "Completion"});
        if (!question || !solution || blank(*question) || blank(*solution)) {
            ++parsed.invalidItems;
            continue;
        }
        parsed.items.push_back({*question, *solution});
    }
    return parsed;
}

ParsedItems parseItems(std::string_view modelText) {
    const auto json = extractJson(modelText);
    if (!json) {
        ParsedItems parsed;
        parsed.error = "no JSON found in the model's answer";
        return parsed;
    }
    return itemsFromJson(*json);
}

std::string normalizedQuestion(std::string_view question) {
    std::string key;
    key.reserve(question.size());
    bool pendingSpace = false;
    for (const char c : question) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || u >= 0x80) {
            if (pendingSpace && !key.empty())
                key += ' ';
            pendingSpace = false;
            key += static_cast<char>(std::tolower(u));
        } else {
            pendingSpace = true;
        }
    }
    return key;
}

} // namespace sds
