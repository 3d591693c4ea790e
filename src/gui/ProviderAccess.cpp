#include "gui/ProviderAccess.h"

#include "engine/JobSetup.h"
#include "gui/AppSettings.h"
#include "gui/Background.h"
#include "gui/Format.h"
#include "gui/SecretStore.h"
#include "providers/ProviderFactory.h"
#include "providers/local/LocalProvider.h"

namespace sds::gui {

QThreadPool* providerCallPool() {
    static QThreadPool* pool = [] {
        auto* created = new QThreadPool;
        created->setMaxThreadCount(8);
        return created;
    }();
    return pool;
}

ProviderSettings ProviderSettings::from(const AppSettings& settings, const SecretStore& secrets) {
    using Key = AppSettings::Key;
    ProviderSettings values;
    values.localModelFile = ss(settings.text(Key::LocalModelFile));
    values.awsProfile = ss(settings.text(Key::AwsProfile));
    values.awsRegion = ss(settings.text(Key::AwsRegion));
    values.awsAccessKeyId = ss(secrets.value(Secret::AwsAccessKeyId));
    values.awsSecretAccessKey = ss(secrets.value(Secret::AwsSecretAccessKey));
    values.awsSessionToken = ss(secrets.value(Secret::AwsSessionToken));
    values.caiiEndpoint = ss(settings.text(Key::CaiiEndpoint));
    values.caiiToken = ss(secrets.value(Secret::CaiiToken));
    values.caiiJwtFile = ss(settings.text(Key::CaiiJwtFile));
    values.openAiBaseUrl = ss(settings.text(Key::OpenAiBaseUrl));
    values.openAiApiKey = ss(secrets.value(Secret::OpenAiApiKey));
    return values;
}

std::map<std::string, std::string> ProviderSettings::environmentVariables() const {
    std::map<std::string, std::string> variables;
    const auto put = [&](const char* name, const std::string& value) {
        if (!value.empty())
            variables[name] = value;
    };
    if (!awsAccessKeyId.empty() && !awsSecretAccessKey.empty()) {
        put("AWS_ACCESS_KEY_ID", awsAccessKeyId);
        put("AWS_SECRET_ACCESS_KEY", awsSecretAccessKey);
        put("AWS_SESSION_TOKEN", awsSessionToken);
    }
    put("CDP_TOKEN", caiiToken);
    put("CDP_JWT_PATH", caiiJwtFile);
    put("OPENAI_API_KEY", openAiApiKey);
    return variables;
}

ProviderAccess::ProviderAccess(Project project, ProviderSettings settings)
    : m_project(std::move(project)), m_settings(std::move(settings)) {}

void ProviderAccess::fillFromSettings(ProviderChoice& choice) const {
    if (choice.name == "openai" && choice.endpoint.empty())
        choice.endpoint = m_settings.openAiBaseUrl;
    if (choice.name == "caii" && choice.endpoint.empty())
        choice.endpoint = m_settings.caiiEndpoint;
    if (choice.name == "bedrock") {
        if (choice.region.empty())
            choice.region = m_settings.awsRegion;
        if (choice.profile.empty())
            choice.profile = m_settings.awsProfile;
    }
}

providers::Result<std::shared_ptr<providers::Provider>>
ProviderAccess::makeProvider(const ProviderChoice& choice, std::chrono::milliseconds requestTimeout) const {
    auto config = engine::providerConfigFor(choice, m_project);
    if (choice.name == "local" && config.modelPath.empty())
        config.modelPath = m_settings.localModelFile;
    config.requestTimeout = requestTimeout;
    const providers::SystemEnvironment system;
    providers::OverlayEnvironment environment(system);
    environment.variables = m_settings.environmentVariables();
    return providers::makeProvider(config, environment);
}

providers::ModelListResult ProviderAccess::listModels(const ProviderChoice& choice,
                                                      const CancellationToken& cancel) const {
    auto provider = makeProvider(choice, std::chrono::seconds(20));
    if (!provider.ok())
        return provider.error();
    return provider.value()->listModels(cancel);
}

ProviderAccess::TestResult ProviderAccess::testConnection(const ProviderChoice& choice,
                                                          const CancellationToken& cancel) const {
    auto provider = makeProvider(choice, std::chrono::seconds(20));
    if (!provider.ok())
        return {false, qs(provider.error().message)};
    const auto models = provider.value()->listModels(cancel);
    if (!models.ok())
        return {false, qs(models.error().message)};
    if (auto* local = dynamic_cast<providers::local::LocalProvider*>(provider.value().get())) {
        if (auto error = local->ensureStarted(cancel))
            return {false, qs(error->message)};
        return {true, QObject::tr("The embedded model started: %1").arg(qs(local->defaultModel()))};
    }
    return {true, QObject::tr("Connected: %1 offered.")
                      .arg(counted(static_cast<std::int64_t>(models.value().size()), QObject::tr("model"),
                                   QObject::tr("models")))};
}

} // namespace sds::gui
