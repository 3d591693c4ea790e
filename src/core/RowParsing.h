#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sds {

struct GeneratedItem {
    std::string question;
    std::string solution;
};

struct ParsedItems {
    std::vector<GeneratedItem> items;
    int invalidItems = 0; // elements missing a field or with an empty one
    std::string error;    // set when no JSON could be found at all
};

// Finds the JSON in a model's free text: inside ```json fences, after leading prose, with trailing
// commas removed. Empty optional when there is none.
[[nodiscard]] std::optional<nlohmann::json> extractJson(std::string_view text);

// Items from {"items": [...]}, a bare array, or a single item object; each checked for the fields.
[[nodiscard]] ParsedItems itemsFromJson(const nlohmann::json& json);
[[nodiscard]] ParsedItems parseItems(std::string_view modelText);

// Lower-cased, punctuation and whitespace collapsed: the key for exact-duplicate detection.
[[nodiscard]] std::string normalizedQuestion(std::string_view question);

} // namespace sds
