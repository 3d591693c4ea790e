#pragma once

#include "core/Job.h"
#include "core/Project.h"
#include "engine/GenerationRun.h"
#include "providers/ProviderConfig.h"

namespace sds::engine {

// The embedded server decodes 2 sequences at once (one per core here), and a small model keeps to
// 2 rows per request best.
inline constexpr int kLocalModelConcurrency = 2;
inline constexpr int kLocalModelRowsPerRequest = 2;

[[nodiscard]] providers::ProviderConfig providerConfigFor(const ProviderChoice& choice,
                                                          const Project& project);
[[nodiscard]] RunOptions runOptionsFor(const JobSpec& job);

} // namespace sds::engine
