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
    std::filesystem::path sourceFile;
};

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
