#pragma once

#include "core/Job.h"
#include "gui/RunController.h"

#include <QList>
#include <QWidget>

class QLabel;
class QPushButton;
class QStackedWidget;

namespace sds::gui {

class AppContext;
class ConfigurePage;
class PromptPage;
class ExamplesPage;
class SummaryPage;
class RunOutputView;
class WizardPage;

// Create Dataset: Configure, Prompt, Examples, Summary, Output, with Back and Next. Owns the draft job,
// which each page fills in when the user moves on; Generate hands it to the RunController.
class DatasetWizard : public QWidget {
    Q_OBJECT
public:
    enum Step { Configure, Prompt, Examples, Summary, Output, StepCount };

    explicit DatasetWizard(AppContext& context, QWidget* parent = nullptr);

    // A new draft from a template, with the embedded model.
    void startNew(const std::string& templateId);
    // A draft from an existing job (edit a copy of a run).
    void startFrom(const JobSpec& job);
    // The Output step for a run of this session.
    void showRun(RunTicket ticket);

    [[nodiscard]] const JobSpec& draft() const { return m_draft; }
    [[nodiscard]] Step step() const { return m_step; }
    [[nodiscard]] RunOutputView* output() const { return m_output; }

    void next();
    void back();

signals:
    void leftToHome();
    void settingsRequested();
    void runStarted(sds::gui::RunTicket ticket);

private:
    void setStep(Step step);
    void generate();
    [[nodiscard]] WizardPage* pageAt(Step step) const;

    AppContext& m_context;
    JobSpec m_draft;
    Step m_step = Configure;
    QList<QLabel*> m_stepLabels;
    QStackedWidget* m_stack;
    ConfigurePage* m_configure;
    PromptPage* m_prompt;
    ExamplesPage* m_examples;
    SummaryPage* m_summary;
    RunOutputView* m_output;
    QPushButton* m_back;
    QPushButton* m_next;
    QPushButton* m_newDataset;
};

} // namespace sds::gui
