#include "gui/SummaryPage.h"

#include "core/JsonFile.h"
#include "core/PromptBuilder.h"
#include "engine/CurationRun.h"
#include "engine/JobSetup.h"
#include "gui/AppContext.h"
#include "gui/AppSettings.h"
#include "gui/Background.h"
#include "gui/Dialogs.h"
#include "gui/FieldMessage.h"
#include "gui/Format.h"
#include "gui/Workspace.h"

#include <QCheckBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
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

QString fileName(const QString& path) {
    return QFileInfo(path).fileName();
}

QString red(const QString& text) {
    return QStringLiteral("<span style='color:#b3261e'>%1</span>").arg(text.toHtmlEscaped());
}

QString messages(const std::vector<providers::ChatMessage>& list) {
    QStringList parts;
    for (const auto& message : list)
        parts << QObject::tr("── %1 ──\n%2")
                     .arg(message.role == providers::ChatMessage::Role::System ? QObject::tr("System")
                                                                               : QObject::tr("User"),
                          qs(message.content));
    return parts.join(QStringLiteral("\n\n"));
}

// Requests for `size` rows spread over `parts` excerpts, `perRequest` rows at most in each.
int plannedRequests(int size, int parts, int perRequest) {
    if (parts < 1 || perRequest < 1)
        return 0;
    int requests = 0;
    for (const int rows : spreadEvenly(size, static_cast<std::size_t>(parts)))
        requests += (rows + perRequest - 1) / perRequest;
    return requests;
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
    m_notices = new QLabel(this);
    m_notices->setObjectName(QStringLiteral("summaryNotices"));
    m_notices->setWordWrap(true);
    m_notices->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_notices->setStyleSheet(QStringLiteral("color: #8a5300;"));
    m_notices->setVisible(false);

    m_priceIn = new QLineEdit(this);
    m_priceIn->setObjectName(QStringLiteral("priceInEdit"));
    m_priceIn->setPlaceholderText(tr("unknown price"));
    m_priceOut = new QLineEdit(this);
    m_priceOut->setObjectName(QStringLiteral("priceOutEdit"));
    m_priceOut->setPlaceholderText(tr("unknown price"));
    m_priceSource = new QLabel(this);
    m_priceSource->setObjectName(QStringLiteral("priceSourceLabel"));
    m_priceSource->setWordWrap(true);
    m_maxCost = new QLineEdit(this);
    m_maxCost->setObjectName(QStringLiteral("maxCostEdit"));
    m_maxCost->setPlaceholderText(tr("no cap"));
    m_maxCost->setToolTip(
        tr("The run stops before its cost, counting each request in flight at its most, "
           "could pass this; the rows are kept and it can be resumed with a higher budget"));
    m_costEstimate = new QLabel(tr("Estimating…"), this);
    m_costEstimate->setObjectName(QStringLiteral("costEstimateLabel"));
    m_costEstimate->setWordWrap(true);
    m_costEstimate->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* prices = new QHBoxLayout;
    prices->addWidget(m_priceIn);
    prices->addWidget(new QLabel(tr("in,"), this));
    prices->addWidget(m_priceOut);
    prices->addWidget(new QLabel(tr("out"), this));
    prices->addWidget(m_priceSource, 1);
    m_runAsBatch = new QCheckBox(tr("Run as Bedrock batch job (half price; answered within about a day; "
                                    "S3 location and IAM role from Settings)"),
                                 this);
    m_runAsBatch->setObjectName(QStringLiteral("runAsBatchCheck"));
    m_runAsBatch->setVisible(false);
    auto* costBox = new QGroupBox(tr("Cost"), this);
    auto* costForm = new QFormLayout(costBox);
    costForm->addRow(m_runAsBatch);
    costForm->addRow(tr("Price, USD per 1M tokens"), prices);
    costForm->addRow(tr("Budget, USD"), m_maxCost);
    costForm->addRow(tr("Estimate"), m_costEstimate);

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
    layout->addWidget(costBox);
    layout->addWidget(m_notices);
    layout->addWidget(m_problem);
    layout->addLayout(buttons);

    for (auto* field : {m_priceIn, m_priceOut, m_maxCost})
        connect(field, &QLineEdit::textChanged, this, &SummaryPage::renderCost);
    connect(m_runAsBatch, &QCheckBox::toggled, this, [this] {
        storeMode(m_job);
        render();
        estimate();
    });
    connect(m_save, &QPushButton::clicked, this, &SummaryPage::saveJob);
    connect(m_generate, &QPushButton::clicked, this, &SummaryPage::generateRequested);
}

QString SummaryPage::finalPrompt(const JobSpec& job, const InputCheck* check) {
    if (job.workflow == Workflow::CustomDataCuration) {
        const bool sampled = check && check->curation && !check->curation->sample.isEmpty();
        const std::string input = sampled ? ss(check->curation->sample.front())
                                          : ss(tr("<the \"%1\" of each element>").arg(qs(job.inputKey)));
        return messages(engine::buildCurationRequest(job, input, true).messages);
    }
    BatchRequestInput input;
    if (job.groundedInDocuments()) {
        input.seed = ss(tr("your documents"));
        input.groundingText = ss(tr("<an excerpt of your documents>"));
        if (check)
            for (const auto& document : check->documents)
                if (document.ok() && !document.firstExcerpt.isEmpty()) {
                    input.seed = ss(fileName(document.path));
                    input.groundingText = ss(document.firstExcerpt);
                    break;
                }
        input.count = std::max(1, std::min(job.rowsPerRequest, job.size));
    } else {
        if (job.seeds.empty())
            return tr("(no seeds: nothing would be sent)");
        input.seed = job.seeds.front();
        const auto rows = job.rowsPerSeed();
        input.count =
            std::max(1, std::min(job.rowsPerRequest, rows.empty() ? job.rowsPerRequest : rows.front()));
    }
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
    m_check.reset();
    m_checkCancel.cancel();
    m_checkCancel = CancellationToken();
    const int generation = ++m_checkGeneration;
    const auto price = [](double value) {
        return QString::number(value, 'g', 10);
    };
    {
        const QSignalBlocker in(m_priceIn), out(m_priceOut), cap(m_maxCost);
        m_priceIn->setText(draft.price ? price(draft.price->inputPerMillion) : QString());
        m_priceOut->setText(draft.price ? price(draft.price->outputPerMillion) : QString());
        m_maxCost->setText(draft.maxCostUsd ? price(*draft.maxCostUsd) : QString());
        const QSignalBlocker batch(m_runAsBatch);
        m_runAsBatch->setVisible(canRunAsBatch(draft));
        m_runAsBatch->setChecked(draft.runsAsBatch() && canRunAsBatch(draft));
    }
    storeMode(m_job);
    render();
    estimate();
    if (draft.inputFiles.empty())
        return;
    runInBackground(
        this, [job = draft, cancel = m_checkCancel] { return checkInputFiles(job, false, 1, cancel); },
        [this, generation](const InputCheck& check) {
            if (generation != m_checkGeneration)
                return;
            m_check = check;
            render();
        });
}

void SummaryPage::render() {
    const auto& workspace = m_context.workspace();
    const auto& j = m_job;
    const bool curation = j.workflow == Workflow::CustomDataCuration;
    const bool documents = j.groundedInDocuments();
    const InputCheck* check = m_check ? &*m_check : nullptr;
    const QString checking = tr("checking…");
    QStringList notices;

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
    if (curation) {
        QString file = j.inputFiles.empty() ? tr("none") : escaped(j.inputFiles.front());
        QString elements = checking;
        if (check && check->curation) {
            const auto& curated = *check->curation;
            if (!curated.error.isEmpty())
                elements = red(curated.error);
            else
                elements = tr("%1, %2 skipped (no field \"%3\")")
                               .arg(counted(curated.elements, tr("element"), tr("elements")))
                               .arg(curated.missing)
                               .arg(escaped(j.inputKey));
            if (!curated.skipped.isEmpty())
                notices << curated.skipped;
        }
        html += row(tr("Input file"), file + QStringLiteral("<br>") + elements);
        html += row(tr("Input field"), escaped(j.inputKey));
        html += row(tr("Output field"), escaped(j.outputKeys.completion));
        const QString rows = check && check->curation && check->curation->error.isEmpty()
                                 ? formatCount(check->curation->usable())
                                 : formatCount(j.size);
        html += row(tr("Dataset size"), tr("%1 rows, one per element").arg(rows));
        html += row(tr("Requests"), tr("one per element, %1 in flight").arg(j.concurrency));
    } else if (documents) {
        QStringList files;
        for (std::size_t i = 0; i < j.inputFiles.size(); ++i) {
            QString line = escaped(j.inputFiles[i]) + QStringLiteral(": ");
            if (!check || i >= check->documents.size()) {
                line += checking;
            } else {
                const auto& document = check->documents[i];
                line += document.ok() ? counted(document.excerpts, tr("excerpt"), tr("excerpts"))
                                      : red(tr("%1 (skipped)").arg(document.error));
                if (!document.ok())
                    notices << tr("%1 (skipped)").arg(document.error);
                for (const auto& warning : document.warnings)
                    notices << warning;
            }
            files << line;
        }
        html += row(tr("Documents"), files.join(QStringLiteral("<br>")));
        html += row(tr("Excerpts"), tr("%1 in all, of up to %2 characters, %3 shared with the next")
                                        .arg(check ? formatCount(check->excerpts()) : checking)
                                        .arg(j.chunkSize)
                                        .arg(j.chunkOverlap));
        html += row(tr("Dataset size"), tr("%1 rows").arg(formatCount(j.size)));
        html += row(tr("Requests"),
                    tr("%1 of up to %2 rows, %3 in flight")
                        .arg(check ? formatCount(plannedRequests(j.size, check->excerpts(), j.rowsPerRequest))
                                   : checking)
                        .arg(j.rowsPerRequest)
                        .arg(j.concurrency));
    } else {
        html += row(tr("Dataset size"), tr("%1 rows").arg(formatCount(j.size)));
        html += row(tr("Requests"), tr("%1 of up to %2 rows, %3 in flight")
                                        .arg(formatCount(j.plannedRequests()))
                                        .arg(j.rowsPerRequest)
                                        .arg(j.concurrency));
    }
    if (j.runsAsBatch())
        html += row(tr("Mode"),
                    tr("one Amazon Bedrock batch job (records and answers in %1, role %2); "
                       "failed records are asked on demand")
                        .arg(j.batch.s3Uri.empty() ? tr("<i>no S3 location set</i>") : escaped(j.batch.s3Uri),
                             j.batch.roleArn.empty() ? tr("<i>no role set</i>") : escaped(j.batch.roleArn)));
    if (j.workflow != Workflow::CustomDataCuration)
        html +=
            row(tr("Near-duplicates"),
                j.similarityThreshold >= 1.0
                    ? tr("not filtered (exact duplicates only)")
                    : tr("rejected above ROUGE-L F1 %1").arg(QString::number(j.similarityThreshold, 'f', 2)));
    html += row(tr("Temperature"), QString::number(j.parameters.temperature, 'f', 2));
    html += row(tr("Top K"), QString::number(j.parameters.topK));
    html += row(tr("Top P"), QString::number(j.parameters.topP, 'f', 2));
    html += row(tr("Max tokens"), QString::number(j.parameters.maxTokens));
    html += row(tr("Output"),
                j.outputPath.empty()
                    ? tr("a new file in %1").arg(escaped(workspace.project().datasetsDir().string()))
                    : escaped(j.outputPath));
    html += row(tr("Row keys"),
                curation ? tr("the fields of each element, plus %1").arg(escaped(j.outputKeys.completion))
                         : QStringLiteral("%1, %2, %3")
                               .arg(escaped(j.originKey()), escaped(j.outputKeys.prompt),
                                    escaped(j.outputKeys.completion)));
    if (!curation && !documents) {
        QStringList seeds;
        for (const auto& seed : j.seeds)
            seeds << escaped(seed);
        html += row(tr("Seeds (%1)").arg(j.seeds.size()), seeds.join(QStringLiteral("<br>")));
    }
    html += row(curation ? tr("Instruction") : tr("Prompt"), preformatted(j.prompt));
    if (!j.databaseSchema.empty() && !curation)
        html += row(tr("Database schema"), QStringLiteral("<pre>%1</pre>").arg(escaped(j.databaseSchema)));
    QString examples;
    for (std::size_t i = 0; i < j.examples.size(); ++i)
        examples += QStringLiteral("<p><b>%1.</b> %2</p>%3")
                        .arg(i + 1)
                        .arg(escaped(j.examples[i].question), preformatted(j.examples[i].solution));
    html += row(curation ? tr("Examples, input and output (%1)").arg(j.examples.size())
                         : tr("Examples (%1)").arg(j.examples.size()),
                examples.isEmpty() ? tr("none") : examples);
    html += QStringLiteral("</table>");
    m_summary->setHtml(html);

    m_notices->setText(notices.isEmpty() ? QString()
                                         : tr("Before you start:") + QStringLiteral("\n• ") +
                                               notices.join(QStringLiteral("\n• ")));
    m_notices->setVisible(!notices.isEmpty());

    if (curation)
        m_promptCaption->setText(tr("The prompt as it will be sent for the first element"));
    else if (documents)
        m_promptCaption->setText(tr("The prompt as it will be sent for the first excerpt"));
    else
        m_promptCaption->setText(
            j.seeds.empty()
                ? tr("The prompt as it will be sent")
                : tr("The prompt as it will be sent for the seed \"%1\"").arg(qs(j.seeds.front())));
    m_finalPrompt->setPlainText(finalPrompt(j, check));
}

bool SummaryPage::canRunAsBatch(const JobSpec& job) {
    return job.provider.name == "bedrock" && job.workflow == Workflow::SupervisedFineTuning &&
           (job.groundedInDocuments() || job.plannedRequests() >= kBatchMinimumRecords);
}

void SummaryPage::storeMode(JobSpec& job) const {
    const bool batch = m_runAsBatch->isChecked() && canRunAsBatch(job);
    job.mode = batch ? RunMode::BedrockBatch : RunMode::OnDemand;
    if (!batch)
        return;
    auto& settings = m_context.settings();
    if (const auto uri = settings.text(AppSettings::Key::BedrockBatchS3Uri); !uri.isEmpty())
        job.batch.s3Uri = ss(uri);
    if (const auto role = settings.text(AppSettings::Key::BedrockBatchRoleArn); !role.isEmpty())
        job.batch.roleArn = ss(role);
}

void SummaryPage::storeInto(JobSpec& draft) {
    storeMode(draft);
    const auto price = typedPrice();
    draft.price = price && !(m_tablePrice && m_tablePrice->price == *price) ? price : std::nullopt;
    draft.maxCostUsd = typedBudget();
    m_job.price = draft.price;
    m_job.maxCostUsd = draft.maxCostUsd;
}

bool SummaryPage::validatePage(JobSpec& draft) {
    QStringList lines;
    QString priceProblem;
    QString budgetProblem;
    (void)typedPrice(&priceProblem);
    (void)typedBudget(&budgetProblem);
    for (const auto& problem : {priceProblem, budgetProblem})
        if (!problem.isEmpty())
            lines << problem;
    storeInto(draft);
    for (const auto& problem : validate(draft))
        lines << qs(problem);
    if (draft.runsAsBatch() && (draft.batch.s3Uri.empty() || draft.batch.roleArn.empty()))
        lines << tr("A batch job needs its S3 location and IAM role: set them in Settings → AWS Bedrock.");
    if (draft.runsAsBatch() && !m_batchBudgetProblem.isEmpty())
        lines << m_batchBudgetProblem;
    if (draft.maxCostUsd && !draft.price && !m_tablePrice && lines.isEmpty())
        lines << tr("A budget needs the model's price: type it above, in USD per 1M tokens.");
    m_problem->show(lines.join(QLatin1Char('\n')));
    return lines.isEmpty();
}

std::optional<TokenPrice> SummaryPage::typedPrice(QString* problem) const {
    const QString in = m_priceIn->text().trimmed();
    const QString out = m_priceOut->text().trimmed();
    if (in.isEmpty() && out.isEmpty())
        return std::nullopt;
    const auto say = [problem](const QString& text) {
        if (problem)
            *problem = text;
        return std::nullopt;
    };
    if (in.isEmpty() || out.isEmpty())
        return say(tr("Price: give both, input and output, in USD per 1M tokens."));
    bool inOk = false;
    bool outOk = false;
    const TokenPrice price{in.toDouble(&inOk), out.toDouble(&outOk)};
    if (!inOk || !(price.inputPerMillion >= 0))
        return say(tr("Price: the input price must be a number of USD per 1M tokens, at least 0, not \"%1\".")
                       .arg(in));
    if (!outOk || !(price.outputPerMillion >= 0))
        return say(
            tr("Price: the output price must be a number of USD per 1M tokens, at least 0, not \"%1\".")
                .arg(out));
    return price;
}

std::optional<double> SummaryPage::typedBudget(QString* problem) const {
    const QString text = m_maxCost->text().trimmed();
    if (text.isEmpty())
        return std::nullopt;
    bool ok = false;
    const double budget = text.toDouble(&ok);
    if (ok && budget > 0)
        return budget;
    if (problem)
        *problem =
            tr("Budget: give an amount of USD above 0, or leave it empty for no cap, not \"%1\".").arg(text);
    return std::nullopt;
}

void SummaryPage::estimate() {
    const int generation = ++m_estimateGeneration;
    m_estimate.reset();
    m_estimateError.clear();
    m_tablePrice.reset();
    renderCost();
    struct Estimated {
        std::optional<FoundPrice> tablePrice;
        std::variant<engine::CostEstimate, std::string> estimate;
    };
    runInBackground(
        this,
        [job = m_job, project = m_context.workspace().project(), history = m_context.workspace().history()] {
            const auto prices = project.loadPrices();
            if (!prices.error.empty())
                return Estimated{std::nullopt, prices.error};
            const auto runs = history ? history->list() : std::vector<RunRecord>{};
            return Estimated{prices.table.find(job.provider.name, job.provider.model),
                             engine::estimateRun(job, prices.table, runs)};
        },
        [this, generation](const Estimated& estimated) {
            if (generation != m_estimateGeneration)
                return;
            m_tablePrice = estimated.tablePrice;
            if (const auto* error = std::get_if<std::string>(&estimated.estimate))
                m_estimateError = qs(*error);
            else
                m_estimate = std::get<engine::CostEstimate>(estimated.estimate);
            if (m_tablePrice && !m_job.price && m_priceIn->text().isEmpty() && m_priceOut->text().isEmpty()) {
                const QSignalBlocker in(m_priceIn), out(m_priceOut);
                m_priceIn->setText(QString::number(m_tablePrice->price.inputPerMillion, 'g', 10));
                m_priceOut->setText(QString::number(m_tablePrice->price.outputPerMillion, 'g', 10));
            }
            renderCost();
        });
}

void SummaryPage::renderCost() {
    QString problem;
    const auto price = typedPrice(&problem);
    if (!price)
        m_priceSource->setText(problem.isEmpty() ? tr("unknown price: type it to see the cost") : problem);
    else if (m_tablePrice && m_tablePrice->price == *price)
        m_priceSource->setText(tr("from %1").arg(qs(m_tablePrice->source)));
    else
        m_priceSource->setText(tr("typed for this job"));
    m_batchBudgetProblem.clear();
    if (!m_estimateError.isEmpty()) {
        m_costEstimate->setText(tr("Cannot estimate: %1").arg(m_estimateError));
        return;
    }
    if (!m_estimate) {
        m_costEstimate->setText(tr("Estimating…"));
        return;
    }
    engine::CostEstimate priced = *m_estimate;
    std::optional<FoundPrice> found;
    if (price)
        found = FoundPrice{*price, m_tablePrice && m_tablePrice->price == *price
                                       ? m_tablePrice->source
                                       : std::string("typed for this job")};
    engine::priceEstimate(priced, found);
    JobSpec job = m_job;
    job.maxCostUsd = typedBudget();
    m_batchBudgetProblem = qs(engine::batchBudgetProblem(priced, job));
    QStringList lines;
    for (const auto& line : engine::describeEstimate(priced, job))
        lines << qs(line);
    m_costEstimate->setText(lines.join(QLatin1Char('\n')));
}

void SummaryPage::showProblem(const QString& problem) {
    m_problem->show(problem);
}

void SummaryPage::saveJob() {
    storeInto(m_job);
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
