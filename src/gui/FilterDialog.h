#pragma once

#include "core/RunHistory.h"

#include <QDialog>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace sds::gui {

class AppContext;

// "Keep rows scoring at least N": writes a filtered copy of a run's dataset (`sds filter RUN`), optionally
// without the rows that failed validation. The dataset itself is never changed. Opens window-modal
// without blocking, and deletes itself when closed.
class FilterDialog : public QDialog {
    Q_OBJECT
public:
    // `minScore`/`maxScore`: the run's scale.
    FilterDialog(AppContext& context, const RunRecord& record, int minScore, int maxScore, QWidget* parent);

    static FilterDialog* openFor(AppContext& context, const RunRecord& record, QWidget* parent);

signals:
    void filtered(const QString& runId, const QString& output);

private:
    void browse();
    void keep();

    AppContext& m_context;
    RunRecord m_record;
    QCheckBox* m_minScoreCheck;
    QSpinBox* m_minScore;
    QCheckBox* m_validOnly;
    QLineEdit* m_output;
    QLabel* m_result;
    QPushButton* m_keep;
    bool m_busy = false;
};

// The scale a run was (or will be) scored on: from its evaluation, else its template's rubric.
[[nodiscard]] std::pair<int, int> scoreScale(AppContext& context, const RunRecord& record);

} // namespace sds::gui
