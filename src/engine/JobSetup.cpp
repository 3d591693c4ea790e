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
        // A small model keeps to exactly N items of bounded length, and copies examples it is shown.
        options.boundItemCount = true;
        options.prompt.doNotRepeatLimit = 20;
        options.prompt.maxExamples = 0;
        options.prompt.seedPersona = true;
        // A small model repeats itself often: let a seed ask more times before the run ends partial.
        options.refillFactor = 4.0;
    }
    return options;
}

} // namespace sds::engine
