#include "gui/AppContext.h"

#include "core/Job.h"
#include "gui/AppSettings.h"
#include "gui/Format.h"
#include "gui/GenerationsModel.h"
#include "gui/RunController.h"
#include "gui/SecretStore.h"
#include "gui/Workspace.h"

#include <QThreadPool>
#include <algorithm>

namespace sds::gui {

AppContext::AppContext(std::unique_ptr<SecretBackend> secretBackend, const QString& settingsFile,
                       QObject* parent)
    : QObject(parent),
      m_settings(settingsFile.isEmpty() ? new AppSettings(this) : new AppSettings(settingsFile, this)),
      m_secrets(new SecretStore(std::move(secretBackend), this)), m_workspace(new Workspace(this)),
      m_runs(new RunController(
          *m_workspace, [this] { return providerAccess(); }, this)),
      m_generations(new GenerationsModel(*m_workspace, *m_runs, this)) {
    m_secrets->load();
}

AppContext::~AppContext() {
    // Running generations use the workspace and the history: they stop first.
    delete m_generations;
    delete m_runs;
    // File work still in flight (history reloads, dataset reads) holds the project's files open.
    QThreadPool::globalInstance()->waitForDone();
}

QString AppContext::openProject() {
    const QString folder = m_settings->text(AppSettings::Key::ProjectFolder);
    const Project project = folder.isEmpty() ? Project::fromEnvironment() : Project(ss(folder));
    return m_workspace->open(project.root());
}

ProviderAccess AppContext::providerAccess() const {
    return ProviderAccess(m_workspace->project(), ProviderSettings::from(*m_settings, *m_secrets));
}

int AppContext::defaultConcurrency() const {
    return std::clamp(m_settings->value(AppSettings::Key::DefaultConcurrency).toInt(), 1,
                      JobSpec::kMaxConcurrency);
}

} // namespace sds::gui
