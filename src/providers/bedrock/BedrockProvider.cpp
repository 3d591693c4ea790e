#include "providers/bedrock/BedrockProvider.h"

#include "providers/TransportErrors.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace sds::providers::bedrock {
namespace {

constexpr auto kListTimeout = std::chrono::seconds(10);
constexpr int kMaxInferenceProfilePages = 10;

std::string toLower(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower;
}

std::string dumpJson(const nlohmann::json& json) {
    return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string roleName(ChatMessage::Role role) {
    return role == ChatMessage::Role::Assistant ? "assistant" : "user";
}

// Bedrock tool names must match [a-zA-Z0-9_-]{1,64}.
std::string toolName(const std::string& schemaName) {
    std::string name;
    for (unsigned char c : schemaName)
        if (std::isalnum(c) || c == '_' || c == '-')
            name += static_cast<char>(c);
    if (name.empty())
        name = "rows";
    return name.substr(0, 64);
}

// Llama models on Bedrock reject toolChoice; they get the tool and pick it themselves.
bool supportsForcedToolChoice(std::string_view modelId) {
    return modelId.find("meta.llama") == std::string_view::npos;
}

std::string hostOf(const std::string& url) {
    const auto parts = http::parseUrl(url);
    return parts ? parts->hostHeader() : url;
}

std::string stringField(const nlohmann::json& object, const char* key) {
    if (object.is_object() && object.contains(key) && object[key].is_string())
        return object[key].get<std::string>();
    return {};
}

bool arrayContains(const nlohmann::json& object, const char* key, const std::string& wanted) {
    if (!object.is_object() || !object.contains(key) || !object[key].is_array())
        return false;
    return std::any_of(object[key].begin(), object[key].end(), [&](const nlohmann::json& item) {
        return item.is_string() && item.get<std::string>() == wanted;
    });
}

// "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/" -> "ValidationException"
// "com.amazon.coral.service#UnrecognizedClientException" -> "UnrecognizedClientException"
std::string errorTypeName(std::string raw) {
    if (const auto colon = raw.find(':'); colon != std::string::npos)
        raw.erase(colon);
    if (const auto hash = raw.rfind('#'); hash != std::string::npos)
        raw.erase(0, hash + 1);
    return raw;
}

std::string modelAndHost(const ErrorContext& context) {
    return context.model.empty() ? context.endpointHost
                                 : "model \"" + context.model + "\" at " + context.endpointHost;
}

std::string credentialDescription(const ErrorContext& context) {
    std::string description = "AWS credentials (access key " + aws::maskedAccessKeyId(context.accessKeyId);
    if (!context.credentialSource.empty())
        description += " from " + context.credentialSource;
    return description + ")";
}

} // namespace

bool isAnthropicClaude(std::string_view modelId) {
    return toLower(modelId).find("anthropic.claude") != std::string::npos;
}

std::string converseUrl(const std::string& runtimeEndpoint, const std::string& modelId) {
    return runtimeEndpoint + "/model/" + aws::uriEncode(modelId, true) + "/converse";
}

nlohmann::json buildConverseBody(const ChatRequest& request) {
    nlohmann::json body;
    auto system = nlohmann::json::array();
    auto messages = nlohmann::json::array();
    for (const auto& message : request.messages) {
        if (message.content.empty())
            continue; // Bedrock rejects blank text blocks
        const nlohmann::json block = {{"text", message.content}};
        if (message.role == ChatMessage::Role::System) {
            system.push_back(block);
            continue;
        }
        // Converse wants user and assistant turns to alternate: consecutive turns of one role merge.
        const std::string role = roleName(message.role);
        if (!messages.empty() && messages.back()["role"] == role)
            messages.back()["content"].push_back(block);
        else
            messages.push_back({{"role", role}, {"content", nlohmann::json::array({block})}});
    }
    if (!system.empty())
        body["system"] = system;
    body["messages"] = messages;

    nlohmann::json inference = {{"maxTokens", request.maxTokens}};
    if (request.temperature)
        inference["temperature"] = std::clamp(*request.temperature, 0.0, 1.0);
    if (request.topP)
        inference["topP"] = *request.topP;
    body["inferenceConfig"] = inference;
    if (request.topK && *request.topK > 0 && isAnthropicClaude(request.model))
        body["additionalModelRequestFields"] = {{"top_k", *request.topK}};

    if (request.jsonSchema) {
        const std::string name = toolName(request.schemaName);
        nlohmann::json toolConfig;
        toolConfig["tools"] = nlohmann::json::array(
            {{{"toolSpec",
               {{"name", name},
                {"description", "Record the answer. Its input must conform to the JSON schema."},
                {"inputSchema", {{"json", *request.jsonSchema}}}}}}});
        if (supportsForcedToolChoice(request.model))
            toolConfig["toolChoice"] = {{"tool", {{"name", name}}}};
        body["toolConfig"] = toolConfig;
    }
    return body;
}

ProviderError mapBedrockError(const http::HttpResult& result, const ErrorContext& context) {
    if (!result.status)
        return transportError(result, "Bedrock " + modelAndHost(context));

    const auto body = nlohmann::json::parse(result.body, nullptr, false);
    std::string type = errorTypeName(result.header("x-amzn-errortype").value_or(""));
    if (type.empty())
        type = errorTypeName(stringField(body, "__type"));
    std::string detail = stringField(body, "message");
    if (detail.empty())
        detail = stringField(body, "Message");
    if (detail.empty())
        detail = result.body.empty() ? "(no message)" : result.body;
    detail = oneLine(detail, 200);
    const std::string lowerDetail = toLower(detail);

    const int status = *result.status;
    const std::string what = "HTTP " + std::to_string(status) + (type.empty() ? "" : " " + type);
    const std::string target = modelAndHost(context);
    ProviderError error;
    error.httpStatus = status;
    const auto set = [&](ErrorKind kind, const std::string& summary) {
        error.kind = kind;
        error.message = oneLine(summary + " (" + what + "): " + detail, 400);
    };

    if (type == "ModelNotReadyException") {
        set(ErrorKind::ServerError, "Bedrock " + target + " is not ready yet");
        error.retryAfter = parseRetryAfter(result);
    } else if (status == 429 || type == "ThrottlingException" || type == "TooManyRequestsException") {
        set(ErrorKind::RateLimited, "Bedrock is throttling requests for " + target);
        error.retryAfter = parseRetryAfter(result);
    } else if (type == "UnrecognizedClientException" || type == "InvalidSignatureException" ||
               type == "IncompleteSignatureException" || type == "MissingAuthenticationTokenException" ||
               type == "ExpiredTokenException" || status == 401) {
        std::string summary = "Bedrock " + target + " rejected the " + credentialDescription(context);
        if (type == "InvalidSignatureException")
            summary += "; check the secret access key";
        else if (type == "ExpiredTokenException")
            summary += "; the session token has expired, refresh the credentials";
        set(ErrorKind::Unauthorized, summary);
    } else if (type == "AccessDeniedException" || status == 403) {
        set(ErrorKind::Forbidden,
            "Bedrock " + target + " denied access for the " + credentialDescription(context) +
                "; enable access to this model in the Bedrock console (Model access) for "
                "this region and allow bedrock:InvokeModel in IAM");
    } else if ((type == "ResourceNotFoundException" || status == 404) && context.model.empty()) {
        set(ErrorKind::BadRequest,
            "Bedrock at " + context.endpointHost + " has no such API; check the endpoint");
    } else if (type == "ResourceNotFoundException" || status == 404) {
        set(ErrorKind::UnknownModel,
            "Bedrock at " + context.endpointHost + " does not know model \"" + context.model + "\"");
    } else if (type == "ValidationException" &&
               lowerDetail.find("on-demand throughput") != std::string::npos) {
        set(ErrorKind::BadRequest,
            "Bedrock " + target + " cannot be called on demand; use an inference profile id such as \"us." +
                context.model + "\"");
    } else if (type == "ValidationException" && (lowerDetail.find("model identifier") != std::string::npos ||
                                                 lowerDetail.find("invalid model") != std::string::npos)) {
        set(ErrorKind::UnknownModel,
            "Bedrock at " + context.endpointHost + " does not know model \"" + context.model + "\"");
    } else if (type == "ModelTimeoutException" || status == 408) {
        set(ErrorKind::Timeout, "Bedrock " + target + " timed out");
    } else if (type == "ServiceUnavailableException" || type == "InternalServerException" ||
               type == "ModelErrorException" || status >= 500) {
        set(ErrorKind::ServerError, "Bedrock " + target + " failed");
        error.retryAfter = parseRetryAfter(result);
    } else {
        set(ErrorKind::BadRequest, "Bedrock " + target + " rejected the request");
    }
    return error;
}

ChatResult parseConverseResponse(const http::HttpResult& result, const ErrorContext& context,
                                 const ChatRequest& request) {
    if (!result.ok())
        return mapBedrockError(result, context);
    const auto malformed = [&](const std::string& why) {
        return ProviderError{ErrorKind::MalformedResponse,
                             "Bedrock " + modelAndHost(context) + " sent an answer that " + why,
                             result.status, std::nullopt};
    };
    const auto json = nlohmann::json::parse(result.body, nullptr, false);
    if (json.is_discarded() || !json.is_object())
        return malformed("is not JSON: " + oneLine(result.body, 120));
    const nlohmann::json::json_pointer contentPointer("/output/message/content");
    if (!json.contains(contentPointer) || !json[contentPointer].is_array())
        return malformed("has no output.message.content");

    ChatResponse response;
    const std::string wantedTool = toolName(request.schemaName);
    for (const auto& block : json[contentPointer]) {
        if (!block.is_object())
            continue;
        if (block.contains("text") && block["text"].is_string())
            response.text += block["text"].get<std::string>();
        if (request.jsonSchema && block.contains("toolUse") && block["toolUse"].is_object()) {
            const auto& toolUse = block["toolUse"];
            const bool isWantedTool = stringField(toolUse, "name") == wantedTool;
            if (toolUse.contains("input") && (!response.structured || isWantedTool))
                response.structured = toolUse["input"];
        }
    }
    if (request.jsonSchema && !response.structured) {
        // A model that was not forced to use the tool may answer with the JSON as text.
        auto fromText = nlohmann::json::parse(response.text, nullptr, false);
        if (!fromText.is_discarded() && fromText.is_object())
            response.structured = std::move(fromText);
    }
    if (response.structured)
        response.text = dumpJson(*response.structured);

    response.stopReason = stringField(json, "stopReason");
    if (json.contains("usage") && json["usage"].is_object()) {
        const auto& usage = json["usage"];
        if (usage.contains("inputTokens") && usage["inputTokens"].is_number_integer())
            response.usage.input = usage["inputTokens"].get<std::int64_t>();
        if (usage.contains("outputTokens") && usage["outputTokens"].is_number_integer())
            response.usage.output = usage["outputTokens"].get<std::int64_t>();
    }
    return response;
}

std::vector<ModelInfo> parseFoundationModels(const nlohmann::json& body) {
    std::vector<ModelInfo> models;
    if (!body.is_object() || !body.contains("modelSummaries") || !body["modelSummaries"].is_array())
        return models;
    for (const auto& summary : body["modelSummaries"]) {
        const std::string id = stringField(summary, "modelId");
        if (id.empty() || !arrayContains(summary, "outputModalities", "TEXT"))
            continue;
        // Models offered only through inference profiles are listed by their profile ids instead.
        if (summary.contains("inferenceTypesSupported") &&
            !arrayContains(summary, "inferenceTypesSupported", "ON_DEMAND"))
            continue;
        const std::string provider = stringField(summary, "providerName");
        const std::string modelName = stringField(summary, "modelName");
        std::string displayName =
            modelName.empty() ? id : (provider.empty() ? "" : provider + " ") + modelName;
        models.push_back({id, displayName});
    }
    return models;
}

std::vector<ModelInfo> parseInferenceProfiles(const nlohmann::json& body) {
    std::vector<ModelInfo> profiles;
    if (!body.is_object() || !body.contains("inferenceProfileSummaries") ||
        !body["inferenceProfileSummaries"].is_array())
        return profiles;
    for (const auto& summary : body["inferenceProfileSummaries"]) {
        const std::string id = stringField(summary, "inferenceProfileId");
        if (id.empty())
            continue;
        const std::string displayName = stringField(summary, "inferenceProfileName");
        profiles.push_back({id, displayName.empty() ? id : displayName});
    }
    return profiles;
}

std::vector<ModelInfo> builtInModelsUsedWhenBedrockIsUnreachable() {
    static const std::vector<std::pair<std::string, std::string>> modelsWithUsProfiles = {
        {"anthropic.claude-3-5-sonnet-20240620-v1:0", "Anthropic Claude 3.5 Sonnet"},
        {"anthropic.claude-3-5-sonnet-20241022-v2:0", "Anthropic Claude 3.5 Sonnet v2"},
        {"anthropic.claude-3-5-haiku-20241022-v1:0", "Anthropic Claude 3.5 Haiku"},
        {"anthropic.claude-3-7-sonnet-20250219-v1:0", "Anthropic Claude 3.7 Sonnet"},
        {"anthropic.claude-sonnet-4-20250514-v1:0", "Anthropic Claude Sonnet 4"},
        {"meta.llama3-1-8b-instruct-v1:0", "Meta Llama 3.1 8B Instruct"},
        {"meta.llama3-1-70b-instruct-v1:0", "Meta Llama 3.1 70B Instruct"},
        {"meta.llama3-3-70b-instruct-v1:0", "Meta Llama 3.3 70B Instruct"},
        {"amazon.nova-pro-v1:0", "Amazon Nova Pro"},
        {"amazon.nova-lite-v1:0", "Amazon Nova Lite"},
        {"amazon.nova-micro-v1:0", "Amazon Nova Micro"},
    };
    std::vector<ModelInfo> list;
    for (const auto& [id, name] : modelsWithUsProfiles)
        list.push_back({id, name + " (built-in list)"});
    list.push_back({"mistral.mistral-large-2407-v1:0", "Mistral Large (24.07) (built-in list)"});
    for (const auto& [id, name] : modelsWithUsProfiles)
        list.push_back({"us." + id, "US " + name + " (built-in list)"});
    return list;
}

std::string defaultModelForRegion(const std::string& region) {
    if (region.starts_with("eu-"))
        return "eu.anthropic.claude-3-haiku-20240307-v1:0";
    if (region.starts_with("ap-"))
        return "apac.anthropic.claude-3-haiku-20240307-v1:0";
    return "us.anthropic.claude-3-5-haiku-20241022-v1:0";
}

Result<std::shared_ptr<Provider>> BedrockProvider::create(const ProviderConfig& config,
                                                          const Environment& environment,
                                                          http::Transport transport) {
    auto credentials = resolveCredentials(config, environment);
    if (!credentials.ok())
        return credentials.error();
    auto region = resolveRegion(config, environment);
    if (!region.ok())
        return region.error();
    Connection connection;
    connection.credentials = std::move(credentials.value().credentials);
    connection.credentialSource = std::move(credentials.value().source);
    connection.region = region.value();
    connection.endpoints = resolveEndpoints(config, environment, connection.region);
    connection.caBundlePath = config.caBundlePath;
    connection.timeout = config.requestTimeout;
    for (const auto& endpoint : {connection.endpoints.runtime, connection.endpoints.control}) {
        if (!http::parseUrl(endpoint))
            return ProviderError{ErrorKind::BadRequest,
                                 "the Bedrock endpoint \"" + endpoint + "\" is not an http(s) URL",
                                 std::nullopt, std::nullopt};
    }
    return std::shared_ptr<Provider>(
        std::make_shared<BedrockProvider>(std::move(connection), std::move(transport)));
}

BedrockProvider::BedrockProvider(Connection connection, http::Transport transport)
    : m_connection(std::move(connection)), m_transport(std::move(transport)) {}

ErrorContext BedrockProvider::errorContext(const std::string& url, const std::string& model) const {
    return {hostOf(url), model, m_connection.credentials.accessKeyId, m_connection.credentialSource};
}

Result<http::HttpRequest> BedrockProvider::signedRequest(const std::string& method, const std::string& url,
                                                         std::string body) const {
    const auto parts = http::parseUrl(url);
    if (!parts)
        return ProviderError{ErrorKind::BadRequest, "the Bedrock URL \"" + url + "\" is not an http(s) URL",
                             std::nullopt, std::nullopt};
    http::HttpRequest request;
    request.method = method;
    request.url = url;
    request.timeout = m_connection.timeout;
    request.caBundlePath = m_connection.caBundlePath;
    request.headers.emplace_back("Host", parts->hostHeader());
    request.headers.emplace_back("Accept", "application/json");
    if (method != "GET")
        request.headers.emplace_back("Content-Type", "application/json");
    request.body = std::move(body);

    const aws::SigningInput input{method, parts->path, parts->query, request.headers, request.body};
    const aws::SigningScope scope{m_connection.region, "bedrock", m_connection.clock()};
    const auto added = aws::signHeaders(input, m_connection.credentials, scope);
    request.headers.insert(request.headers.end(), added.begin(), added.end());
    return request;
}

ChatResult BedrockProvider::chat(const ChatRequest& request, const CancellationToken& cancel) {
    ChatRequest effective = request;
    if (effective.model.empty())
        effective.model = defaultModel();
    const std::string url = converseUrl(m_connection.endpoints.runtime, effective.model);
    const ErrorContext context = errorContext(url, effective.model);
    if (cancel.isCancelled())
        return ProviderError{ErrorKind::Cancelled, "cancelled", std::nullopt, std::nullopt};
    auto httpRequest = signedRequest("POST", url, dumpJson(buildConverseBody(effective)));
    if (!httpRequest.ok())
        return httpRequest.error();
    return parseConverseResponse(m_transport(httpRequest.value(), cancel), context, effective);
}

ModelListResult BedrockProvider::listModels(const CancellationToken& cancel) {
    const std::string control = m_connection.endpoints.control;
    const ErrorContext context = errorContext(control, "");
    if (cancel.isCancelled())
        return ProviderError{ErrorKind::Cancelled, "cancelled", std::nullopt, std::nullopt};
    const auto get = [&](const std::string& url) -> Result<http::HttpResult> {
        auto request = signedRequest("GET", url, "");
        if (!request.ok())
            return request.error();
        request.value().timeout = std::min<std::chrono::milliseconds>(kListTimeout, m_connection.timeout);
        request.value().connectTimeout = std::min(request.value().timeout, request.value().connectTimeout);
        return m_transport(request.value(), cancel);
    };

    auto foundation = get(control + "/foundation-models?byOutputModality=TEXT");
    if (!foundation.ok())
        return foundation.error();
    const auto& foundationResult = foundation.value();
    if (!foundationResult.status) {
        if (foundationResult.failure == http::TransportFailure::Cancelled)
            return mapBedrockError(foundationResult, context);
        return builtInModelsUsedWhenBedrockIsUnreachable();
    }
    if (!foundationResult.ok())
        return mapBedrockError(foundationResult, context);
    const auto foundationJson = nlohmann::json::parse(foundationResult.body, nullptr, false);
    if (!foundationJson.is_object() || !foundationJson.contains("modelSummaries"))
        return ProviderError{ErrorKind::MalformedResponse,
                             "Bedrock " + context.endpointHost +
                                 "/foundation-models did not return modelSummaries",
                             foundationResult.status, std::nullopt};
    std::vector<ModelInfo> models = parseFoundationModels(foundationJson);

    // Inference profiles are extra: when they cannot be listed, the foundation models still are.
    std::string nextToken;
    for (int page = 0; page < kMaxInferenceProfilePages; ++page) {
        std::string url = control + "/inference-profiles?maxResults=1000";
        if (!nextToken.empty())
            url += "&nextToken=" + aws::uriEncode(nextToken, true);
        auto profiles = get(url);
        if (!profiles.ok() || !profiles.value().ok())
            break;
        const auto profilesJson = nlohmann::json::parse(profiles.value().body, nullptr, false);
        const auto parsed = parseInferenceProfiles(profilesJson);
        models.insert(models.end(), parsed.begin(), parsed.end());
        nextToken = stringField(profilesJson, "nextToken");
        if (nextToken.empty())
            break;
    }

    std::set<std::string> seen;
    std::erase_if(models, [&](const ModelInfo& model) { return !seen.insert(model.id).second; });
    return models;
}

std::string BedrockProvider::defaultModel() const {
    return defaultModelForRegion(m_connection.region);
}

} // namespace sds::providers::bedrock
