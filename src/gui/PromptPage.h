#pragma once

#include "gui/WizardPage.h"

class QDoubleSpinBox;
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

private:
    void updateRequests();
    void clearMessages();

    AppContext& m_context;
    std::string m_templateId;
    QPlainTextEdit* m_prompt;
    QPushButton* m_restorePrompt;
    FieldMessage* m_promptError;
    SeedsEditor* m_seeds;
    QGroupBox* m_schemaBox;
    QPlainTextEdit* m_schema;
    QPushButton* m_restoreSchema;
    FieldMessage* m_schemaError;
    QDoubleSpinBox* m_temperature;
    QSpinBox* m_topK;
    QDoubleSpinBox* m_topP;
    QSpinBox* m_maxTokens;
    FieldMessage* m_parametersError;
    QSpinBox* m_size;
    QLabel* m_requests;
    FieldMessage* m_sizeError;
    QSpinBox* m_rowsPerRequest;
    QSpinBox* m_concurrency;
    FieldMessage* m_throughputError;
};

} // namespace sds::gui
