#pragma once

#include "gui/ProviderAccess.h"

#include <QObject>
#include <QString>
#include <memory>

namespace sds::gui {

class AppSettings;
class GenerationsModel;
class RunController;
class SecretBackend;
class SecretStore;
class Workspace;

// The long-lived objects every page uses, built once per app (and once per test).
class AppContext : public QObject {
    Q_OBJECT
public:
    // Secrets in `secretBackend` (the OS keychain in the app); settings in `settingsFile`, or where the
    // platform keeps them when empty.
    explicit AppContext(std::unique_ptr<SecretBackend> secretBackend, const QString& settingsFile = {},
                        QObject* parent = nullptr);
    ~AppContext() override;

    // Opens the project folder Settings name, else SDS_PROJECT_DIR / ~/SyntheticDataStudio. An error, empty
    // on success.
    [[nodiscard]] QString openProject();

    [[nodiscard]] AppSettings& settings() { return *m_settings; }
    [[nodiscard]] SecretStore& secrets() { return *m_secrets; }
    [[nodiscard]] Workspace& workspace() { return *m_workspace; }
    [[nodiscard]] RunController& runs() { return *m_runs; }
    [[nodiscard]] GenerationsModel& generations() { return *m_generations; }

    // Settings and secrets as they are now, for building providers on any thread.
    [[nodiscard]] ProviderAccess providerAccess() const;
    [[nodiscard]] int defaultConcurrency() const;

private:
    AppSettings* m_settings;
    SecretStore* m_secrets;
    Workspace* m_workspace;
    RunController* m_runs;
    GenerationsModel* m_generations;
};

} // namespace sds::gui
