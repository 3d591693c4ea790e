#include "providers/ProviderConfig.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace sds::providers {

std::optional<std::string> SystemEnvironment::get(const std::string& name) const {
    const char* value = std::getenv(name.c_str()); // NOLINT(concurrency-mt-unsafe)
    if (!value || !*value)
        return std::nullopt;
    return std::string(value);
}

std::optional<std::string> SystemEnvironment::readFile(const std::string& path) const {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return std::nullopt;
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

std::string SystemEnvironment::homeDir() const {
    return get("HOME").value_or("/");
}

std::optional<std::string> FakeEnvironment::get(const std::string& name) const {
    const auto it = variables.find(name);
    if (it == variables.end() || it->second.empty())
        return std::nullopt;
    return it->second;
}

std::optional<std::string> FakeEnvironment::readFile(const std::string& path) const {
    const auto it = files.find(path);
    if (it == files.end())
        return std::nullopt;
    return it->second;
}

std::optional<std::string> OverlayEnvironment::get(const std::string& name) const {
    const auto it = variables.find(name);
    if (it != variables.end() && !it->second.empty())
        return it->second;
    return m_base.get(name);
}

} // namespace sds::providers
