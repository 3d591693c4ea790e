#pragma once

#include "core/Template.h"
#include "core/quality/Validation.h"

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

// {"items": [{"question": string, "solution": string}, ...]} with `count` items when bounded. A bounded
// schema, for a small local model, also bounds and shapes the strings; with `answers` Code or Sql it makes
// every solution a fenced block of that language (see codeAnswerPattern, sqlAnswerPattern).
[[nodiscard]] nlohmann::json rowsSchema(int count, bool boundItemCount,
                                        quality::ValidatorKind answers = quality::ValidatorKind::None);

// A Python function in a ```python block, then optionally one line of explanation. The function is a
// def line and one to six simple statements (return, print, assignment) over names, numbers, short
// strings, calls and lists, so that a model constrained to it writes code that compiles: left free, a
// 270M model writes prose, unbalanced brackets or `if = x` inside the block.
[[nodiscard]] std::string codeAnswerPattern();
// A SELECT (or WITH) query in a ```sql block, then optionally one line of explanation.
[[nodiscard]] std::string sqlAnswerPattern();

} // namespace sds
