#pragma once

#include "core/Template.h"

#include <string>
#include <variant>
#include <vector>

namespace sds::engine {

// Seeds from a text file (one per line, blank lines and # comments skipped) or a JSON array of strings.
[[nodiscard]] std::variant<std::vector<std::string>, std::string> readSeedsFile(const std::string& path);
// Examples from a JSON array of {"question", "solution"} objects.
[[nodiscard]] std::variant<std::vector<Example>, std::string> readExamplesFile(const std::string& path);

} // namespace sds::engine
