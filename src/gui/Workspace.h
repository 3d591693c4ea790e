#pragma once

#include "core/Project.h"
#include "core/RunHistory.h"
#include "core/Template.h"

#include <QObject>
#include <QString>
#include <memory>

namespace sds::gui {

// The open project folder: its run history and templates.
class Workspace : public QObject {
    Q_OBJECT
public:
    explicit Workspace(QObject* parent = nullptr);

    // Opens (creating if needed) the project at `root`; an error naming the folder or file, empty on success.
    // On failure the previous project stays open.
    [[nodiscard]] QString open(const std::filesystem::path& root);

    [[nodiscard]] bool isOpen() const { return m_history != nullptr; }
    [[nodiscard]] const Project& project() const { return m_project; }
    // Shared with running generations, which keep it alive if another project is opened meanwhile.
    [[nodiscard]] const std::shared_ptr<RunHistory>& history() const { return m_history; }
    [[nodiscard]] const TemplateRegistry& templates() const { return m_templates; }
    // Code Generation, Text to SQL and Custom first, then the project's own templates by name.
    [[nodiscard]] std::vector<const Template*> orderedTemplates() const;
    [[nodiscard]] const Template* findTemplate(const std::string& id) const { return m_templates.find(id); }
    [[nodiscard]] QString templateName(const std::string& id) const;

signals:
    void projectChanged();

private:
    Project m_project{std::filesystem::path()};
    std::shared_ptr<RunHistory> m_history;
    TemplateRegistry m_templates;
};

} // namespace sds::gui
