#pragma once

#include "providers/Provider.h"
#include "providers/ProviderConfig.h"
#include "providers/bedrock/AwsCredentials.h"
#include "providers/bedrock/SigV4.h"
#include "providers/http/Http.h"

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace sds::providers::bedrock {

// Everything needed to call Bedrock once credentials, region and endpoints are resolved.
struct Connection {
    aws::AwsCredentials credentials;
    std::string credentialSource; // where the keys came from, for messages
    std::string region;
    BedrockEndpoints endpoints;
    std::string caBundlePath;
    std::chrono::milliseconds timeout{std::chrono::minutes(5)};
    std::function<std::chrono::system_clock::time_point()> clock = [] {
        return std::chrono::system_clock::now();
    };
};

// What an error message names: the endpoint host, the model and (masked) the access key.
struct ErrorContext {
    std::string endpointHost;
    std::string model; // empty for model listing
    std::string accessKeyId;
    std::string credentialSource;
};

// Anthropic Claude, also through inference profiles ("us.anthropic.claude-…") and ARNs.
[[nodiscard]] bool isAnthropicClaude(std::string_view modelId);

// {runtime}/model/{modelId, URI-encoded: ':' becomes %3A}/converse
[[nodiscard]] std::string converseUrl(const std::string& runtimeEndpoint, const std::string& modelId);

// The Converse API body: system, messages, inferenceConfig (temperature clamped to [0, 1]),
// additionalModelRequestFields.top_k for Claude only, and for a JSON schema a forced tool whose
// input schema is the requested schema.
[[nodiscard]] nlohmann::json buildConverseBody(const ChatRequest& request);

// Reads a Converse answer: the forced tool's input becomes `structured` (and `text` its dump),
// otherwise text blocks are joined. Non-2xx answers go through mapBedrockError.
[[nodiscard]] ChatResult parseConverseResponse(const http::HttpResult& result, const ErrorContext& context,
                                               const ChatRequest& request);

// Maps an HTTP error answer (x-amzn-ErrorType header, or the body's __type, and its message)
// or a transport failure to a one-line ProviderError naming the endpoint host and the model.
[[nodiscard]] ProviderError mapBedrockError(const http::HttpResult& result, const ErrorContext& context);

// GET /foundation-models: TEXT-output models that can be called on demand.
[[nodiscard]] std::vector<ModelInfo> parseFoundationModels(const nlohmann::json& body);
// GET /inference-profiles: inferenceProfileSummaries[].inferenceProfileId.
[[nodiscard]] std::vector<ModelInfo> parseInferenceProfiles(const nlohmann::json& body);

// Used by listModels() only when Bedrock cannot be reached: a fixed list of current text models
// and their US inference profiles. Display names end with "(built-in list)".
[[nodiscard]] std::vector<ModelInfo> builtInModelsUsedWhenBedrockIsUnreachable();

// A small Claude model through the inference profile of the region's geography.
[[nodiscard]] std::string defaultModelForRegion(const std::string& region);

// Amazon Bedrock through the Converse API, signed with SigV4 (service "bedrock").
class BedrockProvider final : public Provider {
public:
    // Fails with MissingCredentials, or BadRequest when no region is set, before any request is sent.
    static Result<std::shared_ptr<Provider>> create(const ProviderConfig& config,
                                                    const Environment& environment,
                                                    http::Transport transport = http::defaultTransport());

    BedrockProvider(Connection connection, http::Transport transport);

    [[nodiscard]] std::string name() const override { return "bedrock"; }
    [[nodiscard]] ChatResult chat(const ChatRequest& request, const CancellationToken& cancel) override;
    // Foundation models plus inference profiles; the built-in list when Bedrock is unreachable.
    [[nodiscard]] ModelListResult listModels(const CancellationToken& cancel) override;
    [[nodiscard]] std::string defaultModel() const override;

    [[nodiscard]] const Connection& connection() const { return m_connection; }
    [[nodiscard]] const http::Transport& transport() const { return m_transport; }

private:
    [[nodiscard]] Result<http::HttpRequest> signedRequest(const std::string& method, const std::string& url,
                                                          std::string body) const;
    [[nodiscard]] ErrorContext errorContext(const std::string& url, const std::string& model) const;

    Connection m_connection;
    http::Transport m_transport;
};

} // namespace sds::providers::bedrock
