#pragma once

#include "core/Job.h"
#include "core/Template.h"
#include "engine/JobFiles.h"

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sds::cli {

// What `sds generate` was given on the command line; unset fields keep the job file's or template's value.
struct GenerateFlags {
    std::string configFile;
    std::optional<std::string> templateId;
    std::optional<std::string> workflow;
    std::optional<std::string> provider;
    std::optional<std::string> model;
    std::optional<std::string> endpoint;
    std::optional<std::string> region;
    std::optional<std::string> profile;
    std::optional<std::string> caBundle;
    std::optional<int> size;
    std::vector<std::string> seeds;
    std::string seedsFile;
    std::string examplesFile;
    std::optional<std::string> prompt;
    std::string promptFile;
    std::string schemaFile;
    std::optional<double> temperature;
    std::optional<double> topP;
    std::optional<int> topK;
    std::optional<int> maxTokens;
    std::optional<int> concurrency;
    std::optional<int> rowsPerRequest;
    std::optional<std::string> name;
    std::optional<std::string> output;
    std::optional<std::string> outputKeyPrompt;
    std::optional<std::string> outputKeyCompletion;
    std::vector<std::string> inputFiles; // documents (sft) or the file to curate (curation)
    std::optional<std::string> inputKey;
    std::optional<int> chunkSize;
    std::optional<int> chunkOverlap;
    std::optional<double> similarityThreshold;
    std::optional<double> maxCost;   // USD
    std::optional<double> priceIn;   // USD per 1M input tokens
    std::optional<double> priceOut;  // USD per 1M output tokens
    std::optional<std::string> mode; // "on_demand" or "batch" (a Bedrock batch inference job)
    std::optional<std::string> batchS3Uri;
    std::optional<std::string> batchRoleArn;
};

struct JobBuildResult {
    std::optional<JobSpec> job;
    std::string error; // one line naming the file, field or value
};

// --max-cost, --price-in and --price-out into the job; a one-line error naming the flag and its value.
[[nodiscard]] std::string applyBudgetFlags(const GenerateFlags& flags, JobSpec& job);
// The embedded model's concurrency and rows per request, unless the flags or a job file chose them.
void applyLocalModelDefaults(const GenerateFlags& flags, JobSpec& job);
// The job document from a job file, the flags and the template, validated.
[[nodiscard]] JobBuildResult buildJob(const GenerateFlags& flags, const TemplateRegistry& templates);
// The same without the checks that only a run needs (e.g. for asking the model to suggest a prompt).
[[nodiscard]] JobBuildResult buildDraft(const GenerateFlags& flags, const TemplateRegistry& templates);

using engine::readExamplesFile;
using engine::readSeedsFile;

} // namespace sds::cli
