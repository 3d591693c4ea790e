#pragma once

#include "core/Pricing.h"
#include "core/Template.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sds {

enum class Workflow { SupervisedFineTuning, CustomDataCuration };
[[nodiscard]] std::string toString(Workflow workflow); // "sft", "curation"
[[nodiscard]] std::optional<Workflow> workflowFromString(const std::string& text);

// Bedrock refuses a batch inference job with fewer records (requests) than this.
inline constexpr int kBatchMinimumRecords = 100;

// How the requests are sent: one by one as the run goes, or all at once as an Amazon Bedrock batch
// inference job (cheaper, answered within hours; see docs/bedrock-batch.md).
enum class RunMode { OnDemand, BedrockBatch };
[[nodiscard]] std::string toString(RunMode mode); // "on_demand", "batch"
[[nodiscard]] std::optional<RunMode> runModeFromString(const std::string& text);

// Where a batch job's records and answers go and the IAM role Bedrock assumes to reach them.
struct BatchSettings {
    std::string s3Uri; // s3://bucket/prefix/
    std::string roleArn;
    bool operator==(const BatchSettings&) const = default;
};

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
    std::string validator; // from the template: "sql", "code" or "" (none)
    ModelParameters parameters;
    OutputKeys outputKeys;
    int size = 10;
    int rowsPerRequest = 5;
    int concurrency = 16;
    std::string outputPath; // empty: <project>/datasets/<name>_<time>.json
    // Documents to ground questions in (sft), or the JSON / JSON Lines file to curate (curation).
    std::vector<std::string> inputFiles;
    int chunkSize = 1000;            // characters per document excerpt
    int chunkOverlap = 100;          // characters shared by consecutive excerpts
    std::string inputKey = "Prompt"; // curation: the field of each element sent to the model
    // A question whose ROUGE-L F1 with an earlier one is above this is a near-duplicate; 1 turns it off.
    double similarityThreshold = 0.7;
    // The model's price for this job, over the price table (for a model the table does not know).
    std::optional<TokenPrice> price;
    // The run stops before its cost (in USD) would pass this; none: no cap.
    std::optional<double> maxCostUsd;
    RunMode mode = RunMode::OnDemand;
    BatchSettings batch; // used in RunMode::BedrockBatch

    bool operator==(const JobSpec&) const = default;

    // Prompt, seeds, examples, schema, parameters and keys from the template where the job has none.
    void fillFromTemplate(const Template& source);
    // Requests needed if every answer is complete: sum over seeds of ceil(rows for seed / rows per request).
    [[nodiscard]] int plannedRequests() const;
    // Rows each seed is asked for: the size spread evenly, the first seeds taking the remainder.
    [[nodiscard]] std::vector<int> rowsPerSeed() const;
    [[nodiscard]] bool groundedInDocuments() const {
        return workflow == Workflow::SupervisedFineTuning && !inputFiles.empty();
    }
    // The key that names where a row came from: "Seeds", or "Generated_From" for document excerpts.
    [[nodiscard]] bool runsAsBatch() const { return mode == RunMode::BedrockBatch; }
    [[nodiscard]] std::string originKey() const { return groundedInDocuments() ? "Generated_From" : "Seeds"; }
};

// `total` rows over `parts` parts as evenly as positions allow: part i gets
// floor((i+1)·total/parts) − floor(i·total/parts), so with more parts than rows every few parts get one.
[[nodiscard]] std::vector<int> spreadEvenly(int total, std::size_t parts);

[[nodiscard]] nlohmann::json toJson(const JobSpec& job);

struct JobParseResult {
    std::optional<JobSpec> job;
    std::string error; // "<source>: field \"size\" must be ..."
};
[[nodiscard]] JobParseResult jobFromJson(const nlohmann::json& json, const std::string& sourceName);

// Why the job cannot run as a Bedrock batch job (provider, workflow, S3 location, role, too few requests),
// one line each; validate() includes them when the job's mode is batch.
[[nodiscard]] std::vector<std::string> batchProblems(const JobSpec& job);

// Every problem that would stop a run, one line each, naming the field. Empty when valid.
[[nodiscard]] std::vector<std::string> validate(const JobSpec& job);

} // namespace sds
