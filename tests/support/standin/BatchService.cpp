#include "standin/BatchService.h"

#include "core/Job.h"
#include "core/Text.h"
#include "providers/bedrock/BatchInference.h"
#include "providers/bedrock/S3Client.h"
#include "providers/bedrock/SigV4.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

namespace sds::standin {
namespace {

using text::percentDecode;

Reply jsonAnswer(int status, const nlohmann::json& body) {
    Reply reply;
    reply.status = status;
    reply.body = body.dump();
    return reply;
}

Reply controlError(int status, std::string_view type, const std::string& message) {
    Reply reply = jsonAnswer(status, {{"message", message}});
    reply.headers.emplace_back("x-amzn-ErrorType", std::string(type));
    return reply;
}

Reply s3Error(int status, const std::string& code, const std::string& message) {
    Reply reply;
    reply.status = status;
    reply.contentType = "application/xml";
    reply.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" +
                 message + "</Message></Error>";
    return reply;
}

Reply xmlAnswer(std::string body) {
    Reply reply;
    reply.contentType = "application/xml";
    reply.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + std::move(body);
    return reply;
}

std::map<std::string, std::string> queryParameters(std::string_view query) {
    std::map<std::string, std::string> parameters;
    std::size_t start = 0;
    while (start <= query.size()) {
        auto end = query.find('&', start);
        if (end == std::string_view::npos)
            end = query.size();
        const auto pair = query.substr(start, end - start);
        if (!pair.empty()) {
            const auto equals = pair.find('=');
            parameters[percentDecode(pair.substr(0, equals))] =
                equals == std::string_view::npos ? std::string() : percentDecode(pair.substr(equals + 1));
        }
        start = end + 1;
    }
    return parameters;
}

// "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3/aws4_request, ..." -> "s3"
std::string signedService(const ReceivedRequest& request) {
    const auto authorization = request.header("authorization");
    if (!authorization)
        return {};
    const auto start = authorization->find("Credential=");
    if (start == std::string::npos)
        return {};
    const auto end = authorization->find_first_of(", ", start);
    const std::string credential = authorization->substr(start, end == std::string::npos ? end : end - start);
    std::vector<std::string> parts;
    std::size_t from = 0;
    while (true) {
        const auto slash = credential.find('/', from);
        parts.push_back(credential.substr(from, slash == std::string::npos ? slash : slash - from));
        if (slash == std::string::npos)
            break;
        from = slash + 1;
    }
    return parts.size() == 5 ? parts[3] : std::string();
}

// A Llama body's prompt, else the user messages' text.
std::string userTextOf(const nlohmann::json& body) {
    if (body.contains("prompt") && body["prompt"].is_string())
        return body["prompt"].get<std::string>();
    return userText(body);
}

// The schema a native body asks its answer to follow: Anthropic's forced tool, or a Converse-style
// toolConfig (Nova); null when none.
Json schemaOf(const nlohmann::json& body, std::string& toolName) {
    if (body.contains("tools") && body["tools"].is_array() && !body["tools"].empty()) {
        const auto& tool = body["tools"][0];
        toolName = tool.value("name", "rows");
        if (tool.contains("input_schema"))
            return Json::parse(tool["input_schema"].dump());
    }
    const nlohmann::json::json_pointer converse("/toolConfig/tools/0/toolSpec");
    if (body.contains(converse)) {
        toolName = body[converse].value("name", "rows");
        if (body[converse].contains("inputSchema") && body[converse]["inputSchema"].contains("json"))
            return Json::parse(body[converse]["inputSchema"]["json"].dump());
    }
    return nullptr;
}

// Twelve characters, as Bedrock's job ids: "standin00007".
std::string newJobId(std::uint64_t number) {
    const std::string digits = std::to_string(number);
    return "standin" + std::string(digits.size() < 5 ? 5 - digits.size() : 0, '0') + digits;
}

} // namespace

BatchService::BatchService(ItemWriter& itemWriter, std::string region)
    : m_itemWriter(itemWriter), m_region(std::move(region)) {}

std::optional<Reply> BatchService::handle(const ReceivedRequest& request, const BatchScenario& scenario,
                                          const SignatureCheck& checkSignature) {
    constexpr std::string_view jobsPath = "/model-invocation-job";
    if (request.path == jobsPath && request.method == "POST") {
        if (auto refusal = checkSignature(request, "bedrock"))
            return refusal;
        return createJob(request, scenario);
    }
    if (request.path == "/model-invocation-jobs" && request.method == "GET") {
        if (auto refusal = checkSignature(request, "bedrock"))
            return refusal;
        return listJobs(request);
    }
    if (request.path.starts_with(std::string(jobsPath) + "/") && request.method == "GET") {
        if (auto refusal = checkSignature(request, "bedrock"))
            return refusal;
        return getJob(percentDecode(request.path.substr(jobsPath.size() + 1)), scenario);
    }

    const std::string service = signedService(request);
    bool forS3 = service == "s3";
    if (service.empty()) {
        const auto parameters = queryParameters(request.query);
        const auto secondSlash = request.path.find('/', 1);
        const std::string bucket =
            request.path.substr(1, secondSlash == std::string::npos ? secondSlash : secondSlash - 1);
        std::lock_guard lock(m_mutex);
        forS3 = request.method == "PUT" || request.method == "DELETE" || parameters.contains("uploads") ||
                parameters.contains("uploadId") || parameters.contains("list-type") ||
                m_buckets.contains(bucket);
    }
    if (!forS3)
        return std::nullopt;
    {
        std::lock_guard lock(m_mutex);
        ++m_stats.s3Requests;
    }
    if (auto refusal = checkSignature(request, "s3"))
        return s3Error(403, "SignatureDoesNotMatch", refusal->body);
    return s3(request);
}

Reply BatchService::s3(const ReceivedRequest& request) {
    const auto parameters = queryParameters(request.query);
    const auto secondSlash = request.path.find('/', 1);
    const std::string bucket = percentDecode(
        request.path.substr(1, secondSlash == std::string::npos ? secondSlash : secondSlash - 1));
    const std::string key = secondSlash == std::string::npos
                                ? std::string()
                                : percentDecode(request.path.substr(secondSlash + 1));
    std::lock_guard lock(m_mutex);

    if (request.method == "GET" && key.empty()) {
        if (!m_buckets.contains(bucket))
            return s3Error(404, "NoSuchBucket", "The specified bucket does not exist");
        const std::string prefix = parameters.contains("prefix") ? parameters.at("prefix") : std::string();
        std::string contents;
        for (const auto& [name, bytes] : m_buckets[bucket])
            if (name.starts_with(prefix))
                contents += "<Contents><Key>" + name + "</Key><Size>" + std::to_string(bytes.size()) +
                            "</Size></Contents>";
        return xmlAnswer("<ListBucketResult><Name>" + bucket + "</Name><Prefix>" + prefix +
                         "</Prefix><IsTruncated>false</IsTruncated>" + contents + "</ListBucketResult>");
    }
    if (key.empty())
        return s3Error(400, "InvalidRequest", "An object key is required");

    if (request.method == "POST" && parameters.contains("uploads")) {
        const std::string uploadId = "upload-" + std::to_string(m_nextNumber++);
        m_uploads[uploadId] = {bucket, key, {}};
        return xmlAnswer("<InitiateMultipartUploadResult><Bucket>" + bucket + "</Bucket><Key>" + key +
                         "</Key><UploadId>" + uploadId + "</UploadId></InitiateMultipartUploadResult>");
    }
    if (parameters.contains("uploadId")) {
        const auto upload = m_uploads.find(parameters.at("uploadId"));
        if (upload == m_uploads.end())
            return s3Error(404, "NoSuchUpload", "The specified upload does not exist");
        if (request.method == "DELETE") {
            m_uploads.erase(upload);
            Reply reply;
            reply.status = 204;
            return reply;
        }
        if (request.method == "PUT" && parameters.contains("partNumber")) {
            const int partNumber = std::atoi(parameters.at("partNumber").c_str());
            upload->second.parts[partNumber] = request.body;
            Reply reply;
            reply.headers.emplace_back("ETag", "\"" + aws::sha256Hex(request.body).substr(0, 32) + "\"");
            return reply;
        }
        if (request.method == "POST") {
            const auto numbers = providers::bedrock::xmlElementTexts(request.body, "PartNumber");
            const auto etags = providers::bedrock::xmlElementTexts(request.body, "ETag");
            if (numbers.empty() || numbers.size() != etags.size())
                return s3Error(400, "MalformedXML", "The XML you provided was not well-formed");
            std::string whole;
            for (std::size_t i = 0; i < numbers.size(); ++i) {
                const auto part = upload->second.parts.find(std::atoi(numbers[i].c_str()));
                if (part == upload->second.parts.end() ||
                    etags[i] != "\"" + aws::sha256Hex(part->second).substr(0, 32) + "\"")
                    return s3Error(400, "InvalidPart",
                                   "One or more of the specified parts could not be found");
                whole += part->second;
            }
            m_buckets[upload->second.bucket][upload->second.key] = std::move(whole);
            m_uploads.erase(upload);
            ++m_stats.multipartUploadsCompleted;
            return xmlAnswer("<CompleteMultipartUploadResult><Bucket>" + bucket + "</Bucket><Key>" + key +
                             "</Key></CompleteMultipartUploadResult>");
        }
    }
    if (request.method == "PUT") {
        m_buckets[bucket][key] = request.body;
        Reply reply;
        reply.headers.emplace_back("ETag", "\"" + aws::sha256Hex(request.body).substr(0, 32) + "\"");
        return reply;
    }
    if (request.method == "GET") {
        const auto found = m_buckets.find(bucket);
        if (found == m_buckets.end())
            return s3Error(404, "NoSuchBucket", "The specified bucket does not exist");
        const auto object = found->second.find(key);
        if (object == found->second.end())
            return s3Error(404, "NoSuchKey", "The specified key does not exist.");
        Reply reply;
        reply.contentType = "application/octet-stream";
        reply.body = object->second;
        return reply;
    }
    return s3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
}

Reply BatchService::createJob(const ReceivedRequest& request, const BatchScenario& scenario) {
    constexpr std::string_view validation = "ValidationException";
    const auto body = nlohmann::json::parse(request.body, nullptr, false);
    if (!body.is_object())
        return controlError(400, validation, "The request body is not a JSON object.");
    const auto field = [&](const char* pointer) {
        const nlohmann::json::json_pointer at(pointer);
        return body.contains(at) && body[at].is_string() ? body[at].get<std::string>() : std::string();
    };
    Job job;
    job.modelId = field("/modelId");
    job.inputUri = field("/inputDataConfig/s3InputDataConfig/s3Uri");
    job.outputUri = field("/outputDataConfig/s3OutputDataConfig/s3Uri");
    const std::string roleArn = field("/roleArn");
    const std::string jobName = field("/jobName");
    if (jobName.empty() || job.modelId.empty() || job.inputUri.empty() || job.outputUri.empty())
        return controlError(400, validation,
                            "jobName, roleArn, modelId, inputDataConfig and outputDataConfig are required.");
    if (!roleArn.starts_with("arn:aws:iam::") || roleArn.find(":role/") == std::string::npos)
        return controlError(400, validation,
                            "1 validation error detected: Value '" + roleArn +
                                "' at 'roleArn' failed to satisfy constraint.");
    const auto input = providers::bedrock::parseS3Uri(job.inputUri);
    std::lock_guard lock(m_mutex);
    const std::string token = field("/clientRequestToken");
    if (!token.empty())
        if (const auto earlier = m_jobsByToken.find(token); earlier != m_jobsByToken.end())
            return scenario.repeatedTokenGetsNoArn ? jsonAnswer(200, nlohmann::json::object())
                                                   : jsonAnswer(200, {{"jobArn", earlier->second}});
    if (!input || !m_buckets[input->bucket].contains(input->key))
        return controlError(400, validation, "The input file " + job.inputUri + " does not exist.");
    const std::string& records = m_buckets[input->bucket][input->key];
    job.totalRecords = static_cast<int>(std::count(records.begin(), records.end(), '\n'));
    if (job.totalRecords < kBatchMinimumRecords)
        return controlError(400, validation,
                            "The input has " + std::to_string(job.totalRecords) +
                                " records; a batch inference job needs at least " +
                                std::to_string(kBatchMinimumRecords) + ".");
    job.id = newJobId(m_nextNumber++);
    job.name = jobName;
    job.arn = "arn:aws:bedrock:" + m_region + ":000000000000:model-invocation-job/" + job.id;
    if (!token.empty())
        m_jobsByToken[token] = job.arn;
    ++m_stats.jobsCreated;
    const std::string arn = job.arn;
    m_jobs[arn] = std::move(job);
    return jsonAnswer(200, {{"jobArn", arn}});
}

Reply BatchService::listJobs(const ReceivedRequest& request) {
    const auto parameters = queryParameters(request.query);
    const auto nameContains = parameters.find("nameContains");
    std::lock_guard lock(m_mutex);
    nlohmann::json summaries = nlohmann::json::array();
    for (const auto& [arn, job] : m_jobs)
        if (nameContains == parameters.end() || job.name.find(nameContains->second) != std::string::npos)
            summaries.push_back({{"jobArn", arn}, {"jobName", job.name}, {"modelId", job.modelId}});
    return jsonAnswer(200, {{"invocationJobSummaries", summaries}});
}

Reply BatchService::getJob(const std::string& arn, const BatchScenario& scenario) {
    std::lock_guard lock(m_mutex);
    ++m_stats.statusPolls;
    const auto found = m_jobs.find(arn);
    if (found == m_jobs.end())
        return controlError(404, "ResourceNotFoundException", "The job " + arn + " does not exist.");
    Job& job = found->second;
    ++job.polls;
    std::string status = job.finalStatus;
    int processed = job.totalRecords;
    if (status.empty() && job.polls > scenario.pollsUntilDone) {
        finish(job, scenario);
        status = job.finalStatus;
    } else if (status.empty()) {
        status = job.polls == 1 ? "Submitted" : "InProgress";
        processed = job.totalRecords * (job.polls - 1) / std::max(1, scenario.pollsUntilDone);
    }
    nlohmann::json body = {{"jobArn", job.arn},
                           {"jobName", job.name},
                           {"modelId", job.modelId},
                           {"status", status},
                           {"inputDataConfig", {{"s3InputDataConfig", {{"s3Uri", job.inputUri}}}}},
                           {"outputDataConfig", {{"s3OutputDataConfig", {{"s3Uri", job.outputUri}}}}},
                           {"totalRecordCount", job.totalRecords},
                           {"processedRecordCount", processed}};
    if (!job.finalStatus.empty()) {
        body["errorRecordCount"] = job.errorRecords;
        body["successRecordCount"] = job.totalRecords - job.errorRecords;
    }
    if (!job.message.empty())
        body["message"] = job.message;
    return jsonAnswer(200, body);
}

void BatchService::finish(Job& job, const BatchScenario& scenario) {
    if (scenario.failJob) {
        job.finalStatus = "Failed";
        job.message = "The stand-in failed this job as its scenario asked.";
        return;
    }
    const auto input = providers::bedrock::parseS3Uri(job.inputUri);
    auto output = providers::bedrock::parseS3Uri(job.outputUri);
    const std::string inputName = input->key.substr(input->key.rfind('/') + 1);
    std::string& outputPrefix = output->key;
    if (!outputPrefix.empty() && !outputPrefix.ends_with('/'))
        outputPrefix += '/';
    const std::string records = m_buckets[input->bucket][input->key];
    std::string lines;
    int position = 0;
    const auto recordCount = static_cast<int>(std::count(records.begin(), records.end(), '\n')) +
                             (records.empty() || records.ends_with('\n') ? 0 : 1);
    const int lastWritten = recordCount - scenario.omitLastRecords;
    std::size_t start = 0;
    while (start < records.size()) {
        auto end = records.find('\n', start);
        if (end == std::string::npos)
            end = records.size();
        const auto record = nlohmann::json::parse(records.substr(start, end - start), nullptr, false);
        start = end + 1;
        if (!record.is_object())
            continue;
        ++position;
        if (position > lastWritten)
            continue;
        const bool fail = scenario.failEveryNthRecord > 0 && position % scenario.failEveryNthRecord == 0;
        job.errorRecords += fail ? 1 : 0;
        lines += answerLine(job.modelId, record, fail) + "\n";
    }
    auto& bucket = m_buckets[output->bucket];
    bucket[outputPrefix + job.id + "/" + inputName + ".out"] = lines;
    bucket[outputPrefix + job.id + "/manifest.json.out"] = nlohmann::json{
        {"totalRecordCount", job.totalRecords},
        {"processedRecordCount", job.totalRecords},
        {"successRecordCount", job.totalRecords - job.errorRecords},
        {"errorRecordCount", job.errorRecords}}.dump();
    job.finalStatus = job.errorRecords > 0 ? "PartiallyCompleted" : "Completed";
}

std::string BatchService::answerLine(const std::string& modelId, const nlohmann::json& record, bool fail) {
    nlohmann::json line = {
        {"recordId", record.value("recordId", "")},
        {"modelInput", record.contains("modelInput") ? record["modelInput"] : nlohmann::json()}};
    if (fail) {
        line["error"] = {{"errorCode", 400},
                         {"errorMessage", "The stand-in failed this record as its scenario asked."}};
        return line.dump();
    }
    const auto& body = line["modelInput"];
    const std::string text = userTextOf(body);
    std::string toolName;
    const Json schema = schemaOf(body, toolName);
    bool faultApplied = false;
    const Json items =
        m_itemWriter.writeItems(readPrompt(text), itemShapeFromSchema(schema.is_null() ? nullptr : &schema),
                                ContentFault::None, faultApplied);
    const auto inputTokens = static_cast<std::int64_t>(body.dump().size() / 4);
    const auto outputTokens = static_cast<std::int64_t>(items.dump().size() / 4);
    switch (providers::bedrock::nativeFamilyOf(modelId)) {
    case providers::bedrock::NativeFamily::AmazonNova: {
        const nlohmann::json content =
            schema.is_null() ? nlohmann::json{{"text", items.dump()}}
                             : nlohmann::json{{"toolUse",
                                               {{"toolUseId", "t1"},
                                                {"name", toolName},
                                                {"input", nlohmann::json::parse(items.dump())}}}};
        line["modelOutput"] = {
            {"output", {{"message", {{"role", "assistant"}, {"content", nlohmann::json::array({content})}}}}},
            {"stopReason", schema.is_null() ? "end_turn" : "tool_use"},
            {"usage", {{"inputTokens", inputTokens}, {"outputTokens", outputTokens}}}};
        break;
    }
    case providers::bedrock::NativeFamily::MetaLlama:
        line["modelOutput"] = {{"generation", items.dump()},
                               {"prompt_token_count", inputTokens},
                               {"generation_token_count", outputTokens},
                               {"stop_reason", "stop"}};
        break;
    default: {
        const nlohmann::json content = schema.is_null()
                                           ? nlohmann::json{{"type", "text"}, {"text", items.dump()}}
                                           : nlohmann::json{{"type", "tool_use"},
                                                            {"id", "toolu_1"},
                                                            {"name", toolName},
                                                            {"input", nlohmann::json::parse(items.dump())}};
        line["modelOutput"] = {{"id", "msg_standin"},
                               {"type", "message"},
                               {"role", "assistant"},
                               {"content", nlohmann::json::array({content})},
                               {"stop_reason", schema.is_null() ? "end_turn" : "tool_use"},
                               {"usage", {{"input_tokens", inputTokens}, {"output_tokens", outputTokens}}}};
        break;
    }
    }
    return line.dump();
}

BatchStats BatchService::stats() const {
    std::lock_guard lock(m_mutex);
    return m_stats;
}

void BatchService::resetStats() {
    std::lock_guard lock(m_mutex);
    m_stats = {};
}

std::optional<std::string> BatchService::object(const std::string& bucket, const std::string& key) const {
    std::lock_guard lock(m_mutex);
    const auto found = m_buckets.find(bucket);
    if (found == m_buckets.end() || !found->second.contains(key))
        return std::nullopt;
    return found->second.at(key);
}

} // namespace sds::standin
