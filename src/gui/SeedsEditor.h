#pragma once

#include <QWidget>
#include <string>
#include <vector>

class QLabel;
class QListWidget;
class QPushButton;

namespace sds::gui {

class FieldMessage;

// Seed topics as an editable list: add, remove, edit in place, import from a text or JSON file.
class SeedsEditor : public QWidget {
    Q_OBJECT
public:
    explicit SeedsEditor(QWidget* parent = nullptr);

    void setSeeds(const std::vector<std::string>& seeds);
    [[nodiscard]] std::vector<std::string> seeds() const;
    // Appends those not listed yet.
    void addSeeds(const std::vector<std::string>& seeds);
    void setDefaults(std::vector<std::string> defaults) { m_defaults = std::move(defaults); }
    void showProblem(const QString& problem);
    void setImportFolder(const QString& folder) { m_importFolder = folder; }

signals:
    void seedsChanged();

private:
    void addSeed();
    void removeSelected();
    void importFile();
    void updateCount();

    QListWidget* m_list;
    QPushButton* m_add;
    QPushButton* m_remove;
    QPushButton* m_import;
    QPushButton* m_restore;
    QLabel* m_count;
    FieldMessage* m_problem;
    std::vector<std::string> m_defaults;
    QString m_importFolder;
};

} // namespace sds::gui
