// Recovery in the app (issue #12): runs whose process died show as interrupted and resume from
// Generations, "Retry failed only" asks only for what failed, and a hidden window comes back when the app
// is launched again. The runs to recover are made by the real `sds` command line against the stand-in.

#include "StudioHarness.h"
#include "core/JsonFile.h"
#include "gui/GenerationsModel.h"
#include "gui/GenerationsPage.h"
#include "gui/InstanceServer.h"
#include "gui/RunController.h"
#include "gui/RunOutputView.h"
#include "gui/Workspace.h"
#include "standin/StandinServer.h"

#include <QLabel>
#include <QLocalSocket>
#include <QProcess>
#include <QSignalSpy>
#include <QToolButton>
#include <filesystem>
#include <map>
#include <set>

using namespace sds;
using namespace sds::testing;
using Section = gui::MainWindow::Section;

namespace {

constexpr int kRunTimeoutMs = 60000;

QStringList openAiGenerate(const standin::StandinServer& server, const QStringList& more) {
    QStringList arguments = {QStringLiteral("generate"),
                             QStringLiteral("--provider"),
                             QStringLiteral("openai"),
                             QStringLiteral("--endpoint"),
                             QString::fromStdString(server.baseUrl() + "/v1"),
                             QStringLiteral("--model"),
                             QStringLiteral("standin-model")};
    return arguments + more;
}

// `sds` on the app's project (the environment the harness isolated).
void startCli(QProcess& process, const QStringList& arguments) {
    process.setProgram(QStringLiteral(SDS_CLI_BINARY));
    process.setArguments(arguments);
    process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    process.start();
    QVERIFY2(process.waitForStarted(), qPrintable(process.errorString()));
}

int cliExitCode(const QStringList& arguments) {
    QProcess process;
    startCli(process, arguments);
    if (!process.waitForFinished(kRunTimeoutMs))
        return -1;
    return process.exitCode();
}

std::size_t journaledRows(const std::filesystem::path& runsDir) {
    std::size_t rows = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(runsDir, ec))
        rows = Journal::read(entry.path() / "journal.jsonl", [](JournalRow&&) {}).rows;
    return rows;
}

QString statusOf(Studio& studio, const QString& runId) {
    auto& generations = studio.context().generations();
    const int row = generations.rowOf(runId);
    return row < 0 ? QStringLiteral("<not listed>")
                   : generations.index(row, gui::GenerationsModel::Status).data().toString();
}

QString onlyRunId(Studio& studio) {
    auto& generations = studio.context().generations();
    generations.reload();
    if (!QTest::qWaitFor([&] { return generations.rowCount() == 1; }, 5000))
        return {};
    return generations.index(0, 0).data(gui::GenerationsModel::RunIdRole).toString();
}

// The app, with its OpenAI-compatible provider pointed at a stand-in service started with `options`.
struct StudioWithStandin {
    explicit StudioWithStandin(standin::StandinOptions options)
        : studio(dir.path()), server(std::move(options)) {
        server.start();
        useStandin(studio, server);
    }
    QTemporaryDir dir;
    Studio studio;
    standin::StandinServer server;
};

standin::StandinOptions answeringAfter(std::chrono::milliseconds latency) {
    standin::StandinOptions options;
    options.latency = latency;
    return options;
}

QString outputStatus(gui::RunOutputView* view) {
    return view->findChild<QLabel*>(QStringLiteral("runStatusLabel"))->text();
}

nlohmann::json datasetOf(Studio& studio, const QString& runId) {
    const auto* record = studio.context().generations().find(runId);
    if (!record)
        return nlohmann::json::array();
    const auto read = readJsonFile(record->outputPath);
    return read.ok() ? *read.json : nlohmann::json::array();
}

} // namespace

class TestRecovery : public QObject {
    Q_OBJECT

private slots:
    void killedCliRunIsInterruptedAndResumesFromGenerations();
    void retryFailedOnlyAsksOnlyForTheFailedSeeds();
    void secondLaunchBringsTheHiddenWindowBack();
};

void TestRecovery::killedCliRunIsInterruptedAndResumesFromGenerations() {
    // One row per request, two at a time: about 10 s for the whole run, which is killed long before.
    StudioWithStandin app(answeringAfter(std::chrono::milliseconds(100)));
    auto& studio = app.studio;
    auto& server = app.server;

    QProcess cli;
    startCli(cli, openAiGenerate(server,
                                 {QStringLiteral("--seed"), QStringLiteral("One"), QStringLiteral("--seed"),
                                  QStringLiteral("Two"), QStringLiteral("--size"), QStringLiteral("200"),
                                  QStringLiteral("--rows-per-request"), QStringLiteral("1"),
                                  QStringLiteral("--concurrency"), QStringLiteral("2"),
                                  QStringLiteral("--name"), QStringLiteral("Killed CLI run")}));
    const auto runsDir = std::filesystem::path(studio.context().workspace().project().runsDir());
    QTRY_VERIFY_WITH_TIMEOUT(journaledRows(runsDir) >= 10, kRunTimeoutMs);
    clickNavigation(studio, 2);
    const QString runId = onlyRunId(studio);
    QVERIFY(!runId.isEmpty());
    QTRY_COMPARE(statusOf(studio, runId), QStringLiteral("Running"));
    QVERIFY(studio.window().generations()->selectRun(runId));
    auto* resume = studio.find<QToolButton>(QStringLiteral("resumeButton"));
    QVERIFY2(!resume->isEnabled(), "another process runs it");
    QVERIFY(!studio.find<QToolButton>(QStringLiteral("deleteButton"))->isEnabled());

    cli.kill(); // SIGKILL: no chance to record anything
    QVERIFY(cli.waitForFinished());
    const std::size_t rowsBeforeKill = journaledRows(runsDir);
    QVERIFY(rowsBeforeKill < 200);
    QTRY_COMPARE_WITH_TIMEOUT(statusOf(studio, runId), QStringLiteral("Interrupted"), 10000);
    const QString toolTip =
        studio.context()
            .generations()
            .index(studio.context().generations().rowOf(runId), gui::GenerationsModel::Status)
            .data(Qt::ToolTipRole)
            .toString();
    QVERIFY2(toolTip.contains(QStringLiteral("Resume")), qPrintable(toolTip));
    QVERIFY(studio.window().generations()->selectRun(runId));
    QTRY_VERIFY(resume->isEnabled());
    QVERIFY2(!studio.find<QToolButton>(QStringLiteral("retryFailedButton"))->isEnabled(),
             "nothing failed: its rows were never asked");

    server.setOptions({});
    click(resume);
    QCOMPARE(studio.window().section(), Section::Run);
    auto* runView = studio.window().runView();
    QTRY_VERIFY_WITH_TIMEOUT(outputStatus(runView).startsWith(QStringLiteral("Completed")), kRunTimeoutMs);
    QTRY_COMPARE(statusOf(studio, runId), QStringLiteral("Completed"));
    const auto rows = datasetOf(studio, runId);
    QCOMPARE(rows.size(), std::size_t{200});
    std::set<std::string> questions;
    for (const auto& row : rows)
        questions.insert(row["Prompt"].get<std::string>());
    QCOMPARE(questions.size(), std::size_t{200});
}

void TestRecovery::retryFailedOnlyAsksOnlyForTheFailedSeeds() {
    standin::StandinOptions betaGetsEmptyAnswers;
    betaGetsEmptyAnswers.emptyAnswerSubjects = {"Beta"};
    StudioWithStandin app(betaGetsEmptyAnswers);
    auto& studio = app.studio;
    auto& server = app.server;
    QCOMPARE(cliExitCode(openAiGenerate(server, {QStringLiteral("--seed"), QStringLiteral("Alpha"),
                                                 QStringLiteral("--seed"), QStringLiteral("Beta"),
                                                 QStringLiteral("--seed"), QStringLiteral("Gamma"),
                                                 QStringLiteral("--size"), QStringLiteral("12"),
                                                 QStringLiteral("--name"), QStringLiteral("Retried")})),
             3);

    clickNavigation(studio, 2);
    const QString runId = onlyRunId(studio);
    QVERIFY(!runId.isEmpty());
    QTRY_COMPARE(statusOf(studio, runId), QStringLiteral("Partial"));
    QCOMPARE(studio.context().generations().failedParts(runId), std::size_t{1});
    QVERIFY(studio.window().generations()->selectRun(runId));
    auto* retry = studio.find<QToolButton>(QStringLiteral("retryFailedButton"));
    QTRY_VERIFY(retry->isEnabled());

    server.setOptions({});
    server.resetStats();
    click(retry);
    QCOMPARE(label(studio, QStringLiteral("generationsMessage")),
             QStringLiteral("Asking again for the 1 seed that failed in \"Retried\", and nothing else."));
    QCOMPARE(studio.window().section(), Section::Run);
    auto* runView = studio.window().runView();
    QTRY_VERIFY_WITH_TIMEOUT(outputStatus(runView).startsWith(QStringLiteral("Completed")), kRunTimeoutMs);
    const auto asked = server.stats().chatRequestsBySubject;
    QCOMPARE(asked.size(), std::size_t{1});
    QCOMPARE(asked.count("Beta"), std::size_t{1});
    QVERIFY2(asked.at("Beta") >= 1 && asked.at("Beta") <= 2, "4 rows at up to 5 per request");
    QTRY_COMPARE(statusOf(studio, runId), QStringLiteral("Completed"));
    QCOMPARE(studio.context().generations().failedParts(runId), std::size_t{0});
    std::map<std::string, int> perSeed;
    for (const auto& row : datasetOf(studio, runId))
        ++perSeed[row["Seeds"].get<std::string>()];
    QCOMPARE(perSeed, (std::map<std::string, int>{{"Alpha", 4}, {"Beta", 4}, {"Gamma", 4}}));
}

void TestRecovery::secondLaunchBringsTheHiddenWindowBack() {
    StudioWithStandin app(answeringAfter(std::chrono::milliseconds(100)));
    auto& studio = app.studio;

    const QString serverName =
        gui::InstanceServer::serverNameFor(studio.context().workspace().project().root());
    QCOMPARE(gui::InstanceServer::serverNameFor(studio.context().workspace().project().root() / "."),
             serverName);
    QVERIFY(!gui::InstanceServer::askRunningInstanceToShow(serverName, 500));
    gui::InstanceServer instance(studio.window());
    QCOMPARE(instance.listen(serverName), QString());
    gui::InstanceServer rival(studio.window());
    const QString refused = rival.listen(serverName);
    QVERIFY2(refused.contains(QStringLiteral("another Synthetic Data Studio")), qPrintable(refused));

    JobSpec job;
    job.displayName = "Background run";
    job.templateId = "custom";
    job.prompt = "Write questions.";
    job.seeds = {"Background"};
    job.size = 400;
    job.rowsPerRequest = 1;
    job.concurrency = 1;
    job.provider.name = "openai";
    job.provider.model = "standin-model";
    job.provider.endpoint = app.server.baseUrl() + "/v1";
    const auto ticket = studio.context().runs().start(job);
    const auto* run = studio.context().runs().state(ticket);
    QTRY_VERIFY2_WITH_TIMEOUT(run->progress.rowsDone > 0 || run->finished, qPrintable(run->error),
                              kRunTimeoutMs);
    QVERIFY2(!run->finished, qPrintable(run->error));
    QSignalSpy quit(&studio.window(), &gui::MainWindow::quitRequested);
    studio.dialogs().closeAnswer = gui::Dialogs::CloseAnswer::KeepRunning;
    studio.window().close();
    QVERIFY(!studio.window().isVisible());

    // A second launch connects and asks for the window.
    QLocalSocket launch;
    launch.connectToServer(serverName);
    QVERIFY(launch.waitForConnected(2000));
    launch.write(gui::InstanceServer::kShowRequest);
    QTRY_VERIFY(studio.window().isVisible());
    QTRY_VERIFY(launch.canReadLine());
    QCOMPARE(launch.readLine(), QByteArray(gui::InstanceServer::kShownReply));
    QVERIFY(studio.context().runs().activeCount() == 1);

    // Hidden again; this time the real sds-studio is launched a second time, and exits at once.
    studio.window().close();
    QVERIFY(!studio.window().isVisible());
    QProcess secondApp;
    secondApp.setProgram(QStringLiteral(SDS_STUDIO_BINARY));
    secondApp.setProcessChannelMode(QProcess::ForwardedChannels);
    secondApp.start();
    QVERIFY(secondApp.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(studio.window().isVisible(), 20000);
    QTRY_COMPARE_WITH_TIMEOUT(secondApp.state(), QProcess::NotRunning, 20000);
    QCOMPARE(secondApp.exitStatus(), QProcess::NormalExit);
    QCOMPARE(secondApp.exitCode(), 0);

    // Brought back, the app no longer quits when its run ends.
    studio.context().runs().cancelAll();
    QTRY_COMPARE_WITH_TIMEOUT(studio.context().runs().activeCount(), 0, kRunTimeoutMs);
    QTest::qWait(100);
    QCOMPARE(quit.count(), 0);
}

int main(int argc, char** argv) {
    return runGuiTests(argc, argv, [] { return std::make_unique<TestRecovery>(); });
}

#include "recovery_gui_test.moc"
