#include "gui/Workspace.h"

#include "gui/Format.h"

namespace sds::gui {

Workspace::Workspace(QObject* parent) : QObject(parent) {}

QString Workspace::open(const std::filesystem::path& root) {
    Project project(root);
    if (auto error = project.ensureExists(); !error.empty())
        return qs(error);
    auto history = std::make_shared<RunHistory>();
    if (auto error = history->open(project.historyDatabase()); !error.empty())
        return qs(error);
    m_project = std::move(project);
    m_history = std::move(history);
    m_templates = m_project.loadTemplates();
    emit projectChanged();
    return {};
}

QString Workspace::templateName(const std::string& id) const {
    if (const auto* found = m_templates.find(id))
        return qs(found->name);
    return qs(id);
}

} // namespace sds::gui
