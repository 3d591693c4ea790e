#pragma once

#include "core/Job.h"
#include "core/RunHistory.h"
#include "gui/RunController.h"

#include <QWidget>
#include <functional>
#include <optional>

class QAction;
class QComboBox;
class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;
class QToolButton;

namespace sds::gui {

class AppContext;

// Every run of the history, sortable and filterable, with open, re-run, edit a copy, resume, retry failed
// only, rename and delete; and for a finished run: evaluate, its quality view, keep the good rows, and
// export.
class GenerationsPage : public QWidget {
    Q_OBJECT
public:
    explicit GenerationsPage(AppContext& context, QWidget* parent = nullptr);

    [[nodiscard]] QTableView* table() const { return m_table; }
    // Selects the run's row; false when it is not in the (filtered) list.
    bool selectRun(const QString& runId);

signals:
    void openRunRequested(const QString& runId);
    void runStarted(sds::gui::RunTicket ticket);
    void editCopyRequested(const sds::JobSpec& job);
    void evaluateRequested(const QString& runId);
    void evaluationRequested(const QString& runId);

private:
    [[nodiscard]] const RunRecord* selectedRecord() const;
    void updateActions();
    void withSelectedJob(const std::function<void(const JobSpec&)>& use);
    void rerunSelected();
    void editCopySelected();
    void resumeSelected();
    void retryFailedSelected();
    // A run stopped at its budget resumes with a higher one; none when the user gave none.
    [[nodiscard]] std::optional<double> askForBudget(const RunRecord& record);
    void renameSelected();
    void deleteSelected();
    void showMessage(bool ok, const QString& message);

    AppContext& m_context;
    QLineEdit* m_filter;
    QComboBox* m_statusFilter;
    QSortFilterProxyModel* m_proxy;
    QTableView* m_table;
    QLabel* m_message;
    QAction* m_open;
    QAction* m_rerun;
    QAction* m_editCopy;
    QAction* m_resume;
    QAction* m_retryFailed;
    QAction* m_rename;
    QAction* m_delete;
    QAction* m_evaluate;
    QAction* m_showEvaluation;
    QAction* m_keepRows;
    QAction* m_export;
};

} // namespace sds::gui
