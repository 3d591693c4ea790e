#include "gui/Workspace.h"

#include "gui/Format.h"

#include <algorithm>

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

std::vector<const Template*> Workspace::orderedTemplates() const {
    static const std::vector<std::string> builtInOrder = {"code_generation", "text_to_sql", "custom"};
    const auto rank = [](const Template* entry) {
        const auto found = std::find(builtInOrder.begin(), builtInOrder.end(), entry->id);
        return static_cast<std::size_t>(found - builtInOrder.begin());
    };
    std::vector<const Template*> ordered;
    for (const auto& entry : m_templates.templates())
        ordered.push_back(&entry);
    std::stable_sort(ordered.begin(), ordered.end(), [&rank](const Template* a, const Template* b) {
        return rank(a) != rank(b) ? rank(a) < rank(b) : a->name < b->name;
    });
    return ordered;
}

QString Workspace::templateName(const std::string& id) const {
    if (const auto* found = m_templates.find(id))
        return qs(found->name);
    return qs(id);
}

} // namespace sds::gui
