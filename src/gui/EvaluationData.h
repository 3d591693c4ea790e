#pragma once

#include "core/RowScores.h"
#include "core/RunHistory.h"
#include "engine/Validation.h"

#include <QAbstractTableModel>
#include <QString>
#include <memory>
#include <optional>
#include <vector>

namespace sds::gui {

// One row of a run's dataset with what the judge and the validator said about it.
struct JudgedRow {
    std::size_t row = 0; // 0-based position in the dataset
    QString seed;
    QString question;
    QString answer;
    std::optional<double> score;
    QString justification;
    QString validation; // "passed", "failed", … or empty when not validated
    QString validationMessage;
};

// Everything the Evaluation view shows about one run, read off the GUI thread.
struct EvaluationData {
    RunRecord record;
    QString error; // the run or its files cannot be read
    std::size_t datasetRows = 0;
    int minScore = 1;
    int maxScore = 5;
    QString judge; // "OpenAI-compatible / model", empty when not evaluated
    EvaluationSummary summary;
    std::vector<JudgedRow> scored; // lowest score first, then by row
    bool validated = false;
    engine::ValidationCounts validation;
    std::vector<JudgedRow> failed; // rows that failed validation, by row
    std::vector<ExportRecord> exports;
};

// Reads the run's dataset, its evaluation and validation results and its exports. `minScore`/`maxScore`
// are the template's scale, used when the evaluation does not say.
[[nodiscard]] EvaluationData loadEvaluationData(const std::shared_ptr<RunHistory>& history,
                                                const std::string& runId, int minScore, int maxScore);

// The judged rows, lowest score first: row number, score, seed, justification, validation.
class JudgedRowsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Row, Score, Seed, Justification, Validation, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1 };

    explicit JudgedRowsModel(QObject* parent = nullptr);

    void setRows(std::vector<JudgedRow> rows);
    [[nodiscard]] const JudgedRow* row(int index) const;

    [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(int section, Qt::Orientation orientation,
                                      int role = Qt::DisplayRole) const override;

private:
    std::vector<JudgedRow> m_rows;
};

// "**Question** … **Answer** … **Score** …" as Markdown, for the detail pane.
[[nodiscard]] QString judgedRowMarkdown(const JudgedRow& row);

} // namespace sds::gui
