// The quality tools of sds-studio through its real widgets, by object name, against the stand-in provider
// service: validation counts after a Text to SQL run, evaluation with the stand-in as judge (progress,
// cancel, resume), the Evaluation view, keeping the rows that score at least N, and exports.

#include "StudioHarness.h"
#include "core/JsonFile.h"
#include "core/RowScores.h"
#include "engine/Evaluation.h"
#include "engine/Validation.h"
#include "gui/DatasetWizard.h"
#include "gui/EvaluationController.h"
#include "gui/EvaluationData.h"
#include "gui/EvaluationView.h"
#include "gui/GenerationsModel.h"
#include "gui/GenerationsPage.h"
#include "gui/RowsModel.h"
#include "gui/RunOutputView.h"
#include "gui/Workspace.h"
#include "standin/StandinServer.h"

#include <QAbstractItemModelTester>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QDialog>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QTableView>
#include <QTableWidget>
#include <QTextBrowser>
#include <QToolButton>
#include <filesystem>
#include <fstream>
#include <spdlog/spdlog.h>

using namespace sds;
using namespace sds::testing;
using Section = gui::MainWindow::Section;

namespace {

constexpr int kRunTimeoutMs = 60000;
constexpr int kRows = 24;

standin::StandinOptions latencyOf(int milliseconds) {
    standin::StandinOptions options;
    options.latency = std::chrono::milliseconds(milliseconds);
    return options;
}

QString outputStatus(gui::RunOutputView* view) {
    return view->findChild<QLabel*>(QStringLiteral("runStatusLabel"))->text();
}

// Home -> Text to SQL with the stand-in -> Generate; the run id once it has completed.
QString generateSqlRun(Studio& studio, const QString& name, int size) {
    clickNavigation(studio, 0);
    click(studio.find<QPushButton>(QStringLiteral("templateButton_text_to_sql")));
    auto* wizard = studio.window().wizard();
    if (wizard->step() != gui::DatasetWizard::Configure)
        return {};
    typeInto(studio.find<QLineEdit>(QStringLiteral("displayNameEdit")), name);
    selectData(studio.find<QComboBox>(QStringLiteral("providerCombo")), QStringLiteral("openai"));
    auto* model = studio.find<QComboBox>(QStringLiteral("modelCombo"));
    if (!QTest::qWaitFor([model] { return model->findData(QStringLiteral("standin-model")) >= 0; },
                         kRunTimeoutMs))
        return {};
    selectData(model, QStringLiteral("standin-model"));
    click(studio.find<QPushButton>(QStringLiteral("nextButton")));
    setSpin(studio.find<QSpinBox>(QStringLiteral("sizeSpin")), size);
    click(studio.find<QPushButton>(QStringLiteral("nextButton")));
    click(studio.find<QPushButton>(QStringLiteral("nextButton")));
    if (wizard->step() != gui::DatasetWizard::Summary)
        return {};
    click(studio.find<QPushButton>(QStringLiteral("generateButton")));
    auto* output = wizard->output();
    if (!QTest::qWaitFor([output] { return outputStatus(output).startsWith(QStringLiteral("Completed")); },
                         kRunTimeoutMs))
        return {};
    return output->runId();
}

// The shown dialog of that name (a closed one may linger until its deferred delete).
template <typename T = QDialog> T* shownDialog(Studio& studio, const QString& name) {
    T* found = nullptr;
    (void)QTest::qWaitFor(
        [&] {
            for (auto* dialog : studio.window().findChildren<T*>(name))
                if (dialog->isVisible())
                    found = dialog;
            return found != nullptr;
        },
        5000);
    return found;
}

template <typename T> T* child(QWidget* parent, const QString& name) {
    auto* found = parent ? parent->findChild<T*>(name) : nullptr;
    if (!found)
        qFatal("no %s", qPrintable(name));
    return found;
}

std::optional<RunRecord> historyRecord(Studio& studio, const QString& runId) {
    return studio.context().workspace().history()->find(runId.toStdString());
}

void selectRunInGenerations(Studio& studio, const QString& runId) {
    clickNavigation(studio, 2);
    QTRY_VERIFY(studio.window().generations()->selectRun(runId));
}

// Evaluate… from the Generations list with the stand-in as judge; returns once the Evaluation view has read
// the results.
void evaluateFromGenerations(Studio& studio, const QString& runId, int concurrency = 0) {
    selectRunInGenerations(studio, runId);
    if (QTest::currentTestFailed())
        return;
    auto* evaluate = studio.find<QToolButton>(QStringLiteral("evaluateButton"));
    QTRY_VERIFY(evaluate->isEnabled());
    click(evaluate);
    auto* dialog = shownDialog(studio, QStringLiteral("evaluationDialog"));
    QVERIFY(dialog);
    auto* provider = child<QComboBox>(dialog, QStringLiteral("judgeProviderCombo"));
    QCOMPARE(provider->currentData().toString(), QStringLiteral("openai"));
    auto* model = child<QComboBox>(dialog, QStringLiteral("judgeModelCombo"));
    QTRY_VERIFY_WITH_TIMEOUT(model->findData(QStringLiteral("standin-model")) >= 0, kRunTimeoutMs);
    selectData(model, QStringLiteral("standin-model"));
    if (concurrency > 0)
        setSpin(child<QSpinBox>(dialog, QStringLiteral("judgeConcurrencySpin")), concurrency);
    // The judge's instructions start as the template's rubric and can be edited like a prompt.
    auto* instructions = child<QPlainTextEdit>(dialog, QStringLiteral("judgePromptEdit"));
    QVERIFY2(instructions->toPlainText().contains(QStringLiteral("SQL answer")),
             qPrintable(instructions->toPlainText()));
    instructions->setPlainText(instructions->toPlainText() + QStringLiteral(" Penalise SELECT * (edited)."));
    click(child<QPushButton>(dialog, QStringLiteral("startEvaluationButton")));
    QCOMPARE(studio.window().section(), Section::Evaluation);
    QCOMPARE(studio.window().evaluationView()->runId(), runId);
}

void waitForEvaluation(Studio& studio, const QString& runId) {
    auto& evaluations = studio.window().evaluations();
    QTRY_VERIFY_WITH_TIMEOUT(!evaluations.isActive(runId), kRunTimeoutMs);
    QVERIFY(evaluations.state(runId));
    QCOMPARE(evaluations.state(runId)->error, QString());
    QVERIFY(evaluations.state(runId)->status == RunStatus::Completed);
    auto* view = studio.window().evaluationView();
    QTRY_VERIFY(child<QLabel>(view, QStringLiteral("evaluationStatusLabel"))
                    ->text()
                    .startsWith(QStringLiteral("Evaluation completed")));
    QTRY_COMPARE(view->rowsModel()->rowCount(), kRows);
}

struct RunFiles {
    std::filesystem::path dataset;
    std::filesystem::path runDir;
};

RunFiles filesOf(Studio& studio, const QString& runId) {
    const auto record = historyRecord(studio, runId);
    if (!record)
        return {};
    return {record->outputPath, record->runDir};
}

std::vector<nlohmann::json> jsonLines(const QString& path) {
    std::vector<nlohmann::json> lines;
    std::ifstream in(path.toStdString());
    std::string line;
    while (std::getline(in, line))
        if (!line.empty())
            lines.push_back(nlohmann::json::parse(line));
    return lines;
}

std::vector<std::string> roles(const nlohmann::json& line) {
    std::vector<std::string> names;
    for (const auto& message : line.at("messages"))
        names.push_back(message.at("role").get<std::string>());
    return names;
}

} // namespace

class TestQuality : public QObject {
    Q_OBJECT

private slots:
    void judgedRowsModelPassesTheModelTester();
    void sqlRunShowsValidationCounts();
    void degenerateRowsAreCountedOnTheOutputPage();
    void evaluationShowsScoresChartAndLowestRowsFirst();
    void cancelledEvaluationResumes();
    void keepRowsScoringAtLeastThree();
    void exportOpenAiWithSplitAndBedrock();
};

void TestQuality::judgedRowsModelPassesTheModelTester() {
    gui::JudgedRowsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    gui::JudgedRow low;
    low.row = 4;
    low.score = 1;
    low.justification = QStringLiteral("Wrong column.");
    low.question = QStringLiteral("Which employees?");
    low.answer = QStringLiteral("```sql\nSELECT salry FROM employees;\n```");
    low.validation = QStringLiteral("failed");
    low.validationMessage = QStringLiteral("no such column: salry");
    gui::JudgedRow high = low;
    high.row = 0;
    high.score = 5;
    model.setRows({low, high});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.index(0, gui::JudgedRowsModel::Row).data().toInt(), 5);
    QCOMPARE(model.index(0, gui::JudgedRowsModel::Score).data().toString(), QStringLiteral("1"));
    QCOMPARE(model.index(0, gui::JudgedRowsModel::Validation).data().toString(), QStringLiteral("failed"));
    const QString detail = gui::judgedRowMarkdown(*model.row(0));
    QVERIFY(detail.contains(QStringLiteral("no such column: salry")));
    QVERIFY(detail.contains(QStringLiteral("Which employees?")));
    model.setRows({});
    QCOMPARE(model.rowCount(), 0);
}

void TestQuality::sqlRunShowsValidationCounts() {
    QTemporaryDir dir;
    Studio studio(dir.path());
    standin::StandinServer server;
    server.start();
    useStandin(studio, server);
    const QString runId = generateSqlRun(studio, QStringLiteral("Employees SQL"), kRows);
    QVERIFY(!runId.isEmpty());

    const auto record = historyRecord(studio, runId);
    QVERIFY(record);
    QVERIFY2(!record->validationJson.empty(), "the run was not validated");
    const auto counts = engine::validationCountsFromJson(nlohmann::json::parse(record->validationJson));
    QCOMPARE(counts.total(), std::size_t{kRows});
    QVERIFY2(counts.failed > 0 && counts.passed > 0, record->validationJson.c_str());

    auto* output = studio.window().wizard()->output();
    auto* validation = child<QLabel>(output, QStringLiteral("validationLabel"));
    QTRY_VERIFY(validation->isVisible());
    const QString expected = QStringLiteral("Validation: %1 passed, %2 failed, %3 not judged")
                                 .arg(counts.passed)
                                 .arg(counts.failed)
                                 .arg(counts.unjudged);
    QVERIFY2(validation->text().startsWith(expected), qPrintable(validation->text()));
    QVERIFY(child<QPushButton>(output, QStringLiteral("outputExportButton"))->isVisible());

    clickNavigation(studio, 2);
    auto& generations = studio.context().generations();
    const int row = generations.rowOf(runId);
    QVERIFY(row >= 0);
    QTRY_COMPARE(generations.index(row, gui::GenerationsModel::Valid).data().toString(),
                 QStringLiteral("%1 / %2").arg(counts.passed).arg(counts.passed + counts.failed));
    QVERIFY(generations.index(row, gui::GenerationsModel::Valid)
                .data(Qt::ToolTipRole)
                .toString()
                .contains(QStringLiteral("%1 failed").arg(counts.failed)));
    QCOMPARE(generations.index(row, gui::GenerationsModel::Score).data().toString(), QString());

    // The link on the Output page opens the Evaluation view with the rows that failed.
    emit validation->linkActivated(QStringLiteral("evaluation"));
    QCOMPARE(studio.window().section(), Section::Evaluation);
    auto* view = studio.window().evaluationView();
    auto* failures = child<QTableWidget>(view, QStringLiteral("failedRowsTable"));
    QTRY_COMPARE(failures->rowCount(), static_cast<int>(counts.failed));
    QVERIFY(failures->item(0, 2)->text().contains(QStringLiteral("salry")));
    QVERIFY(child<QLabel>(view, QStringLiteral("evaluationValidationLabel"))
                ->text()
                .startsWith(QStringLiteral("%1 passed · %2 failed").arg(counts.passed).arg(counts.failed)));
    failures->setCurrentCell(0, 0);
    QVERIFY(child<QTextBrowser>(view, QStringLiteral("failedRowDetail"))
                ->toPlainText()
                .contains(QStringLiteral("SELECT")));
}

void TestQuality::degenerateRowsAreCountedOnTheOutputPage() {
    QTemporaryDir dir;
    Studio studio(dir.path());
    standin::StandinOptions options;
    options.rateDegenerate = 0.5;
    options.seed = 4;
    standin::StandinServer server(options);
    server.start();
    useStandin(studio, server);
    const QString runId = generateSqlRun(studio, QStringLiteral("Degenerate SQL"), kRows);
    QVERIFY(!runId.isEmpty());
    const auto injected = static_cast<int>(server.stats().faults.degenerate);
    QVERIFY(injected > 0);

    const QString expected = QStringLiteral("Rejected and asked again: %1 low-quality rows (").arg(injected);
    auto* output = studio.window().wizard()->output();
    auto* rejected = child<QLabel>(output, QStringLiteral("rejectedRowsLabel"));
    QTRY_VERIFY(rejected->isVisible());
    QVERIFY2(rejected->text().startsWith(expected), qPrintable(rejected->text()));
    QVERIFY2(rejected->text().contains(QStringLiteral("0 near-duplicates")), qPrintable(rejected->text()));

    // A run of the history shows the same counts, read back from its metadata.
    const auto record = historyRecord(studio, runId);
    QVERIFY(record);
    output->showRecord(*record);
    QTRY_VERIFY(rejected->isVisible() && rejected->text().startsWith(expected));
}

void TestQuality::evaluationShowsScoresChartAndLowestRowsFirst() {
    QTemporaryDir dir;
    Studio studio(dir.path());
    standin::StandinServer server;
    server.start();
    useStandin(studio, server);
    const QString runId = generateSqlRun(studio, QStringLiteral("Employees SQL"), kRows);
    QVERIFY(!runId.isEmpty());
    evaluateFromGenerations(studio, runId);
    if (QTest::currentTestFailed())
        return;
    waitForEvaluation(studio, runId);
    if (QTest::currentTestFailed())
        return;

    const auto record = historyRecord(studio, runId);
    QVERIFY(record && record->score);
    bool editedInstructionsSent = false;
    for (const auto& request : server.recordedRequests())
        editedInstructionsSent =
            editedInstructionsSent || request.body.find("Penalise SELECT * (edited).") != std::string::npos;
    QVERIFY2(editedInstructionsSent, "the judge gets the instructions as edited in the dialog");
    const auto files = filesOf(studio, runId);
    const auto results = readEvaluations(engine::evaluationFiles(files.runDir, files.dataset).results);
    QCOMPARE(results.size(), std::size_t{kRows});
    const auto summary = summarize(results);
    QCOMPARE(*record->score, summary.overall.mean);

    // The Generations list shows the mean.
    auto& generations = studio.context().generations();
    QTRY_COMPARE(generations.index(generations.rowOf(runId), gui::GenerationsModel::Score).data().toString(),
                 QString::number(*record->score, 'f', 1));

    // The chart: one bar per score of the scale, adding up to the rows.
    auto* view = studio.window().evaluationView();
    const auto series = view->chart()->chart()->series();
    QCOMPARE(series.size(), 1);
    auto* bars = qobject_cast<QBarSeries*>(series.front());
    QVERIFY(bars);
    QCOMPARE(bars->barSets().size(), 1);
    const QBarSet* set = bars->barSets().front();
    QCOMPARE(set->count(), 5);
    double total = 0;
    for (int i = 0; i < set->count(); ++i) {
        total += set->at(i);
        const auto found = summary.histogram.find(i + 1);
        QCOMPARE(set->at(i), found == summary.histogram.end() ? 0.0 : static_cast<double>(found->second));
    }
    QCOMPARE(total, static_cast<double>(kRows));

    // Overall and per seed.
    auto* table = child<QTableWidget>(view, QStringLiteral("scoreSummaryTable"));
    QCOMPARE(table->rowCount(), static_cast<int>(summary.perSeed.size()) + 1);
    QCOMPARE(table->item(0, 0)->text(), QStringLiteral("Overall"));
    QCOMPARE(table->item(0, 1)->text(), QString::number(summary.overall.mean, 'f', 2));
    QCOMPARE(table->item(0, 4)->text(), QString::number(kRows));
    QCOMPARE(table->item(1, 0)->text(), QString::fromStdString(summary.perSeed.front().first));

    // The rows, lowest score first, with the justification; the question and answer on selection.
    auto* model = view->rowsModel();
    QCOMPARE(*model->row(0)->score, summary.overall.min);
    for (int i = 1; i < model->rowCount(); ++i)
        QVERIFY(*model->row(i - 1)->score <= *model->row(i)->score);
    QVERIFY(!model->row(0)->justification.isEmpty());
    QCOMPARE(model->index(0, gui::JudgedRowsModel::Justification).data().toString(),
             model->row(0)->justification);
    auto* rows = child<QTableView>(view, QStringLiteral("judgedRowsTable"));
    rows->setFocus();
    rows->selectRow(0);
    const QString detail = child<QTextBrowser>(view, QStringLiteral("judgedRowDetail"))->toPlainText();
    QVERIFY2(detail.contains(model->row(0)->question.left(30)), qPrintable(detail));
    QVERIFY(detail.contains(QStringLiteral("SELECT")));
    QVERIFY(
        child<QLabel>(view, QStringLiteral("evaluationSubtitleLabel"))
            ->text()
            .contains(QStringLiteral("mean score %1").arg(QString::number(summary.overall.mean, 'f', 2))));

    // The Output page leads here too.
    studio.window().openRun(runId);
    QCOMPARE(studio.window().section(), Section::Run);
    auto* quality = child<QPushButton>(studio.window().runView(), QStringLiteral("outputEvaluationButton"));
    QTRY_VERIFY(quality->isVisible());
    click(quality);
    QCOMPARE(studio.window().section(), Section::Evaluation);
    QCOMPARE(view->runId(), runId);
}

void TestQuality::cancelledEvaluationResumes() {
    QTemporaryDir dir;
    Studio studio(dir.path());
    standin::StandinServer server;
    server.start();
    useStandin(studio, server);
    const QString runId = generateSqlRun(studio, QStringLiteral("Employees SQL"), kRows);
    QVERIFY(!runId.isEmpty());

    server.setOptions(latencyOf(250));
    evaluateFromGenerations(studio, runId, 1);
    if (QTest::currentTestFailed())
        return;
    auto* view = studio.window().evaluationView();
    auto& evaluations = studio.window().evaluations();
    auto* cancel = child<QPushButton>(view, QStringLiteral("cancelEvaluationButton"));
    QVERIFY(cancel->isVisible());
    auto* progress = child<QProgressBar>(view, QStringLiteral("evaluationProgressBar"));
    QTRY_VERIFY_WITH_TIMEOUT(evaluations.state(runId)->progress.rowsDone >= 3, kRunTimeoutMs);
    QTRY_VERIFY(progress->value() >= 1);
    QCOMPARE(progress->maximum(), kRows);
    click(cancel);
    QTRY_VERIFY_WITH_TIMEOUT(!evaluations.isActive(runId), kRunTimeoutMs);
    QVERIFY(evaluations.state(runId)->status == RunStatus::Cancelled);
    const std::size_t scored = evaluations.state(runId)->rowsScored;
    QVERIFY2(scored >= 3 && scored < std::size_t{kRows}, qPrintable(QString::number(scored)));
    QVERIFY(!cancel->isVisible());
    QTRY_COMPARE(view->rowsModel()->rowCount(), static_cast<int>(scored));
    QTRY_VERIFY(child<QLabel>(view, QStringLiteral("evaluationStatusLabel"))
                    ->text()
                    .startsWith(QStringLiteral("Evaluation cancelled")));

    // Again, from the Evaluation view: only the rows without a score are asked.
    server.setOptions({});
    click(child<QPushButton>(view, QStringLiteral("evaluationEvaluateButton")));
    auto* dialog = shownDialog(studio, QStringLiteral("evaluationDialog"));
    QVERIFY(dialog);
    QVERIFY(child<QLabel>(dialog, QStringLiteral("evaluationAboutLabel"))
                ->text()
                .contains(QStringLiteral("Rows already scored are kept")));
    auto* model = child<QComboBox>(dialog, QStringLiteral("judgeModelCombo"));
    QTRY_VERIFY_WITH_TIMEOUT(model->findData(QStringLiteral("standin-model")) >= 0, kRunTimeoutMs);
    selectData(model, QStringLiteral("standin-model"));
    // The same instructions as the first time: scores of other instructions would not be resumed.
    auto* instructions = child<QPlainTextEdit>(dialog, QStringLiteral("judgePromptEdit"));
    instructions->setPlainText(instructions->toPlainText() + QStringLiteral(" Penalise SELECT * (edited)."));
    click(child<QPushButton>(dialog, QStringLiteral("startEvaluationButton")));
    waitForEvaluation(studio, runId);
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(evaluations.state(runId)->progress.rowsResumed, static_cast<int>(scored));
    QCOMPARE(evaluations.state(runId)->rowsScored, std::size_t{kRows});
    const auto files = filesOf(studio, runId);
    QCOMPARE(readEvaluations(engine::evaluationFiles(files.runDir, files.dataset).results).size(),
             std::size_t{kRows});
}

void TestQuality::keepRowsScoringAtLeastThree() {
    QTemporaryDir dir;
    Studio studio(dir.path());
    standin::StandinServer server;
    server.start();
    useStandin(studio, server);
    const QString runId = generateSqlRun(studio, QStringLiteral("Employees SQL"), kRows);
    QVERIFY(!runId.isEmpty());
    evaluateFromGenerations(studio, runId);
    if (QTest::currentTestFailed())
        return;
    waitForEvaluation(studio, runId);
    if (QTest::currentTestFailed())
        return;

    const auto files = filesOf(studio, runId);
    const auto dataset = readJsonFile(files.dataset);
    QVERIFY(dataset.ok());
    std::map<std::size_t, double> scores;
    for (const auto& result : readEvaluations(engine::evaluationFiles(files.runDir, files.dataset).results))
        scores[result.row] = result.score;
    std::map<std::size_t, bool> failed;
    for (const auto& result : readValidations(engine::validationFile(files.runDir)))
        failed[result.row] = result.status == kValidationFailed;
    nlohmann::json atLeastThree = nlohmann::json::array();
    nlohmann::json atLeastThreeAndValid = nlohmann::json::array();
    for (std::size_t i = 0; i < dataset.json->size(); ++i)
        if (scores.at(i) >= 3) {
            atLeastThree.push_back((*dataset.json)[i]);
            if (!failed[i])
                atLeastThreeAndValid.push_back((*dataset.json)[i]);
        }
    QVERIFY(!atLeastThree.empty() && atLeastThree.size() < std::size_t{kRows});

    // From the Generations list.
    selectRunInGenerations(studio, runId);
    auto* keepRows = studio.find<QToolButton>(QStringLiteral("keepRowsButton"));
    QTRY_VERIFY(keepRows->isEnabled());
    click(keepRows);
    auto* dialog = shownDialog(studio, QStringLiteral("filterDialog"));
    QVERIFY(dialog);
    QVERIFY(child<QCheckBox>(dialog, QStringLiteral("filterMinScoreCheck"))->isChecked());
    setSpin(child<QSpinBox>(dialog, QStringLiteral("filterMinScoreSpin")), 3);
    QCOMPARE(child<QSpinBox>(dialog, QStringLiteral("filterMinScoreSpin"))->value(), 3);
    const QString kept = dir.filePath(QStringLiteral("kept.json"));
    typeInto(child<QLineEdit>(dialog, QStringLiteral("filterOutputEdit")), kept);
    click(child<QPushButton>(dialog, QStringLiteral("startFilterButton")));
    auto* result = child<QLabel>(dialog, QStringLiteral("filterResultLabel"));
    QTRY_VERIFY_WITH_TIMEOUT(result->text().startsWith(QStringLiteral("Kept")), kRunTimeoutMs);
    QCOMPARE(result->text(),
             QStringLiteral("Kept %1, dropped %2: %3")
                 .arg(atLeastThree.size() == 1 ? QStringLiteral("1 row")
                                               : QStringLiteral("%1 rows").arg(atLeastThree.size()))
                 .arg(kRows - static_cast<int>(atLeastThree.size()))
                 .arg(kept));
    const auto written = readJsonFile(kept.toStdString());
    QVERIFY(written.ok());
    QVERIFY(*written.json == atLeastThree);
    click(child<QPushButton>(dialog, QStringLiteral("closeFilterButton")));
    QTRY_VERIFY(!dialog->isVisible());

    // From the Evaluation view, also without the rows that failed validation; the file name by Browse….
    auto* view = studio.window().evaluationView();
    studio.window().openEvaluation(runId);
    QTRY_VERIFY(child<QPushButton>(view, QStringLiteral("evaluationKeepRowsButton"))->isEnabled());
    click(child<QPushButton>(view, QStringLiteral("evaluationKeepRowsButton")));
    dialog = shownDialog(studio, QStringLiteral("filterDialog"));
    QVERIFY(dialog);
    setSpin(child<QSpinBox>(dialog, QStringLiteral("filterMinScoreSpin")), 3);
    auto* validOnly = child<QCheckBox>(dialog, QStringLiteral("filterValidOnlyCheck"));
    QVERIFY(validOnly->isEnabled());
    QTest::mouseClick(validOnly, Qt::LeftButton, Qt::NoModifier, QPoint(8, validOnly->height() / 2));
    QVERIFY(validOnly->isChecked());
    const QString valid = dir.filePath(QStringLiteral("kept-valid.json"));
    studio.dialogs().saveFileAnswers.push_back(valid);
    click(child<QToolButton>(dialog, QStringLiteral("browseFilterOutputButton")));
    QCOMPARE(child<QLineEdit>(dialog, QStringLiteral("filterOutputEdit"))->text(), valid);
    click(child<QPushButton>(dialog, QStringLiteral("startFilterButton")));
    result = child<QLabel>(dialog, QStringLiteral("filterResultLabel"));
    QTRY_VERIFY_WITH_TIMEOUT(result->text().startsWith(QStringLiteral("Kept")), kRunTimeoutMs);
    const auto writtenValid = readJsonFile(valid.toStdString());
    QVERIFY(writtenValid.ok());
    QCOMPARE(writtenValid.json->size(), atLeastThreeAndValid.size());
    QVERIFY(*writtenValid.json == atLeastThreeAndValid);
    // The dataset itself is unchanged.
    QVERIFY(*readJsonFile(files.dataset).json == *dataset.json);
}

void TestQuality::exportOpenAiWithSplitAndBedrock() {
    QTemporaryDir dir;
    Studio studio(dir.path());
    standin::StandinServer server;
    server.start();
    useStandin(studio, server);
    const QString runId = generateSqlRun(studio, QStringLiteral("Employees SQL"), kRows);
    QVERIFY(!runId.isEmpty());

    // OpenAI chat with a system message and a 0.9 split, from the Generations list.
    selectRunInGenerations(studio, runId);
    auto* exportAction = studio.find<QToolButton>(QStringLiteral("exportButton"));
    QTRY_VERIFY(exportAction->isEnabled());
    click(exportAction);
    auto* dialog = shownDialog(studio, QStringLiteral("exportDialog"));
    QVERIFY(dialog);
    selectData(child<QComboBox>(dialog, QStringLiteral("exportFormatCombo")), QStringLiteral("openai"));
    const QString openAi = dir.filePath(QStringLiteral("exports/sql.jsonl"));
    typeInto(child<QLineEdit>(dialog, QStringLiteral("exportOutputEdit")), openAi);
    click(child<QCheckBox>(dialog, QStringLiteral("exportSplitCheck")));
    QCOMPARE(child<QDoubleSpinBox>(dialog, QStringLiteral("exportTrainFractionSpin"))->value(), 0.9);
    child<QPlainTextEdit>(dialog, QStringLiteral("exportSystemEdit"))->setFocus();
    QTest::keyClicks(child<QPlainTextEdit>(dialog, QStringLiteral("exportSystemEdit")),
                     QStringLiteral("You write SQLite queries."));
    click(child<QPushButton>(dialog, QStringLiteral("startExportButton")));
    auto* result = child<QLabel>(dialog, QStringLiteral("exportResultLabel"));
    QTRY_VERIFY_WITH_TIMEOUT(result->text().startsWith(QStringLiteral("Exported")), kRunTimeoutMs);
    QCOMPARE(result->text(), QStringLiteral("Exported %1 of %1 rows.").arg(kRows));
    auto* list = child<QListWidget>(dialog, QStringLiteral("exportedFilesList"));
    QCOMPARE(list->count(), 2);
    const QString train = dir.filePath(QStringLiteral("exports/sql_train.jsonl"));
    const QString validation = dir.filePath(QStringLiteral("exports/sql_validation.jsonl"));
    QCOMPARE(list->item(0)->data(Qt::UserRole).toString(), train);
    QCOMPARE(list->item(1)->data(Qt::UserRole).toString(), validation);
    const auto trainLines = jsonLines(train);
    const auto validationLines = jsonLines(validation);
    QCOMPARE(trainLines.size() + validationLines.size(), std::size_t{kRows});
    QCOMPARE(static_cast<std::size_t>(list->item(0)->data(Qt::UserRole + 1).toULongLong()),
             trainLines.size());
    QVERIFY(validationLines.size() >= 1 && validationLines.size() <= 4);
    const std::vector<std::string> expectedRoles = {"system", "user", "assistant"};
    for (const auto* part : {&trainLines, &validationLines})
        for (const auto& line : *part) {
            QVERIFY(roles(line) == expectedRoles);
            QCOMPARE(line["messages"][0]["content"].get<std::string>(),
                     std::string("You write SQLite queries."));
            QVERIFY(line["messages"][2]["content"].get<std::string>().find("```sql") != std::string::npos);
        }
    click(child<QPushButton>(dialog, QStringLiteral("closeExportButton")));
    QTRY_VERIFY(!dialog->isVisible());

    // Bedrock conversation from the Output page, the file chosen with Browse…, no split.
    studio.window().openRun(runId);
    auto* exportButton = child<QPushButton>(studio.window().runView(), QStringLiteral("outputExportButton"));
    QTRY_VERIFY(exportButton->isVisible());
    click(exportButton);
    dialog = shownDialog(studio, QStringLiteral("exportDialog"));
    QVERIFY(dialog);
    selectData(child<QComboBox>(dialog, QStringLiteral("exportFormatCombo")), QStringLiteral("bedrock"));
    QVERIFY(child<QLineEdit>(dialog, QStringLiteral("exportOutputEdit"))
                ->text()
                .endsWith(QStringLiteral("_bedrock.jsonl")));
    const QString bedrock = dir.filePath(QStringLiteral("exports/bedrock.jsonl"));
    studio.dialogs().saveFileAnswers.push_back(bedrock);
    click(child<QToolButton>(dialog, QStringLiteral("browseExportOutputButton")));
    click(child<QPushButton>(dialog, QStringLiteral("startExportButton")));
    result = child<QLabel>(dialog, QStringLiteral("exportResultLabel"));
    QTRY_VERIFY_WITH_TIMEOUT(result->text().startsWith(QStringLiteral("Exported")), kRunTimeoutMs);
    const auto bedrockLines = jsonLines(bedrock);
    QCOMPARE(bedrockLines.size(), std::size_t{kRows});
    for (const auto& line : bedrockLines) {
        QCOMPARE(line.at("schemaVersion").get<std::string>(), std::string("bedrock-conversation-2024"));
        QCOMPARE(line.at("messages").size(), std::size_t{2});
        QCOMPARE(line["messages"][0]["role"].get<std::string>(), std::string("user"));
        QCOMPARE(line["messages"][1]["role"].get<std::string>(), std::string("assistant"));
    }
    click(child<QPushButton>(dialog, QStringLiteral("closeExportButton")));

    // The run's exports are listed with it.
    const auto exports = studio.context().workspace().history()->exports(runId.toStdString());
    QCOMPARE(exports.size(), std::size_t{3});
    studio.window().openEvaluation(runId);
    auto* table = child<QTableWidget>(studio.window().evaluationView(), QStringLiteral("exportsTable"));
    QTRY_COMPARE(table->rowCount(), 3);
    QCOMPARE(table->item(0, 0)->text(), bedrock);
    QCOMPARE(table->item(0, 1)->text(), QStringLiteral("bedrock"));
    QCOMPARE(table->item(0, 3)->text(), QString::number(kRows));
}

int main(int argc, char** argv) {
    return runGuiTests(argc, argv, [] { return std::make_unique<TestQuality>(); });
}

#include "quality_gui_test.moc"
