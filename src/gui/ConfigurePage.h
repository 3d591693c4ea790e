#pragma once

#include "gui/WizardPage.h"

#include <QStringList>
#include <QTimer>

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
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

signals:
    void settingsRequested();

private:
    [[nodiscard]] ProviderChoice currentChoice() const;
    [[nodiscard]] std::string currentModelId() const;
    void providerChanged();
    void workflowChanged();
    void addFiles();
    void removeFiles();
    void updateProviderInfo();
    void reloadTemplates();

    AppContext& m_context;
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
    FieldMessage* m_filesError;

    ProviderChoice m_draftProvider; // endpoint, region, profile and model of the draft as it came in
    int m_fetchGeneration = 0;
    std::string m_wantedModel;
    QString m_lastFetchError;
    QTimer m_settingsChanged;
};

} // namespace sds::gui
