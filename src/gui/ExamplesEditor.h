#pragma once

#include "core/Template.h"

#include <QWidget>
#include <vector>

class QPushButton;
class QTableView;

namespace sds::gui {

class ExamplesModel;
class FieldMessage;

// Question/answer pairs in an editable table: add, remove, edit in place, import and export JSON,
// restore the template's.
class ExamplesEditor : public QWidget {
    Q_OBJECT
public:
    explicit ExamplesEditor(QWidget* parent = nullptr);

    void setExamples(std::vector<Example> examples);
    [[nodiscard]] std::vector<Example> examples() const;
    void setDefaults(std::vector<Example> defaults) { m_defaults = std::move(defaults); }
    void setFileFolder(const QString& folder) { m_folder = folder; }
    void showProblem(const QString& problem);
    [[nodiscard]] ExamplesModel* model() const { return m_model; }

private:
    void addExample();
    void removeSelected();
    void importFile();
    void exportFile();
    void fitRows();

    ExamplesModel* m_model;
    QTableView* m_table;
    QPushButton* m_add;
    QPushButton* m_remove;
    QPushButton* m_import;
    QPushButton* m_export;
    QPushButton* m_restore;
    FieldMessage* m_problem;
    FieldMessage* m_fileMessage;
    std::vector<Example> m_defaults;
    QString m_folder;
};

} // namespace sds::gui
