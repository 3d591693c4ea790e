#include "gui/GenerationsPage.h"

#include "core/JsonFile.h"
#include "gui/AppContext.h"
#include "gui/Background.h"
#include "gui/Dialogs.h"
#include "gui/ExportDialog.h"
#include "gui/FieldMessage.h"
#include "gui/FilterDialog.h"
#include "gui/Format.h"
#include "gui/GenerationsModel.h"
#include "gui/Workspace.h"

#include <QAction>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>
#include <filesystem>

namespace sds::gui {
namespace {

class GenerationsFilter : public QSortFilterProxyModel {
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;

    void setStatus(std::optional<RunStatus> status) {
        m_status = status;
        invalidateFilter();
    }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override {
        if (m_status) {
            const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
            if (index.data(GenerationsModel::StatusRole).toInt() != static_cast<int>(*m_status))
                return false;
        }
        return QSortFilterProxyModel::filterAcceptsRow(sourceRow, sourceParent);
    }

private:
    std::optional<RunStatus> m_status;
};

struct JobLoad {
    std::optional<JobSpec> job;
    QString error;
};

JobLoad loadJob(const std::string& runDir) {
    const auto file = std::filesystem::path(runDir) / "job.json";
    const auto read = readJsonFile(file);
    if (!read.ok())
        return {std::nullopt, qs(read.error)};
    auto parsed = jobFromJson(*read.json, file.string());
    if (!parsed.job)
        return {std::nullopt, qs(parsed.error)};
    return {std::move(parsed.job), {}};
}

QString removeRun(const std::shared_ptr<RunHistory>& history, const RunRecord& record, bool deleteFiles) {
    if (auto error = history->remove(record.id); !error.empty())
        return qs(error);
    if (!deleteFiles)
        return {};
    std::error_code ec;
    QStringList problems;
    if (!record.outputPath.empty()) {
        const std::filesystem::path dataset = record.outputPath;
        for (const auto& file :
             {dataset, dataset.parent_path() / (dataset.stem().string() + ".metadata.json")})
            if (std::filesystem::remove(file, ec); ec)
                problems << qs(file.string() + ": " + ec.message());
    }
    if (!record.runDir.empty())
        if (std::filesystem::remove_all(record.runDir, ec); ec)
            problems << qs(record.runDir + ": " + ec.message());
    return problems.join(QStringLiteral("; "));
}

} // namespace

GenerationsPage::GenerationsPage(AppContext& context, QWidget* parent) : QWidget(parent), m_context(context) {
    setObjectName(QStringLiteral("generationsPage"));
    auto* title = new QLabel(tr("Generations"), this);
    makeTitle(title);

    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("generationsFilter"));
    m_filter->setPlaceholderText(tr("Filter by name, template, provider, model…"));
    m_filter->setClearButtonEnabled(true);
    m_statusFilter = new QComboBox(this);
    m_statusFilter->setObjectName(QStringLiteral("statusFilter"));
    m_statusFilter->addItem(tr("All statuses"), -1);
    for (const auto status :
         {RunStatus::Running, RunStatus::Completed, RunStatus::Partial, RunStatus::Cancelled,
          RunStatus::Failed, RunStatus::Interrupted, RunStatus::StoppedAtBudget})
        m_statusFilter->addItem(statusDisplayName(status), static_cast<int>(status));

    auto* filter = new GenerationsFilter(this);
    filter->setSourceModel(&m_context.generations());
    filter->setSortRole(GenerationsModel::SortRole);
    filter->setFilterCaseSensitivity(Qt::CaseInsensitive);
    filter->setFilterKeyColumn(-1);
    m_proxy = filter;

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("generationsTable"));
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(GenerationsModel::Created, Qt::DescendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_table->setTabKeyNavigation(false);
    m_table->verticalHeader()->hide();
    auto* header = m_table->horizontalHeader();
    header->setStretchLastSection(true);
    header->setResizeContentsPrecision(50);
    header->setSectionResizeMode(QHeaderView::ResizeToContents);
    header->setSectionResizeMode(GenerationsModel::DisplayName, QHeaderView::Interactive);
    m_table->setColumnWidth(GenerationsModel::DisplayName, 180);
    m_table->setWordWrap(false);

    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("generationsMessage"));
    m_message->setVisible(false);

    const auto makeAction = [this](const QString& text, const QString& name, const QKeySequence& shortcut) {
        auto* action = new QAction(text, this);
        action->setObjectName(name);
        action->setShortcut(shortcut);
        action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        m_table->addAction(action);
        return action;
    };
    m_open = makeAction(tr("&Open"), QStringLiteral("openRunAction"), QKeySequence(Qt::Key_Return));
    m_rerun = makeAction(tr("Re-&run"), QStringLiteral("rerunAction"), QKeySequence(Qt::CTRL | Qt::Key_R));
    m_editCopy =
        makeAction(tr("&Edit a copy"), QStringLiteral("editCopyAction"), QKeySequence(Qt::CTRL | Qt::Key_E));
    m_resume = makeAction(tr("Re&sume"), QStringLiteral("resumeAction"), QKeySequence());
    m_resume->setToolTip(tr("Ask for every missing row: what failed and what was never asked"));
    m_retryFailed = makeAction(tr("Retry &failed only"), QStringLiteral("retryFailedAction"), QKeySequence());
    m_retryFailed->setToolTip(tr("Ask again only for what failed: seeds that got fewer rows than their "
                                 "share after failed requests, curation elements whose request failed"));
    m_rename = makeAction(tr("Re&name…"), QStringLiteral("renameAction"), QKeySequence(Qt::Key_F2));
    m_delete = makeAction(tr("&Delete…"), QStringLiteral("deleteAction"), QKeySequence::Delete);
    auto* separator = new QAction(this);
    separator->setSeparator(true);
    m_table->addAction(separator);
    m_evaluate = makeAction(tr("E&valuate…"), QStringLiteral("evaluateAction"), QKeySequence());
    m_evaluate->setToolTip(tr("Score every row with a judge model; a second time goes on where it stopped"));
    m_showEvaluation = makeAction(tr("&Quality"), QStringLiteral("showEvaluationAction"), QKeySequence());
    m_showEvaluation->setToolTip(tr("Score distribution, the lowest rows, validation and exports"));
    m_keepRows = makeAction(tr("&Keep rows…"), QStringLiteral("keepRowsAction"), QKeySequence());
    m_keepRows->setToolTip(tr("Write a copy with only the rows scoring at least N"));
    m_export = makeAction(tr("E&xport…"), QStringLiteral("exportAction"), QKeySequence());
    m_export->setToolTip(tr("Export for fine-tuning: OpenAI, Hugging Face, CSV, Alpaca or Bedrock"));

    auto* toolbar = new QHBoxLayout;
    for (auto* action : {m_open, m_rerun, m_editCopy, m_resume, m_retryFailed, m_rename, m_delete, separator,
                         m_evaluate, m_showEvaluation, m_keepRows, m_export}) {
        if (action->isSeparator()) {
            toolbar->addSpacing(12);
            continue;
        }
        auto* button = new QToolButton(this);
        button->setDefaultAction(action);
        button->setObjectName(
            action->objectName().replace(QStringLiteral("Action"), QStringLiteral("Button")));
        button->setToolButtonStyle(Qt::ToolButtonTextOnly);
        toolbar->addWidget(button);
    }
    toolbar->addStretch();

    auto* filters = new QHBoxLayout;
    filters->addWidget(m_filter, 1);
    filters->addWidget(m_statusFilter);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addLayout(filters);
    layout->addLayout(toolbar);
    layout->addWidget(m_message);
    layout->addWidget(m_table, 1);

    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);
    connect(m_statusFilter, &QComboBox::currentIndexChanged, this, [this, filter] {
        const int status = m_statusFilter->currentData().toInt();
        filter->setStatus(status < 0 ? std::nullopt : std::optional(static_cast<RunStatus>(status)));
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &GenerationsPage::updateActions);
    connect(m_proxy, &QAbstractItemModel::dataChanged, this, &GenerationsPage::updateActions);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &GenerationsPage::updateActions);
    connect(&m_context.runs(), &RunController::activeCountChanged, this, &GenerationsPage::updateActions);
    connect(m_table, &QTableView::doubleClicked, m_open, &QAction::trigger);
    connect(m_open, &QAction::triggered, this, [this] {
        if (const auto* record = selectedRecord())
            emit openRunRequested(qs(record->id));
    });
    connect(m_rerun, &QAction::triggered, this, &GenerationsPage::rerunSelected);
    connect(m_editCopy, &QAction::triggered, this, &GenerationsPage::editCopySelected);
    connect(m_resume, &QAction::triggered, this, &GenerationsPage::resumeSelected);
    connect(m_retryFailed, &QAction::triggered, this, &GenerationsPage::retryFailedSelected);
    connect(m_rename, &QAction::triggered, this, &GenerationsPage::renameSelected);
    connect(m_delete, &QAction::triggered, this, &GenerationsPage::deleteSelected);
    connect(m_evaluate, &QAction::triggered, this, [this] {
        if (const auto* record = selectedRecord())
            emit evaluateRequested(qs(record->id));
    });
    connect(m_showEvaluation, &QAction::triggered, this, [this] {
        if (const auto* record = selectedRecord())
            emit evaluationRequested(qs(record->id));
    });
    connect(m_keepRows, &QAction::triggered, this, [this] {
        if (const auto* record = selectedRecord())
            FilterDialog::openFor(m_context, *record, this);
    });
    connect(m_export, &QAction::triggered, this, [this] {
        if (const auto* record = selectedRecord())
            ExportDialog::openFor(m_context, *record, this);
    });
    updateActions();
}

const RunRecord* GenerationsPage::selectedRecord() const {
    const QModelIndex current = m_table->selectionModel()->currentIndex();
    if (!current.isValid() || !m_table->selectionModel()->isRowSelected(current.row(), {}))
        return nullptr;
    return m_context.generations().record(m_proxy->mapToSource(current).row());
}

bool GenerationsPage::selectRun(const QString& runId) {
    const int sourceRow = m_context.generations().rowOf(runId);
    if (sourceRow < 0)
        return false;
    const QModelIndex index = m_proxy->mapFromSource(m_context.generations().index(sourceRow, 0));
    if (!index.isValid())
        return false;
    m_table->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect |
                                                          QItemSelectionModel::Rows);
    m_table->scrollTo(index);
    return true;
}

void GenerationsPage::updateActions() {
    const RunRecord* record = selectedRecord();
    const bool selected = record != nullptr;
    const bool active = selected && m_context.runs().isActive(qs(record->id));
    const bool resumable = selected && !active &&
                           (record->status == RunStatus::Partial || record->status == RunStatus::Cancelled ||
                            record->status == RunStatus::Failed || record->status == RunStatus::Interrupted ||
                            record->status == RunStatus::StoppedAtBudget);
    m_open->setEnabled(selected);
    m_rerun->setEnabled(selected);
    m_editCopy->setEnabled(selected);
    m_resume->setEnabled(resumable);
    m_retryFailed->setEnabled(resumable && m_context.generations().failedParts(qs(record->id)) > 0);
    m_rename->setEnabled(selected);
    m_delete->setEnabled(selected && !active && record->status != RunStatus::Running);
    const bool finished = selected && !active && record->status != RunStatus::Running &&
                          record->status != RunStatus::Interrupted && !record->outputPath.empty();
    m_evaluate->setEnabled(finished);
    m_showEvaluation->setEnabled(finished);
    m_keepRows->setEnabled(finished && (record->score || !record->validationJson.empty()));
    m_export->setEnabled(finished);
}

void GenerationsPage::showMessage(bool ok, const QString& message) {
    showOutcome(m_message, ok, message);
}

void GenerationsPage::withSelectedJob(const std::function<void(const JobSpec&)>& use) {
    const RunRecord* record = selectedRecord();
    if (!record)
        return;
    runInBackground(
        this, [runDir = record->runDir] { return loadJob(runDir); },
        [this, use](const JobLoad& loaded) {
            if (!loaded.job) {
                showMessage(false, tr("Cannot read the run's job: %1").arg(loaded.error));
                return;
            }
            JobSpec job = *loaded.job;
            job.outputPath.clear(); // a new dataset file, not the old one overwritten
            use(job);
        });
}

void GenerationsPage::rerunSelected() {
    withSelectedJob([this](const JobSpec& job) {
        showMessage(true, tr("Started \"%1\" again.").arg(qs(job.displayName)));
        emit runStarted(m_context.runs().start(job));
    });
}

void GenerationsPage::editCopySelected() {
    withSelectedJob([this](const JobSpec& job) {
        JobSpec copy = job;
        copy.displayName = ss(tr("%1 (copy)").arg(qs(job.displayName)));
        emit editCopyRequested(copy);
    });
}

void GenerationsPage::resumeSelected() {
    const RunRecord* record = selectedRecord();
    if (!record)
        return;
    std::optional<double> maxCostUsd;
    if (record->status == RunStatus::StoppedAtBudget) {
        maxCostUsd = askForBudget(*record);
        if (!maxCostUsd)
            return;
    }
    showMessage(true, tr("Resuming \"%1\".").arg(qs(record->displayName)));
    emit runStarted(m_context.runs().resume(qs(record->id), maxCostUsd));
}

std::optional<double> GenerationsPage::askForBudget(const RunRecord& record) {
    const double spent = record.costUsd.value_or(0);
    const auto answer =
        Dialogs::current().text(this, tr("Resume with a higher budget"),
                                tr("The run spent %1 of its %2 budget. New budget in USD:")
                                    .arg(qs(formatUsd(spent)), qs(formatUsd(record.maxCostUsd.value_or(0)))),
                                QString::number(std::max(2 * record.maxCostUsd.value_or(0), 1.0), 'f', 2));
    if (!answer)
        return std::nullopt;
    bool ok = false;
    const double budget = answer->trimmed().toDouble(&ok);
    if (!ok || !(budget > spent)) {
        showMessage(false,
                    tr("The budget must be an amount of USD above the %1 already spent, not \"%2\": the "
                       "run was not resumed.")
                        .arg(qs(formatUsd(spent)), answer->trimmed()));
        return std::nullopt;
    }
    return budget;
}

void GenerationsPage::retryFailedSelected() {
    const RunRecord* record = selectedRecord();
    if (!record)
        return;
    const std::size_t failed = m_context.generations().failedParts(qs(record->id));
    showMessage(true, tr("Asking again for the %1 that failed in \"%2\", and nothing else.")
                          .arg(GenerationsModel::countFailedParts(*record, failed), qs(record->displayName)));
    emit runStarted(m_context.runs().retryFailed(qs(record->id)));
}

void GenerationsPage::renameSelected() {
    const RunRecord* record = selectedRecord();
    if (!record)
        return;
    const auto name =
        Dialogs::current().text(this, tr("Rename generation"), tr("Display Name:"), qs(record->displayName));
    if (!name)
        return;
    if (name->trimmed().isEmpty()) {
        showMessage(false, tr("A generation needs a name: it was not renamed."));
        return;
    }
    runInBackground(
        this,
        [history = m_context.workspace().history(), id = record->id, text = ss(name->trimmed())] {
            return qs(history->rename(id, text));
        },
        [this](const QString& error) {
            if (!error.isEmpty())
                showMessage(false, tr("Cannot rename: %1").arg(error));
            m_context.generations().reload();
        });
}

void GenerationsPage::deleteSelected() {
    const RunRecord* record = selectedRecord();
    if (!record || m_context.runs().isActive(qs(record->id)))
        return;
    QStringList files;
    if (!record->outputPath.empty())
        files << qs(record->outputPath);
    if (!record->runDir.empty())
        files << qs(record->runDir);
    const auto answer =
        Dialogs::current().confirmDelete(this, qs(record->displayName), files.join(QStringLiteral(", ")));
    if (!answer.confirmed)
        return;
    runInBackground(
        this,
        [history = m_context.workspace().history(), copy = *record, deleteFiles = answer.deleteFiles] {
            return removeRun(history, copy, deleteFiles);
        },
        [this, name = qs(record->displayName), deleteFiles = answer.deleteFiles](const QString& error) {
            if (error.isEmpty())
                showMessage(true, deleteFiles
                                      ? tr("Deleted \"%1\" and its files.").arg(name)
                                      : tr("Deleted \"%1\" from the list; its files are kept.").arg(name));
            else
                showMessage(false, tr("Deleted with problems: %1").arg(error));
            m_context.generations().reload();
        });
}

} // namespace sds::gui
