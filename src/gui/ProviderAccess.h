#pragma once

#include "core/Cancellation.h"
#include "core/Job.h"
#include "core/Project.h"
#include "providers/Provider.h"
#include "providers/ProviderConfig.h"

#include <QString>
#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace sds::gui {

class AppSettings;
class SecretStore;

// What Settings say about each provider: endpoints, region, profile, the local model, and the secrets.
struct ProviderSettings {
    std::string localModelFile;
    std::string awsProfile;
    std::string awsRegion;
    std::string awsAccessKeyId;
    std::string awsSecretAccessKey;
    std::string awsSessionToken;
    std::string caiiEndpoint;
    std::string caiiToken;
    std::string caiiJwtFile;
    std::string openAiBaseUrl;
    std::string openAiApiKey;

    [[nodiscard]] static ProviderSettings from(const AppSettings& settings, const SecretStore& secrets);
    // The secrets and files as the environment variables the providers read (AWS_ACCESS_KEY_ID, CDP_TOKEN,
    // …).
    [[nodiscard]] std::map<std::string, std::string> environmentVariables() const;
};

// Builds providers the way the CLI does (engine::providerConfigFor), with Settings in front of the process
// environment. A value: captured on the GUI thread, used on any thread.
class ProviderAccess {
public:
    ProviderAccess(Project project, ProviderSettings settings);

    // The endpoint, region and profile Settings give a provider, where the choice has none.
    void fillFromSettings(ProviderChoice& choice) const;

    // Reads files and the environment: call off the GUI thread. Starts nothing.
    [[nodiscard]] providers::Result<std::shared_ptr<providers::Provider>>
    makeProvider(const ProviderChoice& choice,
                 std::chrono::milliseconds requestTimeout = std::chrono::minutes(5)) const;
    // The models the provider offers (blocking).
    [[nodiscard]] providers::ModelListResult listModels(const ProviderChoice& choice,
                                                        const CancellationToken& cancel) const;

    struct TestResult {
        bool ok = false;
        QString message;
    };
    // Lists the models (and, for the embedded model, starts its server once): blocking.
    [[nodiscard]] TestResult testConnection(const ProviderChoice& choice,
                                            const CancellationToken& cancel) const;

    [[nodiscard]] const Project& project() const { return m_project; }

private:
    Project m_project;
    ProviderSettings m_settings;
};

} // namespace sds::gui
