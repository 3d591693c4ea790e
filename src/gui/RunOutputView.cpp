#include "gui/RunOutputView.h"

#include "core/Journal.h"
#include "core/JsonFile.h"
#include "engine/Validation.h"
#include "gui/AppContext.h"
#include "gui/Background.h"
#include "gui/Dialogs.h"
#include "gui/ExportDialog.h"
#include "gui/FieldMessage.h"
#include "gui/Format.h"
#include "gui/GenerationsModel.h"
#include "gui/RowsModel.h"
#include "gui/Workspace.h"

#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>
#include <filesystem>

namespace sds::gui {
namespace {

struct LoadedRun {
    std::shared_ptr<RowStore> rows = std::make_shared<RowStore>();
    QString promptKey = QStringLiteral("Prompt");
    QString completionKey = QStringLiteral("Completion");
    std::string templateId;
    int retries = -1;
    int failedRequests = -1;
    std::optional<int> nearDuplicates; // unknown for runs whose metadata has no count
    quality::RejectionCounts lowQuality;
    QString datasetPath; // empty when the dataset file does not exist
    QString error;
};

// The rows of a run from its dataset file, or from its journal when the dataset was never written.
LoadedRun loadRun(const RunRecord& record) {
    LoadedRun loaded;
    const std::filesystem::path runDir = record.runDir;
    OutputKeys keys;
    if (auto job = readJsonFile(runDir / "job.json"); job.ok())
        if (auto parsed = jobFromJson(*job.json, "job.json"); parsed.job) {
            keys = parsed.job->outputKeys;
            loaded.templateId = parsed.job->templateId;
        }
    loaded.promptKey = qs(keys.prompt);
    loaded.completionKey = qs(keys.completion);
    if (auto metadata = readJsonFile(runDir / "metadata.json"); metadata.ok() && metadata.json->is_object()) {
        const auto counts = metadata.json->value("counts", nlohmann::json::object());
        loaded.retries = counts.value("retries", -1);
        loaded.failedRequests = counts.value("failed_requests", -1);
        if (const int nearDuplicates = counts.value("near_duplicates_rejected", -1); nearDuplicates >= 0)
            loaded.nearDuplicates = nearDuplicates;
        loaded.lowQuality = quality::RejectionCounts::fromJson(
            counts.value("low_quality_rejected_by_reason", nlohmann::json::object()));
    }
    std::error_code ec;
    if (!record.outputPath.empty() && std::filesystem::is_regular_file(record.outputPath, ec)) {
        loaded.datasetPath = qs(record.outputPath);
        const auto dataset = readJsonFile(record.outputPath);
        if (!dataset.ok()) {
            loaded.error = qs(dataset.error);
            return loaded;
        }
        if (!dataset.json->is_array()) {
            loaded.error = QObject::tr("%1 is not a JSON array of rows").arg(qs(record.outputPath));
            return loaded;
        }
        const auto text = [](const nlohmann::json& row, const std::string& key) {
            const auto found = row.find(key);
            return found != row.end() && found->is_string() ? qs(found->get<std::string>()) : QString();
        };
        for (const auto& row : *dataset.json)
            if (row.is_object())
                loaded.rows->push_back(
                    {text(row, "Seeds"), text(row, keys.prompt), text(row, keys.completion)});
        return loaded;
    }
    const auto journal = runDir / "journal.jsonl";
    if (!std::filesystem::exists(journal, ec))
        return loaded;
    const auto read = Journal::read(journal, [&](JournalRow&& row) {
        loaded.rows->push_back({qs(row.seed), qs(row.question), qs(row.solution)});
    });
    if (!read.error.empty())
        loaded.error = qs(read.error);
    return loaded;
}

QLabel* statValue(const QString& objectName, QWidget* parent) {
    auto* label = new QLabel(QStringLiteral("–"), parent);
    label->setObjectName(objectName);
    QFont font = label->font();
    font.setPointSizeF(font.pointSizeF() * 1.25);
    font.setBold(true);
    label->setFont(font);
    return label;
}

void showText(QTextBrowser* browser, const QString& text, bool code) {
    if (text.contains(QStringLiteral("```"))) {
        browser->setMarkdown(text);
        return;
    }
    browser->setFont(code ? monospaceFont() : QFont());
    browser->setPlainText(text);
}

} // namespace

RunOutputView::RunOutputView(AppContext& context, QWidget* parent) : QWidget(parent), m_context(context) {
    setObjectName(QStringLiteral("runOutputView"));
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("runTitleLabel"));
    makeTitle(m_title);
    m_title->setWordWrap(true);
    m_subtitle = new QLabel(this);
    m_subtitle->setObjectName(QStringLiteral("runSubtitleLabel"));
    m_subtitle->setWordWrap(true);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("runStatusLabel"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("runProgressBar"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);

    m_rows = statValue(QStringLiteral("rowsStat"), this);
    m_rate = statValue(QStringLiteral("rateStat"), this);
    m_eta = statValue(QStringLiteral("etaStat"), this);
    m_retries = statValue(QStringLiteral("retriesStat"), this);
    m_failures = statValue(QStringLiteral("failuresStat"), this);
    m_tokens = statValue(QStringLiteral("tokensStat"), this);
    m_cost = statValue(QStringLiteral("costStat"), this);
    auto* stats = new QGridLayout;
    const std::pair<QString, QLabel*> tiles[] = {{tr("Rows"), m_rows},
                                                 {tr("Rows/s"), m_rate},
                                                 {tr("ETA"), m_eta},
                                                 {tr("Retries"), m_retries},
                                                 {tr("Failed requests"), m_failures},
                                                 {tr("Tokens in / out"), m_tokens},
                                                 {tr("Cost"), m_cost}};
    int column = 0;
    for (const auto& [caption, value] : tiles) {
        auto* captionLabel = new QLabel(caption, this);
        captionLabel->setStyleSheet(QStringLiteral("color: palette(mid);"));
        stats->addWidget(captionLabel, 0, column);
        stats->addWidget(value, 1, column);
        ++column;
    }

    m_rejections = new QLabel(this);
    m_rejections->setObjectName(QStringLiteral("rejectedRowsLabel"));
    m_rejections->setWordWrap(true);
    m_rejections->setToolTip(
        tr("Rows the run turned away and asked the model for again: questions too close to an earlier one "
           "(near-duplicates), and rows that failed the quality gate: repetition, looping, punctuation, "
           "nocode, nosql, echo (the answer repeats the question), example (the answer copies an example)"));
    m_rejections->setVisible(false);

    m_cancel = new QPushButton(tr("&Cancel run"), this);
    m_cancel->setObjectName(QStringLiteral("cancelRunButton"));
    m_cancel->setToolTip(
        tr("Stops the run and keeps every row that arrived; resume it later from Generations"));
    m_savedTo = new QLabel(this);
    m_savedTo->setObjectName(QStringLiteral("datasetPathLabel"));
    m_savedTo->setWordWrap(true);
    m_savedTo->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_openFolder = new QPushButton(tr("&Open folder"), this);
    m_openFolder->setObjectName(QStringLiteral("openFolderButton"));
    m_export = new QPushButton(tr("E&xport…"), this);
    m_export->setObjectName(QStringLiteral("outputExportButton"));
    m_export->setToolTip(
        tr("Export the dataset for fine-tuning: OpenAI, Hugging Face, CSV, Alpaca or Bedrock"));
    m_evaluation = new QPushButton(tr("&Quality…"), this);
    m_evaluation->setObjectName(QStringLiteral("outputEvaluationButton"));
    m_evaluation->setToolTip(tr("Scores from a judge model, validation results and exports"));
    m_validation = new QLabel(this);
    m_validation->setObjectName(QStringLiteral("validationLabel"));
    m_validation->setWordWrap(true);
    m_validation->setTextFormat(Qt::RichText);
    m_validation->setVisible(false);
    m_error = new FieldMessage(QStringLiteral("runErrorLabel"), this);

    m_rowsModel = new RowsModel(this);
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("rowsTable"));
    m_table->setModel(m_rowsModel);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setWordWrap(false);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->setTabKeyNavigation(false);

    m_promptDetail = new QTextBrowser(this);
    m_promptDetail->setObjectName(QStringLiteral("promptDetail"));
    m_completionDetail = new QTextBrowser(this);
    m_completionDetail->setObjectName(QStringLiteral("completionDetail"));
    auto* details = new QSplitter(Qt::Horizontal, this);
    details->addWidget(m_promptDetail);
    details->addWidget(m_completionDetail);
    details->setChildrenCollapsible(false);
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_table);
    split->addWidget(details);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    split->setChildrenCollapsible(false);

    auto* header = new QHBoxLayout;
    auto* titles = new QVBoxLayout;
    titles->addWidget(m_title);
    titles->addWidget(m_subtitle);
    header->addLayout(titles, 1);
    header->addWidget(m_cancel, 0, Qt::AlignTop);
    auto* saved = new QHBoxLayout;
    saved->addWidget(m_savedTo, 1);
    saved->addWidget(m_openFolder);
    saved->addWidget(m_evaluation);
    saved->addWidget(m_export);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(header);
    layout->addWidget(m_status);
    layout->addWidget(m_progress);
    layout->addLayout(stats);
    layout->addWidget(m_rejections);
    layout->addWidget(m_error);
    layout->addLayout(saved);
    layout->addWidget(m_validation);
    layout->addWidget(split, 1);

    auto& runs = m_context.runs();
    const auto mine = [this](RunTicket ticket) {
        return m_ticket && *m_ticket == ticket;
    };
    connect(&runs, &RunController::runPrepared, this, [this, mine](RunTicket ticket) {
        if (mine(ticket))
            updateFromState();
    });
    connect(&runs, &RunController::progressChanged, this, [this, mine](RunTicket ticket) {
        if (mine(ticket))
            updateFromState();
    });
    connect(&runs, &RunController::rowsArrived, this, [this, mine](RunTicket ticket) {
        if (mine(ticket))
            m_rowsModel->refresh();
    });
    connect(&runs, &RunController::runFinished, this, [this, mine](RunTicket ticket) {
        if (!mine(ticket))
            return;
        m_rowsModel->refresh();
        updateFromState();
        refreshRecord();
    });
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        if (!m_ticket)
            return;
        m_context.runs().cancel(*m_ticket);
        updateFromState();
    });
    connect(m_openFolder, &QPushButton::clicked, this, [this] {
        if (!m_datasetPath.isEmpty())
            Dialogs::current().openFolder(QFileInfo(m_datasetPath).absolutePath());
    });
    connect(m_export, &QPushButton::clicked, this, &RunOutputView::exportRun);
    connect(m_evaluation, &QPushButton::clicked, this, [this] {
        if (!m_runId.isEmpty())
            emit evaluationRequested(m_runId);
    });
    connect(m_validation, &QLabel::linkActivated, this, [this] {
        if (!m_runId.isEmpty())
            emit evaluationRequested(m_runId);
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &RunOutputView::showSelectedRow);
    connect(m_rowsModel, &RowsModel::modelReset, this, &RunOutputView::showSelectedRow);

    showSaved({});
    m_cancel->setVisible(false);
}

void RunOutputView::setHeader(const JobSpec& job) {
    m_title->setText(qs(job.displayName.empty() ? job.templateId : job.displayName));
    m_subtitle->setText(
        tr("%1 · %2 · %3")
            .arg(m_context.workspace().templateName(job.templateId), providerDisplayName(job.provider.name),
                 job.provider.model.empty() ? tr("default model")
                                            : modelDisplayName(job.provider.name, job.provider.model)));
    m_codeCompletions = job.templateId == "text_to_sql";
    m_rowsModel->setHeaders(qs(job.outputKeys.prompt), qs(job.outputKeys.completion));
}

void RunOutputView::setStats(const QString& rows, const QString& rate, const QString& eta,
                             const QString& retries, const QString& failures, const QString& tokens) {
    m_rows->setText(rows);
    m_rate->setText(rate);
    m_eta->setText(eta);
    m_retries->setText(retries);
    m_failures->setText(failures);
    m_tokens->setText(tokens);
}

void RunOutputView::showCost(const std::optional<double>& costUsd, const std::optional<double>& maxCostUsd) {
    QString text = costUsd ? qs(formatUsd(*costUsd)) : tr("unknown price");
    if (maxCostUsd)
        text = tr("%1 of %2").arg(text, qs(formatUsd(*maxCostUsd)));
    m_cost->setText(text);
    m_cost->setToolTip(costUsd
                           ? tr("The tokens the provider reported, times the model's price")
                           : tr("Give the model's price in Settings or on the Summary page to see the cost"));
}

void RunOutputView::showRejections(std::optional<int> nearDuplicates,
                                   const quality::RejectionCounts& lowQuality) {
    if (!nearDuplicates && lowQuality.total() == 0) {
        m_rejections->clear();
        m_rejections->setVisible(false);
        return;
    }
    QString text = tr("Rejected and asked again: %1")
                       .arg(counted(lowQuality.total(), tr("low-quality row"), tr("low-quality rows")));
    if (lowQuality.total() > 0)
        text += QStringLiteral(" (%1)").arg(QString::fromStdString(lowQuality.describe()));
    if (nearDuplicates)
        text += tr(", %1").arg(counted(*nearDuplicates, tr("near-duplicate"), tr("near-duplicates")));
    m_rejections->setText(text + QLatin1Char('.'));
    m_rejections->setVisible(true);
}

void RunOutputView::showSaved(const QString& datasetPath) {
    m_datasetPath = datasetPath;
    m_savedTo->setText(datasetPath.isEmpty() ? QString() : tr("Dataset saved to %1").arg(datasetPath));
    m_savedTo->setVisible(!datasetPath.isEmpty());
    m_openFolder->setVisible(!datasetPath.isEmpty());
    m_export->setVisible(!datasetPath.isEmpty());
    m_evaluation->setVisible(!datasetPath.isEmpty());
}

void RunOutputView::showValidation(const std::string& validationJson) {
    const auto json =
        validationJson.empty() ? nlohmann::json() : nlohmann::json::parse(validationJson, nullptr, false);
    if (!json.is_object()) {
        m_validation->clear();
        m_validation->setVisible(false);
        return;
    }
    const auto counts = engine::validationCountsFromJson(json);
    QString text = tr("Validation: %1 passed, %2 failed, %3 not judged")
                       .arg(formatCount(static_cast<std::int64_t>(counts.passed)),
                            formatCount(static_cast<std::int64_t>(counts.failed)),
                            formatCount(static_cast<std::int64_t>(counts.unjudged)));
    if (counts.notApplicable > 0)
        text += tr(", %1 without code").arg(formatCount(static_cast<std::int64_t>(counts.notApplicable)));
    text = text.toHtmlEscaped() + QLatin1Char('.');
    if (counts.failed > 0)
        text += QLatin1Char(' ') + tr("<a href=\"evaluation\">Show the rows that failed</a>");
    m_validation->setText(text);
    m_validation->setVisible(true);
}

void RunOutputView::refreshRecord() {
    const auto history = m_context.workspace().history();
    if (m_runId.isEmpty() || !history)
        return;
    const int generation = m_loadGeneration;
    runInBackground(
        this, [history, id = ss(m_runId)] { return history->find(id); },
        [this, generation](const std::optional<RunRecord>& record) {
            if (generation != m_loadGeneration || !record || qs(record->id) != m_runId)
                return;
            showValidation(record->validationJson);
        });
}

void RunOutputView::exportRun() {
    const auto history = m_context.workspace().history();
    if (m_runId.isEmpty() || !history)
        return;
    runInBackground(
        this, [history, id = ss(m_runId)] { return history->find(id); },
        [this](const std::optional<RunRecord>& record) {
            if (record && qs(record->id) == m_runId)
                ExportDialog::openFor(m_context, *record, this);
        });
}

void RunOutputView::showTicket(RunTicket ticket) {
    ++m_loadGeneration;
    m_ticket = ticket;
    const RunState* state = m_context.runs().state(ticket);
    if (!state)
        return;
    m_runId = state->runId;
    m_error->clear();
    showSaved({});
    showValidation({});
    setHeader(state->job);
    if (state->rows)
        m_rowsModel->setRows(state->rows);
    else if (!state->runId.isEmpty()) {
        if (const auto* record = m_context.generations().find(state->runId)) {
            const RunRecord copy = *record;
            updateFromState();
            showRecord(copy);
            return;
        }
    }
    updateFromState();
    if (state->finished)
        refreshRecord();
}

void RunOutputView::updateFromState() {
    if (!m_ticket)
        return;
    const RunState* state = m_context.runs().state(*m_ticket);
    if (!state)
        return;
    m_runId = state->runId;
    setHeader(state->job);
    const auto& p = state->progress;
    const int requested = p.rowsRequested > 0 ? p.rowsRequested : state->job.size;
    m_progress->setRange(0, std::max(1, requested));
    m_progress->setValue(std::min(p.rowsDone, std::max(1, requested)));
    if (state->progressKnown)
        showCost(p.costUsd, state->job.maxCostUsd);
    else
        m_cost->setText(QStringLiteral("–"));
    if (state->progressKnown)
        setStats(tr("%1 / %2").arg(formatCount(p.rowsDone), formatCount(requested)),
                 QString::number(p.rowsPerSecond, 'f', 1),
                 state->finished ? QStringLiteral("–") : formatDuration(p.etaSeconds), formatCount(p.retries),
                 formatCount(p.failedRequests),
                 tr("%1 / %2").arg(formatCount(p.tokens.input), formatCount(p.tokens.output)));
    else
        setStats(tr("0 / %1").arg(formatCount(requested)), QStringLiteral("–"), QStringLiteral("–"),
                 QStringLiteral("0"), QStringLiteral("0"), QStringLiteral("–"));
    if (state->progressKnown)
        showRejections(p.nearDuplicates, p.lowQuality);
    else
        showRejections(std::nullopt, {});
    m_cancel->setVisible(!state->finished);
    m_cancel->setEnabled(!state->finished && !state->cancelRequested);
    if (!state->finished) {
        if (state->cancelRequested)
            m_status->setText(tr("Cancelling: keeping the rows that arrived…"));
        else if (state->runId.isEmpty())
            m_status->setText(tr("Starting…"));
        else if (!state->progressKnown && !state->batchJob.isEmpty())
            m_status->setText(tr("Waiting for the Bedrock batch job: %1. Closing the app leaves it running; "
                                 "Resume picks it up again.")
                                  .arg(state->batchJob));
        else if (!state->progressKnown)
            m_status->setText(state->job.provider.name == "local"
                                  ? tr("Starting the embedded model… (the first rows take a little while)")
                                  : tr("Waiting for the first answers…"));
        else
            m_status->setText(tr("Running: %1 requests in flight.").arg(p.inFlight));
        return;
    }
    showSaved(state->datasetPath);
    switch (state->status) {
    case RunStatus::Completed:
        m_status->setText(
            tr("Completed: %1 in %2.")
                .arg(counted(state->datasetRows, tr("row"), tr("rows")), formatDuration(state->seconds)));
        break;
    case RunStatus::Cancelled:
        m_status->setText(tr("Cancelled: %1 kept. Resume it from the Generations list to finish it.")
                              .arg(counted(state->datasetRows, tr("row"), tr("rows"))));
        break;
    case RunStatus::Partial:
        m_status->setText(tr("Partial: %1. Resume it from the Generations list to finish it.")
                              .arg(counted(state->datasetRows, tr("row"), tr("rows"))));
        break;
    case RunStatus::StoppedAtBudget:
        m_status->setText(
            tr("Stopped at the budget: %1 kept. Resume it from the Generations list with a higher "
               "budget to finish it.")
                .arg(counted(state->datasetRows, tr("row"), tr("rows"))));
        break;
    case RunStatus::Failed:
    case RunStatus::Running:
    case RunStatus::Interrupted:
        m_status->setText(state->runId.isEmpty() ? tr("The run could not start.") : tr("Failed."));
        break;
    }
    QString error = state->error;
    if (!state->problems.isEmpty() && state->status != RunStatus::Completed)
        error +=
            (error.isEmpty() ? QString() : QStringLiteral("\n")) + state->problems.join(QLatin1Char('\n'));
    m_error->show(error);
}

void RunOutputView::showRecord(const RunRecord& record) {
    if (const auto ticket = m_context.runs().ticketOf(qs(record.id))) {
        const RunState* state = m_context.runs().state(*ticket);
        if (state && !state->finished) {
            showTicket(*ticket);
            return;
        }
    }
    m_ticket.reset();
    m_runId = qs(record.id);
    const int generation = ++m_loadGeneration;
    JobSpec job;
    job.displayName = record.displayName;
    job.templateId = record.templateId;
    job.provider.name = record.provider;
    job.provider.model = record.model;
    job.size = record.requestedSize;
    setHeader(job);
    m_cancel->setVisible(false);
    m_error->show(qs(record.error));
    m_progress->setRange(0, std::max(1, record.requestedSize));
    m_progress->setValue(std::min(record.completedRows, std::max(1, record.requestedSize)));
    const double seconds =
        record.finishedAtMs ? static_cast<double>(*record.finishedAtMs - record.createdAtMs) / 1000.0 : -1.0;
    const QString rate =
        seconds > 0 ? QString::number(record.completedRows / seconds, 'f', 1) : QStringLiteral("–");
    const QString tokens =
        tr("%1 / %2").arg(formatCount(record.inputTokens), formatCount(record.outputTokens));
    setStats(tr("%1 / %2").arg(formatCount(record.completedRows), formatCount(record.requestedSize)), rate,
             QStringLiteral("–"), QStringLiteral("…"), QStringLiteral("…"), tokens);
    showCost(record.costUsd, record.maxCostUsd);
    m_status->setText(
        tr("%1 · created %2 · %3")
            .arg(statusDisplayName(record.status), formatTimestamp(record.createdAtMs),
                 record.finishedAtMs ? tr("took %1").arg(formatDuration(seconds)) : tr("not finished")));
    showSaved({});
    showValidation(record.validationJson);
    showRejections(std::nullopt, {});
    m_rowsModel->clear();
    runInBackground(
        this, [record] { return loadRun(record); },
        [this, generation, record, rate, tokens](const LoadedRun& loaded) {
            if (generation != m_loadGeneration)
                return;
            m_rowsModel->setHeaders(loaded.promptKey, loaded.completionKey);
            m_codeCompletions = loaded.templateId == "text_to_sql";
            m_rowsModel->setRows(loaded.rows);
            showSaved(loaded.datasetPath);
            const auto count = [](int value) {
                return value < 0 ? QStringLiteral("–") : formatCount(value);
            };
            setStats(tr("%1 / %2").arg(formatCount(static_cast<std::int64_t>(loaded.rows->size())),
                                       formatCount(record.requestedSize)),
                     rate, QStringLiteral("–"), count(loaded.retries), count(loaded.failedRequests), tokens);
            showRejections(loaded.nearDuplicates, loaded.lowQuality);
            if (!loaded.error.isEmpty())
                m_error->show(tr("Cannot read the rows: %1").arg(loaded.error));
        });
}

void RunOutputView::showSelectedRow() {
    const DatasetRow* row = m_rowsModel->row(m_table->currentIndex().row());
    if (!row) {
        m_promptDetail->clear();
        m_completionDetail->clear();
        return;
    }
    showText(m_promptDetail, row->prompt, false);
    showText(m_completionDetail, row->completion, m_codeCompletions);
}

} // namespace sds::gui
