#include "gui/GenerationsModel.h"

#include "core/RunLock.h"
#include "engine/FailedWork.h"
#include "engine/RunService.h"
#include "engine/Validation.h"
#include "gui/Background.h"
#include "gui/Format.h"
#include "gui/RunController.h"
#include "gui/Workspace.h"

#include <optional>

namespace sds::gui {
namespace {

bool sameRecord(const RunRecord& a, const RunRecord& b) {
    return a.id == b.id && a.displayName == b.displayName && a.completedRows == b.completedRows &&
           a.status == b.status && a.finishedAtMs == b.finishedAtMs && a.score == b.score &&
           a.model == b.model && a.error == b.error && a.outputPath == b.outputPath &&
           a.validationJson == b.validationJson && a.evaluationJson == b.evaluationJson &&
           a.costUsd == b.costUsd && a.maxCostUsd == b.maxCostUsd;
}

std::optional<engine::ValidationCounts> validationCounts(const RunRecord& record) {
    if (record.validationJson.empty())
        return std::nullopt;
    const auto json = nlohmann::json::parse(record.validationJson, nullptr, false);
    if (!json.is_object())
        return std::nullopt;
    return engine::validationCountsFromJson(json);
}

QString statusToolTip(const RunRecord& record, std::size_t failedParts) {
    QStringList lines;
    if (record.status == RunStatus::Interrupted)
        lines << QObject::tr("Its process ended before the run did (killed or crashed): Resume finishes it");
    if (!record.error.empty())
        lines << qs(record.error);
    if (failedParts > 0)
        lines << QObject::tr("%1 failed: Retry failed only asks for them again")
                     .arg(GenerationsModel::countFailedParts(record, failedParts));
    return lines.join(QLatin1Char('\n'));
}

QString scoreToolTip(const RunRecord& record) {
    if (!record.score)
        return QObject::tr("Not evaluated: Evaluate… scores every row with a judge model");
    const auto json = nlohmann::json::parse(record.evaluationJson, nullptr, false);
    if (!json.is_object())
        return QObject::tr("Mean score %1").arg(QString::number(*record.score, 'f', 2));
    const auto judge = json.value("judge", nlohmann::json::object());
    const auto scale = json.value("scale", nlohmann::json::object());
    return QObject::tr("Mean score %1 over %2 on a scale of %3–%4, judged by %5 / %6")
        .arg(QString::number(*record.score, 'f', 2),
             counted(json.value("rows_scored", std::int64_t{0}), QObject::tr("row"), QObject::tr("rows")))
        .arg(scale.value("min", 1))
        .arg(scale.value("max", 5))
        .arg(providerDisplayName(judge.value("provider", std::string())),
             qs(judge.value("model", std::string())));
}

QString costToolTip(const RunRecord& record) {
    if (!record.costUsd)
        return QObject::tr("Unknown price: give the model's price in Settings or on the Summary page");
    const QString spent = qs(formatUsd(*record.costUsd));
    if (!record.maxCostUsd)
        return QObject::tr("Spent %1 (reported tokens times the price)").arg(spent);
    return QObject::tr("Spent %1 of a %2 budget").arg(spent, qs(formatUsd(*record.maxCostUsd)));
}

} // namespace

GenerationsModel::GenerationsModel(Workspace& workspace, RunController& runs, QObject* parent)
    : QAbstractTableModel(parent), m_workspace(workspace), m_runs(runs), m_clock(&engine::nowMs) {
    connect(&m_workspace, &Workspace::projectChanged, this, &GenerationsModel::reload);
    connect(&m_runs, &RunController::runPrepared, this, &GenerationsModel::reload);
    connect(&m_runs, &RunController::runFinished, this, &GenerationsModel::reload);
    connect(&m_runs, &RunController::progressChanged, this, &GenerationsModel::applyLiveProgress);
    m_poll.setInterval(3000);
    connect(&m_poll, &QTimer::timeout, this, &GenerationsModel::reload);
    reload();
}

int GenerationsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_records.size());
}

int GenerationsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant GenerationsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case DisplayName:
        return tr("Display Name");
    case Template:
        return tr("Template");
    case Workflow:
        return tr("Workflow");
    case Provider:
        return tr("Provider");
    case Model:
        return tr("Model");
    case SizeRequested:
        return tr("Size\nrequested");
    case RowsCompleted:
        return tr("Rows\ncompleted");
    case Status:
        return tr("Status");
    case Score:
        return tr("Score");
    case Valid:
        return tr("Valid");
    case Cost:
        return tr("Cost");
    case Created:
        return tr("Created");
    case Duration:
        return tr("Duration");
    default:
        return {};
    }
}

QVariant GenerationsModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const RunRecord& r = m_records[static_cast<std::size_t>(index.row())];
    const std::int64_t end =
        r.finishedAtMs.value_or(r.status == RunStatus::Running ? m_clock() : r.createdAtMs);
    const double seconds = r.finishedAtMs || r.status == RunStatus::Running
                               ? static_cast<double>(end - r.createdAtMs) / 1000.0
                               : -1.0;
    if (role == RunIdRole)
        return qs(r.id);
    if (role == StatusRole)
        return static_cast<int>(r.status);
    if (role == Qt::ToolTipRole) {
        if (index.column() == Model)
            return qs(r.model);
        if (index.column() == Status) {
            QString tip = statusToolTip(r, failedParts(qs(r.id)));
            if (const auto batch = m_batchJobs.find(r.id); batch != m_batchJobs.end())
                tip += (tip.isEmpty() ? QString() : QStringLiteral("\n")) +
                       tr("Bedrock batch job %1: %2")
                           .arg(qs(batch->second.jobArn), qs(describeBatchJob(batch->second)));
            return tip;
        }
        if (index.column() == DisplayName)
            return qs(r.outputPath);
        if (index.column() == Workflow)
            return workflowDisplayName(r.workflow);
        if (index.column() == Score)
            return scoreToolTip(r);
        if (index.column() == Valid) {
            const auto counts = validationCounts(r);
            if (!counts)
                return tr("Not validated: only SQL and code rows are checked");
            return tr("%1 passed, %2 failed, %3 not judged, %4 without code")
                .arg(counts->passed)
                .arg(counts->failed)
                .arg(counts->unjudged)
                .arg(counts->notApplicable);
        }
        if (index.column() == Cost)
            return costToolTip(r);
        return {};
    }
    if (role == Qt::TextAlignmentRole) {
        switch (index.column()) {
        case SizeRequested:
        case RowsCompleted:
        case Score:
        case Valid:
        case Cost:
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        default:
            return {};
        }
    }
    if (role != Qt::DisplayRole && role != SortRole)
        return {};
    const bool sorting = role == SortRole;
    switch (index.column()) {
    case DisplayName:
        return qs(r.displayName);
    case Template:
        return m_workspace.templateName(r.templateId);
    case Workflow:
        return r.workflow == "sft" ? QStringLiteral("SFT") : workflowDisplayName(r.workflow);
    case Provider:
        return providerDisplayName(r.provider);
    case Model:
        return modelDisplayName(r.provider, r.model);
    case SizeRequested:
        return sorting ? QVariant(r.requestedSize) : QVariant(formatCount(r.requestedSize));
    case RowsCompleted:
        return sorting ? QVariant(r.completedRows) : QVariant(formatCount(r.completedRows));
    case Status:
        if (const auto batch = m_batchJobs.find(r.id); batch != m_batchJobs.end() && !sorting)
            return tr("%1 · batch %2")
                .arg(statusDisplayName(r.status),
                     qs(batch->second.status.empty() ? std::string("Submitted") : batch->second.status));
        return statusDisplayName(r.status);
    case Score:
        if (!r.score)
            return sorting ? QVariant(-1.0) : QVariant();
        return sorting ? QVariant(*r.score) : QVariant(QString::number(*r.score, 'f', 1));
    case Valid: {
        const auto counts = validationCounts(r);
        if (!counts)
            return sorting ? QVariant(-1.0) : QVariant();
        const std::size_t judged = counts->passed + counts->failed;
        if (sorting)
            return judged == 0 ? 0.0 : static_cast<double>(counts->passed) / static_cast<double>(judged);
        return tr("%1 / %2").arg(formatCount(static_cast<std::int64_t>(counts->passed)),
                                 formatCount(static_cast<std::int64_t>(judged)));
    }
    case Cost:
        if (!r.costUsd)
            return sorting ? QVariant(-1.0) : QVariant();
        return sorting ? QVariant(*r.costUsd) : QVariant(qs(formatUsd(*r.costUsd)));
    case Created:
        return sorting ? QVariant(static_cast<qlonglong>(r.createdAtMs))
                       : QVariant(formatTimestamp(r.createdAtMs));
    case Duration:
        return sorting ? QVariant(seconds) : QVariant(formatDuration(seconds));
    default:
        return {};
    }
}

const RunRecord* GenerationsModel::record(int row) const {
    if (row < 0 || row >= rowCount())
        return nullptr;
    return &m_records[static_cast<std::size_t>(row)];
}

const RunRecord* GenerationsModel::find(const QString& runId) const {
    return record(rowOf(runId));
}

std::size_t GenerationsModel::failedParts(const QString& runId) const {
    const auto found = m_failedParts.find(ss(runId));
    return found == m_failedParts.end() ? 0 : found->second;
}

QString GenerationsModel::countFailedParts(const RunRecord& record, std::size_t parts) {
    const auto count = static_cast<std::int64_t>(parts);
    if (record.workflow == toString(Workflow::CustomDataCuration))
        return counted(count, tr("element"), tr("elements"));
    return counted(count, tr("seed"), tr("seeds"));
}

GenerationsModel::Listing GenerationsModel::list(RunHistory& history) {
    Listing listing;
    listing.records = history.list();
    observeInterruptedRuns(listing.records);
    for (const auto& record : listing.records) {
        if (record.provider == "bedrock" && record.status != RunStatus::Completed) {
            const auto batch = loadBatchJobState(record.runDir);
            if (const auto* state = std::get_if<std::optional<BatchJobState>>(&batch);
                state && *state && !(*state)->answersTaken)
                listing.batchJobs[record.id] = **state;
        }
        if (record.status == RunStatus::Completed || record.status == RunStatus::Running)
            continue;
        const auto failed = engine::loadFailedWork(record.runDir);
        if (const auto* work = std::get_if<engine::FailedWork>(&failed); work && !work->empty())
            listing.failedParts[record.id] = work->seeds.size() + work->elements.size();
    }
    return listing;
}

int GenerationsModel::rowOf(const QString& runId) const {
    const std::string id = ss(runId);
    for (std::size_t i = 0; i < m_records.size(); ++i)
        if (m_records[i].id == id)
            return static_cast<int>(i);
    return -1;
}

void GenerationsModel::reload() {
    if (m_reloading) {
        m_reloadAgain = true;
        return;
    }
    const auto history = m_workspace.history();
    if (!history)
        return;
    m_reloading = true;
    runInBackground(
        this, [history] { return list(*history); },
        [this](Listing listing) {
            m_reloading = false;
            apply(std::move(listing));
            if (m_reloadAgain) {
                m_reloadAgain = false;
                reload();
            }
        });
}

void GenerationsModel::apply(Listing listing) {
    auto& records = listing.records;
    const bool failuresChanged = listing.failedParts != m_failedParts || listing.batchJobs != m_batchJobs;
    m_failedParts = std::move(listing.failedParts);
    m_batchJobs = std::move(listing.batchJobs);
    const bool sameRows = records.size() == m_records.size() &&
                          std::equal(records.begin(), records.end(), m_records.begin(),
                                     [](const RunRecord& a, const RunRecord& b) { return a.id == b.id; });
    if (sameRows) {
        for (std::size_t i = 0; i < records.size(); ++i) {
            // A run of this session reports more often than the history is written.
            if (m_records[i].status == RunStatus::Running && records[i].status == RunStatus::Running)
                records[i].completedRows = std::max(records[i].completedRows, m_records[i].completedRows);
            const bool changed = !sameRecord(records[i], m_records[i]) ||
                                 records[i].status == RunStatus::Running || failuresChanged;
            m_records[i] = std::move(records[i]);
            if (changed)
                emit dataChanged(index(static_cast<int>(i), 0), index(static_cast<int>(i), ColumnCount - 1));
        }
    } else {
        beginResetModel();
        m_records = std::move(records);
        endResetModel();
    }
    if (anyRunning() || m_runs.activeCount() > 0)
        m_poll.start();
    else
        m_poll.stop();
    emit reloaded();
}

void GenerationsModel::applyLiveProgress(int ticket) {
    const auto* state = m_runs.state(ticket);
    if (!state || state->runId.isEmpty())
        return;
    const int row = rowOf(state->runId);
    if (row < 0)
        return;
    auto& r = m_records[static_cast<std::size_t>(row)];
    r.completedRows = state->progress.rowsDone;
    r.inputTokens = state->progress.tokens.input;
    r.outputTokens = state->progress.tokens.output;
    if (state->progress.costUsd)
        r.costUsd = state->progress.costUsd;
    emit dataChanged(index(row, RowsCompleted), index(row, Duration));
}

bool GenerationsModel::anyRunning() const {
    return std::any_of(m_records.begin(), m_records.end(),
                       [](const RunRecord& r) { return r.status == RunStatus::Running; });
}

} // namespace sds::gui
