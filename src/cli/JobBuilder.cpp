#include "cli/JobBuilder.h"

#include "core/JsonFile.h"
#include "core/Text.h"
#include "engine/JobSetup.h"

#include <cmath>
#include <ctime>

namespace sds::cli {

std::string applyBudgetFlags(const GenerateFlags& flags, JobSpec& job) {
    if (flags.maxCost) {
        if (!(*flags.maxCost > 0) || !std::isfinite(*flags.maxCost))
            return "--max-cost must be a positive amount of USD, got " + text::shortNumber(*flags.maxCost);
        job.maxCostUsd = *flags.maxCost;
    }
    if (flags.priceIn.has_value() != flags.priceOut.has_value())
        return "--price-in and --price-out go together: give both, in USD per 1M tokens";
    if (flags.priceIn) {
        for (const auto& [flag, value] :
             {std::pair{"--price-in", *flags.priceIn}, std::pair{"--price-out", *flags.priceOut}})
            if (!(value >= 0) || !std::isfinite(value))
                return std::string(flag) + " must be at least 0 USD per 1M tokens, got " +
                       text::shortNumber(value);
        job.price = TokenPrice{*flags.priceIn, *flags.priceOut};
    }
    return {};
}

void applyLocalModelDefaults(const GenerateFlags& flags, JobSpec& job) {
    if (job.provider.name != "local" || !flags.configFile.empty())
        return;
    if (!flags.concurrency)
        job.concurrency = engine::kLocalModelConcurrency;
    if (!flags.rowsPerRequest)
        job.rowsPerRequest = engine::kLocalModelRowsPerRequest;
}

JobBuildResult buildDraft(const GenerateFlags& flags, const TemplateRegistry& templates) {
    JobSpec job;
    bool fromFile = false;
    if (!flags.configFile.empty()) {
        const auto parsed = readJsonFile(flags.configFile);
        if (!parsed.ok())
            return {std::nullopt, parsed.error};
        auto fromJson = jobFromJson(*parsed.json, flags.configFile);
        if (!fromJson.job)
            return {std::nullopt, fromJson.error};
        job = std::move(*fromJson.job);
        fromFile = true;
    }
    if (flags.templateId)
        job.templateId = *flags.templateId;
    else if (!fromFile && flags.workflow &&
             workflowFromString(*flags.workflow) == Workflow::CustomDataCuration)
        job.templateId = "custom"; // curation brings its own instruction; the custom template adds nothing
    const Template* source = templates.find(job.templateId);
    if (!source) {
        std::string known;
        for (const auto& id : templates.ids())
            known += (known.empty() ? "" : ", ") + id;
        return {std::nullopt, "unknown template \"" + job.templateId + "\" (known: " + known + ")"};
    }
    if (!fromFile) {
        job.parameters = source->parameters;
        job.outputKeys = source->outputKeys;
    }
    if (flags.workflow) {
        const auto workflow = workflowFromString(*flags.workflow);
        if (!workflow)
            return {std::nullopt, "--workflow must be sft or curation, not \"" + *flags.workflow + "\""};
        job.workflow = *workflow;
    }
    if (flags.provider)
        job.provider.name = *flags.provider;
    if (flags.model)
        job.provider.model = *flags.model;
    if (flags.endpoint)
        job.provider.endpoint = *flags.endpoint;
    if (flags.region)
        job.provider.region = *flags.region;
    if (flags.profile)
        job.provider.profile = *flags.profile;
    if (flags.caBundle)
        job.provider.caBundlePath = *flags.caBundle;
    if (flags.size)
        job.size = *flags.size;
    if (!flags.seeds.empty())
        job.seeds = flags.seeds;
    if (!flags.seedsFile.empty()) {
        auto seeds = readSeedsFile(flags.seedsFile);
        if (auto* error = std::get_if<std::string>(&seeds))
            return {std::nullopt, *error};
        auto& list = std::get<std::vector<std::string>>(seeds);
        job.seeds.insert(job.seeds.end(), list.begin(), list.end());
    }
    if (!flags.examplesFile.empty()) {
        auto examples = readExamplesFile(flags.examplesFile);
        if (auto* error = std::get_if<std::string>(&examples))
            return {std::nullopt, *error};
        job.examples = std::get<std::vector<Example>>(examples);
    }
    if (flags.prompt)
        job.prompt = *flags.prompt;
    if (!flags.promptFile.empty()) {
        std::string error;
        const auto text = readTextFile(flags.promptFile, &error);
        if (!text)
            return {std::nullopt, "prompt file " + error};
        job.prompt = *text;
    }
    if (!flags.schemaFile.empty()) {
        std::string error;
        const auto text = readTextFile(flags.schemaFile, &error);
        if (!text)
            return {std::nullopt, "schema file " + error};
        job.databaseSchema = *text;
    }
    if (flags.temperature)
        job.parameters.temperature = *flags.temperature;
    if (flags.topP)
        job.parameters.topP = *flags.topP;
    if (flags.topK)
        job.parameters.topK = *flags.topK;
    if (flags.maxTokens)
        job.parameters.maxTokens = *flags.maxTokens;
    if (flags.concurrency)
        job.concurrency = *flags.concurrency;
    if (flags.rowsPerRequest)
        job.rowsPerRequest = *flags.rowsPerRequest;
    if (flags.name)
        job.displayName = *flags.name;
    if (flags.output)
        job.outputPath = *flags.output;
    const bool curation = job.workflow == Workflow::CustomDataCuration;
    // As in Cloudera's Synthetic Data Studio, curation's output key names the model's output field.
    if (flags.outputKeyPrompt)
        (curation ? job.outputKeys.completion : job.outputKeys.prompt) = *flags.outputKeyPrompt;
    if (flags.outputKeyCompletion)
        job.outputKeys.completion = *flags.outputKeyCompletion;
    if (!flags.inputFiles.empty())
        job.inputFiles = flags.inputFiles;
    if (flags.inputKey)
        job.inputKey = *flags.inputKey;
    if (flags.chunkSize)
        job.chunkSize = *flags.chunkSize;
    if (flags.chunkOverlap)
        job.chunkOverlap = *flags.chunkOverlap;
    if (flags.similarityThreshold)
        job.similarityThreshold = *flags.similarityThreshold;
    if (auto error = applyBudgetFlags(flags, job); !error.empty())
        return {std::nullopt, error};
    if (flags.mode) {
        const auto mode = runModeFromString(*flags.mode);
        if (!mode)
            return {std::nullopt, "--mode must be on_demand or batch, got \"" + *flags.mode + "\""};
        job.mode = *mode;
    }
    if (flags.batchS3Uri)
        job.batch.s3Uri = *flags.batchS3Uri;
    if (flags.batchRoleArn)
        job.batch.roleArn = *flags.batchRoleArn;
    if ((flags.batchS3Uri || flags.batchRoleArn) && job.mode != RunMode::BedrockBatch)
        return {std::nullopt, std::string(flags.batchS3Uri ? "--batch-s3-uri" : "--batch-role-arn") +
                                  " is for a Bedrock batch job: add --mode batch, or leave it out"};
    if (curation) {
        // The template's question-writing prompt, seeds and question/answer examples do not fit curation:
        // the instruction and examples are the user's.
        const std::string prompt = job.prompt;
        const std::vector<Example> examples = job.examples;
        job.fillFromTemplate(*source);
        job.prompt = prompt;
        job.examples = examples;
        job.seeds.clear();
        job.validator.clear();
    } else {
        job.fillFromTemplate(*source);
    }
    if (job.displayName.empty()) {
        const std::time_t now = std::time(nullptr);
        std::tm local{};
        localtime_r(&now, &local);
        char stamp[32];
        std::strftime(stamp, sizeof stamp, " %Y-%m-%d %H:%M", &local);
        job.displayName = (curation ? std::string("Data curation") : source->name) + stamp;
    }
    return {std::move(job), {}};
}

JobBuildResult buildJob(const GenerateFlags& flags, const TemplateRegistry& templates) {
    auto draft = buildDraft(flags, templates);
    if (!draft.job)
        return draft;
    JobSpec& job = *draft.job;
    if (job.workflow == Workflow::CustomDataCuration && job.inputFiles.empty())
        return {std::nullopt,
                "curation needs the file to curate: --input FILE.json (a JSON array or JSON Lines)"};
    if (job.workflow == Workflow::CustomDataCuration &&
        job.prompt.find_first_not_of(" \t\r\n") == std::string::npos)
        return {std::nullopt, "curation needs the instruction applied to each element: --prompt TEXT or "
                              "--prompt-file FILE"};
    const auto problems = validate(job);
    if (!problems.empty())
        return {std::nullopt, problems.front()};
    return {std::move(job), {}};
}

} // namespace sds::cli
