#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sds {

struct Example {
    std::string question;
    std::string solution;
    bool operator==(const Example&) const = default;
};

struct ModelParameters {
    double temperature = 0.7;
    double topP = 1.0;
    int topK = 50;
    int maxTokens = 4096;
    bool operator==(const ModelParameters&) const = default;
};

// Names of the dataset's row keys: {"Seeds": …, <prompt>: …, <completion>: …}.
struct OutputKeys {
    std::string prompt = "Prompt";
    std::string completion = "Completion";
    bool operator==(const OutputKeys&) const = default;
};

// An answer with the score a judge should give it and why: a few-shot example for evaluation.
struct ScoredExample {
    std::string question;
    std::string solution;
    int score = 0;
    std::string justification;
    bool operator==(const ScoredExample&) const = default;
};

// How a judge model scores rows: its instructions, the scale and scored examples.
struct EvaluationRubric {
    std::string prompt;
    int minScore = 1;
    int maxScore = 5;
    std::vector<ScoredExample> examples;
    bool operator==(const EvaluationRubric&) const = default;
};

// A template file: everything a new dataset starts from. Data, not code.
struct Template {
    std::string id; // file name without .json
    std::string name;
    std::string description;
    std::string prompt;
    std::vector<std::string> seeds;
    std::vector<Example> examples;
    std::string databaseSchema; // DDL, text to SQL only
    OutputKeys outputKeys;
    ModelParameters parameters;
    std::string validator; // "sql", "code" or "" (none): how rows are checked without a model
    EvaluationRubric evaluation;
    std::filesystem::path sourceFile;
};

// The rubric used when a template has none: a 1–5 scale on correctness, completeness and clarity.
[[nodiscard]] EvaluationRubric defaultEvaluationRubric();

// Reads one template; a one-line error naming the file and what is wrong.
struct TemplateLoadResult {
    std::optional<Template> value;
    std::string error;
};
[[nodiscard]] TemplateLoadResult loadTemplateFile(const std::filesystem::path& path);
[[nodiscard]] TemplateLoadResult templateFromJson(const nlohmann::json& json, const std::string& id,
                                                  const std::string& sourceName);
[[nodiscard]] nlohmann::json templateToJson(const Template& value);

// All templates: the built-in folder first, then the project's templates folder, where a file of the
// same id replaces the built-in one. Malformed files are listed in errors() and skipped.
class TemplateRegistry {
public:
    void loadFolder(const std::filesystem::path& folder);

    [[nodiscard]] const std::vector<Template>& templates() const { return m_templates; }
    [[nodiscard]] const std::vector<std::string>& errors() const { return m_errors; }
    [[nodiscard]] const Template* find(const std::string& id) const;
    [[nodiscard]] std::vector<std::string> ids() const;

private:
    std::vector<Template> m_templates;
    std::vector<std::string> m_errors;
};

} // namespace sds
