#pragma once

#include "core/Template.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sds {

// What one generation request asks for.
struct BatchPrompt {
    std::string system;
    std::string user;
};

struct BatchRequestInput {
    std::string seed; // the topic, or for a document excerpt the document's name
    // A document excerpt every answer must come from (documents workflow); empty otherwise.
    std::string groundingText;
    int count = 5;
    std::string userPrompt;
    std::vector<Example> examples;
    std::string databaseSchema;
    std::vector<std::string> doNotRepeat; // questions already written for this seed, newest last
};

struct PromptOptions {
    std::size_t doNotRepeatLimit = 100; // as Cloudera's Synthetic Data Studio: the last 100
    std::size_t maxExamples = 10;
    // A small model follows a persona for the seed better than a generic instruction.
    bool seedPersona = false;
};

// Order follows the reference product: the JSON instruction, "create N items about <topic>", the user's
// prompt, the schema (text to SQL), the questions not to repeat, then the format rules with examples.
[[nodiscard]] BatchPrompt buildBatchPrompt(const BatchRequestInput& input, const PromptOptions& options = {});

// {"items": [{"question": string, "solution": string}, ...]} with `count` items when bounded.
[[nodiscard]] nlohmann::json rowsSchema(int count, bool boundItemCount);

} // namespace sds
