#pragma once

#include "core/RunHistory.h"
#include "core/quality/RowQualityGate.h"
#include "gui/RunController.h"

#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;
class QTableView;
class QTextBrowser;

namespace sds::gui {

class AppContext;
class FieldMessage;
class RowsModel;

// One run: live progress while it goes, its rows as they arrive, and where the dataset was saved.
// Shows a run of this session by ticket, or any run of the history from its dataset or journal.
class RunOutputView : public QWidget {
    Q_OBJECT
public:
    explicit RunOutputView(AppContext& context, QWidget* parent = nullptr);

    void showTicket(RunTicket ticket);
    void showRecord(const RunRecord& record);

    [[nodiscard]] std::optional<RunTicket> ticket() const { return m_ticket; }
    [[nodiscard]] QString runId() const { return m_runId; }
    [[nodiscard]] RowsModel* rowsModel() const { return m_rowsModel; }

signals:
    // The run's Evaluation view: scores, validation and exports.
    void evaluationRequested(const QString& runId);

private:
    void updateFromState();
    void showSelectedRow();
    void setHeader(const JobSpec& job);
    void setStats(const QString& rows, const QString& rate, const QString& eta, const QString& retries,
                  const QString& failures, const QString& tokens);
    // "$0.42", "$0.42 of $1.00", or "unknown price" when the model has none.
    void showCost(const std::optional<double>& costUsd, const std::optional<double>& maxCostUsd);
    // Rows turned away during the run and asked for again; hidden while nothing is known about them.
    void showRejections(std::optional<int> nearDuplicates, const quality::RejectionCounts& lowQuality);
    void showSaved(const QString& datasetPath);
    void showValidation(const std::string& validationJson);
    // Reads the run's history entry again (validation counts, score) once it has ended.
    void refreshRecord();
    void exportRun();

    AppContext& m_context;
    std::optional<RunTicket> m_ticket;
    QString m_runId;
    QString m_datasetPath;
    bool m_codeCompletions = false;
    int m_loadGeneration = 0;

    QLabel* m_title;
    QLabel* m_subtitle;
    QLabel* m_status;
    QProgressBar* m_progress;
    QLabel* m_rows;
    QLabel* m_rate;
    QLabel* m_eta;
    QLabel* m_retries;
    QLabel* m_failures;
    QLabel* m_tokens;
    QLabel* m_cost;
    QLabel* m_rejections;
    QPushButton* m_cancel;
    QLabel* m_savedTo;
    QPushButton* m_openFolder;
    QPushButton* m_export;
    QPushButton* m_evaluation;
    QLabel* m_validation;
    FieldMessage* m_error;
    RowsModel* m_rowsModel;
    QTableView* m_table;
    QTextBrowser* m_promptDetail;
    QTextBrowser* m_completionDetail;
};

} // namespace sds::gui
