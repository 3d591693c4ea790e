// Cost in the app: the Summary page's estimate, price and budget fields, a run stopped at its budget, the
// Output page's cost, the Generations list's Cost column, resuming with a higher budget, and the prices in
// Settings. Driven by object name against the stand-in provider service.

#include "StudioHarness.h"
#include "core/BatchJobState.h"
#include "core/JsonFile.h"
#include "core/Project.h"
#include "gui/AppSettings.h"
#include "gui/DatasetWizard.h"
#include "gui/GenerationsModel.h"
#include "gui/GenerationsPage.h"
#include "gui/RowsModel.h"
#include "gui/RunOutputView.h"
#include "gui/SummaryPage.h"
#include "gui/Workspace.h"
#include "standin/StandinServer.h"

#include <QCheckBox>
#include <QLabel>
#include <QPushButton>
#include <QScopeGuard>
#include <QTableWidget>
#include <QToolButton>

using namespace sds;
using namespace sds::testing;
using gui::DatasetWizard;
using Section = gui::MainWindow::Section;

namespace {

constexpr int kRunTimeoutMs = 60000;

QString text(const Studio& studio, const QString& name) {
    return label(studio, name);
}

} // namespace

class TestCost : public QObject {
    Q_OBJECT

private slots:
    void summaryEstimatesAndTheBudgetStopsTheRunUntilResumedHigher();
    void settingsEditThePriceTable();
    void batchChoiceOnSummaryAndJobStatusInGenerations();
    void batchRunShowsItsJobWhileItRunsAndCompletes();
};

void TestCost::summaryEstimatesAndTheBudgetStopsTheRunUntilResumedHigher() {
    QTemporaryDir dir;
    Studio studio(dir.path());
    standin::StandinServer server;
    server.start();
    useStandin(studio, server);
    walkToSummary(studio, QStringLiteral("Budgeted"), 40, 1);
    if (QTest::currentTestFailed())
        return;
    auto* wizard = studio.window().wizard();
    // max_tokens 1000: a request in flight is held at 1000 output tokens.
    click(studio.find<QPushButton>(QStringLiteral("backButton")));
    click(studio.find<QPushButton>(QStringLiteral("backButton")));
    QCOMPARE(wizard->step(), DatasetWizard::Prompt);
    setSpin(studio.find<QSpinBox>(QStringLiteral("maxTokensSpin")), 1000);
    click(studio.find<QPushButton>(QStringLiteral("nextButton")));
    click(studio.find<QPushButton>(QStringLiteral("nextButton")));
    QCOMPARE(wizard->step(), DatasetWizard::Summary);

    QTRY_VERIFY(text(studio, QStringLiteral("costEstimateLabel"))
                    .contains(QStringLiteral("price: unknown price for openai / standin-model")));
    const int planned = wizard->draft().plannedRequests();
    QVERIFY2(text(studio, QStringLiteral("costEstimateLabel"))
                 .contains(QStringLiteral("requests: %1 (40 rows, up to 5 per request)").arg(planned)),
             qPrintable(text(studio, QStringLiteral("costEstimateLabel"))));
    QVERIFY(text(studio, QStringLiteral("priceSourceLabel")).contains(QStringLiteral("unknown price")));

    typeInto(studio.find<QLineEdit>(QStringLiteral("priceInEdit")), QStringLiteral("0"));
    typeInto(studio.find<QLineEdit>(QStringLiteral("priceOutEdit")), QStringLiteral("1000"));
    QVERIFY(
        text(studio, QStringLiteral("costEstimateLabel"))
            .contains(QStringLiteral("price: $0.00 in, $1000.00 out per 1M tokens (typed for this job)")));
    QVERIFY(text(studio, QStringLiteral("costEstimateLabel")).contains(QStringLiteral("cost: $")));
    QCOMPARE(text(studio, QStringLiteral("priceSourceLabel")), QStringLiteral("typed for this job"));

    typeInto(studio.find<QLineEdit>(QStringLiteral("maxCostEdit")), QStringLiteral("-3"));
    click(studio.find<QPushButton>(QStringLiteral("generateButton")));
    QCOMPARE(wizard->step(), DatasetWizard::Summary);
    QVERIFY(text(studio, QStringLiteral("summaryError"))
                .contains(
                    QStringLiteral("Budget: give an amount of USD above 0, or leave it empty for no cap, not "
                                   "\"-3\"")));

    // One request at a time: the next is sent only while spent + $1.00 stays within $1.60.
    typeInto(studio.find<QLineEdit>(QStringLiteral("maxCostEdit")), QStringLiteral("1.6"));
    QVERIFY(text(studio, QStringLiteral("costEstimateLabel")).contains(QStringLiteral("budget: $1.60")));
    QVERIFY(text(studio, QStringLiteral("costEstimateLabel"))
                .contains(QStringLiteral("each request in flight counted at up to $1.0")));
    // The job document carries the budget and the typed price.
    const QString jobFile = dir.filePath(QStringLiteral("budgeted.job.json"));
    studio.dialogs().saveFileAnswers.push_back(jobFile);
    click(studio.find<QPushButton>(QStringLiteral("saveJobButton")));
    QTRY_VERIFY(text(studio, QStringLiteral("saveJobStatus")).startsWith(QStringLiteral("Saved to")));
    const auto saved = jobFromJson(*readJsonFile(jobFile.toStdString()).json, "budgeted.job.json");
    QVERIFY(saved.job);
    QCOMPARE(*saved.job->maxCostUsd, 1.6);
    QVERIFY(*saved.job->price == (TokenPrice{0, 1000}));

    click(studio.find<QPushButton>(QStringLiteral("generateButton")));
    QCOMPARE(wizard->step(), DatasetWizard::Output);
    auto* output = wizard->output();
    const auto status = [output] {
        return output->findChild<QLabel*>(QStringLiteral("runStatusLabel"))->text();
    };
    QTRY_VERIFY_WITH_TIMEOUT(status().startsWith(QStringLiteral("Stopped at the budget")), kRunTimeoutMs);
    const QString cost = output->findChild<QLabel*>(QStringLiteral("costStat"))->text();
    QVERIFY2(cost.startsWith(QStringLiteral("$")) && cost.endsWith(QStringLiteral(" of $1.60")),
             qPrintable(cost));
    const int kept = output->rowsModel()->rowCount();
    QVERIFY2(kept > 0 && kept < 40, qPrintable(QString::number(kept)));
    QVERIFY(server.stats().chatRequests < static_cast<std::uint64_t>(planned));

    clickNavigation(studio, 2);
    auto& generations = studio.context().generations();
    QTRY_COMPARE(generations.index(0, gui::GenerationsModel::Status).data().toString(),
                 QStringLiteral("Stopped at budget"));
    const auto* record = generations.record(0);
    QVERIFY(record->costUsd && *record->costUsd <= 1.6 && *record->costUsd + 1.0 > 1.6);
    const auto costCell = generations.index(0, gui::GenerationsModel::Cost);
    QCOMPARE(costCell.data().toString(), QString::fromStdString(formatUsd(*record->costUsd)));
    QCOMPARE(costCell.data(Qt::ToolTipRole).toString(),
             QStringLiteral("Spent %1 of a $1.60 budget")
                 .arg(QString::fromStdString(formatUsd(*record->costUsd))));
    QCOMPARE(generations.headerData(gui::GenerationsModel::Cost, Qt::Horizontal).toString(),
             QStringLiteral("Cost"));
    const double spentBefore = *record->costUsd;

    // Resume asks for a higher budget: one at or below what was spent is refused, then $100 finishes it.
    const QString runId = generations.index(0, 0).data(gui::GenerationsModel::RunIdRole).toString();
    auto* resume = studio.find<QToolButton>(QStringLiteral("resumeButton"));
    QVERIFY(studio.window().generations()->selectRun(runId));
    QTRY_VERIFY(resume->isEnabled());
    studio.dialogs().textAnswers.push_back(QStringLiteral("0.5"));
    click(resume);
    QCOMPARE(studio.window().section(), Section::Generations);
    QVERIFY(text(studio, QStringLiteral("generationsMessage")).contains(QStringLiteral("above the")));
    studio.dialogs().textAnswers.push_back(QStringLiteral("100"));
    click(resume);
    QCOMPARE(studio.window().section(), Section::Run);
    auto* runView = studio.window().runView();
    QTRY_VERIFY_WITH_TIMEOUT(runView->findChild<QLabel*>(QStringLiteral("runStatusLabel"))
                                 ->text()
                                 .startsWith(QStringLiteral("Completed")),
                             kRunTimeoutMs);
    QCOMPARE(runView->rowsModel()->rowCount(), 40);
    QVERIFY(runView->findChild<QLabel*>(QStringLiteral("costStat"))
                ->text()
                .endsWith(QStringLiteral(" of $100.00")));
    QTRY_COMPARE(generations.index(0, gui::GenerationsModel::Status).data().toString(),
                 QStringLiteral("Completed"));
    QVERIFY(*generations.record(0)->costUsd > spentBefore);
    QCOMPARE(*generations.record(0)->maxCostUsd, 100.0);
}

void TestCost::settingsEditThePriceTable() {
    QTemporaryDir dir;
    Studio studio(dir.path());
    clickNavigation(studio, 3);
    auto* table = studio.find<QTableWidget>(QStringLiteral("priceTable"));
    QVERIFY(table->rowCount() > 10);
    int sonnet = -1;
    for (int row = 0; row < table->rowCount(); ++row)
        if (table->item(row, 1)->text() == QStringLiteral("anthropic.claude-3-5-sonnet-20240620-v1:0"))
            sonnet = row;
    QVERIFY(sonnet >= 0);
    QCOMPARE(table->item(sonnet, 2)->text(), QStringLiteral("3"));

    table->item(sonnet, 3)->setText(QStringLiteral("12.5"));
    click(studio.find<QPushButton>(QStringLiteral("addPriceButton")));
    const int added = table->rowCount() - 1;
    table->item(added, 0)->setText(QStringLiteral("caii"));
    table->item(added, 1)->setText(QStringLiteral("meta/llama-3.1-8b-instruct"));
    table->item(added, 2)->setText(QStringLiteral("0.1"));
    table->item(added, 3)->setText(QStringLiteral("cheap"));
    click(studio.find<QPushButton>(QStringLiteral("saveSettingsButton")));
    QCOMPARE(text(studio, QStringLiteral("pricesError")),
             QStringLiteral(
                 "Prices, row %1: the output price must be a number of USD per 1M tokens, at least 0, not "
                 "\"cheap\".")
                 .arg(added + 1));
    const auto& project = studio.context().workspace().project();
    QVERIFY(!std::filesystem::exists(project.pricesFile()));

    table->item(added, 3)->setText(QStringLiteral("0.2"));
    click(studio.find<QPushButton>(QStringLiteral("saveSettingsButton")));
    QCOMPARE(text(studio, QStringLiteral("settingsStatusLabel")), QStringLiteral("Settings saved."));
    const auto saved = readJsonFile(project.pricesFile());
    QVERIFY(saved.ok());
    const auto& prices = (*saved.json)["prices"];
    QCOMPARE(prices.size(), std::size_t{2}); // only what differs from the built-in prices
    QCOMPARE(prices["bedrock"]["anthropic.claude-3-5-sonnet-20240620-v1:0"]["output"].get<double>(), 12.5);
    QCOMPARE(prices["caii"]["meta/llama-3.1-8b-instruct"]["input"].get<double>(), 0.1);
    const auto loaded = project.loadPrices();
    QCOMPARE(QString::fromStdString(loaded.error), QString());
    QVERIFY(loaded.table.find("caii", "meta/llama-3.1-8b-instruct")->price == (TokenPrice{0.1, 0.2}));
    QVERIFY(loaded.table.find("bedrock", "us.anthropic.claude-3-5-sonnet-20240620-v1:0")->price ==
            (TokenPrice{3.0, 12.5}));
}

void TestCost::batchChoiceOnSummaryAndJobStatusInGenerations() {
    QTemporaryDir dir;
    Studio studio(dir.path());
    clickNavigation(studio, 3);
    typeInto(studio.find<QLineEdit>(QStringLiteral("bedrockBatchS3UriEdit")),
             QStringLiteral("s3://sds-gui/batch/"));
    typeInto(studio.find<QLineEdit>(QStringLiteral("bedrockBatchRoleArnEdit")),
             QStringLiteral("arn:aws:iam::123456789012:role/BedrockBatch"));
    click(studio.find<QPushButton>(QStringLiteral("saveSettingsButton")));
    QCOMPARE(text(studio, QStringLiteral("settingsStatusLabel")), QStringLiteral("Settings saved."));
    QCOMPARE(studio.context().settings().text(gui::AppSettings::Key::BedrockBatchS3Uri),
             QStringLiteral("s3://sds-gui/batch/"));

    JobSpec job;
    job.displayName = "Batch";
    job.prompt = "Write questions.";
    job.seeds = {"Joins", "Indexes"};
    job.provider.name = "bedrock";
    job.provider.model = "anthropic.claude-3-5-sonnet-20240620-v1:0";
    job.size = 20;
    job.rowsPerRequest = 2;
    gui::SummaryPage summary(studio.context());
    auto* batch = summary.findChild<QCheckBox*>(QStringLiteral("runAsBatchCheck"));
    auto* estimate = summary.findChild<QLabel*>(QStringLiteral("costEstimateLabel"));
    summary.initializePage(job);
    QVERIFY2(batch->isHidden(), "10 requests are fewer than a batch job's minimum of 100");

    job.size = 400;
    summary.initializePage(job);
    QVERIFY(!batch->isHidden());
    QVERIFY(!batch->isChecked());
    QTRY_VERIFY(estimate->text().contains(QStringLiteral("price: $3.00 in, $15.00 out per 1M tokens")));
    QVERIFY(!estimate->text().contains(QStringLiteral("batch price")));
    batch->setChecked(true);
    QTRY_VERIFY2(estimate->text().contains(QStringLiteral("batch price: $1.50 in, $7.50 out per 1M tokens")),
                 qPrintable(estimate->text()));
    JobSpec draft = job;
    QVERIFY(summary.validatePage(draft));
    QVERIFY(draft.runsAsBatch());
    QCOMPARE(draft.batch.s3Uri, std::string("s3://sds-gui/batch/"));
    QCOMPARE(draft.batch.roleArn, std::string("arn:aws:iam::123456789012:role/BedrockBatch"));

    typeInto(summary.findChild<QLineEdit*>(QStringLiteral("maxCostEdit")), QStringLiteral("0.001"));
    QVERIFY(estimate->text().contains(QStringLiteral("cannot stop halfway")));
    QVERIFY(!summary.validatePage(draft));
    QVERIFY(summary.findChild<QLabel*>(QStringLiteral("summaryError"))
                ->text()
                .contains(QStringLiteral("cannot stop halfway")));

    // A run waiting on its job shows the job's status in Generations.
    auto history = studio.context().workspace().history();
    RunRecord record;
    record.id = "20260101-000000-beef";
    record.displayName = "Waiting on Bedrock";
    record.provider = "bedrock";
    record.model = job.provider.model;
    record.requestedSize = 400;
    record.status = RunStatus::Cancelled;
    record.runDir = (std::filesystem::path(dir.path().toStdString()) / "run-beef").string();
    record.createdAtMs = 1;
    std::filesystem::create_directories(record.runDir);
    QCOMPARE(QString::fromStdString(history->insert(record)), QString());
    BatchJobState state;
    state.inputUri = "s3://sds-gui/batch/run/records.jsonl";
    state.jobArn = "arn:aws:bedrock:us-east-1:000000000000:model-invocation-job/standin00001";
    state.status = "InProgress";
    state.records = 200;
    state.processedRecords = 80;
    QCOMPARE(QString::fromStdString(saveBatchJobState(record.runDir, state)), QString());
    auto& generations = studio.context().generations();
    generations.reload();
    QTRY_COMPARE(generations.index(0, gui::GenerationsModel::Status).data().toString(),
                 QStringLiteral("Cancelled · batch InProgress"));
    QVERIFY(generations.index(0, gui::GenerationsModel::Status)
                .data(Qt::ToolTipRole)
                .toString()
                .contains(QStringLiteral("InProgress, 80 of 200 records processed")));
}

void TestCost::batchRunShowsItsJobWhileItRunsAndCompletes() {
    QTemporaryDir dir;
    Studio studio(dir.path());
    standin::StandinOptions options;
    options.awsCredentials = {{"AKIDGUIBATCH00001", "gui-batch-secret"}};
    options.batch.pollsUntilDone = 1000000;
    options.batch.failEveryNthRecord = 10;
    standin::StandinServer server(options);
    server.start();
    qputenv("AWS_ENDPOINT_URL", QByteArray::fromStdString(server.baseUrl()));
    const auto restoreEnvironment = qScopeGuard([] { qunsetenv("AWS_ENDPOINT_URL"); });
    clickNavigation(studio, 3);
    typeInto(studio.find<QLineEdit>(QStringLiteral("awsRegionEdit")), QStringLiteral("us-east-1"));
    typeInto(studio.find<QLineEdit>(QStringLiteral("awsAccessKeyEdit")), QStringLiteral("AKIDGUIBATCH00001"));
    typeInto(studio.find<QLineEdit>(QStringLiteral("awsSecretKeyEdit")), QStringLiteral("gui-batch-secret"));
    click(studio.find<QPushButton>(QStringLiteral("saveSettingsButton")));
    QCOMPARE(text(studio, QStringLiteral("settingsStatusLabel")), QStringLiteral("Settings saved."));

    JobSpec job;
    job.displayName = "Batch run";
    job.provider.region = "us-east-1"; // the wizard copies it from Settings
    job.prompt = "Write questions about the topic with answers.";
    job.seeds = {"Joins", "Indexes"};
    job.provider.name = "bedrock";
    job.provider.model = "anthropic.claude-3-5-sonnet-20240620-v1:0";
    job.size = 400;
    job.rowsPerRequest = 2;
    job.mode = RunMode::BedrockBatch;
    job.batch = {"s3://sds-gui/batch/", "arn:aws:iam::123456789012:role/BedrockBatch"};
    auto& runs = studio.context().runs();
    runs.setBatchPolling({std::chrono::milliseconds(5), std::chrono::milliseconds(20)});
    const auto ticket = runs.start(job);
    QTRY_VERIFY2_WITH_TIMEOUT(
        runs.state(ticket)->batchJob.startsWith(QStringLiteral("InProgress")),
        qPrintable(runs.state(ticket)->batchJob + QStringLiteral(" / ") + runs.state(ticket)->error),
        kRunTimeoutMs);
    auto& generations = studio.context().generations();
    generations.reload();
    QTRY_COMPARE(generations.index(0, gui::GenerationsModel::Status).data().toString(),
                 QStringLiteral("Running · batch InProgress"));

    options.batch.pollsUntilDone = 0;
    server.setOptions(options);
    QTRY_VERIFY_WITH_TIMEOUT(runs.state(ticket)->finished, kRunTimeoutMs);
    QVERIFY2(runs.state(ticket)->status == RunStatus::Completed, qPrintable(runs.state(ticket)->error));
    QCOMPARE(runs.state(ticket)->datasetRows, 400);
    QCOMPARE(server.stats().batch.jobsCreated, std::uint64_t{1});
    QVERIFY(server.stats().chatRequests >= 20U);
    generations.reload();
    QTRY_COMPARE(generations.index(0, gui::GenerationsModel::Status).data().toString(),
                 QStringLiteral("Completed"));
}

int main(int argc, char** argv) {
    return runGuiTests(argc, argv, [] { return std::make_unique<TestCost>(); });
}

#include "cost_gui_test.moc"
