#pragma once

#include "providers/Provider.h"
#include "providers/ProviderConfig.h"
#include "providers/http/Http.h"

#include <memory>
#include <string>
#include <vector>

namespace sds::providers {

struct ProviderDescription {
    std::string id;          // "local", "bedrock", "caii", "openai"
    std::string displayName; // "Embedded local model", "AWS Bedrock", …
};
[[nodiscard]] const std::vector<ProviderDescription>& knownProviders();

// Builds the provider named in `config.provider`, or says in one line why it cannot (unknown name,
// missing credentials, missing endpoint). The local provider is registered by the local module.
[[nodiscard]] Result<std::shared_ptr<Provider>>
makeProvider(const ProviderConfig& config, const Environment& environment,
             http::Transport transport = http::defaultTransport());

} // namespace sds::providers
