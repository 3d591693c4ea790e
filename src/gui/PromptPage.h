#pragma once

#include "gui/WizardPage.h"

class QDoubleSpinBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;

namespace sds::gui {

class AppContext;
class FieldMessage;
class SeedsEditor;

// Step 2: the prompt, seeds, model parameters, dataset size and (Text to SQL) the database schema.
class PromptPage : public WizardPage {
    Q_OBJECT
public:
    explicit PromptPage(AppContext& context, QWidget* parent = nullptr);

    [[nodiscard]] QString title() const override { return tr("Prompt"); }
    void initializePage(const JobSpec& draft) override;
    void storeInto(JobSpec& draft) override;
    bool validatePage(JobSpec& draft) override;

    // Replaces the prompt as one edit, so Undo in the editor brings the old one back.
    void replacePrompt(const QString& prompt);

private:
    void updateRequests();
    void clearMessages();
    void showWorkflow();
    void generatePrompt();
    void suggestSeeds();
    [[nodiscard]] JobSpec currentJob();

    AppContext& m_context;
    JobSpec m_job; // the draft as it came in: workflow, files, provider
    std::string m_templateId;
    QString m_useCase;
    QPlainTextEdit* m_prompt;
    QPushButton* m_restorePrompt;
    QPushButton* m_generatePrompt;
    FieldMessage* m_promptError;
    QGroupBox* m_seedsBox;
    SeedsEditor* m_seeds;
    QPushButton* m_suggestSeeds;
    QGroupBox* m_schemaBox;
    QPlainTextEdit* m_schema;
    QPushButton* m_restoreSchema;
    FieldMessage* m_schemaError;
    QDoubleSpinBox* m_temperature;
    QSpinBox* m_topK;
    QDoubleSpinBox* m_topP;
    QSpinBox* m_maxTokens;
    FieldMessage* m_parametersError;
    QFormLayout* m_sizeForm;
    QSpinBox* m_size;
    QLabel* m_requests;
    FieldMessage* m_sizeError;
    QSpinBox* m_rowsPerRequest;
    QDoubleSpinBox* m_similarity;
    QSpinBox* m_concurrency;
    FieldMessage* m_throughputError;
};

} // namespace sds::gui
