#include "gui/PromptPage.h"

#include "gui/AppContext.h"
#include "gui/FieldMessage.h"
#include "gui/Format.h"
#include "gui/SeedsEditor.h"
#include "gui/SuggestionDialogs.h"
#include "gui/Workspace.h"

#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QTextCursor>
#include <QVBoxLayout>
#include <filesystem>

namespace sds::gui {

PromptPage::PromptPage(AppContext& context, QWidget* parent) : WizardPage(parent), m_context(context) {
    setObjectName(QStringLiteral("promptPage"));

    m_prompt = new QPlainTextEdit(this);
    m_prompt->setObjectName(QStringLiteral("promptEdit"));
    m_prompt->setTabChangesFocus(true);
    m_prompt->setPlaceholderText(tr("What the model should write for each seed topic"));
    m_restorePrompt = new QPushButton(tr("Restore default"), this);
    m_restorePrompt->setObjectName(QStringLiteral("restorePromptButton"));
    m_generatePrompt = new QPushButton(tr("&Generate prompt…"), this);
    m_generatePrompt->setObjectName(QStringLiteral("generatePromptButton"));
    m_generatePrompt->setToolTip(
        tr("Let the model write a prompt for your use case; you see it before it is used"));
    m_promptError = new FieldMessage(QStringLiteral("promptError"), this);
    auto* promptBox = new QGroupBox(tr("Prompt"), this);
    auto* promptLayout = new QVBoxLayout(promptBox);
    promptLayout->addWidget(m_prompt, 1);
    auto* promptButtons = new QHBoxLayout;
    promptButtons->addWidget(m_restorePrompt);
    promptButtons->addWidget(m_generatePrompt);
    promptButtons->addStretch();
    promptLayout->addLayout(promptButtons);
    promptLayout->addWidget(m_promptError);

    m_schemaBox = new QGroupBox(tr("Database schema"), this);
    m_schemaBox->setObjectName(QStringLiteral("schemaBox"));
    m_schema = new QPlainTextEdit(m_schemaBox);
    m_schema->setObjectName(QStringLiteral("schemaEdit"));
    m_schema->setFont(monospaceFont());
    m_schema->setTabChangesFocus(true);
    m_schema->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_schema->setPlaceholderText(tr("CREATE TABLE … statements the questions are about"));
    m_restoreSchema = new QPushButton(tr("Restore default"), m_schemaBox);
    m_restoreSchema->setObjectName(QStringLiteral("restoreSchemaButton"));
    m_schemaError = new FieldMessage(QStringLiteral("schemaError"), m_schemaBox);
    auto* schemaLayout = new QVBoxLayout(m_schemaBox);
    schemaLayout->addWidget(m_schema, 1);
    auto* schemaButtons = new QHBoxLayout;
    schemaButtons->addWidget(m_restoreSchema);
    schemaButtons->addStretch();
    schemaLayout->addLayout(schemaButtons);
    schemaLayout->addWidget(m_schemaError);

    m_seeds = new SeedsEditor(this);
    m_seedsBox = new QGroupBox(tr("Seeds"), this);
    m_seedsBox->setObjectName(QStringLiteral("seedsBox"));
    auto* seedsLayout = new QVBoxLayout(m_seedsBox);
    auto* seedsHint =
        new QLabel(tr("Topics that spread the dataset: the rows are shared evenly among them."), m_seedsBox);
    seedsHint->setWordWrap(true);
    m_suggestSeeds = new QPushButton(tr("S&uggest seeds…"), m_seedsBox);
    m_suggestSeeds->setObjectName(QStringLiteral("suggestSeedsButton"));
    m_suggestSeeds->setToolTip(tr("Let the model propose new topics; you pick which to add"));
    auto* seedsHeader = new QHBoxLayout;
    seedsHeader->addWidget(seedsHint, 1);
    seedsHeader->addWidget(m_suggestSeeds);
    seedsLayout->addLayout(seedsHeader);
    seedsLayout->addWidget(m_seeds);

    m_temperature = new QDoubleSpinBox(this);
    m_temperature->setObjectName(QStringLiteral("temperatureSpin"));
    m_temperature->setRange(0.0, 2.0);
    m_temperature->setSingleStep(0.05);
    m_temperature->setDecimals(2);
    m_topK = new QSpinBox(this);
    m_topK->setObjectName(QStringLiteral("topKSpin"));
    m_topK->setRange(0, 300);
    m_topP = new QDoubleSpinBox(this);
    m_topP->setObjectName(QStringLiteral("topPSpin"));
    m_topP->setRange(0.0, 1.0);
    m_topP->setSingleStep(0.05);
    m_topP->setDecimals(2);
    m_maxTokens = new QSpinBox(this);
    m_maxTokens->setObjectName(QStringLiteral("maxTokensSpin"));
    m_maxTokens->setRange(1, 200000);
    m_maxTokens->setSingleStep(256);
    m_parametersError = new FieldMessage(QStringLiteral("parametersError"), this);
    auto* parametersBox = new QGroupBox(tr("Model parameters"), this);
    auto* parametersForm = new QFormLayout(parametersBox);
    parametersForm->addRow(tr("T&emperature (0–2)"), m_temperature);
    parametersForm->addRow(tr("Top &K (0–300)"), m_topK);
    parametersForm->addRow(tr("Top &P (0–1)"), m_topP);
    parametersForm->addRow(tr("Max &tokens"), m_maxTokens);
    parametersForm->addRow(m_parametersError);

    m_size = new QSpinBox(this);
    m_size->setObjectName(QStringLiteral("sizeSpin"));
    m_size->setRange(0, JobSpec::kMaxSize);
    m_size->setGroupSeparatorShown(true);
    m_requests = new QLabel(this);
    m_requests->setObjectName(QStringLiteral("requestsLabel"));
    m_requests->setWordWrap(true);
    m_sizeError = new FieldMessage(QStringLiteral("sizeError"), this);
    m_rowsPerRequest = new QSpinBox(this);
    m_rowsPerRequest->setObjectName(QStringLiteral("rowsPerRequestSpin"));
    m_rowsPerRequest->setRange(1, 50);
    m_concurrency = new QSpinBox(this);
    m_concurrency->setObjectName(QStringLiteral("concurrencySpin"));
    m_concurrency->setRange(1, JobSpec::kMaxConcurrency);
    m_similarity = new QDoubleSpinBox(this);
    m_similarity->setObjectName(QStringLiteral("similarityThresholdSpin"));
    m_similarity->setRange(0.05, 1.0);
    m_similarity->setSingleStep(0.05);
    m_similarity->setDecimals(2);
    m_similarity->setToolTip(
        tr("A question whose ROUGE-L F1 with an earlier one is above this is rejected as a "
           "near-duplicate and asked again. 0.7 as in Self-Instruct; 1 turns it off."));
    m_throughputError = new FieldMessage(QStringLiteral("throughputError"), this);
    auto* sizeBox = new QGroupBox(tr("Dataset size"), this);
    m_sizeForm = new QFormLayout(sizeBox);
    m_sizeForm->addRow(tr("&Rows"), m_size);
    m_sizeForm->addRow(m_requests);
    m_sizeForm->addRow(m_sizeError);
    m_sizeForm->addRow(tr("Rows per re&quest"), m_rowsPerRequest);
    m_sizeForm->addRow(tr("Requests in &flight"), m_concurrency);
    m_sizeForm->addRow(tr("Near-duplicate &limit (ROUGE-L)"), m_similarity);
    m_sizeForm->addRow(m_throughputError);

    auto* left = new QVBoxLayout;
    left->addWidget(promptBox, 2);
    left->addWidget(m_schemaBox, 2);
    left->addWidget(m_seedsBox, 3);
    auto* right = new QVBoxLayout;
    right->addWidget(parametersBox);
    right->addWidget(sizeBox);
    right->addStretch();
    auto* content = new QWidget(this);
    auto* columns = new QHBoxLayout(content);
    columns->addLayout(left, 3);
    columns->addLayout(right, 2);
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(content);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(scroll);

    connect(m_restorePrompt, &QPushButton::clicked, this, [this] {
        if (const auto* source = m_context.workspace().findTemplate(m_templateId))
            m_prompt->setPlainText(qs(source->prompt));
        m_promptError->clear();
    });
    connect(m_restoreSchema, &QPushButton::clicked, this, [this] {
        if (const auto* source = m_context.workspace().findTemplate(m_templateId))
            m_schema->setPlainText(qs(source->databaseSchema));
        m_schemaError->clear();
    });
    connect(m_generatePrompt, &QPushButton::clicked, this, &PromptPage::generatePrompt);
    connect(m_suggestSeeds, &QPushButton::clicked, this, &PromptPage::suggestSeeds);
    connect(m_prompt, &QPlainTextEdit::textChanged, m_promptError, &FieldMessage::clear);
    connect(m_schema, &QPlainTextEdit::textChanged, m_schemaError, &FieldMessage::clear);
    connect(m_seeds, &SeedsEditor::seedsChanged, this, &PromptPage::updateRequests);
    connect(m_size, &QSpinBox::valueChanged, this, &PromptPage::updateRequests);
    connect(m_rowsPerRequest, &QSpinBox::valueChanged, this, &PromptPage::updateRequests);
    connect(m_size, &QSpinBox::valueChanged, m_sizeError, &FieldMessage::clear);
}

void PromptPage::initializePage(const JobSpec& draft) {
    m_job = draft;
    m_templateId = draft.templateId;
    const auto* source = m_context.workspace().findTemplate(draft.templateId);
    m_prompt->setPlainText(qs(draft.prompt));
    m_seeds->setSeeds(draft.seeds);
    m_seeds->setDefaults(source ? source->seeds : std::vector<std::string>{});
    m_seeds->setImportFolder(qs(m_context.workspace().project().root().string()));
    const bool wantsSchema = draft.templateId == "text_to_sql" || !draft.databaseSchema.empty() ||
                             (source && !source->databaseSchema.empty());
    m_schemaBox->setVisible(wantsSchema);
    m_schema->setPlainText(qs(draft.databaseSchema));
    m_temperature->setValue(draft.parameters.temperature);
    m_topK->setValue(draft.parameters.topK);
    m_topP->setValue(draft.parameters.topP);
    m_maxTokens->setValue(draft.parameters.maxTokens);
    m_size->setValue(draft.size);
    m_rowsPerRequest->setValue(draft.rowsPerRequest);
    m_concurrency->setValue(draft.concurrency);
    m_similarity->setValue(draft.similarityThreshold);
    clearMessages();
    showWorkflow();
    updateRequests();
}

void PromptPage::showWorkflow() {
    const bool curation = m_job.workflow == Workflow::CustomDataCuration;
    const bool documents = m_job.groundedInDocuments();
    m_seedsBox->setVisible(!curation && !documents);
    m_restorePrompt->setVisible(!curation);
    m_prompt->setPlaceholderText(
        curation ? tr("The instruction applied to each input, e.g. \"Translate the text into French\"")
                 : tr("What the model should write for each seed topic"));
    m_sizeForm->setRowVisible(m_size, !curation);
    m_sizeForm->setRowVisible(m_rowsPerRequest, !curation);
    m_sizeForm->setRowVisible(m_similarity, !curation);
}

JobSpec PromptPage::currentJob() {
    JobSpec job = m_job;
    storeInto(job);
    return job;
}

void PromptPage::replacePrompt(const QString& prompt) {
    QTextCursor cursor(m_prompt->document());
    cursor.beginEditBlock();
    cursor.select(QTextCursor::Document);
    cursor.insertText(prompt);
    cursor.endEditBlock();
    m_prompt->setTextCursor(cursor);
    m_prompt->setFocus();
}

void PromptPage::generatePrompt() {
    auto* dialog = new PromptSuggestionDialog(m_context.providerAccess(), currentJob(), m_useCase, this);
    connect(dialog, &SuggestionDialog::useCaseChanged, this,
            [this](const QString& useCase) { m_useCase = useCase; });
    connect(dialog, &PromptSuggestionDialog::promptChosen, this, &PromptPage::replacePrompt);
    dialog->open();
}

void PromptPage::suggestSeeds() {
    auto* dialog = new SeedSuggestionDialog(m_context.providerAccess(), currentJob(), m_useCase, this);
    connect(dialog, &SuggestionDialog::useCaseChanged, this,
            [this](const QString& useCase) { m_useCase = useCase; });
    connect(dialog, &SeedSuggestionDialog::seedsChosen, this,
            [this](const std::vector<std::string>& seeds) { m_seeds->addSeeds(seeds); });
    dialog->open();
}

void PromptPage::storeInto(JobSpec& draft) {
    draft.prompt = ss(m_prompt->toPlainText());
    draft.seeds = m_seeds->seeds();
    if (m_schemaBox->isVisibleTo(this))
        draft.databaseSchema = ss(m_schema->toPlainText());
    draft.parameters.temperature = m_temperature->value();
    draft.parameters.topK = m_topK->value();
    draft.parameters.topP = m_topP->value();
    draft.parameters.maxTokens = m_maxTokens->value();
    draft.size = m_size->value();
    draft.rowsPerRequest = m_rowsPerRequest->value();
    draft.concurrency = m_concurrency->value();
    draft.similarityThreshold = m_similarity->value();
}

void PromptPage::clearMessages() {
    for (auto* message : {m_promptError, m_schemaError, m_parametersError, m_sizeError, m_throughputError})
        message->clear();
    m_seeds->showProblem({});
}

bool PromptPage::validatePage(JobSpec& draft) {
    storeInto(draft);
    clearMessages();
    std::vector<std::string> own;
    for (auto& problem : validate(draft))
        if (problem.rfind("input", 0) != 0 && problem.rfind("chunk_", 0) != 0)
            own.push_back(std::move(problem));
    auto problems = problemsByField(own);
    problems.erase("provider");
    problems.erase("output_keys");
    if (draft.workflow == Workflow::CustomDataCuration)
        problems.erase("size");
    if (draft.templateId == "text_to_sql" &&
        draft.databaseSchema.find_first_not_of(" \t\r\n") == std::string::npos)
        problems["schema"] =
            tr("Text to SQL needs the database schema the questions are about: paste the CREATE "
               "TABLE statements, or restore the default.");
    const auto take = [&problems](const std::string& field) {
        const auto found = problems.find(field);
        if (found == problems.end())
            return QString();
        QString text = found->second;
        problems.erase(found);
        return text;
    };
    bool ok = true;
    const auto put = [&ok](const QString& text, const auto& show) {
        ok = ok && text.isEmpty();
        show(text);
    };
    put(take("prompt"), [this](const QString& text) { m_promptError->show(text); });
    put(take("seeds"), [this](const QString& text) { m_seeds->showProblem(text); });
    put(take("schema"), [this](const QString& text) { m_schemaError->show(text); });
    QStringList parameters;
    for (const char* field : {"temperature", "top_k", "top_p", "max_tokens"})
        if (QString text = take(field); !text.isEmpty())
            parameters << text;
    put(parameters.join(QLatin1Char('\n')), [this](const QString& text) { m_parametersError->show(text); });
    put(take("size"), [this](const QString& text) { m_sizeError->show(text); });
    QStringList throughput;
    for (const char* field : {"rows per request", "concurrency", "other"})
        if (QString text = take(field); !text.isEmpty())
            throughput << text;
    put(throughput.join(QLatin1Char('\n')), [this](const QString& text) { m_throughputError->show(text); });
    return ok;
}

void PromptPage::updateRequests() {
    if (m_job.workflow == Workflow::CustomDataCuration) {
        m_requests->setText(
            tr("One request per element of %1 (%2), each answer added to its element.")
                .arg(qs(m_job.inputFiles.empty()
                            ? std::string()
                            : std::filesystem::path(m_job.inputFiles.front()).filename().string()),
                     counted(m_job.size, tr("element"), tr("elements"))));
        return;
    }
    if (m_job.groundedInDocuments()) {
        m_requests->setText(
            tr("The rows are spread evenly over the excerpts of %1, up to %2 rows per request.")
                .arg(counted(static_cast<std::int64_t>(m_job.inputFiles.size()), tr("document"),
                             tr("documents")))
                .arg(m_rowsPerRequest->value()));
        return;
    }
    JobSpec sketch;
    sketch.seeds = m_seeds->seeds();
    sketch.size = m_size->value();
    sketch.rowsPerRequest = m_rowsPerRequest->value();
    if (sketch.seeds.empty() || sketch.size < 1) {
        m_requests->setText(tr("Add seeds and a size to see how many requests the run makes."));
        return;
    }
    m_requests->setText(
        tr("%1 of up to %2 rows each, spread over %3.")
            .arg(counted(sketch.plannedRequests(), tr("request"), tr("requests")))
            .arg(sketch.rowsPerRequest)
            .arg(counted(static_cast<std::int64_t>(sketch.seeds.size()), tr("seed"), tr("seeds"))));
}

} // namespace sds::gui
