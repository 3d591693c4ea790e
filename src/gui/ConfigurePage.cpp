#include "gui/ConfigurePage.h"

#include "engine/JobSetup.h"
#include "gui/AppContext.h"
#include "gui/AppSettings.h"
#include "gui/Background.h"
#include "gui/Dialogs.h"
#include "gui/FieldMessage.h"
#include "gui/Format.h"
#include "gui/Workspace.h"
#include "providers/ProviderFactory.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace sds::gui {
namespace {

struct ModelFetch {
    bool ok = false;
    std::vector<providers::ModelInfo> models;
    QString error;
};

// The field at its natural width, with the lines that explain it below across the whole row.
QWidget* fieldWithMessages(QWidget* field, std::initializer_list<QWidget*> below, QWidget* parent) {
    auto* box = new QWidget(parent);
    box->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    auto* fieldRow = new QHBoxLayout;
    fieldRow->addWidget(field, field->sizePolicy().horizontalPolicy() == QSizePolicy::Expanding ? 1 : 0);
    if (field->sizePolicy().horizontalPolicy() != QSizePolicy::Expanding)
        fieldRow->addStretch();
    layout->addLayout(fieldRow);
    for (auto* widget : below)
        layout->addWidget(widget);
    return box;
}

} // namespace

ConfigurePage::ConfigurePage(AppContext& context, QWidget* parent) : WizardPage(parent), m_context(context) {
    setObjectName(QStringLiteral("configurePage"));

    m_displayName = new QLineEdit(this);
    m_displayName->setObjectName(QStringLiteral("displayNameEdit"));
    m_displayName->setPlaceholderText(tr("A name for the dataset, e.g. Flask tutorial Q&A"));
    m_displayNameError = new FieldMessage(QStringLiteral("displayNameError"), this);

    m_template = new QComboBox(this);
    m_template->setObjectName(QStringLiteral("templateCombo"));
    m_templateDescription = new QLabel(this);
    m_templateDescription->setObjectName(QStringLiteral("templateDescription"));
    m_templateDescription->setWordWrap(true);

    m_provider = new QComboBox(this);
    m_provider->setObjectName(QStringLiteral("providerCombo"));
    for (const auto& provider : providers::knownProviders())
        m_provider->addItem(qs(provider.displayName), qs(provider.id));
    m_providerInfo = new QLabel(this);
    m_providerInfo->setObjectName(QStringLiteral("providerInfoLabel"));
    m_providerInfo->setWordWrap(true);
    m_providerInfo->setTextFormat(Qt::RichText);
    m_providerError = new FieldMessage(QStringLiteral("providerError"), this);

    m_model = new QComboBox(this);
    m_model->setObjectName(QStringLiteral("modelCombo"));
    m_model->setEditable(true);
    m_model->setInsertPolicy(QComboBox::NoInsert);
    m_model->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_model->setMinimumContentsLength(30);
    m_refreshModels = new QToolButton(this);
    m_refreshModels->setObjectName(QStringLiteral("refreshModelsButton"));
    m_refreshModels->setText(tr("Refresh"));
    m_refreshModels->setToolTip(tr("Ask the provider for its models again"));
    m_modelStatus = new QLabel(this);
    m_modelStatus->setObjectName(QStringLiteral("modelStatusLabel"));
    m_modelStatus->setWordWrap(true);
    m_modelError = new FieldMessage(QStringLiteral("modelError"), this);
    auto* modelRow = new QWidget(this);
    modelRow->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    auto* modelLayout = new QHBoxLayout(modelRow);
    modelLayout->setContentsMargins(0, 0, 0, 0);
    modelLayout->addWidget(m_model, 1);
    modelLayout->addWidget(m_refreshModels);

    m_workflow = new QComboBox(this);
    m_workflow->setObjectName(QStringLiteral("workflowCombo"));
    m_workflow->addItem(workflowDisplayName(Workflow::SupervisedFineTuning), QStringLiteral("sft"));
    m_workflow->addItem(tr("Custom Data Curation (not available yet)"), QStringLiteral("curation"));
    m_workflowNote = new QLabel(this);
    m_workflowNote->setObjectName(QStringLiteral("workflowNote"));
    m_workflowNote->setWordWrap(true);
    m_workflowError = new FieldMessage(QStringLiteral("workflowError"), this);

    m_filesNote = new QLabel(this);
    m_filesNote->setObjectName(QStringLiteral("filesNote"));
    m_filesNote->setWordWrap(true);
    m_files = new QListWidget(this);
    m_files->setObjectName(QStringLiteral("filesList"));
    m_files->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_files->setMaximumHeight(110);
    m_addFiles = new QPushButton(tr("Add files…"), this);
    m_addFiles->setObjectName(QStringLiteral("addFilesButton"));
    m_removeFiles = new QPushButton(tr("Remove"), this);
    m_removeFiles->setObjectName(QStringLiteral("removeFilesButton"));
    m_filesError = new FieldMessage(QStringLiteral("filesError"), this);
    auto* filesButtons = new QHBoxLayout;
    filesButtons->addWidget(m_addFiles);
    filesButtons->addWidget(m_removeFiles);
    filesButtons->addStretch();
    auto* filesBox = new QWidget(this);
    auto* filesLayout = new QVBoxLayout(filesBox);
    filesLayout->setContentsMargins(0, 0, 0, 0);
    filesLayout->addWidget(m_filesNote);
    filesLayout->addWidget(m_files);
    filesLayout->addLayout(filesButtons);
    filesLayout->addWidget(m_filesError);

    auto* form = new QFormLayout;
    form->setRowWrapPolicy(QFormLayout::DontWrapRows);
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    form->addRow(tr("&Display Name"), fieldWithMessages(m_displayName, {m_displayNameError}, this));
    form->addRow(tr("&Template"), fieldWithMessages(m_template, {m_templateDescription}, this));
    form->addRow(tr("Model &Provider"),
                 fieldWithMessages(m_provider, {m_providerInfo, m_providerError}, this));
    form->addRow(tr("&Model ID"), fieldWithMessages(modelRow, {m_modelStatus, m_modelError}, this));
    form->addRow(tr("&Workflow"), fieldWithMessages(m_workflow, {m_workflowNote, m_workflowError}, this));
    form->addRow(tr("&Files"), filesBox);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addStretch();

    connect(m_provider, &QComboBox::currentIndexChanged, this, &ConfigurePage::providerChanged);
    connect(m_refreshModels, &QToolButton::clicked, this, &ConfigurePage::refreshModels);
    connect(m_model, &QComboBox::currentTextChanged, this, [this] {
        m_wantedModel = currentModelId();
        m_modelError->clear();
    });
    connect(m_workflow, &QComboBox::currentIndexChanged, this, &ConfigurePage::workflowChanged);
    connect(m_template, &QComboBox::currentIndexChanged, this, [this] {
        const auto* found = m_context.workspace().findTemplate(ss(m_template->currentData().toString()));
        m_templateDescription->setText(found ? qs(found->description) : QString());
    });
    connect(m_displayName, &QLineEdit::textEdited, m_displayNameError, &FieldMessage::clear);
    connect(m_addFiles, &QPushButton::clicked, this, &ConfigurePage::addFiles);
    connect(m_removeFiles, &QPushButton::clicked, this, &ConfigurePage::removeFiles);
    connect(m_providerInfo, &QLabel::linkActivated, this, [this] { emit settingsRequested(); });
    m_settingsChanged.setSingleShot(true);
    connect(&m_settingsChanged, &QTimer::timeout, this, [this] {
        // Endpoints, region and profile just set in Settings win over the ones the draft held.
        m_draftProvider.endpoint.clear();
        m_draftProvider.region.clear();
        m_draftProvider.profile.clear();
        updateProviderInfo();
        refreshModels();
    });
    connect(&m_context.settings(), &AppSettings::changed, &m_settingsChanged, qOverload<>(&QTimer::start));
    workflowChanged();
}

void ConfigurePage::reloadTemplates() {
    const QSignalBlocker blocker(m_template);
    m_template->clear();
    for (const Template* entry : m_context.workspace().orderedTemplates())
        m_template->addItem(qs(entry->name), qs(entry->id));
}

void ConfigurePage::initializePage(const JobSpec& draft) {
    reloadTemplates();
    m_template->setCurrentIndex(std::max(0, m_template->findData(qs(draft.templateId))));
    const auto* found = m_context.workspace().findTemplate(draft.templateId);
    m_templateDescription->setText(found ? qs(found->description) : QString());
    m_displayName->setText(qs(draft.displayName));
    m_draftProvider = draft.provider;
    m_wantedModel = draft.provider.model;
    {
        const QSignalBlocker blocker(m_provider);
        m_provider->setCurrentIndex(std::max(0, m_provider->findData(qs(draft.provider.name))));
    }
    {
        const QSignalBlocker blocker(m_model);
        m_model->clear();
        m_model->setEditText(modelDisplayName(draft.provider.name, draft.provider.model));
    }
    m_workflow->setCurrentIndex(draft.workflow == Workflow::CustomDataCuration ? 1 : 0);
    m_files->clear();
    for (const auto& file : draft.inputFiles)
        m_files->addItem(qs(file));
    for (auto* message : {m_displayNameError, m_providerError, m_modelError, m_workflowError, m_filesError})
        message->clear();
    updateProviderInfo();
    refreshModels();
}

ProviderChoice ConfigurePage::currentChoice() const {
    ProviderChoice choice;
    choice.name = ss(m_provider->currentData().toString());
    if (choice.name == m_draftProvider.name) {
        choice.endpoint = m_draftProvider.endpoint;
        choice.region = m_draftProvider.region;
        choice.profile = m_draftProvider.profile;
        choice.caBundlePath = m_draftProvider.caBundlePath;
    }
    m_context.providerAccess().fillFromSettings(choice);
    choice.model = currentModelId();
    return choice;
}

std::string ConfigurePage::currentModelId() const {
    const QString text = m_model->currentText().trimmed();
    const int index = m_model->findText(text);
    if (index >= 0)
        return ss(m_model->itemData(index).toString());
    if (text == modelDisplayName(m_draftProvider.name, m_draftProvider.model) &&
        ss(m_provider->currentData().toString()) == m_draftProvider.name)
        return m_draftProvider.model;
    return ss(text);
}

void ConfigurePage::providerChanged() {
    const std::string name = ss(m_provider->currentData().toString());
    m_wantedModel = name == m_draftProvider.name ? m_draftProvider.model : std::string();
    {
        const QSignalBlocker blocker(m_model);
        m_model->clear();
        m_model->setEditText(modelDisplayName(name, m_wantedModel));
    }
    m_providerError->clear();
    m_modelError->clear();
    updateProviderInfo();
    refreshModels();
}

void ConfigurePage::refreshModels() {
    const ProviderChoice choice = currentChoice();
    const int generation = ++m_fetchGeneration;
    m_lastFetchError.clear();
    m_modelStatus->setStyleSheet(QString());
    m_modelStatus->setText(tr("Asking %1 for its models…").arg(providerDisplayName(choice.name)));
    runInBackground(
        this,
        [access = m_context.providerAccess(), choice] {
            CancellationToken cancel;
            const auto listed = access.listModels(choice, cancel);
            ModelFetch fetch;
            fetch.ok = listed.ok();
            if (listed.ok())
                fetch.models = listed.value();
            else
                fetch.error = qs(listed.error().message);
            return fetch;
        },
        [this, generation, providerName = choice.name](const ModelFetch& fetch) {
            if (generation != m_fetchGeneration)
                return;
            if (!fetch.ok) {
                m_lastFetchError = fetch.error;
                showOutcome(m_modelStatus, false,
                            tr("Cannot list the models of %1: %2. Type a model ID, or check the provider in "
                               "Settings.")
                                .arg(providerDisplayName(providerName), fetch.error));
                return;
            }
            const std::string wanted = m_wantedModel;
            {
                const QSignalBlocker blocker(m_model);
                m_model->clear();
                for (const auto& model : fetch.models)
                    m_model->addItem(qs(model.displayName.empty() ? model.id : model.displayName),
                                     qs(model.id));
                const int index = m_model->findData(qs(wanted));
                if (index >= 0)
                    m_model->setCurrentIndex(index);
                else if (!wanted.empty())
                    m_model->setEditText(qs(wanted));
                else
                    m_model->setCurrentIndex(m_model->count() > 0 ? 0 : -1);
            }
            m_wantedModel = currentModelId();
            showOutcome(
                m_modelStatus, true,
                fetch.models.empty()
                    ? tr("%1 lists no models: type a model ID.").arg(providerDisplayName(providerName))
                    : tr("%1 offered by %2.")
                          .arg(counted(static_cast<std::int64_t>(fetch.models.size()), tr("model"),
                                       tr("models")),
                               providerDisplayName(providerName)));
            m_modelStatus->setStyleSheet(QStringLiteral("color: palette(mid);"));
        },
        providerCallPool());
}

void ConfigurePage::updateProviderInfo() {
    const ProviderChoice choice = currentChoice();
    const QString settingsLink = tr("<a href=\"settings\">Change in Settings</a>");
    QString info;
    if (choice.name == "local") {
        info = tr("Runs on this computer with the embedded model: no account, no network.");
    } else if (choice.name == "openai") {
        info = tr("Endpoint: %1.")
                   .arg(choice.endpoint.empty() ? tr("https://api.openai.com/v1 (no base URL set)")
                                                : qs(choice.endpoint).toHtmlEscaped());
    } else if (choice.name == "caii") {
        info = choice.endpoint.empty() ? tr("No endpoint URL yet.")
                                       : tr("Endpoint: %1.").arg(qs(choice.endpoint).toHtmlEscaped());
    } else if (choice.name == "bedrock") {
        info = tr("Region: %1; profile: %2.")
                   .arg(choice.region.empty() ? tr("from the AWS configuration")
                                              : qs(choice.region).toHtmlEscaped(),
                        choice.profile.empty() ? tr("default") : qs(choice.profile).toHtmlEscaped());
    }
    m_providerInfo->setText(info + QLatin1Char(' ') + settingsLink);
}

void ConfigurePage::workflowChanged() {
    const bool curation = m_workflow->currentData().toString() == QStringLiteral("curation");
    m_workflowNote->setText(curation
                                ? tr("Custom Data Curation (a JSON array of your inputs, answered by the "
                                     "model) is not available yet.")
                                : tr("Prompt and completion pairs generated from seed topics."));
    m_filesNote->setText(
        curation ? tr("The JSON array of inputs to curate, from the project folder (not available "
                      "yet).")
                 : tr("Documents to generate from (PDF, DOCX, TXT), from the project folder. Not "
                      "available yet: the run uses the seeds on the next page."));
    m_workflowError->clear();
    m_filesError->clear();
}

void ConfigurePage::addFiles() {
    const bool curation = m_workflow->currentData().toString() == QStringLiteral("curation");
    const QString filter =
        curation ? tr("JSON array (*.json)") : tr("Documents (*.pdf *.docx *.doc *.txt *.md)");
    const QStringList files =
        Dialogs::current().openFiles(this, tr("Choose files from the project folder"),
                                     qs(m_context.workspace().project().root().string()), filter);
    for (const QString& file : files)
        if (m_files->findItems(file, Qt::MatchExactly).isEmpty())
            m_files->addItem(file);
}

void ConfigurePage::removeFiles() {
    qDeleteAll(m_files->selectedItems());
    m_filesError->clear();
}

void ConfigurePage::storeInto(JobSpec& draft) {
    const std::string templateId = ss(m_template->currentData().toString());
    if (!templateId.empty() && templateId != draft.templateId) {
        if (const auto* source = m_context.workspace().findTemplate(templateId)) {
            draft.templateId = templateId;
            draft.prompt.clear();
            draft.seeds.clear();
            draft.examples.clear();
            draft.databaseSchema.clear();
            draft.fillFromTemplate(*source);
            draft.parameters = source->parameters;
            draft.outputKeys = source->outputKeys;
        }
    }
    const ProviderChoice choice = currentChoice();
    if (choice.name != draft.provider.name) {
        const bool local = choice.name == "local";
        draft.concurrency = local ? engine::kLocalModelConcurrency : m_context.defaultConcurrency();
        draft.rowsPerRequest = local ? engine::kLocalModelRowsPerRequest : JobSpec{}.rowsPerRequest;
    }
    draft.provider = choice;
    m_draftProvider = choice;
    draft.displayName = ss(m_displayName->text().trimmed());
    draft.workflow = m_workflow->currentData().toString() == QStringLiteral("curation")
                         ? Workflow::CustomDataCuration
                         : Workflow::SupervisedFineTuning;
    draft.inputFiles.clear();
    for (int i = 0; i < m_files->count(); ++i)
        draft.inputFiles.push_back(ss(m_files->item(i)->text()));
}

bool ConfigurePage::validatePage(JobSpec& draft) {
    storeInto(draft);
    bool ok = true;
    const auto complain = [&ok](FieldMessage* message, const QString& text) {
        message->show(text);
        ok = false;
    };
    for (auto* message : {m_displayNameError, m_providerError, m_modelError, m_workflowError, m_filesError})
        message->clear();
    if (draft.displayName.empty())
        complain(m_displayNameError, tr("Give the dataset a name, for example \"Flask tutorial Q&A\"."));
    else if (draft.displayName.size() > 200)
        complain(m_displayNameError, tr("Keep the name under 200 characters."));
    if (draft.provider.name == "caii" && draft.provider.endpoint.empty())
        complain(m_providerError, tr("Cloudera AI Inference needs its endpoint URL: set it in Settings."));
    if (draft.provider.model.empty()) {
        if (draft.provider.name != "local")
            complain(m_modelError, tr("Choose a model from the list, or type its ID."));
        else if (!m_lastFetchError.isEmpty())
            complain(m_modelError, tr("The embedded model is not ready: %1").arg(m_lastFetchError));
    }
    if (draft.workflow == Workflow::CustomDataCuration)
        complain(m_workflowError,
                 tr("Custom Data Curation is not available yet: choose Supervised Fine-Tuning to "
                    "generate a dataset now."));
    if (!draft.inputFiles.empty() && draft.workflow == Workflow::SupervisedFineTuning)
        complain(m_filesError,
                 tr("Generating from documents is not available yet: remove the files to generate "
                    "from the seeds."));
    return ok;
}

} // namespace sds::gui
