#pragma once

#include "core/Cancellation.h"
#include "gui/DocumentPreviewDialog.h"
#include "gui/WizardPage.h"

#include <optional>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTextBrowser;

namespace sds::gui {

class AppContext;
class FieldMessage;

// Step 4: everything chosen, read-only, with the prompt as it will be sent; saves the job or starts it.
class SummaryPage : public WizardPage {
    Q_OBJECT
public:
    explicit SummaryPage(AppContext& context, QWidget* parent = nullptr);

    [[nodiscard]] QString title() const override { return tr("Summary"); }
    void initializePage(const JobSpec& draft) override;
    void storeInto(JobSpec&) override {}
    bool validatePage(JobSpec& draft) override;

    void showProblem(const QString& problem);

    // The system and user messages of the first request: for the first seed, the first excerpt of the
    // documents, or the first element to curate (placeholders while `check` is unknown).
    [[nodiscard]] static QString finalPrompt(const JobSpec& job, const InputCheck* check = nullptr);

signals:
    void generateRequested();

private:
    void saveJob();
    void render();

    AppContext& m_context;
    JobSpec m_job;
    std::optional<InputCheck> m_check;
    int m_checkGeneration = 0;
    CancellationToken m_checkCancel;
    QTextBrowser* m_summary;
    QLabel* m_notices;
    QLabel* m_promptCaption;
    QPlainTextEdit* m_finalPrompt;
    QPushButton* m_save;
    QPushButton* m_generate;
    QLabel* m_saveStatus;
    FieldMessage* m_problem;
};

} // namespace sds::gui
