#include "providers/ProviderFactory.h"

#include "providers/bedrock/BedrockProvider.h"
#include "providers/caii/CaiiProvider.h"
#include "providers/local/LocalProvider.h"
#include "providers/openai/OpenAiProvider.h"

namespace sds::providers {

const std::vector<ProviderDescription>& knownProviders() {
    static const std::vector<ProviderDescription> providers = {
        {"local", "Embedded local model"},
        {"bedrock", "AWS Bedrock"},
        {"caii", "Cloudera AI Inference"},
        {"openai", "OpenAI-compatible"},
    };
    return providers;
}

Result<std::shared_ptr<Provider>> makeProvider(const ProviderConfig& config, const Environment& environment,
                                               http::Transport transport) {
    if (config.provider == "openai")
        return std::shared_ptr<Provider>(
            std::make_shared<openai::OpenAiProvider>(config, environment, std::move(transport)));
    if (config.provider == "caii")
        return caii::CaiiProvider::create(config, environment, std::move(transport));
    if (config.provider == "bedrock")
        return bedrock::BedrockProvider::create(config, environment, std::move(transport));
    if (config.provider == "local")
        return local::LocalProvider::create(config, environment, std::move(transport));
    return ProviderError{ErrorKind::BadRequest,
                         "unknown provider \"" + config.provider +
                             "\" (choose local, bedrock, caii or openai)",
                         std::nullopt, std::nullopt};
}

} // namespace sds::providers
