#pragma once

#include "core/RunHistory.h"
#include "gui/EvaluationController.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QToolButton;

namespace sds::gui {

class AppContext;

// Chooses the judge for `sds evaluate RUN`: its provider and model (listed as on the Configure page, with
// the endpoints and secrets of Settings) and the requests in flight. Opens window-modal without blocking,
// and deletes itself when closed.
class EvaluationDialog : public QDialog {
    Q_OBJECT
public:
    EvaluationDialog(AppContext& context, const RunRecord& record, QWidget* parent);

signals:
    void evaluationRequested(const sds::gui::EvaluationRequest& request);

private:
    void providerChanged();
    void refreshModels();
    [[nodiscard]] ProviderChoice currentChoice() const;
    [[nodiscard]] std::string currentModelId() const;

    AppContext& m_context;
    RunRecord m_record;
    std::string m_wantedModel;
    int m_fetchGeneration = 0;
    QComboBox* m_provider;
    QComboBox* m_model;
    QToolButton* m_refresh;
    QLabel* m_modelStatus;
    QSpinBox* m_concurrency;
    QPlainTextEdit* m_rubricPrompt;
    QPushButton* m_start;
};

} // namespace sds::gui
