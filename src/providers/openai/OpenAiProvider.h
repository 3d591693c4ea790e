#pragma once

#include "providers/Provider.h"
#include "providers/ProviderConfig.h"
#include "providers/openai/OpenAiCompatible.h"

namespace sds::providers::openai {

// Any OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp server, LiteLLM) by base URL.
// Base URL: config.endpoint, else OPENAI_BASE_URL, else https://api.openai.com/v1.
// Key: config.apiKey, else OPENAI_API_KEY (optional: local servers often need none).
class OpenAiProvider final : public Provider {
public:
    OpenAiProvider(const ProviderConfig& config, const Environment& environment,
                   http::Transport transport = http::defaultTransport());

    [[nodiscard]] std::string name() const override { return "openai"; }
    [[nodiscard]] ChatResult chat(const ChatRequest& request, const CancellationToken& cancel) override;
    [[nodiscard]] ModelListResult listModels(const CancellationToken& cancel) override;
    [[nodiscard]] std::string defaultModel() const override;

private:
    OpenAiCompatibleClient m_client;
};

} // namespace sds::providers::openai
