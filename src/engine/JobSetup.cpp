#include "engine/JobSetup.h"

namespace sds::engine {

providers::ProviderConfig providerConfigFor(const ProviderChoice& choice, const Project& project) {
    providers::ProviderConfig config;
    config.provider = choice.name;
    config.endpoint = choice.endpoint;
    config.region = choice.region;
    config.profile = choice.profile;
    config.caBundlePath = choice.caBundlePath;
    if (choice.name == "local" && !choice.model.empty())
        config.modelPath = choice.model;
    config.modelsDir = project.modelsDir().string();
    return config;
}

RunOptions runOptionsFor(const JobSpec& job) {
    RunOptions options;
    if (job.provider.name == "local") {
        options.boundItemCount = true; // keeps a small model on exactly N items
        options.prompt.doNotRepeatLimit = 20;
        options.prompt.maxExamples = 2;
    }
    return options;
}

} // namespace sds::engine
