#pragma once

#include "providers/Provider.h"
#include "providers/http/Http.h"

#include <functional>
#include <string>

namespace sds::providers::openai {

// How to reach one OpenAI-compatible server. `credentialName` says where the key came from
// (e.g. "OPENAI_API_KEY", "CDP_TOKEN") so a 401 can name it without showing it.
struct Connection {
    std::string baseUrl; // ends with /v1 or similar, without /chat/completions
    std::string bearerToken;
    std::string credentialName;
    std::string serviceName = "OpenAI-compatible endpoint";
    std::string caBundlePath;
    bool sendTopK = true; // api.openai.com rejects top_k; vLLM, llama.cpp and NIM accept it
    std::chrono::milliseconds timeout{std::chrono::minutes(5)};
    nlohmann::json extraBody = nlohmann::json::object(); // server-specific fields merged into each chat body
};

// "https://host/v1/chat/completions/" -> "https://host/v1"
[[nodiscard]] std::string normalizeBaseUrl(std::string url);

[[nodiscard]] nlohmann::json buildChatBody(const ChatRequest& request, bool sendTopK);
[[nodiscard]] ChatResult parseChatResponse(const http::HttpResult& result, const Connection& connection,
                                           const ChatRequest& request);
[[nodiscard]] ProviderError httpError(const http::HttpResult& result, const Connection& connection,
                                      const std::string& model);

// The client that the openai, caii and local providers share.
class OpenAiCompatibleClient {
public:
    OpenAiCompatibleClient(Connection connection, http::Transport transport);

    [[nodiscard]] ChatResult chat(const ChatRequest& request, const CancellationToken& cancel) const;
    [[nodiscard]] ModelListResult
    listModels(const CancellationToken& cancel,
               std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
    [[nodiscard]] const Connection& connection() const { return m_connection; }

private:
    [[nodiscard]] http::HttpRequest baseRequest(std::string method, const std::string& path) const;

    Connection m_connection;
    http::Transport m_transport;
};

} // namespace sds::providers::openai
