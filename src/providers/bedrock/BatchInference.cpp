#include "providers/bedrock/BatchInference.h"

#include "core/Text.h"
#include "providers/TransportErrors.h"

#include <algorithm>
#include <cctype>

namespace sds::providers::bedrock {
namespace {

constexpr std::string_view kAnthropicVersion = "bedrock-2023-05-31";

std::string dumpJson(const nlohmann::json& json) {
    return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Tool names must match [a-zA-Z0-9_-]{1,64}.
std::string toolName(const std::string& schemaName) {
    std::string name;
    for (unsigned char c : schemaName)
        if (std::isalnum(c) || c == '_' || c == '-')
            name += static_cast<char>(c);
    return name.empty() ? std::string("rows") : name.substr(0, 64);
}

std::string systemText(const ChatRequest& request) {
    std::string system;
    for (const auto& message : request.messages)
        if (message.role == ChatMessage::Role::System && !message.content.empty())
            system += (system.empty() ? "" : "\n\n") + message.content;
    return system;
}

nlohmann::json anthropicBody(const ChatRequest& request) {
    nlohmann::json body = {{"anthropic_version", kAnthropicVersion}, {"max_tokens", request.maxTokens}};
    if (const auto system = systemText(request); !system.empty())
        body["system"] = system;
    auto messages = nlohmann::json::array();
    for (const auto& message : request.messages) {
        if (message.role == ChatMessage::Role::System || message.content.empty())
            continue;
        const std::string role = message.role == ChatMessage::Role::Assistant ? "assistant" : "user";
        const nlohmann::json block = {{"type", "text"}, {"text", message.content}};
        if (!messages.empty() && messages.back()["role"] == role)
            messages.back()["content"].push_back(block);
        else
            messages.push_back({{"role", role}, {"content", nlohmann::json::array({block})}});
    }
    body["messages"] = messages;
    if (request.temperature)
        body["temperature"] = std::clamp(*request.temperature, 0.0, 1.0);
    if (request.topP)
        body["top_p"] = *request.topP;
    if (request.topK && *request.topK > 0)
        body["top_k"] = *request.topK;
    if (request.jsonSchema) {
        const std::string name = toolName(request.schemaName);
        body["tools"] = nlohmann::json::array(
            {{{"name", name},
              {"description", "Record the answer. Its input must conform to the JSON schema."},
              {"input_schema", *request.jsonSchema}}});
        body["tool_choice"] = {{"type", "tool"}, {"name", name}};
    }
    return body;
}

nlohmann::json novaBody(const ChatRequest& request) {
    nlohmann::json body = buildConverseBody(request);
    body["schemaVersion"] = "messages-v1";
    body.erase("additionalModelRequestFields");
    if (request.topK && *request.topK > 0)
        body["inferenceConfig"]["topK"] = *request.topK;
    return body;
}

nlohmann::json llamaBody(const ChatRequest& request) {
    std::string system = systemText(request);
    if (request.jsonSchema)
        system += (system.empty() ? "" : "\n\n") +
                  std::string("Answer with one JSON object, and nothing else, that conforms to this JSON "
                              "schema: ") +
                  dumpJson(*request.jsonSchema);
    std::string prompt = "<|begin_of_text|>";
    const auto turn = [&prompt](const std::string& role, const std::string& text) {
        prompt += "<|start_header_id|>" + role + "<|end_header_id|>\n\n" + text + "<|eot_id|>";
    };
    if (!system.empty())
        turn("system", system);
    for (const auto& message : request.messages)
        if (message.role != ChatMessage::Role::System && !message.content.empty())
            turn(message.role == ChatMessage::Role::Assistant ? "assistant" : "user", message.content);
    prompt += "<|start_header_id|>assistant<|end_header_id|>\n\n";
    nlohmann::json body = {{"prompt", prompt}, {"max_gen_len", std::min(request.maxTokens, 8192)}};
    if (request.temperature)
        body["temperature"] = std::clamp(*request.temperature, 0.0, 1.0);
    if (request.topP)
        body["top_p"] = *request.topP;
    return body;
}

ProviderError malformed(const std::string& why) {
    return {ErrorKind::MalformedResponse, "the batch record's modelOutput " + why, std::nullopt,
            std::nullopt};
}

std::int64_t integerField(const nlohmann::json& object, const char* key) {
    if (object.is_object() && object.contains(key) && object[key].is_number_integer())
        return object[key].get<std::int64_t>();
    return 0;
}

std::optional<std::int64_t> optionalInteger(const nlohmann::json& object, const char* key) {
    if (object.is_object() && object.contains(key) && object[key].is_number_integer())
        return object[key].get<std::int64_t>();
    return std::nullopt;
}

std::string stringField(const nlohmann::json& object, const char* key) {
    if (object.is_object() && object.contains(key) && object[key].is_string())
        return object[key].get<std::string>();
    return {};
}

// A model asked for JSON as text may wrap it in prose; the engine's item parser copes with that, but a
// bare JSON object becomes the structured answer.
void structuredFromText(ChatResponse& response, const ChatRequest& request) {
    if (!request.jsonSchema || response.structured)
        return;
    auto fromText = nlohmann::json::parse(response.text, nullptr, false);
    if (!fromText.is_discarded() && fromText.is_object())
        response.structured = std::move(fromText);
}

ChatResult parseAnthropic(const nlohmann::json& output, const ChatRequest& request) {
    if (!output.contains("content") || !output["content"].is_array())
        return malformed("has no content");
    ChatResponse response;
    const std::string wantedTool = toolName(request.schemaName);
    for (const auto& block : output["content"]) {
        const std::string type = stringField(block, "type");
        if (type == "text")
            response.text += stringField(block, "text");
        else if (type == "tool_use" && request.jsonSchema && block.contains("input") &&
                 (!response.structured || stringField(block, "name") == wantedTool))
            response.structured = block["input"];
    }
    structuredFromText(response, request);
    if (response.structured)
        response.text = dumpJson(*response.structured);
    response.stopReason = stringField(output, "stop_reason");
    if (output.contains("usage")) {
        response.usage.input = integerField(output["usage"], "input_tokens");
        response.usage.output = integerField(output["usage"], "output_tokens");
    }
    return response;
}

ChatResult parseNova(const nlohmann::json& output, const ChatRequest& request) {
    http::HttpResult asAnswer;
    asAnswer.status = 200;
    asAnswer.body = dumpJson(output);
    return parseConverseResponse(asAnswer, {"batch output", request.model, "", ""}, request);
}

ChatResult parseLlama(const nlohmann::json& output, const ChatRequest& request) {
    if (!output.contains("generation") || !output["generation"].is_string())
        return malformed("has no generation");
    ChatResponse response;
    response.text = output["generation"].get<std::string>();
    structuredFromText(response, request);
    response.stopReason = stringField(output, "stop_reason");
    response.usage.input = integerField(output, "prompt_token_count");
    response.usage.output = integerField(output, "generation_token_count");
    return response;
}

} // namespace

NativeFamily nativeFamilyOf(std::string_view modelId) {
    const std::string lower = text::toLower(modelId);
    if (lower.find("anthropic.claude") != std::string::npos)
        return NativeFamily::AnthropicClaude;
    if (lower.find("amazon.nova") != std::string::npos)
        return NativeFamily::AmazonNova;
    if (lower.find("meta.llama3") != std::string::npos || lower.find("meta.llama4") != std::string::npos)
        return NativeFamily::MetaLlama;
    return NativeFamily::Unsupported;
}

std::string batchModelProblem(std::string_view modelId) {
    if (nativeFamilyOf(modelId) != NativeFamily::Unsupported)
        return {};
    return "batch mode runs Anthropic Claude, Amazon Nova and Meta Llama 3/4 models; \"" +
           std::string(modelId) + "\" is none of them";
}

nlohmann::json buildNativeBody(const ChatRequest& request) {
    switch (nativeFamilyOf(request.model)) {
    case NativeFamily::AmazonNova:
        return novaBody(request);
    case NativeFamily::MetaLlama:
        return llamaBody(request);
    case NativeFamily::AnthropicClaude:
    case NativeFamily::Unsupported:
        break;
    }
    return anthropicBody(request);
}

ChatResult parseNativeResponse(const nlohmann::json& modelOutput, const ChatRequest& request) {
    if (!modelOutput.is_object())
        return malformed("is not a JSON object");
    switch (nativeFamilyOf(request.model)) {
    case NativeFamily::AmazonNova:
        return parseNova(modelOutput, request);
    case NativeFamily::MetaLlama:
        return parseLlama(modelOutput, request);
    case NativeFamily::AnthropicClaude:
    case NativeFamily::Unsupported:
        break;
    }
    return parseAnthropic(modelOutput, request);
}

std::string batchRecordLine(const std::string& recordId, const nlohmann::json& modelInput) {
    return dumpJson({{"recordId", recordId}, {"modelInput", modelInput}});
}

BatchOutput parseBatchOutput(std::string_view jsonLines) {
    BatchOutput output;
    std::size_t start = 0;
    while (start < jsonLines.size()) {
        auto end = jsonLines.find('\n', start);
        if (end == std::string_view::npos)
            end = jsonLines.size();
        const auto line = text::trim(jsonLines.substr(start, end - start));
        start = end + 1;
        if (line.empty())
            continue;
        const auto json = nlohmann::json::parse(line, nullptr, false);
        const std::string recordId = stringField(json, "recordId");
        if (recordId.empty()) {
            ++output.unreadableLines;
            continue;
        }
        BatchOutputRecord record;
        record.recordId = recordId;
        if (json.contains("error") && !json["error"].is_null()) {
            const auto& error = json["error"];
            if (error.is_object()) {
                record.error = stringField(error, "errorMessage");
                if (record.error.empty())
                    record.error = stringField(error, "message");
                if (const auto code = optionalInteger(error, "errorCode"))
                    record.error += " (code " + std::to_string(*code) + ")";
            } else {
                record.error = error.is_string() ? error.get<std::string>() : dumpJson(error);
            }
            if (record.error.empty())
                record.error = "failed without a message";
        } else if (json.contains("modelOutput") && json["modelOutput"].is_object()) {
            record.modelOutput = json["modelOutput"];
        } else {
            record.error = "no modelOutput";
        }
        output.records.push_back(std::move(record));
    }
    return output;
}

std::string toString(BatchJobStatus status) {
    switch (status) {
    case BatchJobStatus::Submitted:
        return "Submitted";
    case BatchJobStatus::Validating:
        return "Validating";
    case BatchJobStatus::Scheduled:
        return "Scheduled";
    case BatchJobStatus::InProgress:
        return "InProgress";
    case BatchJobStatus::Completed:
        return "Completed";
    case BatchJobStatus::PartiallyCompleted:
        return "PartiallyCompleted";
    case BatchJobStatus::Failed:
        return "Failed";
    case BatchJobStatus::Stopping:
        return "Stopping";
    case BatchJobStatus::Stopped:
        return "Stopped";
    case BatchJobStatus::Expired:
        return "Expired";
    case BatchJobStatus::Unknown:
        break;
    }
    return "Unknown";
}

BatchJobStatus batchJobStatusFromString(std::string_view text) {
    for (const auto status :
         {BatchJobStatus::Submitted, BatchJobStatus::Validating, BatchJobStatus::Scheduled,
          BatchJobStatus::InProgress, BatchJobStatus::Completed, BatchJobStatus::PartiallyCompleted,
          BatchJobStatus::Failed, BatchJobStatus::Stopping, BatchJobStatus::Stopped, BatchJobStatus::Expired})
        if (toString(status) == text)
            return status;
    return BatchJobStatus::Unknown;
}

bool isFinished(BatchJobStatus status) {
    return status == BatchJobStatus::Completed || status == BatchJobStatus::PartiallyCompleted ||
           status == BatchJobStatus::Failed || status == BatchJobStatus::Stopped ||
           status == BatchJobStatus::Expired;
}

BatchJobInfo parseBatchJobInfo(const nlohmann::json& body) {
    BatchJobInfo info;
    info.arn = stringField(body, "jobArn");
    info.status = batchJobStatusFromString(stringField(body, "status"));
    info.message = stringField(body, "message");
    info.totalRecords = optionalInteger(body, "totalRecordCount");
    info.processedRecords = optionalInteger(body, "processedRecordCount");
    info.successRecords = optionalInteger(body, "successRecordCount");
    info.errorRecords = optionalInteger(body, "errorRecordCount");
    return info;
}

nlohmann::json createJobBody(const BatchJobRequest& request) {
    nlohmann::json body = {
        {"jobName", request.jobName},
        {"roleArn", request.roleArn},
        {"modelId", request.modelId},
        {"inputDataConfig",
         {{"s3InputDataConfig", {{"s3Uri", request.inputS3Uri}, {"s3InputFormat", "JSONL"}}}}},
        {"outputDataConfig", {{"s3OutputDataConfig", {{"s3Uri", request.outputS3Uri}}}}}};
    if (!request.clientRequestToken.empty())
        body["clientRequestToken"] = request.clientRequestToken;
    return body;
}

BatchJobClient::BatchJobClient(Connection connection, http::Transport transport)
    : m_connection(std::move(connection)), m_transport(std::move(transport)) {}

http::HttpResult BatchJobClient::send(const std::string& method, const std::string& url, std::string body,
                                      const CancellationToken& cancel) const {
    http::HttpRequest request;
    request.method = method;
    request.url = url;
    request.timeout = std::min<std::chrono::milliseconds>(m_connection.timeout, std::chrono::minutes(1));
    request.caBundlePath = m_connection.caBundlePath;
    request.headers.emplace_back("Accept", "application/json");
    if (method != "GET")
        request.headers.emplace_back("Content-Type", "application/json");
    request.body = std::move(body);
    if (!aws::signRequest(request, m_connection.credentials,
                          {m_connection.region, "bedrock", m_connection.clock()})) {
        http::HttpResult invalid;
        invalid.failure = http::TransportFailure::Other;
        invalid.error = "\"" + url + "\" is not an http(s) URL";
        return invalid;
    }
    return m_transport(request, cancel);
}

Result<std::string> BatchJobClient::create(const BatchJobRequest& request,
                                           const CancellationToken& cancel) const {
    const std::string url = m_connection.endpoints.control + "/model-invocation-job";
    const auto result = send("POST", url, dumpJson(createJobBody(request)), cancel);
    const ErrorContext context{http::parseUrl(url) ? http::parseUrl(url)->hostHeader() : url, request.modelId,
                               m_connection.credentials.accessKeyId, m_connection.credentialSource};
    if (!result.ok()) {
        auto error = mapBedrockError(result, context);
        error.message = "CreateModelInvocationJob: " + error.message;
        return error;
    }
    const auto json = nlohmann::json::parse(result.body, nullptr, false);
    const std::string arn = stringField(json, "jobArn");
    if (!arn.empty())
        return arn;
    auto found = findByName(request.jobName, cancel);
    if (!found.ok() || !found.value().empty())
        return found;
    return ProviderError{ErrorKind::MalformedResponse,
                         "CreateModelInvocationJob at " + context.endpointHost +
                             " returned no jobArn and no job is named \"" + request.jobName + "\"",
                         result.status, std::nullopt};
}

Result<std::string> BatchJobClient::findByName(const std::string& jobName,
                                               const CancellationToken& cancel) const {
    const std::string url = m_connection.endpoints.control +
                            "/model-invocation-jobs?nameContains=" + aws::uriEncode(jobName, true);
    const auto result = send("GET", url, "", cancel);
    const ErrorContext context{http::parseUrl(url) ? http::parseUrl(url)->hostHeader() : url, "",
                               m_connection.credentials.accessKeyId, m_connection.credentialSource};
    if (!result.ok()) {
        auto error = mapBedrockError(result, context);
        error.message = "ListModelInvocationJobs: " + error.message;
        return error;
    }
    const auto json = nlohmann::json::parse(result.body, nullptr, false);
    if (json.is_object() && json.contains("invocationJobSummaries") &&
        json["invocationJobSummaries"].is_array())
        for (const auto& summary : json["invocationJobSummaries"])
            if (stringField(summary, "jobName") == jobName)
                return stringField(summary, "jobArn");
    return std::string();
}

Result<BatchJobInfo> BatchJobClient::get(const std::string& jobArn, const CancellationToken& cancel) const {
    const std::string url =
        m_connection.endpoints.control + "/model-invocation-job/" + aws::uriEncode(jobArn, true);
    const auto result = send("GET", url, "", cancel);
    const ErrorContext context{http::parseUrl(url) ? http::parseUrl(url)->hostHeader() : url, "",
                               m_connection.credentials.accessKeyId, m_connection.credentialSource};
    if (!result.ok()) {
        auto error = mapBedrockError(result, context);
        error.message = "GetModelInvocationJob " + jobArn + ": " + error.message;
        return error;
    }
    const auto json = nlohmann::json::parse(result.body, nullptr, false);
    auto info = parseBatchJobInfo(json);
    if (info.status == BatchJobStatus::Unknown)
        return ProviderError{ErrorKind::MalformedResponse,
                             "GetModelInvocationJob " + jobArn +
                                 " returned no known status: " + oneLine(result.body, 120),
                             result.status, std::nullopt};
    if (info.arn.empty())
        info.arn = jobArn;
    return info;
}

} // namespace sds::providers::bedrock
