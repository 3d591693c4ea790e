#include "providers/openai/OpenAiCompatible.h"

#include "providers/TransportErrors.h"

namespace sds::providers::openai {
namespace {

std::string roleName(ChatMessage::Role role) {
    switch (role) {
    case ChatMessage::Role::System:
        return "system";
    case ChatMessage::Role::Assistant:
        return "assistant";
    case ChatMessage::Role::User:
        return "user";
    }
    return "user";
}

std::string errorMessageFromBody(const std::string& body) {
    const auto json = nlohmann::json::parse(body, nullptr, false);
    if (json.is_object()) {
        if (json.contains("error")) {
            const auto& error = json["error"];
            if (error.is_object() && error.contains("message") && error["message"].is_string())
                return error["message"].get<std::string>();
            if (error.is_string())
                return error.get<std::string>();
        }
        if (json.contains("message") && json["message"].is_string())
            return json["message"].get<std::string>();
        if (json.contains("detail") && json["detail"].is_string())
            return json["detail"].get<std::string>();
    }
    return oneLine(body, 200);
}

} // namespace

std::string normalizeBaseUrl(std::string url) {
    while (!url.empty() && url.back() == '/')
        url.pop_back();
    for (const std::string suffix : {"/chat/completions", "/completions"}) {
        if (url.size() >= suffix.size() &&
            url.compare(url.size() - suffix.size(), suffix.size(), suffix) == 0) {
            url.erase(url.size() - suffix.size());
            break;
        }
    }
    while (!url.empty() && url.back() == '/')
        url.pop_back();
    return url;
}

nlohmann::json buildChatBody(const ChatRequest& request, bool sendTopK) {
    nlohmann::json body;
    body["model"] = request.model;
    auto& messages = body["messages"] = nlohmann::json::array();
    for (const auto& message : request.messages)
        messages.push_back({{"role", roleName(message.role)}, {"content", message.content}});
    if (request.temperature)
        body["temperature"] = *request.temperature;
    if (request.topP)
        body["top_p"] = *request.topP;
    if (request.topK && sendTopK && *request.topK > 0)
        body["top_k"] = *request.topK;
    body["max_tokens"] = request.maxTokens;
    if (request.jsonSchema) {
        body["response_format"] = {
            {"type", "json_schema"},
            {"json_schema",
             {{"name", request.schemaName}, {"schema", *request.jsonSchema}, {"strict", true}}}};
    }
    return body;
}

ProviderError httpError(const http::HttpResult& result, const Connection& connection,
                        const std::string& model) {
    ProviderError error;
    error.httpStatus = result.status;
    const int status = result.status.value_or(0);
    const std::string detail = oneLine(errorMessageFromBody(result.body), 200);
    const std::string where = connection.serviceName + " " + connection.baseUrl;
    if (status == 401) {
        error.kind = ErrorKind::Unauthorized;
        error.message =
            connection.credentialName.empty()
                ? where + " requires an API key (HTTP 401): " + detail
                : where + " rejected the key from " + connection.credentialName + " (HTTP 401): " + detail;
    } else if (status == 403) {
        error.kind = ErrorKind::Forbidden;
        error.message =
            where + " refused access" +
            (connection.credentialName.empty() ? "" : " for the key from " + connection.credentialName) +
            " (HTTP 403): " + detail;
    } else if (status == 404 || detail.find("model_not_found") != std::string::npos ||
               (status == 400 && detail.find("does not exist") != std::string::npos)) {
        error.kind = ErrorKind::UnknownModel;
        error.message = "model \"" + model + "\" is not served by " + where + " (HTTP " +
                        std::to_string(status) + "): " + detail;
    } else if (status == 429) {
        error.kind = ErrorKind::RateLimited;
        error.message = where + " is rate limiting (HTTP 429): " + detail;
        error.retryAfter = parseRetryAfter(result);
    } else if (status >= 500) {
        error.kind = ErrorKind::ServerError;
        error.message = where + " failed (HTTP " + std::to_string(status) + "): " + detail;
        error.retryAfter = parseRetryAfter(result);
    } else {
        error.kind = ErrorKind::BadRequest;
        error.message = where + " rejected the request (HTTP " + std::to_string(status) + "): " + detail;
    }
    return error;
}

ChatResult parseChatResponse(const http::HttpResult& result, const Connection& connection,
                             const ChatRequest& request) {
    if (!result.status)
        return transportError(result, connection.serviceName + " " + connection.baseUrl);
    if (!result.ok())
        return httpError(result, connection, request.model);
    const auto json = nlohmann::json::parse(result.body, nullptr, false);
    const auto malformed = [&](const std::string& why) {
        return ProviderError{ErrorKind::MalformedResponse,
                             connection.serviceName + " " + connection.baseUrl + " sent an answer that " +
                                 why,
                             result.status, std::nullopt};
    };
    if (json.is_discarded() || !json.is_object())
        return malformed("is not JSON: " + oneLine(result.body, 120));
    if (!json.contains("choices") || !json["choices"].is_array() || json["choices"].empty())
        return malformed("has no choices");
    const auto& choice = json["choices"][0];
    ChatResponse response;
    if (choice.contains("message") && choice["message"].is_object()) {
        const auto& message = choice["message"];
        if (message.contains("content") && message["content"].is_string())
            response.text = message["content"].get<std::string>();
    }
    if (choice.contains("finish_reason") && choice["finish_reason"].is_string())
        response.stopReason = choice["finish_reason"].get<std::string>();
    if (json.contains("usage") && json["usage"].is_object()) {
        const auto& usage = json["usage"];
        response.usage.input = usage.value("prompt_tokens", std::int64_t{0});
        response.usage.output = usage.value("completion_tokens", std::int64_t{0});
    }
    if (request.jsonSchema) {
        auto structured = nlohmann::json::parse(response.text, nullptr, false);
        if (!structured.is_discarded() && structured.is_object())
            response.structured = std::move(structured);
    }
    return response;
}

OpenAiCompatibleClient::OpenAiCompatibleClient(Connection connection, http::Transport transport)
    : m_connection(std::move(connection)), m_transport(std::move(transport)) {
    m_connection.baseUrl = normalizeBaseUrl(m_connection.baseUrl);
}

http::HttpRequest OpenAiCompatibleClient::baseRequest(std::string method, const std::string& path) const {
    http::HttpRequest request;
    request.method = std::move(method);
    request.url = m_connection.baseUrl + path;
    request.timeout = m_connection.timeout;
    request.caBundlePath = m_connection.caBundlePath;
    request.headers.emplace_back("Accept", "application/json");
    if (!m_connection.bearerToken.empty())
        request.headers.emplace_back("Authorization", "Bearer " + m_connection.bearerToken);
    return request;
}

ChatResult OpenAiCompatibleClient::chat(const ChatRequest& request, const CancellationToken& cancel) const {
    auto httpRequest = baseRequest("POST", "/chat/completions");
    httpRequest.headers.emplace_back("Content-Type", "application/json");
    auto body = buildChatBody(request, m_connection.sendTopK);
    body.update(m_connection.extraBody);
    httpRequest.body = body.dump();
    return parseChatResponse(m_transport(httpRequest, cancel), m_connection, request);
}

ModelListResult OpenAiCompatibleClient::listModels(const CancellationToken& cancel,
                                                   std::chrono::milliseconds timeout) const {
    auto httpRequest = baseRequest("GET", "/models");
    httpRequest.timeout = timeout;
    httpRequest.connectTimeout = std::min(timeout, httpRequest.connectTimeout);
    const auto result = m_transport(httpRequest, cancel);
    if (!result.status)
        return transportError(result, m_connection.serviceName + " " + m_connection.baseUrl);
    if (!result.ok())
        return httpError(result, m_connection, "");
    const auto json = nlohmann::json::parse(result.body, nullptr, false);
    std::vector<ModelInfo> models;
    if (json.is_object() && json.contains("data") && json["data"].is_array()) {
        for (const auto& entry : json["data"]) {
            if (entry.is_object() && entry.contains("id") && entry["id"].is_string())
                models.push_back({entry["id"].get<std::string>(), entry["id"].get<std::string>()});
        }
    } else {
        return ProviderError{ErrorKind::MalformedResponse,
                             m_connection.serviceName + " " + m_connection.baseUrl +
                                 "/models did not return a model list",
                             result.status, std::nullopt};
    }
    return models;
}

} // namespace sds::providers::openai
