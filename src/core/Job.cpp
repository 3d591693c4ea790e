#include "core/Job.h"

#include "core/S3Location.h"
#include "core/Text.h"

#include <cmath>

namespace sds {

std::string toString(Workflow workflow) {
    return workflow == Workflow::CustomDataCuration ? "curation" : "sft";
}

std::optional<Workflow> workflowFromString(const std::string& text) {
    if (text == "sft" || text == "supervised-fine-tuning")
        return Workflow::SupervisedFineTuning;
    if (text == "curation" || text == "custom-data-curation")
        return Workflow::CustomDataCuration;
    return std::nullopt;
}

void JobSpec::fillFromTemplate(const Template& source) {
    if (prompt.empty())
        prompt = source.prompt;
    if (seeds.empty())
        seeds = source.seeds;
    if (examples.empty())
        examples = source.examples;
    if (databaseSchema.empty())
        databaseSchema = source.databaseSchema;
    if (validator.empty())
        validator = source.validator;
}

std::vector<int> JobSpec::rowsPerSeed() const {
    std::vector<int> rows;
    if (seeds.empty() || size < 1)
        return rows;
    const int count = static_cast<int>(seeds.size());
    for (int i = 0; i < count; ++i)
        rows.push_back(size / count + (i < size % count ? 1 : 0));
    return rows;
}

std::vector<int> spreadEvenly(int total, std::size_t parts) {
    std::vector<int> rows;
    rows.reserve(parts);
    const auto n = static_cast<long long>(parts);
    for (long long i = 0; i < n; ++i)
        rows.push_back(static_cast<int>((i + 1) * total / n - i * total / n));
    return rows;
}

int JobSpec::plannedRequests() const {
    if (rowsPerRequest < 1)
        return 0;
    int requests = 0;
    for (int rows : rowsPerSeed())
        requests += (rows + rowsPerRequest - 1) / rowsPerRequest;
    return requests;
}

std::string toString(RunMode mode) {
    return mode == RunMode::BedrockBatch ? "batch" : "on_demand";
}

std::optional<RunMode> runModeFromString(const std::string& text) {
    if (text == "batch")
        return RunMode::BedrockBatch;
    if (text == "on_demand")
        return RunMode::OnDemand;
    return std::nullopt;
}

nlohmann::json toJson(const JobSpec& job) {
    nlohmann::json json;
    json["version"] = JobSpec::kFormatVersion;
    json["display_name"] = job.displayName;
    json["template"] = job.templateId;
    json["workflow"] = toString(job.workflow);
    nlohmann::json provider = {{"name", job.provider.name}, {"model", job.provider.model}};
    if (!job.provider.endpoint.empty())
        provider["endpoint"] = job.provider.endpoint;
    if (!job.provider.region.empty())
        provider["region"] = job.provider.region;
    if (!job.provider.profile.empty())
        provider["profile"] = job.provider.profile;
    if (!job.provider.caBundlePath.empty())
        provider["ca_bundle"] = job.provider.caBundlePath;
    json["provider"] = provider;
    json["prompt"] = job.prompt;
    json["seeds"] = job.seeds;
    auto& examples = json["examples"] = nlohmann::json::array();
    for (const auto& example : job.examples)
        examples.push_back({{"question", example.question}, {"solution", example.solution}});
    if (!job.databaseSchema.empty())
        json["database_schema"] = job.databaseSchema;
    if (!job.validator.empty())
        json["validator"] = job.validator;
    json["parameters"] = {{"temperature", job.parameters.temperature},
                          {"top_p", job.parameters.topP},
                          {"top_k", job.parameters.topK},
                          {"max_tokens", job.parameters.maxTokens}};
    json["output_keys"] = {{"prompt", job.outputKeys.prompt}, {"completion", job.outputKeys.completion}};
    json["size"] = job.size;
    json["rows_per_request"] = job.rowsPerRequest;
    json["concurrency"] = job.concurrency;
    if (!job.outputPath.empty())
        json["output"] = job.outputPath;
    if (!job.inputFiles.empty())
        json["input_files"] = job.inputFiles;
    json["chunk_size"] = job.chunkSize;
    json["chunk_overlap"] = job.chunkOverlap;
    if (job.workflow == Workflow::CustomDataCuration)
        json["input_key"] = job.inputKey;
    json["similarity_threshold"] = job.similarityThreshold;
    if (job.price)
        json["price"] = {{"input", job.price->inputPerMillion}, {"output", job.price->outputPerMillion}};
    if (job.maxCostUsd)
        json["max_cost_usd"] = *job.maxCostUsd;
    if (job.runsAsBatch())
        json["mode"] = toString(job.mode);
    if (!job.batch.s3Uri.empty() || !job.batch.roleArn.empty())
        json["batch"] = {{"s3_uri", job.batch.s3Uri}, {"role_arn", job.batch.roleArn}};
    return json;
}

namespace {

class JobReader {
public:
    JobReader(const nlohmann::json& json, std::string sourceName)
        : m_json(json), m_source(std::move(sourceName)) {}

    template <typename T>
    void read(const nlohmann::json& object, const std::string& path, const char* key, T& target) {
        if (!object.contains(key) || object[key].is_null())
            return;
        const auto& value = object[key];
        const std::string field = path.empty() ? key : path + "." + key;
        if constexpr (std::is_same_v<T, std::string>) {
            if (!value.is_string())
                return fail(field, "must be a string");
            target = value.get<std::string>();
        } else if constexpr (std::is_same_v<T, int>) {
            if (!value.is_number_integer())
                return fail(field, "must be a whole number");
            target = value.get<int>();
        } else if constexpr (std::is_same_v<T, double>) {
            if (!value.is_number())
                return fail(field, "must be a number");
            target = value.get<double>();
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            if (!value.is_array())
                return fail(field, "must be an array of strings");
            target.clear();
            for (std::size_t i = 0; i < value.size(); ++i) {
                if (!value[i].is_string())
                    return fail(field + "[" + std::to_string(i) + "]", "must be a string");
                target.push_back(value[i].get<std::string>());
            }
        }
    }

    void fail(const std::string& field, const std::string& what) {
        if (m_error.empty())
            m_error = m_source + ": field \"" + field + "\" " + what;
    }
    [[nodiscard]] const std::string& error() const { return m_error; }

private:
    const nlohmann::json& m_json;
    std::string m_source;
    std::string m_error;
};

} // namespace

JobParseResult jobFromJson(const nlohmann::json& json, const std::string& sourceName) {
    if (!json.is_object())
        return {std::nullopt, sourceName + ": a job file must be a JSON object"};
    JobSpec job;
    JobReader reader(json, sourceName);
    int version = JobSpec::kFormatVersion;
    reader.read(json, "", "version", version);
    if (version > JobSpec::kFormatVersion)
        return {std::nullopt, sourceName + ": job format version " + std::to_string(version) +
                                  " is newer than this program understands (" +
                                  std::to_string(JobSpec::kFormatVersion) + ")"};
    reader.read(json, "", "display_name", job.displayName);
    reader.read(json, "", "template", job.templateId);
    std::string workflow = toString(job.workflow);
    reader.read(json, "", "workflow", workflow);
    if (auto parsed = workflowFromString(workflow))
        job.workflow = *parsed;
    else
        reader.fail("workflow", "must be \"sft\" or \"curation\", not \"" + workflow + "\"");
    if (json.contains("provider")) {
        const auto& provider = json["provider"];
        if (provider.is_string()) {
            job.provider.name = provider.get<std::string>();
        } else if (provider.is_object()) {
            reader.read(provider, "provider", "name", job.provider.name);
            reader.read(provider, "provider", "model", job.provider.model);
            reader.read(provider, "provider", "endpoint", job.provider.endpoint);
            reader.read(provider, "provider", "region", job.provider.region);
            reader.read(provider, "provider", "profile", job.provider.profile);
            reader.read(provider, "provider", "ca_bundle", job.provider.caBundlePath);
            for (const char* secret : {"api_key", "token", "secret_access_key", "aws_secret_access_key"})
                if (provider.contains(secret))
                    reader.fail(
                        std::string("provider.") + secret,
                        "is a secret and does not belong in a job file: use the environment or Settings");
        } else {
            reader.fail("provider", "must be an object");
        }
    }
    reader.read(json, "", "prompt", job.prompt);
    reader.read(json, "", "seeds", job.seeds);
    if (json.contains("examples")) {
        const auto& examples = json["examples"];
        if (!examples.is_array()) {
            reader.fail("examples", "must be an array of {\"question\", \"solution\"} objects");
        } else {
            for (std::size_t i = 0; i < examples.size(); ++i) {
                const auto& e = examples[i];
                if (!e.is_object() || !e.contains("question") || !e["question"].is_string() ||
                    !e.contains("solution") || !e["solution"].is_string()) {
                    reader.fail("examples[" + std::to_string(i) + "]",
                                "needs string fields question and solution");
                    break;
                }
                job.examples.push_back({e["question"].get<std::string>(), e["solution"].get<std::string>()});
            }
        }
    }
    reader.read(json, "", "database_schema", job.databaseSchema);
    reader.read(json, "", "validator", job.validator);
    if (json.contains("parameters") && json["parameters"].is_object()) {
        const auto& p = json["parameters"];
        reader.read(p, "parameters", "temperature", job.parameters.temperature);
        reader.read(p, "parameters", "top_p", job.parameters.topP);
        reader.read(p, "parameters", "top_k", job.parameters.topK);
        reader.read(p, "parameters", "max_tokens", job.parameters.maxTokens);
    }
    if (json.contains("output_keys") && json["output_keys"].is_object()) {
        reader.read(json["output_keys"], "output_keys", "prompt", job.outputKeys.prompt);
        reader.read(json["output_keys"], "output_keys", "completion", job.outputKeys.completion);
    }
    reader.read(json, "", "size", job.size);
    reader.read(json, "", "rows_per_request", job.rowsPerRequest);
    reader.read(json, "", "concurrency", job.concurrency);
    reader.read(json, "", "output", job.outputPath);
    reader.read(json, "", "input_files", job.inputFiles);
    reader.read(json, "", "chunk_size", job.chunkSize);
    reader.read(json, "", "chunk_overlap", job.chunkOverlap);
    reader.read(json, "", "input_key", job.inputKey);
    reader.read(json, "", "similarity_threshold", job.similarityThreshold);
    if (json.contains("max_cost_usd") && !json["max_cost_usd"].is_null()) {
        double cap = 0;
        reader.read(json, "", "max_cost_usd", cap);
        job.maxCostUsd = cap;
    }
    std::string mode = toString(job.mode);
    reader.read(json, "", "mode", mode);
    if (auto parsed = runModeFromString(mode))
        job.mode = *parsed;
    else
        reader.fail("mode", "must be \"on_demand\" or \"batch\", not \"" + mode + "\"");
    if (json.contains("batch") && !json["batch"].is_null()) {
        if (!json["batch"].is_object()) {
            reader.fail("batch",
                        "must be {\"s3_uri\": \"s3://bucket/prefix/\", \"role_arn\": \"arn:aws:iam::…\"}");
        } else {
            reader.read(json["batch"], "batch", "s3_uri", job.batch.s3Uri);
            reader.read(json["batch"], "batch", "role_arn", job.batch.roleArn);
        }
    }
    if (json.contains("price") && !json["price"].is_null()) {
        const auto& price = json["price"];
        if (!price.is_object() || !price.contains("input") || !price.contains("output")) {
            reader.fail("price", "must be {\"input\": USD per 1M tokens, \"output\": USD per 1M tokens}");
        } else {
            TokenPrice value;
            reader.read(price, "price", "input", value.inputPerMillion);
            reader.read(price, "price", "output", value.outputPerMillion);
            job.price = value;
        }
    }
    if (!reader.error().empty())
        return {std::nullopt, reader.error()};
    return {std::move(job), {}};
}

std::vector<std::string> batchProblems(const JobSpec& job) {
    std::vector<std::string> problems;
    if (job.provider.name != "bedrock")
        problems.push_back("mode \"batch\" runs on the bedrock provider only, not \"" + job.provider.name +
                           "\"");
    if (job.workflow != Workflow::SupervisedFineTuning)
        problems.push_back("mode \"batch\" generates from seeds or documents; curation runs on demand");
    const auto& uri = job.batch.s3Uri;
    if (!parseS3Uri(uri))
        problems.push_back("batch.s3_uri must be an S3 location such as s3://my-bucket/sds-batch/ (bucket "
                           "names: 3 to 63 characters of a-z, 0-9, '.' and '-'), got \"" +
                           uri + "\"");
    const auto& role = job.batch.roleArn;
    if (!role.starts_with("arn:aws") || role.find(":iam::") == std::string::npos ||
        role.find(":role/") == std::string::npos)
        problems.push_back("batch.role_arn must be an IAM role ARN such as arn:aws:iam::123456789012:role/"
                           "BedrockBatch, got \"" +
                           role + "\"");
    if (!job.groundedInDocuments() && job.plannedRequests() < kBatchMinimumRecords)
        problems.push_back("mode \"batch\" needs at least " + std::to_string(kBatchMinimumRecords) +
                           " requests (Bedrock's minimum per job); this job plans " +
                           std::to_string(job.plannedRequests()) + ": raise size or lower rows_per_request");
    return problems;
}

std::vector<std::string> validate(const JobSpec& job) {
    std::vector<std::string> problems;
    const auto problem = [&](const std::string& text) {
        problems.push_back(text);
    };
    if (job.size < 1 || job.size > JobSpec::kMaxSize)
        problem("size must be between 1 and " + std::to_string(JobSpec::kMaxSize) + ", got " +
                std::to_string(job.size));
    if (job.rowsPerRequest < 1 || job.rowsPerRequest > 50)
        problem("rows per request must be between 1 and 50, got " + std::to_string(job.rowsPerRequest));
    if (job.concurrency < 1 || job.concurrency > JobSpec::kMaxConcurrency)
        problem("concurrency must be between 1 and " + std::to_string(JobSpec::kMaxConcurrency) + ", got " +
                std::to_string(job.concurrency));
    if (!(job.parameters.temperature >= 0.0 && job.parameters.temperature <= 2.0))
        problem("temperature must be between 0 and 2, got " + std::to_string(job.parameters.temperature));
    if (!(job.parameters.topP >= 0.0 && job.parameters.topP <= 1.0))
        problem("top_p must be between 0 and 1, got " + std::to_string(job.parameters.topP));
    if (job.parameters.topK < 0 || job.parameters.topK > 300)
        problem("top_k must be between 0 and 300, got " + std::to_string(job.parameters.topK));
    if (job.parameters.maxTokens < 1 || job.parameters.maxTokens > 200000)
        problem("max_tokens must be between 1 and 200000, got " + std::to_string(job.parameters.maxTokens));
    if (job.workflow == Workflow::SupervisedFineTuning && job.seeds.empty() && job.inputFiles.empty())
        problem("seeds: give at least one seed (topic), or pick a template that has some");
    if (job.workflow == Workflow::CustomDataCuration && job.inputFiles.size() != 1)
        problem("input: curation takes exactly one JSON or JSON Lines file, got " +
                std::to_string(job.inputFiles.size()));
    if (job.workflow == Workflow::CustomDataCuration &&
        (job.inputKey.empty() || job.outputKeys.completion.empty() ||
         job.inputKey == job.outputKeys.completion))
        problem("input_key and the output key must be two different non-empty names, got \"" + job.inputKey +
                "\" and \"" + job.outputKeys.completion + "\"");
    if (job.groundedInDocuments() && (job.chunkSize < 100 || job.chunkSize > 100000))
        problem("chunk_size must be between 100 and 100000 characters, got " + std::to_string(job.chunkSize));
    if (job.groundedInDocuments() && (job.chunkOverlap < 0 || job.chunkOverlap * 2 >= job.chunkSize))
        problem("chunk_overlap must be at least 0 and less than half of chunk_size, got " +
                std::to_string(job.chunkOverlap));
    if (!(job.similarityThreshold > 0.0 && job.similarityThreshold <= 1.0))
        problem("similarity_threshold must be above 0 and at most 1 (1 turns near-duplicate filtering off), "
                "got " +
                std::to_string(job.similarityThreshold));
    if (job.maxCostUsd && !(*job.maxCostUsd > 0 && std::isfinite(*job.maxCostUsd)))
        problem("max_cost_usd must be a positive amount of USD, got " + text::shortNumber(*job.maxCostUsd));
    if (job.price &&
        !(job.price->inputPerMillion >= 0 && job.price->outputPerMillion >= 0 &&
          std::isfinite(job.price->inputPerMillion) && std::isfinite(job.price->outputPerMillion)))
        problem("price must be at least 0 USD per 1M tokens, got " +
                text::shortNumber(job.price->inputPerMillion) + " in, " +
                text::shortNumber(job.price->outputPerMillion) + " out");
    if (job.runsAsBatch()) {
        for (auto& batchProblem : batchProblems(job))
            problem(std::move(batchProblem));
    }
    if (job.seeds.size() > 500)
        problem("seeds: at most 500 seeds, got " + std::to_string(job.seeds.size()));
    for (std::size_t i = 0; i < job.seeds.size(); ++i)
        if (job.seeds[i].find_first_not_of(" \t\r\n") == std::string::npos) {
            problem("seeds[" + std::to_string(i) + "] is empty");
            break;
        }
    if (job.prompt.find_first_not_of(" \t\r\n") == std::string::npos)
        problem("prompt is empty: write one or pick a template");
    if (job.outputKeys.prompt.empty() || job.outputKeys.completion.empty() ||
        job.outputKeys.prompt == job.outputKeys.completion || job.outputKeys.prompt == "Seeds" ||
        job.outputKeys.completion == "Seeds")
        problem("output_keys must be two different non-empty names other than \"Seeds\"");
    static const std::vector<std::string> knownProviders = {"local", "bedrock", "caii", "openai"};
    if (std::find(knownProviders.begin(), knownProviders.end(), job.provider.name) == knownProviders.end())
        problem("provider \"" + job.provider.name + "\" is unknown (choose local, bedrock, caii or openai)");
    return problems;
}

} // namespace sds
