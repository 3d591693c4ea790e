#include "providers/openai/OpenAiProvider.h"

namespace sds::providers::openai {
namespace {

Connection connectionFor(const ProviderConfig& config, const Environment& environment) {
    Connection connection;
    connection.serviceName = "OpenAI-compatible endpoint";
    connection.baseUrl = !config.endpoint.empty()
                             ? config.endpoint
                             : environment.get("OPENAI_BASE_URL").value_or("https://api.openai.com/v1");
    if (!config.apiKey.empty()) {
        connection.bearerToken = config.apiKey;
        connection.credentialName = "the configured API key";
    } else if (auto key = environment.get("OPENAI_API_KEY")) {
        connection.bearerToken = *key;
        connection.credentialName = "OPENAI_API_KEY";
    }
    connection.caBundlePath = config.caBundlePath;
    connection.timeout = config.requestTimeout;
    connection.sendTopK = connection.baseUrl.find("api.openai.com") == std::string::npos;
    return connection;
}

} // namespace

OpenAiProvider::OpenAiProvider(const ProviderConfig& config, const Environment& environment,
                               http::Transport transport)
    : m_client(connectionFor(config, environment), std::move(transport)) {}

ChatResult OpenAiProvider::chat(const ChatRequest& request, const CancellationToken& cancel) {
    return m_client.chat(request, cancel);
}

ModelListResult OpenAiProvider::listModels(const CancellationToken& cancel) {
    return m_client.listModels(cancel);
}

std::string OpenAiProvider::defaultModel() const {
    return m_client.connection().baseUrl.find("api.openai.com") != std::string::npos ? "gpt-4o-mini" : "";
}

} // namespace sds::providers::openai
