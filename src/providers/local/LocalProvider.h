#pragma once

#include "providers/Provider.h"
#include "providers/ProviderConfig.h"
#include "providers/http/Http.h"
#include "providers/local/LocalServer.h"
#include "providers/openai/OpenAiCompatible.h"

#include <memory>
#include <mutex>
#include <optional>

namespace sds::providers::local {

// The embedded model: starts the local llama.cpp server on first use, then speaks OpenAI chat
// completions to it. The server lives as long as this provider.
class LocalProvider final : public Provider {
public:
    // Fails before starting anything when the runtime or the model is not installed.
    static Result<std::shared_ptr<Provider>> create(const ProviderConfig& config,
                                                    const Environment& environment,
                                                    http::Transport transport = http::defaultTransport());

    LocalProvider(LocalServerOptions options, std::filesystem::path modelsDir, http::Transport transport);

    [[nodiscard]] std::string name() const override { return "local"; }
    [[nodiscard]] ChatResult chat(const ChatRequest& request, const CancellationToken& cancel) override;
    // The default model and the GGUF files in the project's models folder.
    [[nodiscard]] ModelListResult listModels(const CancellationToken& cancel) override;
    [[nodiscard]] std::string defaultModel() const override;
    // llama.cpp's /tokenize; starts the server when it is not running.
    [[nodiscard]] std::optional<std::int64_t> countTokens(const std::string& text,
                                                          const CancellationToken& cancel) override;

    // Starts the server now rather than on the first request.
    [[nodiscard]] std::optional<ProviderError> ensureStarted(const CancellationToken& cancel);
    [[nodiscard]] const LocalServer* server() const { return m_server.get(); }

private:
    LocalServerOptions m_options;
    std::filesystem::path m_modelsDir;
    http::Transport m_transport;
    std::mutex m_startMutex;
    std::unique_ptr<LocalServer> m_server;
    std::unique_ptr<openai::OpenAiCompatibleClient> m_client;
};

} // namespace sds::providers::local
