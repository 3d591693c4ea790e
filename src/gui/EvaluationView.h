#pragma once

#include "gui/EvaluationData.h"

#include <QWidget>

class QChartView;
class QLabel;
class QProgressBar;
class QPushButton;
class QTabWidget;
class QTableView;
class QTableWidget;
class QTextBrowser;

namespace sds::gui {

class AppContext;
class EvaluationController;
class FieldMessage;

// The quality of one run: the judge's score distribution as a bar chart, overall and per-seed statistics,
// the rows lowest score first with their justification, the validation counts with the rows that failed,
// and the files exported from the run. Shows an evaluation's progress (with Cancel) while it runs.
class EvaluationView : public QWidget {
    Q_OBJECT
public:
    EvaluationView(AppContext& context, EvaluationController& evaluations, QWidget* parent = nullptr);

    // Shows the run and reads its results again.
    void showRun(const QString& runId);
    void reload();

    [[nodiscard]] QString runId() const { return m_runId; }
    [[nodiscard]] JudgedRowsModel* rowsModel() const { return m_rowsModel; }
    [[nodiscard]] QChartView* chart() const { return m_chart; }

signals:
    void evaluateRequested(const QString& runId);
    void openRunRequested(const QString& runId);
    // The run's data was read and is shown.
    void loaded();

private:
    void apply(const EvaluationData& results);
    void updateProgress();
    void showChart(const EvaluationData& results);
    void showSummary(const EvaluationData& results);
    void showValidation(const EvaluationData& results);
    void showExports(const EvaluationData& results);
    void showSelectedRow();
    void showSelectedFailure();

    AppContext& m_context;
    EvaluationController& m_evaluations;
    QString m_runId;
    RunRecord m_record;
    int m_loadGeneration = 0;
    std::vector<JudgedRow> m_failed;

    QLabel* m_title;
    QLabel* m_subtitle;
    QLabel* m_status;
    QProgressBar* m_progress;
    QPushButton* m_cancel;
    QPushButton* m_evaluate;
    QPushButton* m_keepRows;
    QPushButton* m_export;
    QPushButton* m_openRun;
    FieldMessage* m_error;
    QTabWidget* m_tabs;
    QChartView* m_chart;
    QTableWidget* m_summary;
    JudgedRowsModel* m_rowsModel;
    QTableView* m_rows;
    QTextBrowser* m_rowDetail;
    QLabel* m_validationCounts;
    QTableWidget* m_failures;
    QTextBrowser* m_failureDetail;
    QTableWidget* m_exports;
};

} // namespace sds::gui
