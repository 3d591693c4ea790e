#include "gui/EvaluationView.h"

#include "gui/AppContext.h"
#include "gui/Background.h"
#include "gui/Dialogs.h"
#include "gui/EvaluationController.h"
#include "gui/ExportDialog.h"
#include "gui/FieldMessage.h"
#include "gui/FilterDialog.h"
#include "gui/Format.h"
#include "gui/GenerationsModel.h"
#include "gui/Workspace.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTextBrowser>
#include <QVBoxLayout>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

namespace sds::gui {
namespace {

QTableWidget* makeTable(const QString& objectName, const QStringList& headers, QWidget* parent) {
    auto* table = new QTableWidget(0, static_cast<int>(headers.size()), parent);
    table->setObjectName(objectName);
    table->setHorizontalHeaderLabels(headers);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setSelectionMode(QAbstractItemView::SingleSelection);
    table->setWordWrap(false);
    table->verticalHeader()->hide();
    table->setTabKeyNavigation(false);
    table->horizontalHeader()->setStretchLastSection(true);
    return table;
}

QTableWidgetItem* cell(const QString& text, bool number = false) {
    auto* item = new QTableWidgetItem(text);
    if (number)
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

QString score(double value) {
    return QString::number(value, 'f', 2);
}

// 1, 2, 5, 10, 20, 50, … : the smallest that leaves at most eight ticks up to `tallest`.
double tickStep(std::size_t tallest) {
    for (double base = 1;; base *= 10)
        for (const double multiple : {1.0, 2.0, 5.0})
            if (static_cast<double>(tallest) / (base * multiple) <= 8)
                return base * multiple;
}

void setSummaryRow(QTableWidget* table, int row, const QString& name, const ScoreSummary& summary) {
    table->setItem(row, 0, cell(name));
    table->setItem(row, 1, cell(score(summary.mean), true));
    table->setItem(row, 2, cell(QString::number(summary.min, 'g', 3), true));
    table->setItem(row, 3, cell(QString::number(summary.max, 'g', 3), true));
    table->setItem(row, 4, cell(formatCount(static_cast<std::int64_t>(summary.count)), true));
}

} // namespace

EvaluationView::EvaluationView(AppContext& context, EvaluationController& evaluations, QWidget* parent)
    : QWidget(parent), m_context(context), m_evaluations(evaluations) {
    setObjectName(QStringLiteral("evaluationView"));
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("evaluationTitleLabel"));
    makeTitle(m_title);
    m_title->setWordWrap(true);
    m_subtitle = new QLabel(this);
    m_subtitle->setObjectName(QStringLiteral("evaluationSubtitleLabel"));
    m_subtitle->setWordWrap(true);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("evaluationStatusLabel"));
    m_status->setWordWrap(true);
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("evaluationProgressBar"));
    m_progress->setVisible(false);
    m_cancel = new QPushButton(tr("&Cancel evaluation"), this);
    m_cancel->setObjectName(QStringLiteral("cancelEvaluationButton"));
    m_cancel->setToolTip(tr("Stops scoring and keeps the scores given; Evaluate… again goes on from there"));
    m_cancel->setVisible(false);
    m_evaluate = new QPushButton(tr("&Evaluate…"), this);
    m_evaluate->setObjectName(QStringLiteral("evaluationEvaluateButton"));
    m_keepRows = new QPushButton(tr("&Keep rows…"), this);
    m_keepRows->setObjectName(QStringLiteral("evaluationKeepRowsButton"));
    m_keepRows->setToolTip(tr("Write a copy with only the rows scoring at least N"));
    m_export = new QPushButton(tr("E&xport…"), this);
    m_export->setObjectName(QStringLiteral("evaluationExportButton"));
    m_openRun = new QPushButton(tr("&Rows and progress"), this);
    m_openRun->setObjectName(QStringLiteral("evaluationOpenRunButton"));
    m_error = new FieldMessage(QStringLiteral("evaluationErrorLabel"), this);

    m_chart = new QChartView(this);
    m_chart->setObjectName(QStringLiteral("scoreChart"));
    m_chart->setRenderHint(QPainter::Antialiasing);
    m_chart->setMinimumSize(320, 240);
    m_chart->chart()->legend()->hide();
    m_chart->chart()->setTitle(tr("Rows by score"));
    m_summary = makeTable(QStringLiteral("scoreSummaryTable"),
                          {tr("Seed"), tr("Mean"), tr("Min"), tr("Max"), tr("Rows")}, this);
    m_summary->horizontalHeader()->setStretchLastSection(false);
    m_summary->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_summary->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_summary->setSelectionMode(QAbstractItemView::NoSelection);

    m_rowsModel = new JudgedRowsModel(this);
    m_rows = new QTableView(this);
    m_rows->setObjectName(QStringLiteral("judgedRowsTable"));
    m_rows->setModel(m_rowsModel);
    m_rows->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_rows->setSelectionMode(QAbstractItemView::SingleSelection);
    m_rows->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_rows->setWordWrap(false);
    m_rows->setTabKeyNavigation(false);
    m_rows->verticalHeader()->hide();
    m_rows->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_rows->horizontalHeader()->setStretchLastSection(false);
    m_rows->horizontalHeader()->setSectionResizeMode(JudgedRowsModel::Justification, QHeaderView::Stretch);
    m_rows->setColumnWidth(JudgedRowsModel::Row, 56);
    m_rows->setColumnWidth(JudgedRowsModel::Score, 56);
    m_rows->setColumnWidth(JudgedRowsModel::Seed, 150);
    m_rowDetail = new QTextBrowser(this);
    m_rowDetail->setObjectName(QStringLiteral("judgedRowDetail"));

    auto* top = new QSplitter(Qt::Horizontal, this);
    top->addWidget(m_chart);
    top->addWidget(m_summary);
    top->setStretchFactor(0, 3);
    top->setStretchFactor(1, 2);
    top->setChildrenCollapsible(false);
    auto* bottom = new QSplitter(Qt::Horizontal, this);
    bottom->addWidget(m_rows);
    bottom->addWidget(m_rowDetail);
    bottom->setStretchFactor(0, 3);
    bottom->setStretchFactor(1, 2);
    bottom->setChildrenCollapsible(false);
    auto* scores = new QSplitter(Qt::Vertical, this);
    scores->setObjectName(QStringLiteral("scoresTab"));
    scores->addWidget(top);
    scores->addWidget(bottom);
    scores->setStretchFactor(0, 2);
    scores->setStretchFactor(1, 3);
    scores->setChildrenCollapsible(false);

    auto* validation = new QWidget(this);
    validation->setObjectName(QStringLiteral("validationTab"));
    m_validationCounts = new QLabel(validation);
    m_validationCounts->setObjectName(QStringLiteral("evaluationValidationLabel"));
    m_validationCounts->setWordWrap(true);
    m_failures =
        makeTable(QStringLiteral("failedRowsTable"), {tr("Row"), tr("Seed"), tr("Message")}, validation);
    m_failures->setColumnWidth(0, 56);
    m_failures->setColumnWidth(1, 150);
    m_failureDetail = new QTextBrowser(validation);
    m_failureDetail->setObjectName(QStringLiteral("failedRowDetail"));
    auto* failures = new QSplitter(Qt::Horizontal, validation);
    failures->addWidget(m_failures);
    failures->addWidget(m_failureDetail);
    failures->setStretchFactor(0, 3);
    failures->setStretchFactor(1, 2);
    auto* validationLayout = new QVBoxLayout(validation);
    validationLayout->addWidget(m_validationCounts);
    validationLayout->addWidget(failures, 1);

    m_exports = makeTable(QStringLiteral("exportsTable"),
                          {tr("File"), tr("Format"), tr("Part"), tr("Rows"), tr("Exported")}, this);
    m_exports->horizontalHeader()->setStretchLastSection(false);
    m_exports->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_exports->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("evaluationTabs"));
    m_tabs->addTab(scores, tr("&Scores"));
    m_tabs->addTab(validation, tr("&Validation"));
    m_tabs->addTab(m_exports, tr("Ex&ports"));

    auto* header = new QHBoxLayout;
    auto* titles = new QVBoxLayout;
    titles->addWidget(m_title);
    titles->addWidget(m_subtitle);
    header->addLayout(titles, 1);
    for (auto* button : {m_cancel, m_evaluate, m_keepRows, m_export, m_openRun})
        header->addWidget(button, 0, Qt::AlignTop);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(header);
    layout->addWidget(m_status);
    layout->addWidget(m_progress);
    layout->addWidget(m_error);
    layout->addWidget(m_tabs, 1);

    const auto mine = [this](const QString& runId) {
        return !m_runId.isEmpty() && runId == m_runId;
    };
    connect(&m_evaluations, &EvaluationController::started, this, [this, mine](const QString& runId) {
        if (mine(runId))
            updateProgress();
    });
    connect(&m_evaluations, &EvaluationController::progressChanged, this, [this, mine](const QString& runId) {
        if (mine(runId))
            updateProgress();
    });
    connect(&m_evaluations, &EvaluationController::finished, this, [this, mine](const QString& runId) {
        if (mine(runId))
            reload();
    });
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        m_evaluations.cancel(m_runId);
        updateProgress();
    });
    connect(m_evaluate, &QPushButton::clicked, this, [this] {
        if (!m_runId.isEmpty())
            emit evaluateRequested(m_runId);
    });
    connect(m_openRun, &QPushButton::clicked, this, [this] {
        if (!m_runId.isEmpty())
            emit openRunRequested(m_runId);
    });
    connect(m_keepRows, &QPushButton::clicked, this, [this] {
        if (!m_record.id.empty())
            FilterDialog::openFor(m_context, m_record, this);
    });
    connect(m_export, &QPushButton::clicked, this, [this] {
        if (m_record.id.empty())
            return;
        auto* dialog = ExportDialog::openFor(m_context, m_record, this);
        connect(dialog, &ExportDialog::exported, this, [this](const QString& runId) {
            if (runId == m_runId)
                reload();
        });
    });
    connect(m_rows->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &EvaluationView::showSelectedRow);
    connect(m_rowsModel, &QAbstractItemModel::modelReset, this, &EvaluationView::showSelectedRow);
    connect(m_failures, &QTableWidget::currentCellChanged, this, &EvaluationView::showSelectedFailure);
}

void EvaluationView::showRun(const QString& runId) {
    if (runId != m_runId) {
        m_runId = runId;
        m_record = RunRecord{};
        m_title->setText(QString());
        m_subtitle->setText(QString());
        m_rowsModel->setRows({});
        m_failed.clear();
        m_failures->setRowCount(0);
        m_exports->setRowCount(0);
        m_summary->setRowCount(0);
        m_chart->chart()->removeAllSeries();
        m_tabs->setCurrentIndex(0);
    }
    if (const auto* record = m_context.generations().find(runId)) {
        m_record = *record;
        m_title->setText(tr("Quality of \"%1\"").arg(qs(record->displayName)));
    }
    reload();
}

void EvaluationView::reload() {
    if (m_runId.isEmpty())
        return;
    updateProgress();
    const auto history = m_context.workspace().history();
    if (!history)
        return;
    const int generation = ++m_loadGeneration;
    const auto [minScore, maxScore] = scoreScale(m_context, m_record);
    runInBackground(
        this,
        [history, runId = ss(m_runId), minScore, maxScore] {
            return loadEvaluationData(history, runId, minScore, maxScore);
        },
        [this, generation](const EvaluationData& results) {
            if (generation != m_loadGeneration)
                return;
            apply(results);
            emit loaded();
        });
}

void EvaluationView::apply(const EvaluationData& results) {
    if (!results.record.id.empty())
        m_record = results.record;
    m_title->setText(tr("Quality of \"%1\"").arg(qs(m_record.displayName)));
    QStringList facts;
    facts << tr("%1 in the dataset")
                 .arg(counted(static_cast<std::int64_t>(results.datasetRows), tr("row"), tr("rows")));
    if (results.summary.overall.count > 0) {
        facts << tr("%1 scored on a scale of %2–%3")
                     .arg(formatCount(static_cast<std::int64_t>(results.summary.overall.count)))
                     .arg(results.minScore)
                     .arg(results.maxScore);
        if (!results.judge.isEmpty())
            facts << tr("judged by %1").arg(results.judge);
        facts << tr("mean score %1").arg(score(results.summary.overall.mean));
    } else {
        facts << tr("not evaluated yet: Evaluate… scores every row with a judge model");
    }
    m_subtitle->setText(facts.join(QStringLiteral(" · ")));
    m_error->show(results.error);
    const bool hasDataset = !m_record.outputPath.empty() && results.datasetRows > 0;
    m_keepRows->setEnabled(hasDataset && (results.summary.overall.count > 0 || results.validated));
    m_export->setEnabled(hasDataset);
    m_evaluate->setEnabled(hasDataset && !m_evaluations.isActive(m_runId));

    showChart(results);
    showSummary(results);
    m_rowsModel->setRows(results.scored);
    showValidation(results);
    showExports(results);
    updateProgress();
}

void EvaluationView::showChart(const EvaluationData& results) {
    QChart* chart = m_chart->chart();
    chart->removeAllSeries();
    for (auto* axis : chart->axes())
        chart->removeAxis(axis);
    int low = results.minScore;
    int high = std::max(results.maxScore, low);
    for (const auto& [value, rows] : results.summary.histogram) {
        low = std::min(low, value);
        high = std::max(high, value);
    }
    auto* set = new QBarSet(tr("Rows"));
    set->setColor(QColor(0x3b, 0x6e, 0xa8));
    QStringList categories;
    std::size_t tallest = 0;
    for (int value = low; value <= high; ++value) {
        const auto found = results.summary.histogram.find(value);
        const std::size_t rows = found == results.summary.histogram.end() ? 0 : found->second;
        set->append(static_cast<qreal>(rows));
        categories << QString::number(value);
        tallest = std::max(tallest, rows);
    }
    auto* series = new QBarSeries;
    series->append(set);
    series->setLabelsVisible(true);
    series->setLabelsPosition(QAbstractBarSeries::LabelsInsideEnd);
    set->setLabelColor(Qt::white);
    chart->addSeries(series);
    auto* x = new QBarCategoryAxis;
    x->append(categories);
    x->setTitleText(tr("Score"));
    chart->addAxis(x, Qt::AlignBottom);
    series->attachAxis(x);
    auto* y = new QValueAxis;
    // Whole rows on the axis: ticks every 1, 2, 5, 10, … rows, at most about eight of them.
    const double step = tickStep(tallest);
    y->setRange(0, std::max(step, std::ceil(static_cast<double>(tallest + 1) / step) * step));
    y->setTickType(QValueAxis::TicksDynamic);
    y->setTickAnchor(0);
    y->setTickInterval(step);
    y->setLabelFormat(QStringLiteral("%d"));
    y->setTitleText(tr("Rows"));
    chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(y);
    chart->setTitle(results.summary.overall.count > 0
                        ? tr("Rows by score (mean %1)").arg(score(results.summary.overall.mean))
                        : tr("Rows by score: not evaluated yet"));
}

void EvaluationView::showSummary(const EvaluationData& results) {
    m_summary->setRowCount(0);
    if (results.summary.overall.count == 0)
        return;
    m_summary->setRowCount(static_cast<int>(results.summary.perSeed.size()) + 1);
    setSummaryRow(m_summary, 0, tr("Overall"), results.summary.overall);
    QFont bold = m_summary->font();
    bold.setBold(true);
    for (int column = 0; column < m_summary->columnCount(); ++column)
        m_summary->item(0, column)->setFont(bold);
    int row = 1;
    for (const auto& [seed, summary] : results.summary.perSeed)
        setSummaryRow(m_summary, row++, seed.empty() ? tr("(no seed)") : qs(seed), summary);
}

void EvaluationView::showValidation(const EvaluationData& results) {
    m_failed = results.failed;
    if (!results.validated) {
        m_validationCounts->setText(
            m_record.validationJson.empty() && results.error.isEmpty()
                ? tr("Not validated: the SQL of Text to SQL rows and the code of Code Generation rows are "
                     "checked after every run.")
                : tr("No validation results."));
    } else {
        const auto& c = results.validation;
        m_validationCounts->setText(tr("%1 passed · %2 failed · %3 not judged · %4 without code")
                                        .arg(formatCount(static_cast<std::int64_t>(c.passed)),
                                             formatCount(static_cast<std::int64_t>(c.failed)),
                                             formatCount(static_cast<std::int64_t>(c.unjudged)),
                                             formatCount(static_cast<std::int64_t>(c.notApplicable))));
    }
    m_failures->setRowCount(static_cast<int>(m_failed.size()));
    for (std::size_t i = 0; i < m_failed.size(); ++i) {
        const auto row = static_cast<int>(i);
        m_failures->setItem(row, 0, cell(QString::number(m_failed[i].row + 1), true));
        m_failures->setItem(row, 1, cell(m_failed[i].seed));
        m_failures->setItem(row, 2, cell(m_failed[i].validationMessage));
        m_failures->item(row, 2)->setToolTip(m_failed[i].validationMessage);
    }
    m_tabs->setTabText(1, results.validated ? tr("&Validation (%1 failed)").arg(results.validation.failed)
                                            : tr("&Validation"));
    m_failureDetail->clear();
}

void EvaluationView::showExports(const EvaluationData& results) {
    m_exports->setRowCount(static_cast<int>(results.exports.size()));
    int row = 0;
    for (auto it = results.exports.rbegin(); it != results.exports.rend(); ++it, ++row) {
        m_exports->setItem(row, 0, cell(qs(it->path)));
        m_exports->item(row, 0)->setToolTip(qs(it->path));
        m_exports->setItem(row, 1, cell(qs(it->format)));
        m_exports->setItem(row, 2, cell(qs(it->part)));
        m_exports->setItem(row, 3, cell(formatCount(it->rows), true));
        m_exports->setItem(row, 4, cell(formatTimestamp(it->createdAtMs)));
    }
    m_tabs->setTabText(2, results.exports.empty() ? tr("Ex&ports")
                                                  : tr("Ex&ports (%1)").arg(results.exports.size()));
}

void EvaluationView::updateProgress() {
    const EvaluationState* state = m_evaluations.state(m_runId);
    const bool running = m_evaluations.isActive(m_runId);
    m_cancel->setVisible(running);
    m_progress->setVisible(running);
    m_evaluate->setEnabled(!running && !m_record.outputPath.empty());
    if (!state) {
        m_status->setText(QString());
        m_status->setVisible(false);
        return;
    }
    m_status->setVisible(true);
    const auto& p = state->progress;
    if (running) {
        m_cancel->setEnabled(!state->cancelRequested);
        m_progress->setRange(0, std::max(1, p.rowsRequested));
        m_progress->setValue(std::min(p.rowsDone, std::max(1, p.rowsRequested)));
        if (state->cancelRequested)
            m_status->setText(tr("Cancelling: keeping the scores given…"));
        else if (!state->progressKnown)
            m_status->setText(tr("Asking %1 / %2 to score the rows…")
                                  .arg(providerDisplayName(state->judge.name), qs(state->judge.model)));
        else
            m_status->setText(
                tr("Scoring: %1 of %2 rows scored%3, %4 requests in flight.")
                    .arg(formatCount(p.rowsDone), formatCount(p.rowsRequested),
                         p.rowsResumed > 0 ? tr(" (%1 from before)").arg(p.rowsResumed) : QString())
                    .arg(p.inFlight));
        return;
    }
    switch (state->status) {
    case RunStatus::Completed:
        m_status->setText(
            tr("Evaluation completed: %1 scored, mean %2.")
                .arg(counted(static_cast<std::int64_t>(state->rowsScored), tr("row"), tr("rows")),
                     score(state->mean)));
        break;
    case RunStatus::Cancelled:
        m_status->setText(
            tr("Evaluation cancelled with %1 scored: Evaluate… again scores the rest.")
                .arg(counted(static_cast<std::int64_t>(state->rowsScored), tr("row"), tr("rows"))));
        break;
    case RunStatus::Partial:
        m_status->setText(
            tr("Evaluation partial (%1 scored): %2. Evaluate… again scores the rest.")
                .arg(counted(static_cast<std::int64_t>(state->rowsScored), tr("row"), tr("rows")),
                     state->error));
        break;
    case RunStatus::Failed:
    case RunStatus::Running:
    case RunStatus::Interrupted:
    case RunStatus::StoppedAtBudget: // an evaluation has no budget
        m_status->setText(tr("The evaluation failed: %1").arg(state->error));
        break;
    }
}

void EvaluationView::showSelectedRow() {
    const JudgedRow* row = m_rowsModel->row(m_rows->currentIndex().row());
    if (!row) {
        m_rowDetail->clear();
        return;
    }
    m_rowDetail->setMarkdown(judgedRowMarkdown(*row));
}

void EvaluationView::showSelectedFailure() {
    const int row = m_failures->currentRow();
    if (row < 0 || row >= static_cast<int>(m_failed.size())) {
        m_failureDetail->clear();
        return;
    }
    m_failureDetail->setMarkdown(judgedRowMarkdown(m_failed[static_cast<std::size_t>(row)]));
}

} // namespace sds::gui
