#pragma once

#include "core/RunHistory.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;

namespace sds::gui {

class AppContext;

// Exports a run's dataset for fine-tuning (`sds export RUN`): format, output file, an optional seeded
// train/validation split, the rows to keep and a system message; lists the files written. Opens
// window-modal without blocking (open()), and deletes itself when closed.
class ExportDialog : public QDialog {
    Q_OBJECT
public:
    ExportDialog(AppContext& context, const RunRecord& record, QWidget* parent);

    // Opens the dialog for `record` over `parent`.
    static ExportDialog* openFor(AppContext& context, const RunRecord& record, QWidget* parent);

signals:
    // Files were written and recorded with the run.
    void exported(const QString& runId);

private:
    void formatChanged();
    void browse();
    void startExport();
    [[nodiscard]] QString defaultOutput(const QString& extension) const;

    AppContext& m_context;
    RunRecord m_record;
    QComboBox* m_format;
    QLineEdit* m_output;
    QCheckBox* m_split;
    QDoubleSpinBox* m_trainFraction;
    QSpinBox* m_randomSeed;
    QCheckBox* m_minScoreCheck;
    QDoubleSpinBox* m_minScore;
    QCheckBox* m_validOnly;
    QPlainTextEdit* m_system;
    QLabel* m_result;
    QListWidget* m_files;
    QPushButton* m_export;
    bool m_busy = false;
};

} // namespace sds::gui
