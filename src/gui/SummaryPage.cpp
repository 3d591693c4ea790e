#include "gui/SummaryPage.h"

#include "core/JsonFile.h"
#include "core/PromptBuilder.h"
#include "engine/JobSetup.h"
#include "gui/AppContext.h"
#include "gui/Background.h"
#include "gui/Dialogs.h"
#include "gui/FieldMessage.h"
#include "gui/Format.h"
#include "gui/Workspace.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace sds::gui {
namespace {

QString row(const QString& name, const QString& value) {
    return QStringLiteral("<tr><th align=left valign=top style='padding-right:16px'>%1</th><td>%2</td></tr>")
        .arg(name.toHtmlEscaped(), value);
}

QString escaped(const std::string& text) {
    return qs(text).toHtmlEscaped();
}

QString preformatted(const std::string& text) {
    return QStringLiteral("<pre style='white-space: pre-wrap'>%1</pre>").arg(escaped(text));
}

QString fileSafe(const std::string& name) {
    QString safe;
    for (const QChar c : qs(name))
        safe += c.isLetterOrNumber() ? c.toLower() : QLatin1Char('-');
    while (safe.contains(QStringLiteral("--")))
        safe.replace(QStringLiteral("--"), QStringLiteral("-"));
    safe = safe.left(60);
    while (safe.endsWith(QLatin1Char('-')))
        safe.chop(1);
    while (safe.startsWith(QLatin1Char('-')))
        safe.remove(0, 1);
    return safe.isEmpty() ? QStringLiteral("job") : safe;
}

} // namespace

SummaryPage::SummaryPage(AppContext& context, QWidget* parent) : WizardPage(parent), m_context(context) {
    setObjectName(QStringLiteral("summaryPage"));
    m_summary = new QTextBrowser(this);
    m_summary->setObjectName(QStringLiteral("summaryView"));
    m_summary->setOpenLinks(false);
    m_promptCaption = new QLabel(this);
    m_promptCaption->setObjectName(QStringLiteral("finalPromptCaption"));
    m_promptCaption->setWordWrap(true);
    m_finalPrompt = new QPlainTextEdit(this);
    m_finalPrompt->setObjectName(QStringLiteral("finalPromptView"));
    m_finalPrompt->setReadOnly(true);
    m_finalPrompt->setFont(monospaceFont());
    m_finalPrompt->setTabChangesFocus(true);
    m_save = new QPushButton(tr("&Save job…"), this);
    m_save->setObjectName(QStringLiteral("saveJobButton"));
    m_save->setToolTip(
        tr("Writes the job as JSON; `sds generate --config FILE` runs it from the command line"));
    m_generate = new QPushButton(tr("&Generate"), this);
    m_generate->setObjectName(QStringLiteral("generateButton"));
    m_generate->setDefault(true);
    m_saveStatus = new QLabel(this);
    m_saveStatus->setObjectName(QStringLiteral("saveJobStatus"));
    m_saveStatus->setWordWrap(true);
    m_saveStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_problem = new FieldMessage(QStringLiteral("summaryError"), this);

    auto* promptBox = new QWidget(this);
    auto* promptLayout = new QVBoxLayout(promptBox);
    promptLayout->setContentsMargins(0, 0, 0, 0);
    promptLayout->addWidget(m_promptCaption);
    promptLayout->addWidget(m_finalPrompt);
    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(m_summary);
    splitter->addWidget(promptBox);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 1);
    splitter->setChildrenCollapsible(false);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_save);
    buttons->addWidget(m_saveStatus, 1);
    buttons->addWidget(m_generate);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(splitter, 1);
    layout->addWidget(m_problem);
    layout->addLayout(buttons);

    connect(m_save, &QPushButton::clicked, this, &SummaryPage::saveJob);
    connect(m_generate, &QPushButton::clicked, this, &SummaryPage::generateRequested);
}

QString SummaryPage::finalPrompt(const JobSpec& job) {
    if (job.seeds.empty())
        return tr("(no seeds: nothing would be sent)");
    BatchRequestInput input;
    input.seed = job.seeds.front();
    const auto rows = job.rowsPerSeed();
    input.count = std::max(1, std::min(job.rowsPerRequest, rows.empty() ? job.rowsPerRequest : rows.front()));
    input.userPrompt = job.prompt;
    input.examples = job.examples;
    input.databaseSchema = job.databaseSchema;
    const auto prompt = buildBatchPrompt(input, engine::runOptionsFor(job).prompt);
    return tr("── System ──\n%1\n\n── User ──\n%2").arg(qs(prompt.system), qs(prompt.user));
}

void SummaryPage::initializePage(const JobSpec& draft) {
    m_job = draft;
    m_problem->clear();
    m_saveStatus->clear();
    const auto& workspace = m_context.workspace();
    const auto& j = draft;
    QString html = QStringLiteral("<table cellspacing=4>");
    html += row(tr("Display Name"), escaped(j.displayName));
    html += row(tr("Template"), workspace.templateName(j.templateId).toHtmlEscaped());
    html += row(tr("Workflow"), workflowDisplayName(j.workflow).toHtmlEscaped());
    html += row(tr("Model Provider"), providerDisplayName(j.provider.name).toHtmlEscaped());
    html += row(tr("Model ID"),
                j.provider.model.empty() ? tr("the provider's default") : escaped(j.provider.model));
    if (!j.provider.endpoint.empty())
        html += row(tr("Endpoint"), escaped(j.provider.endpoint));
    if (!j.provider.region.empty())
        html += row(tr("Region"), escaped(j.provider.region));
    if (!j.provider.profile.empty())
        html += row(tr("AWS profile"), escaped(j.provider.profile));
    if (!j.inputFiles.empty()) {
        QStringList files;
        for (const auto& file : j.inputFiles)
            files << escaped(file);
        html += row(tr("Files"), files.join(QStringLiteral("<br>")));
    }
    html += row(tr("Dataset size"), tr("%1 rows").arg(formatCount(j.size)));
    html += row(tr("Requests"), tr("%1 of up to %2 rows, %3 in flight")
                                    .arg(formatCount(j.plannedRequests()))
                                    .arg(j.rowsPerRequest)
                                    .arg(j.concurrency));
    html += row(tr("Temperature"), QString::number(j.parameters.temperature, 'f', 2));
    html += row(tr("Top K"), QString::number(j.parameters.topK));
    html += row(tr("Top P"), QString::number(j.parameters.topP, 'f', 2));
    html += row(tr("Max tokens"), QString::number(j.parameters.maxTokens));
    html += row(tr("Output"),
                j.outputPath.empty()
                    ? tr("a new file in %1").arg(escaped(workspace.project().datasetsDir().string()))
                    : escaped(j.outputPath));
    html += row(
        tr("Row keys"),
        QStringLiteral("Seeds, %1, %2").arg(escaped(j.outputKeys.prompt), escaped(j.outputKeys.completion)));
    QStringList seeds;
    for (const auto& seed : j.seeds)
        seeds << escaped(seed);
    html += row(tr("Seeds (%1)").arg(j.seeds.size()), seeds.join(QStringLiteral("<br>")));
    html += row(tr("Prompt"), preformatted(j.prompt));
    if (!j.databaseSchema.empty())
        html += row(tr("Database schema"), QStringLiteral("<pre>%1</pre>").arg(escaped(j.databaseSchema)));
    QString examples;
    for (std::size_t i = 0; i < j.examples.size(); ++i)
        examples += QStringLiteral("<p><b>%1.</b> %2</p>%3")
                        .arg(i + 1)
                        .arg(escaped(j.examples[i].question), preformatted(j.examples[i].solution));
    html += row(tr("Examples (%1)").arg(j.examples.size()), examples.isEmpty() ? tr("none") : examples);
    html += QStringLiteral("</table>");
    m_summary->setHtml(html);
    m_promptCaption->setText(
        j.seeds.empty() ? tr("The prompt as it will be sent")
                        : tr("The prompt as it will be sent for the seed \"%1\"").arg(qs(j.seeds.front())));
    m_finalPrompt->setPlainText(finalPrompt(j));
}

bool SummaryPage::validatePage(JobSpec& draft) {
    const auto problems = validate(draft);
    QStringList lines;
    for (const auto& problem : problems)
        lines << qs(problem);
    m_problem->show(lines.join(QLatin1Char('\n')));
    return problems.empty();
}

void SummaryPage::showProblem(const QString& problem) {
    m_problem->show(problem);
}

void SummaryPage::saveJob() {
    const auto root = qs(m_context.workspace().project().root().string());
    const QString suggested =
        root + QLatin1Char('/') + fileSafe(m_job.displayName) + QStringLiteral(".job.json");
    const QString file = Dialogs::current().saveFile(this, tr("Save job"), suggested, tr("Job (*.json)"));
    if (file.isEmpty())
        return;
    runInBackground(
        this,
        [path = ss(file), text = toJson(m_job).dump(2) + "\n"] {
            return qs(writeFileAtomically(path, text));
        },
        [this, file](const QString& error) {
            showOutcome(m_saveStatus, error.isEmpty(),
                        error.isEmpty()
                            ? tr("Saved to %1. From the command line: sds generate --config \"%1\"").arg(file)
                            : tr("Cannot save the job: %1").arg(error));
        });
}

} // namespace sds::gui
