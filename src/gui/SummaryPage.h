#pragma once

#include "core/Cancellation.h"
#include "engine/CostEstimate.h"
#include "gui/DocumentPreviewDialog.h"
#include "gui/WizardPage.h"

#include <optional>

class QCheckBox;
class QLabel;
class QLineEdit;
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
    // The price typed for this job (when it is not the table's) and the budget.
    void storeInto(JobSpec& draft) override;
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
    // Requests and tokens in the background (documents and curation input are read, the history asked),
    // then renderCost() with whatever price the fields hold.
    void estimate();
    void renderCost();
    // The price in the fields: none when both are empty; `problem` says what is wrong with them.
    [[nodiscard]] std::optional<TokenPrice> typedPrice(QString* problem = nullptr) const;
    [[nodiscard]] std::optional<double> typedBudget(QString* problem = nullptr) const;
    // A Bedrock job from seeds or documents with at least the batch minimum of requests.
    [[nodiscard]] static bool canRunAsBatch(const JobSpec& job);
    // The mode the check box chose and, for a batch job, the S3 location and role from Settings.
    void storeMode(JobSpec& job) const;

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
    QLineEdit* m_priceIn;
    QLineEdit* m_priceOut;
    QLabel* m_priceSource;
    QLineEdit* m_maxCost;
    QLabel* m_costEstimate;
    QCheckBox* m_runAsBatch;
    QString m_batchBudgetProblem;                   // the priced estimate of a batch job passes the budget
    std::optional<engine::CostEstimate> m_estimate; // priced by renderCost() as the fields say
    std::optional<FoundPrice> m_tablePrice;
    QString m_estimateError;
    int m_estimateGeneration = 0;
};

} // namespace sds::gui
