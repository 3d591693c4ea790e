#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace sds::providers {

// Reads process environment and files; replaced in tests so the credential chains can be checked
// without touching the real environment or home folder.
class Environment {
public:
    virtual ~Environment() = default;
    [[nodiscard]] virtual std::optional<std::string> get(const std::string& name) const = 0;
    [[nodiscard]] virtual std::optional<std::string> readFile(const std::string& path) const = 0;
    [[nodiscard]] virtual std::string homeDir() const = 0;
};

class SystemEnvironment final : public Environment {
public:
    [[nodiscard]] std::optional<std::string> get(const std::string& name) const override;
    [[nodiscard]] std::optional<std::string> readFile(const std::string& path) const override;
    [[nodiscard]] std::string homeDir() const override;
};

class FakeEnvironment final : public Environment {
public:
    std::map<std::string, std::string> variables;
    std::map<std::string, std::string> files;
    std::string home = "/home/test";

    [[nodiscard]] std::optional<std::string> get(const std::string& name) const override;
    [[nodiscard]] std::optional<std::string> readFile(const std::string& path) const override;
    [[nodiscard]] std::string homeDir() const override { return home; }
};

// Values set in the app's settings (e.g. AWS keys from the keychain) in front of another environment.
class OverlayEnvironment final : public Environment {
public:
    explicit OverlayEnvironment(const Environment& base) : m_base(base) {}
    std::map<std::string, std::string> variables;

    [[nodiscard]] std::optional<std::string> get(const std::string& name) const override;
    [[nodiscard]] std::optional<std::string> readFile(const std::string& path) const override {
        return m_base.readFile(path);
    }
    [[nodiscard]] std::string homeDir() const override { return m_base.homeDir(); }

private:
    const Environment& m_base;
};

// Everything a provider needs to be built; fields a provider does not use are ignored.
struct ProviderConfig {
    std::string provider; // "bedrock", "caii", "openai", "local"
    std::string endpoint; // base URL override; empty: the provider's default / environment
    std::string region;   // bedrock
    std::string profile;  // bedrock: AWS profile name
    std::string apiKey;   // openai / caii token when given explicitly (never logged)
    std::string caBundlePath;
    std::string modelPath; // local: a GGUF file
    std::string modelsDir; // local: the project's models folder, listed as choices
    std::chrono::milliseconds requestTimeout{std::chrono::minutes(5)};
};

} // namespace sds::providers
