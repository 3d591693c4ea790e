#pragma once

#include "gui/DocumentPreviewDialog.h"
#include "gui/WizardPage.h"

#include <QStringList>
#include <QTimer>
#include <optional>

class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QSpinBox;
class QToolButton;

namespace sds::gui {

class AppContext;
class FieldMessage;

// Step 1: name, template, provider and model, workflow and input files.
class ConfigurePage : public WizardPage {
    Q_OBJECT
public:
    explicit ConfigurePage(AppContext& context, QWidget* parent = nullptr);

    [[nodiscard]] QString title() const override { return tr("Configure"); }
    void initializePage(const JobSpec& draft) override;
    void storeInto(JobSpec& draft) override;
    bool validatePage(JobSpec& draft) override;

    // Asks the provider for its models again (off the GUI thread).
    void refreshModels();

    // The last finished check of the input files, when it matches what the page shows.
    [[nodiscard]] const InputCheck* inputCheck() const;

signals:
    void settingsRequested();
    // Next was pressed while the files were still being checked, and the check is now done.
    void continueRequested();

private:
    [[nodiscard]] ProviderChoice currentChoice() const;
    [[nodiscard]] std::string currentModelId() const;
    void providerChanged();
    void workflowChanged();
    void addFiles();
    void removeFiles();
    void previewFiles();
    void updateProviderInfo();
    void reloadTemplates();
    [[nodiscard]] bool curation() const;
    // What the input check reads: workflow, files, excerpt sizes, input field.
    [[nodiscard]] JobSpec inputSketch() const;
    [[nodiscard]] QString checkKey() const;
    // Starts checking the files again when what it reads has changed.
    void checkFiles();
    void showCheck();

    AppContext& m_context;
    QFormLayout* m_form;
    QLineEdit* m_displayName;
    FieldMessage* m_displayNameError;
    QComboBox* m_template;
    QLabel* m_templateDescription;
    QComboBox* m_provider;
    QLabel* m_providerInfo;
    FieldMessage* m_providerError;
    QComboBox* m_model;
    QToolButton* m_refreshModels;
    QLabel* m_modelStatus;
    FieldMessage* m_modelError;
    QComboBox* m_workflow;
    QLabel* m_workflowNote;
    FieldMessage* m_workflowError;
    QLabel* m_filesNote;
    QListWidget* m_files;
    QPushButton* m_addFiles;
    QPushButton* m_removeFiles;
    QPushButton* m_previewFiles;
    QLabel* m_filesStatus;
    FieldMessage* m_filesError;
    QWidget* m_chunkBox;
    QSpinBox* m_chunkSize;
    QSpinBox* m_chunkOverlap;
    FieldMessage* m_chunkError;
    QWidget* m_keysBox;
    QLineEdit* m_inputKey;
    QLineEdit* m_outputKey;
    FieldMessage* m_keysError;
    QStringList m_rejectedFiles; // picked but not a supported document

    ProviderChoice m_draftProvider; // endpoint, region, profile and model of the draft as it came in
    int m_fetchGeneration = 0;
    std::string m_wantedModel;
    QString m_lastFetchError;
    QTimer m_settingsChanged;

    QTimer m_recheck;
    int m_checkGeneration = 0;
    QString m_pendingKey; // what the running check reads; empty when none runs
    QString m_checkedKey; // what m_check read
    std::optional<InputCheck> m_check;
    bool m_continueWhenChecked = false;
    CancellationToken m_checkCancel;
};

} // namespace sds::gui
