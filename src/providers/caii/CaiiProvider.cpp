#include "providers/caii/CaiiProvider.h"

namespace sds::providers::caii {

Result<TokenSource> resolveToken(const ProviderConfig& config, const Environment& environment) {
    if (!config.apiKey.empty())
        return TokenSource{config.apiKey, "the configured token"};
    if (auto token = environment.get("CDP_TOKEN"))
        return TokenSource{*token, "CDP_TOKEN"};
    const std::string jwtPath = environment.get("CDP_JWT_PATH").value_or("/tmp/jwt");
    if (auto content = environment.readFile(jwtPath)) {
        const auto json = nlohmann::json::parse(*content, nullptr, false);
        if (json.is_object() && json.contains("access_token") && json["access_token"].is_string() &&
            !json["access_token"].get<std::string>().empty())
            return TokenSource{json["access_token"].get<std::string>(), jwtPath};
        return ProviderError{
            ErrorKind::MissingCredentials,
            "Cloudera AI Inference token file " + jwtPath +
                " has no \"access_token\" string (expected JSON like {\"access_token\": \"...\"})",
            std::nullopt, std::nullopt};
    }
    return ProviderError{ErrorKind::MissingCredentials,
                         "no Cloudera AI Inference token: set CDP_TOKEN, or put {\"access_token\": ...} in " +
                             jwtPath + ", or enter a token in Settings",
                         std::nullopt, std::nullopt};
}

Result<std::shared_ptr<Provider>> CaiiProvider::create(const ProviderConfig& config,
                                                       const Environment& environment,
                                                       http::Transport transport) {
    if (config.endpoint.empty())
        return ProviderError{ErrorKind::BadRequest,
                             "Cloudera AI Inference needs the model endpoint URL (--endpoint https://…/v1)",
                             std::nullopt, std::nullopt};
    auto token = resolveToken(config, environment);
    if (!token.ok())
        return token.error();
    openai::Connection connection;
    connection.serviceName = "Cloudera AI Inference endpoint";
    connection.baseUrl = config.endpoint;
    connection.bearerToken = token.value().token;
    connection.credentialName = token.value().from;
    connection.caBundlePath = config.caBundlePath;
    connection.timeout = config.requestTimeout;
    return std::shared_ptr<Provider>(
        std::make_shared<CaiiProvider>(std::move(connection), std::move(transport)));
}

CaiiProvider::CaiiProvider(openai::Connection connection, http::Transport transport)
    : m_client(std::move(connection), std::move(transport)) {}

ChatResult CaiiProvider::chat(const ChatRequest& request, const CancellationToken& cancel) {
    return m_client.chat(request, cancel);
}

ModelListResult CaiiProvider::listModels(const CancellationToken& cancel) {
    auto result = m_client.listModels(cancel, std::chrono::seconds(3));
    if (!result.ok() && result.error().kind == ErrorKind::ServerError) {
        auto error = result.error();
        error.message += " (the endpoint is probably scaled down to zero; it starts on the next request or "
                         "from the Cloudera AI console)";
        return error;
    }
    return result;
}

} // namespace sds::providers::caii
