#pragma once

#include "providers/Provider.h"
#include "providers/ProviderConfig.h"
#include "providers/openai/OpenAiCompatible.h"

#include <optional>

namespace sds::providers::caii {

struct TokenSource {
    std::string token;
    std::string from; // "CDP_TOKEN", "/tmp/jwt", "the configured token"
};

// Token: config.apiKey, else CDP_TOKEN, else "access_token" in the JSON file /tmp/jwt
// (CDP_JWT_PATH overrides the path). An error names every place that was looked at.
[[nodiscard]] Result<TokenSource> resolveToken(const ProviderConfig& config, const Environment& environment);

// Cloudera AI Inference: OpenAI-compatible chat completions at the endpoint's base URL.
class CaiiProvider final : public Provider {
public:
    // Fails with MissingCredentials or BadRequest (no endpoint) before any request is sent.
    static Result<std::shared_ptr<Provider>> create(const ProviderConfig& config,
                                                    const Environment& environment,
                                                    http::Transport transport = http::defaultTransport());

    [[nodiscard]] std::string name() const override { return "caii"; }
    [[nodiscard]] ChatResult chat(const ChatRequest& request, const CancellationToken& cancel) override;
    // A 5xx here usually means the endpoint is scaled down to zero; the message says so.
    [[nodiscard]] ModelListResult listModels(const CancellationToken& cancel) override;
    [[nodiscard]] std::string defaultModel() const override { return ""; }

    explicit CaiiProvider(openai::Connection connection, http::Transport transport);

private:
    openai::OpenAiCompatibleClient m_client;
};

} // namespace sds::providers::caii
