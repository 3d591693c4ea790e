#include "engine/RequestPool.h"

namespace sds::engine {
namespace {

struct SingleRequest final : WorkSource<int> {
    explicit SingleRequest(const providers::ChatRequest& r) : chatRequest(r) {}

    std::optional<int> take() override {
        if (taken)
            return std::nullopt;
        taken = true;
        return 0;
    }
    [[nodiscard]] bool finished() const override { return taken; }
    void abandon(const int&) override {}
    providers::ChatRequest request(const int&) override { return chatRequest; }
    void complete(int&, providers::ChatResponse&& r) override { response = std::move(r); }
    [[nodiscard]] std::string describe(const int&) const override { return "the request"; }

    const providers::ChatRequest& chatRequest;
    bool taken = false;
    std::optional<providers::ChatResponse> response;
};

} // namespace

providers::ChatRequest chatRequest(const std::string& model, std::string system, std::string user,
                                   const ModelParameters& parameters, std::optional<nlohmann::json> schema,
                                   std::string schemaName) {
    providers::ChatRequest request;
    request.model = model;
    request.messages = {{providers::ChatMessage::Role::System, std::move(system)},
                        {providers::ChatMessage::Role::User, std::move(user)}};
    request.temperature = parameters.temperature;
    request.topP = parameters.topP;
    request.topK = parameters.topK;
    request.maxTokens = parameters.maxTokens;
    request.jsonSchema = std::move(schema);
    request.schemaName = std::move(schemaName);
    return request;
}

providers::ChatResult askWithRetries(std::shared_ptr<providers::Provider> provider,
                                     const providers::ChatRequest& request, RetryPolicy policy,
                                     const CancellationToken& cancel) {
    SingleRequest single(request);
    RequestPool<int> pool(single, std::move(provider), 1, policy);
    pool.run(cancel, 1, {});
    if (single.response)
        return std::move(*single.response);
    if (cancel.isCancelled())
        return providers::ProviderError{providers::ErrorKind::Cancelled, "cancelled", {}, {}};
    const std::string message = !pool.fatalError().empty() ? pool.fatalError()
                                : !pool.problems().empty() ? pool.problems().back()
                                                           : std::string("no answer");
    return providers::ProviderError{providers::ErrorKind::Other, message, {}, {}};
}

} // namespace sds::engine
