#include "gui/ConfigurePage.h"

#include "core/documents/DocumentText.h"
#include "engine/JobSetup.h"
#include "gui/AppContext.h"
#include "gui/AppSettings.h"
#include "gui/Background.h"
#include "gui/Dialogs.h"
#include "gui/FieldMessage.h"
#include "gui/Format.h"
#include "gui/ModelList.h"
#include "gui/Workspace.h"
#include "providers/ProviderFactory.h"

#include <QComboBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSpinBox>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace sds::gui {
namespace {

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
    m_workflow->addItem(workflowDisplayName(Workflow::CustomDataCuration), QStringLiteral("curation"));
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
    m_previewFiles = new QPushButton(tr("Preview…"), this);
    m_previewFiles->setObjectName(QStringLiteral("previewFilesButton"));
    m_previewFiles->setToolTip(tr("Show the text the run will read from the files"));
    m_filesStatus = new QLabel(this);
    m_filesStatus->setObjectName(QStringLiteral("filesStatusLabel"));
    m_filesStatus->setWordWrap(true);
    m_filesStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_filesError = new FieldMessage(QStringLiteral("filesError"), this);
    auto* filesButtons = new QHBoxLayout;
    filesButtons->addWidget(m_addFiles);
    filesButtons->addWidget(m_removeFiles);
    filesButtons->addWidget(m_previewFiles);
    filesButtons->addStretch();
    auto* filesBox = new QWidget(this);
    auto* filesLayout = new QVBoxLayout(filesBox);
    filesLayout->setContentsMargins(0, 0, 0, 0);
    filesLayout->addWidget(m_filesNote);
    filesLayout->addWidget(m_files);
    filesLayout->addLayout(filesButtons);
    filesLayout->addWidget(m_filesStatus);
    filesLayout->addWidget(m_filesError);

    m_chunkSize = new QSpinBox(this);
    m_chunkSize->setObjectName(QStringLiteral("chunkSizeSpin"));
    m_chunkSize->setRange(100, 100000);
    m_chunkSize->setSingleStep(100);
    m_chunkSize->setGroupSeparatorShown(true);
    m_chunkOverlap = new QSpinBox(this);
    m_chunkOverlap->setObjectName(QStringLiteral("chunkOverlapSpin"));
    m_chunkOverlap->setRange(0, 50000);
    m_chunkOverlap->setSingleStep(50);
    m_chunkOverlap->setGroupSeparatorShown(true);
    m_chunkError = new FieldMessage(QStringLiteral("chunkError"), this);
    auto* chunkRow = new QWidget(this);
    auto* chunkLayout = new QHBoxLayout(chunkRow);
    chunkLayout->setContentsMargins(0, 0, 0, 0);
    chunkLayout->addWidget(m_chunkSize);
    chunkLayout->addWidget(new QLabel(tr("characters each, the next one repeating the last"), chunkRow));
    chunkLayout->addWidget(m_chunkOverlap);
    chunkLayout->addWidget(new QLabel(tr("characters"), chunkRow));
    m_chunkBox = fieldWithMessages(chunkRow, {m_chunkError}, this);

    m_inputKey = new QLineEdit(this);
    m_inputKey->setObjectName(QStringLiteral("inputKeyEdit"));
    m_inputKey->setPlaceholderText(QStringLiteral("Prompt"));
    m_inputKey->setToolTip(tr("The field of each element that is sent to the model"));
    m_outputKey = new QLineEdit(this);
    m_outputKey->setObjectName(QStringLiteral("outputKeyEdit"));
    m_outputKey->setPlaceholderText(QStringLiteral("Completion"));
    m_outputKey->setToolTip(tr("The field the model's output is written to in each element"));
    m_keysError = new FieldMessage(QStringLiteral("keysError"), this);
    auto* keysRow = new QWidget(this);
    auto* keysLayout = new QHBoxLayout(keysRow);
    keysLayout->setContentsMargins(0, 0, 0, 0);
    auto* inputKeyLabel = new QLabel(tr("&Input field"), keysRow);
    inputKeyLabel->setBuddy(m_inputKey);
    auto* outputKeyLabel = new QLabel(tr("&Output field"), keysRow);
    outputKeyLabel->setBuddy(m_outputKey);
    keysLayout->addWidget(inputKeyLabel);
    keysLayout->addWidget(m_inputKey);
    keysLayout->addSpacing(12);
    keysLayout->addWidget(outputKeyLabel);
    keysLayout->addWidget(m_outputKey);
    m_keysBox = fieldWithMessages(keysRow, {m_keysError}, this);

    m_form = new QFormLayout;
    m_form->setRowWrapPolicy(QFormLayout::DontWrapRows);
    m_form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    m_form->addRow(tr("&Display Name"), fieldWithMessages(m_displayName, {m_displayNameError}, this));
    m_form->addRow(tr("&Template"), fieldWithMessages(m_template, {m_templateDescription}, this));
    m_form->addRow(tr("Model &Provider"),
                   fieldWithMessages(m_provider, {m_providerInfo, m_providerError}, this));
    m_form->addRow(tr("&Model ID"), fieldWithMessages(modelRow, {m_modelStatus, m_modelError}, this));
    m_form->addRow(tr("&Workflow"), fieldWithMessages(m_workflow, {m_workflowNote, m_workflowError}, this));
    m_form->addRow(tr("&Files"), filesBox);
    m_form->addRow(tr("&Excerpts"), m_chunkBox);
    m_form->addRow(tr("Fields"), m_keysBox);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(m_form);
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
    connect(m_previewFiles, &QPushButton::clicked, this, &ConfigurePage::previewFiles);
    m_recheck.setSingleShot(true);
    m_recheck.setInterval(400);
    connect(&m_recheck, &QTimer::timeout, this, &ConfigurePage::checkFiles);
    for (auto* spin : {m_chunkSize, m_chunkOverlap})
        connect(spin, &QSpinBox::valueChanged, this, [this] {
            m_chunkError->clear();
            m_recheck.start();
        });
    connect(m_inputKey, &QLineEdit::textEdited, this, [this] {
        m_keysError->clear();
        m_recheck.start();
    });
    connect(m_outputKey, &QLineEdit::textEdited, m_keysError, &FieldMessage::clear);
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
    {
        const QSignalBlocker blocker(m_workflow);
        m_workflow->setCurrentIndex(draft.workflow == Workflow::CustomDataCuration ? 1 : 0);
    }
    m_files->clear();
    for (const auto& file : draft.inputFiles)
        m_files->addItem(qs(file));
    {
        const QSignalBlocker sizeBlocker(m_chunkSize);
        const QSignalBlocker overlapBlocker(m_chunkOverlap);
        m_chunkSize->setValue(draft.chunkSize);
        m_chunkOverlap->setValue(draft.chunkOverlap);
    }
    m_inputKey->setText(qs(draft.inputKey));
    m_outputKey->setText(qs(draft.outputKeys.completion));
    m_rejectedFiles.clear();
    for (auto* message : {m_displayNameError, m_providerError, m_modelError, m_workflowError, m_filesError,
                          m_chunkError, m_keysError})
        message->clear();
    m_continueWhenChecked = false;
    workflowChanged();
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
    fetchModels(this, m_modelStatus, m_context.providerAccess(), choice,
                [this, generation, providerName = choice.name](const ModelFetch& fetch) {
                    if (generation != m_fetchGeneration)
                        return;
                    if (!showModels(m_model, m_modelStatus, fetch, m_wantedModel, providerName)) {
                        m_lastFetchError = fetch.error;
                        return;
                    }
                    m_wantedModel = currentModelId();
                });
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

bool ConfigurePage::curation() const {
    return m_workflow->currentData().toString() == QStringLiteral("curation");
}

void ConfigurePage::workflowChanged() {
    const bool curating = curation();
    m_workflowNote->setText(
        curating
            ? tr("Each element of a JSON array or JSON Lines file is sent to the model with your prompt; "
                 "the dataset keeps every element and adds the model's output to it.")
            : tr("Prompt and completion pairs, generated from seed topics or from excerpts of your "
                 "documents."));
    m_filesNote->setText(
        curating ? tr("The JSON array or JSON Lines file to curate (one file).")
                 : tr("Documents to generate from (PDF, DOCX, TXT, Markdown), optional: the questions are "
                      "grounded in excerpts of them. Without documents the run uses the seeds on the next "
                      "page."));
    m_addFiles->setText(curating ? tr("Choose file…") : tr("Add files…"));
    m_form->setRowVisible(m_keysBox, curating);
    m_workflowError->clear();
    m_filesError->clear();
    m_keysError->clear();
    m_chunkError->clear();
    m_rejectedFiles.clear();
    checkFiles();
}

void ConfigurePage::addFiles() {
    const QString folder = qs(m_context.workspace().project().root().string());
    m_rejectedFiles.clear();
    // Picking a file again reads it again, in case it changed.
    m_check.reset();
    m_checkedKey.clear();
    m_pendingKey.clear();
    if (curation()) {
        const QString file =
            Dialogs::current().openFile(this, tr("Choose the file to curate"), folder,
                                        tr("JSON array or JSON Lines (*.json *.jsonl *.ndjson)"));
        if (file.isEmpty())
            return;
        m_files->clear();
        m_files->addItem(file);
    } else {
        const QStringList files = Dialogs::current().openFiles(
            this, tr("Choose documents"), folder, tr("Documents (*.pdf *.docx *.txt *.md *.markdown)"));
        for (const QString& file : files) {
            if (!documents::isSupportedDocument(ss(file))) {
                m_rejectedFiles << QFileInfo(file).fileName();
                continue;
            }
            if (m_files->findItems(file, Qt::MatchExactly).isEmpty())
                m_files->addItem(file);
        }
    }
    checkFiles();
    showCheck();
}

void ConfigurePage::removeFiles() {
    qDeleteAll(m_files->selectedItems());
    m_filesError->clear();
    m_rejectedFiles.clear();
    checkFiles();
    showCheck();
}

void ConfigurePage::previewFiles() {
    if (m_files->count() == 0) {
        m_filesError->show(curation() ? tr("Choose the file to curate first.") : tr("Add documents first."));
        return;
    }
    auto* dialog = new DocumentPreviewDialog(inputSketch(), this);
    dialog->open();
}

JobSpec ConfigurePage::inputSketch() const {
    JobSpec sketch;
    sketch.workflow = curation() ? Workflow::CustomDataCuration : Workflow::SupervisedFineTuning;
    for (int i = 0; i < m_files->count(); ++i)
        sketch.inputFiles.push_back(ss(m_files->item(i)->text()));
    sketch.chunkSize = m_chunkSize->value();
    sketch.chunkOverlap = m_chunkOverlap->value();
    sketch.inputKey = ss(m_inputKey->text().trimmed());
    return sketch;
}

QString ConfigurePage::checkKey() const {
    const JobSpec sketch = inputSketch();
    QStringList parts;
    parts << qs(toString(sketch.workflow));
    for (const auto& file : sketch.inputFiles)
        parts << qs(file);
    if (sketch.workflow == Workflow::CustomDataCuration)
        parts << qs(sketch.inputKey);
    else
        parts << QString::number(sketch.chunkSize) << QString::number(sketch.chunkOverlap);
    return parts.join(QChar(0x1f));
}

const InputCheck* ConfigurePage::inputCheck() const {
    if (!m_check || !m_pendingKey.isEmpty() || m_checkedKey != checkKey())
        return nullptr;
    return &*m_check;
}

void ConfigurePage::checkFiles() {
    m_recheck.stop();
    const QString key = checkKey();
    if (key == m_pendingKey || (m_pendingKey.isEmpty() && m_check && key == m_checkedKey))
        return;
    m_checkCancel.cancel();
    m_checkCancel = CancellationToken();
    m_check.reset();
    m_checkedKey.clear();
    const int generation = ++m_checkGeneration;
    const JobSpec sketch = inputSketch();
    if (sketch.inputFiles.empty()) {
        m_pendingKey.clear();
        showCheck();
        return;
    }
    m_pendingKey = key;
    showCheck();
    runInBackground(
        this, [sketch, cancel = m_checkCancel] { return checkInputFiles(sketch, false, 0, cancel); },
        [this, generation, key](const InputCheck& check) {
            if (generation != m_checkGeneration)
                return;
            m_pendingKey.clear();
            m_check = check;
            m_checkedKey = key;
            showCheck();
            if (m_continueWhenChecked) {
                m_continueWhenChecked = false;
                emit continueRequested();
            }
        });
}

void ConfigurePage::showCheck() {
    m_previewFiles->setEnabled(m_files->count() > 0);
    const bool curating = curation();
    m_form->setRowVisible(m_chunkBox, !curating && m_files->count() > 0);
    QStringList errors;
    if (!m_rejectedFiles.isEmpty())
        errors << tr("Only PDF, DOCX, TXT and Markdown documents can be used, not %1.")
                      .arg(m_rejectedFiles.join(QStringLiteral(", ")));
    const auto showErrors = [&] {
        m_filesError->show(errors.join(QLatin1Char('\n')));
    };
    m_filesStatus->setStyleSheet(QStringLiteral("color: palette(mid);"));
    if (m_files->count() == 0) {
        m_filesStatus->clear();
        m_filesStatus->setVisible(false);
        return showErrors();
    }
    m_filesStatus->setVisible(true);
    if (!m_pendingKey.isEmpty() || !m_check) {
        m_filesStatus->setText(m_continueWhenChecked
                                   ? tr("Checking the files… the wizard goes on when it is done.")
                                   : tr("Checking the files…"));
        return showErrors();
    }
    const InputCheck& check = *m_check;
    if (curating && m_files->count() > 1)
        errors << tr("Custom Data Curation reads one file: remove the others.");
    if (check.curation) {
        const auto& file = *check.curation;
        if (!file.error.isEmpty()) {
            m_filesStatus->setVisible(false);
            errors << file.error;
        } else if (file.usable() == 0) {
            m_filesStatus->setVisible(false);
            errors << tr("%1: no element has the field \"%2\": set the input field to the one your elements "
                         "use.")
                          .arg(QFileInfo(file.path).fileName(), m_inputKey->text().trimmed());
        } else {
            m_filesStatus->setText(file.missing == 0
                                       ? tr("%1, each sent to the model once.")
                                             .arg(counted(file.elements, tr("element"), tr("elements")))
                                       : file.skipped);
        }
        return showErrors();
    }
    QStringList lines;
    for (int i = 0; i < m_files->count() && i < static_cast<int>(check.documents.size()); ++i) {
        const auto& document = check.documents[static_cast<std::size_t>(i)];
        m_files->item(i)->setForeground(document.ok() ? palette().color(QPalette::Text)
                                                      : QColor(0xb3, 0x26, 0x1e));
        m_files->item(i)->setToolTip(document.ok() ? QString() : document.error);
        if (document.ok())
            lines << tr("%1: %2").arg(QFileInfo(document.path).fileName(),
                                      counted(document.excerpts, tr("excerpt"), tr("excerpts")));
        else
            errors << document.error;
        for (const auto& warning : document.warnings)
            lines << warning;
    }
    m_filesStatus->setText(lines.join(QLatin1Char('\n')));
    m_filesStatus->setVisible(!lines.isEmpty());
    if (!check.fileErrors().isEmpty())
        errors << (check.usableDocuments() > 0 ? tr("The run skips these and uses the other documents.")
                                               : tr("No document has text to generate from."));
    showErrors();
}

void ConfigurePage::storeInto(JobSpec& draft) {
    const Workflow before = draft.workflow;
    bool templateChanged = false;
    const std::string templateId = ss(m_template->currentData().toString());
    if (!templateId.empty() && templateId != draft.templateId) {
        if (const auto* source = m_context.workspace().findTemplate(templateId)) {
            templateChanged = true;
            draft.templateId = templateId;
            draft.prompt.clear();
            draft.seeds.clear();
            draft.examples.clear();
            draft.databaseSchema.clear();
            draft.validator.clear();
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
    const JobSpec sketch = inputSketch();
    draft.workflow = sketch.workflow;
    draft.inputFiles = sketch.inputFiles;
    draft.chunkSize = sketch.chunkSize;
    draft.chunkOverlap = sketch.chunkOverlap;
    draft.inputKey = sketch.inputKey;

    const auto* source = m_context.workspace().findTemplate(draft.templateId);
    if (draft.workflow == Workflow::CustomDataCuration) {
        draft.outputKeys.completion = ss(m_outputKey->text().trimmed());
        // As `sds generate --workflow curation`: the template's question-writing prompt, seeds and
        // question/answer examples do not fit curation; the instruction and examples are the user's.
        if (before != Workflow::CustomDataCuration || templateChanged) {
            if (source && draft.prompt == source->prompt)
                draft.prompt.clear();
            if (source && draft.examples == source->examples)
                draft.examples.clear();
            draft.seeds.clear();
            draft.validator.clear();
        }
        if (const InputCheck* check = inputCheck();
            check && check->curation && check->curation->error.isEmpty() && check->curation->usable() > 0)
            draft.size = static_cast<int>(check->curation->usable());
    } else if (before == Workflow::CustomDataCuration && source) {
        draft.fillFromTemplate(*source);
        draft.outputKeys = source->outputKeys;
    }
}

bool ConfigurePage::validatePage(JobSpec& draft) {
    storeInto(draft);
    bool ok = true;
    const auto complain = [&ok](FieldMessage* message, const QString& text) {
        message->show(text);
        ok = false;
    };
    for (auto* message : {m_displayNameError, m_providerError, m_modelError, m_workflowError, m_filesError,
                          m_chunkError, m_keysError})
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

    const bool curating = draft.workflow == Workflow::CustomDataCuration;
    bool filesOk = true;
    if (curating) {
        if (draft.inputKey.empty() || draft.outputKeys.completion.empty())
            complain(m_keysError, tr("Name the input field each element is read from and the output field "
                                     "the model's answer is written to."));
        else if (draft.inputKey == draft.outputKeys.completion)
            complain(m_keysError, tr("The output field must differ from the input field, or it would "
                                     "overwrite the inputs."));
        if (draft.inputFiles.empty()) {
            filesOk = false;
            complain(m_filesError, tr("Choose the JSON array or JSON Lines file to curate."));
        } else if (draft.inputFiles.size() > 1) {
            filesOk = false;
            complain(m_filesError, tr("Custom Data Curation reads one file: remove the others."));
        }
    } else if (!draft.inputFiles.empty()) {
        for (const auto& problem : validate(draft))
            if (problem.rfind("chunk_", 0) == 0)
                complain(m_chunkError, qs(problem));
    }
    if (!ok || !filesOk || draft.inputFiles.empty()) {
        if (filesOk)
            showCheck();
        return ok && filesOk;
    }

    checkFiles();
    const InputCheck* check = inputCheck();
    if (!check) {
        m_continueWhenChecked = true;
        showCheck();
        return false;
    }
    showCheck();
    if (check->curation) {
        if (!check->curation->error.isEmpty() || check->curation->usable() == 0)
            return false;
        draft.size = static_cast<int>(check->curation->usable());
        return true;
    }
    if (!m_rejectedFiles.isEmpty())
        m_rejectedFiles.clear();
    return check->usableDocuments() > 0;
}

} // namespace sds::gui
