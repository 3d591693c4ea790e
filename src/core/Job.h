#pragma once

#include "core/Template.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sds {

enum class Workflow { SupervisedFineTuning, CustomDataCuration };
[[nodiscard]] std::string toString(Workflow workflow); // "sft", "curation"
[[nodiscard]] std::optional<Workflow> workflowFromString(const std::string& text);

struct ProviderChoice {
    std::string name = "local"; // local, bedrock, caii, openai
    std::string model;
    std::string endpoint;
    std::string region;
    std::string profile;
    std::string caBundlePath;
    bool operator==(const ProviderChoice&) const = default;
};

// The job document: what the wizard builds and saves, and what `sds generate --config` takes.
// It never holds a secret.
struct JobSpec {
    static constexpr int kFormatVersion = 1;
    static constexpr int kMaxConcurrency = 256;
    static constexpr int kMaxSize = 10'000'000;

    std::string displayName;
    std::string templateId = "code_generation";
    Workflow workflow = Workflow::SupervisedFineTuning;
    ProviderChoice provider;
    std::string prompt;
    std::vector<std::string> seeds;
    std::vector<Example> examples;
    std::string databaseSchema;
    ModelParameters parameters;
    OutputKeys outputKeys;
    int size = 10;
    int rowsPerRequest = 5;
    int concurrency = 16;
    std::string outputPath; // empty: <project>/datasets/<name>_<time>.json
    std::vector<std::string> inputFiles;

    bool operator==(const JobSpec&) const = default;

    // Prompt, seeds, examples, schema, parameters and keys from the template where the job has none.
    void fillFromTemplate(const Template& source);
    // Requests needed if every answer is complete: sum over seeds of ceil(rows for seed / rows per request).
    [[nodiscard]] int plannedRequests() const;
    // Rows each seed is asked for: the size spread evenly, the first seeds taking the remainder.
    [[nodiscard]] std::vector<int> rowsPerSeed() const;
};

[[nodiscard]] nlohmann::json toJson(const JobSpec& job);

struct JobParseResult {
    std::optional<JobSpec> job;
    std::string error; // "<source>: field \"size\" must be ..."
};
[[nodiscard]] JobParseResult jobFromJson(const nlohmann::json& json, const std::string& sourceName);

// Every problem that would stop a run, one line each, naming the field. Empty when valid.
[[nodiscard]] std::vector<std::string> validate(const JobSpec& job);

} // namespace sds
