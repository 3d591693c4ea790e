// The wizard's workflows through the real widgets, by object name, against the stand-in provider service:
// documents (preview, grounded rows, a broken file), Custom Data Curation, and the model's suggestions.

#include "StudioHarness.h"
#include "core/Job.h"
#include "core/JsonFile.h"
#include "gui/DatasetWizard.h"
#include "gui/DocumentPreviewDialog.h"
#include "gui/GenerationsModel.h"
#include "gui/RunController.h"
#include "gui/SuggestionDialogs.h"
#include "standin/StandinServer.h"

#include <QDir>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTextBrowser>
#include <set>
#include <spdlog/spdlog.h>

using namespace sds;
using namespace sds::testing;
using gui::DatasetWizard;
using Section = gui::MainWindow::Section;

namespace {

constexpr int kRunTimeoutMs = 120000;

QString documentPath(const char* name) {
    return QStringLiteral(SDS_TEST_DATA_DIR "/documents/") + QString::fromLatin1(name);
}

// Home -> Configure with a name and the stand-in's model.
void startWizard(Studio& studio, const QString& name) {
    clickNavigation(studio, 0);
    click(studio.find<QPushButton>(QStringLiteral("createDatasetButton")));
    QCOMPARE(studio.window().section(), Section::CreateDataset);
    QCOMPARE(studio.window().wizard()->step(), DatasetWizard::Configure);
    typeInto(studio.find<QLineEdit>(QStringLiteral("displayNameEdit")), name);
    selectData(studio.find<QComboBox>(QStringLiteral("providerCombo")), QStringLiteral("openai"));
    auto* model = studio.find<QComboBox>(QStringLiteral("modelCombo"));
    QTRY_VERIFY(model->findData(QStringLiteral("standin-model")) >= 0);
    selectData(model, QStringLiteral("standin-model"));
}

void clickNext(Studio& studio) {
    click(studio.find<QPushButton>(QStringLiteral("nextButton")));
}

// Generate on the Summary page, then wait for the run: its final state.
gui::RunState generateAndWait(Studio& studio) {
    QSignalSpy started(studio.window().wizard(), &DatasetWizard::runStarted);
    click(studio.find<QPushButton>(QStringLiteral("generateButton")));
    if (started.count() != 1) {
        qWarning("the run did not start: %s", qPrintable(label(studio, QStringLiteral("summaryError"))));
        return {};
    }
    const auto ticket = started.at(0).at(0).toInt();
    auto& runs = studio.context().runs();
    if (!QTest::qWaitFor([&] { return runs.state(ticket) && runs.state(ticket)->finished; }, kRunTimeoutMs))
        qWarning("the run did not finish in time");
    return runs.state(ticket) ? *runs.state(ticket) : gui::RunState{};
}

nlohmann::json readDataset(const QString& path) {
    const auto read = readJsonFile(path.toStdString());
    if (!read.ok()) {
        qWarning("cannot read the dataset %s: %s", qPrintable(path), read.error.c_str());
        return nlohmann::json::array();
    }
    return *read.json;
}

QString thousandElements() {
    return QLocale().toString(1000) + QStringLiteral(" elements");
}

gui::DocumentPreviewDialog* openPreview(Studio& studio) {
    click(studio.find<QPushButton>(QStringLiteral("previewFilesButton")));
    auto* dialog = studio.find<gui::DocumentPreviewDialog>(QStringLiteral("documentPreviewDialog"));
    if (dialog)
        if (!QTest::qWaitFor([dialog] { return dialog->finished(); }, 30000))
            qWarning("the preview did not finish reading");
    return dialog;
}

} // namespace

class TestWorkflows : public QObject {
    Q_OBJECT

private slots:
    void documentsArePreviewedAndGroundTheRows();
    void brokenDocumentIsShownAndTheRunUsesTheOthers();
    void curationAnswersEveryElementOnce();
    void malformedCurationFileIsRefusedWithItsPosition();
    void generatePromptFillsTheEditorUndoably();
    void suggestSeedsAddsOnlyTheCheckedOnes();
};

void TestWorkflows::documentsArePreviewedAndGroundTheRows() {
    QTemporaryDir dir;
    Studio studio(dir.path());
    standin::StandinServer server;
    server.start();
    useStandin(studio, server);
    startWizard(studio, QStringLiteral("Grounded in documents"));
    if (QTest::currentTestFailed())
        return;

    studio.dialogs().openFilesAnswers.push_back(
        {documentPath("two_pages.pdf"), documentPath("paragraphs_list_table.docx")});
    click(studio.find<QPushButton>(QStringLiteral("addFilesButton")));
    QCOMPARE(studio.find<QListWidget>(QStringLiteral("filesList"))->count(), 2);
    QVERIFY(shown(studio, QStringLiteral("chunkSizeSpin")));
    QVERIFY(!shown(studio, QStringLiteral("inputKeyEdit")));
    QTRY_VERIFY2(label(studio, QStringLiteral("filesStatusLabel"))
                     .contains(QStringLiteral("two_pages.pdf: 1 excerpt")),
                 qPrintable(label(studio, QStringLiteral("filesStatusLabel"))));
    QVERIFY(label(studio, QStringLiteral("filesStatusLabel"))
                .contains(QStringLiteral("paragraphs_list_table.docx: 1 excerpt")));
    QVERIFY(!shown(studio, QStringLiteral("filesError")));

    auto* preview = openPreview(studio);
    QVERIFY(preview);
    QVERIFY(preview->finished());
    auto* items = preview->findChild<QListWidget*>(QStringLiteral("previewItemsList"));
    auto* text = preview->findChild<QPlainTextEdit*>(QStringLiteral("previewText"));
    QCOMPARE(items->count(), 2);
    QVERIFY2(text->toPlainText().contains(QStringLiteral("Revenue grew by ten percent")),
             qPrintable(text->toPlainText()));
    QVERIFY(preview->findChild<QLabel*>(QStringLiteral("previewDetailLabel"))
                ->text()
                .contains(QStringLiteral("1 excerpt")));
    items->setFocus();
    items->setCurrentRow(1);
    QVERIFY(text->toPlainText().contains(QStringLiteral("Project notes")));
    QVERIFY(text->toPlainText().contains(QStringLiteral("a | b | c")));
    QVERIFY(preview->findChild<QLabel*>(QStringLiteral("previewSummaryLabel"))
                ->text()
                .contains(QStringLiteral("2 excerpts")));
    click(preview->findChild<QPushButton*>(QStringLiteral("closePreviewButton")));
    QTRY_VERIFY(!studio.find<QDialog>(QStringLiteral("documentPreviewDialog")));

    clickNext(studio);
    QTRY_COMPARE(studio.window().wizard()->step(), DatasetWizard::Prompt);
    QVERIFY(studio.window().wizard()->draft().groundedInDocuments());
    QVERIFY(!shown(studio, QStringLiteral("seedsBox")));
    QVERIFY(label(studio, QStringLiteral("requestsLabel")).contains(QStringLiteral("excerpts")));
    setSpin(studio.find<QSpinBox>(QStringLiteral("sizeSpin")), 12);
    auto* similarity = studio.find<QDoubleSpinBox>(QStringLiteral("similarityThresholdSpin"));
    QCOMPARE(similarity->value(), 0.7);
    similarity->setValue(0.85);
    clickNext(studio);
    clickNext(studio);
    QCOMPARE(studio.window().wizard()->step(), DatasetWizard::Summary);
    QCOMPARE(studio.window().wizard()->draft().similarityThreshold, 0.85);
    auto* summary = studio.find<QTextBrowser>(QStringLiteral("summaryView"));
    QTRY_VERIFY2(summary->toPlainText().contains(QStringLiteral("2 in all")),
                 qPrintable(summary->toPlainText()));
    QVERIFY2(summary->toPlainText().contains(QStringLiteral("rejected above ROUGE-L F1 0.85")),
             qPrintable(summary->toPlainText()));
    QVERIFY(summary->toPlainText().contains(QStringLiteral("Generated_From")));
    QVERIFY(!shown(studio, QStringLiteral("summaryNotices")));
    QTRY_VERIFY(studio.find<QPlainTextEdit>(QStringLiteral("finalPromptView"))
                    ->toPlainText()
                    .contains(QStringLiteral("Quarterly report")));

    const auto state = generateAndWait(studio);
    QVERIFY2(state.status == RunStatus::Completed, qPrintable(state.error));
    QCOMPARE(state.datasetRows, 12);
    const auto dataset = readDataset(state.datasetPath);
    QCOMPARE(dataset.size(), std::size_t{12});
    std::set<std::string> origins;
    for (const auto& row : dataset) {
        QVERIFY2(row.contains("Generated_From") && row["Generated_From"].is_string(), row.dump().c_str());
        QVERIFY(!row.contains("Seeds"));
        origins.insert(row["Generated_From"].get<std::string>());
    }
    QCOMPARE(origins.size(), std::size_t{2});
}

void TestWorkflows::brokenDocumentIsShownAndTheRunUsesTheOthers() {
    QTemporaryDir dir;
    Studio studio(dir.path());
    standin::StandinServer server;
    server.start();
    useStandin(studio, server);
    startWizard(studio, QStringLiteral("One broken document"));
    if (QTest::currentTestFailed())
        return;

    // Only supported documents are taken.
    studio.dialogs().openFilesAnswers.push_back({documentPath("two_pages.pdf"), documentPath("corrupt.pdf"),
                                                 dir.filePath(QStringLiteral("notes.xlsx"))});
    click(studio.find<QPushButton>(QStringLiteral("addFilesButton")));
    QCOMPARE(studio.find<QListWidget>(QStringLiteral("filesList"))->count(), 2);
    QTRY_VERIFY(label(studio, QStringLiteral("filesError")).contains(QStringLiteral("corrupt.pdf")));
    QVERIFY(label(studio, QStringLiteral("filesError")).contains(QStringLiteral("notes.xlsx")));
    QVERIFY(label(studio, QStringLiteral("filesError")).contains(QStringLiteral("uses the other documents")));
    QVERIFY(label(studio, QStringLiteral("filesStatusLabel"))
                .contains(QStringLiteral("two_pages.pdf: 1 excerpt")));

    auto* preview = openPreview(studio);
    QVERIFY(preview);
    auto* items = preview->findChild<QListWidget*>(QStringLiteral("previewItemsList"));
    items->setCurrentRow(1);
    QVERIFY(preview->findChild<QLabel*>(QStringLiteral("previewDetailLabel"))
                ->text()
                .contains(QStringLiteral("corrupt.pdf")));
    QVERIFY(preview->findChild<QPlainTextEdit*>(QStringLiteral("previewText"))->toPlainText().isEmpty());
    preview->close();

    clickNext(studio);
    QTRY_COMPARE(studio.window().wizard()->step(), DatasetWizard::Prompt);
    setSpin(studio.find<QSpinBox>(QStringLiteral("sizeSpin")), 6);
    clickNext(studio);
    clickNext(studio);
    QCOMPARE(studio.window().wizard()->step(), DatasetWizard::Summary);
    QTRY_VERIFY(shown(studio, QStringLiteral("summaryNotices")));
    QVERIFY(label(studio, QStringLiteral("summaryNotices")).contains(QStringLiteral("corrupt.pdf")));

    const auto state = generateAndWait(studio);
    QVERIFY2(state.status == RunStatus::Completed, qPrintable(state.error));
    const auto dataset = readDataset(state.datasetPath);
    QCOMPARE(dataset.size(), std::size_t{6});
    for (const auto& row : dataset) {
        QVERIFY(row.contains("Generated_From"));
        QVERIFY2(row["Generated_From"].get<std::string>().find("corrupt") == std::string::npos,
                 row.dump().c_str());
    }

    // With only the broken file there is nothing to generate from: Next is refused.
    click(studio.find<QPushButton>(QStringLiteral("newDatasetButton")));
    QCOMPARE(studio.window().wizard()->step(), DatasetWizard::Configure);
    typeInto(studio.find<QLineEdit>(QStringLiteral("displayNameEdit")), QStringLiteral("Only broken"));
    studio.dialogs().openFilesAnswers.push_back({documentPath("corrupt.pdf")});
    click(studio.find<QPushButton>(QStringLiteral("addFilesButton")));
    QTRY_VERIFY(label(studio, QStringLiteral("filesError")).contains(QStringLiteral("No document has text")));
    clickNext(studio);
    QTest::qWait(200);
    QCOMPARE(studio.window().wizard()->step(), DatasetWizard::Configure);
    QVERIFY(shown(studio, QStringLiteral("filesError")));
}

void TestWorkflows::curationAnswersEveryElementOnce() {
    QTemporaryDir dir;
    Studio studio(dir.path());
    standin::StandinServer server;
    server.start();
    useStandin(studio, server);

    constexpr int kElements = 1000;
    nlohmann::json inputs = nlohmann::json::array();
    for (int i = 0; i < kElements; ++i)
        inputs.push_back(
            {{"id", i}, {"instruction", "Explain topic number " + std::to_string(i) + " briefly."}});
    const QString inputFile = dir.filePath(QStringLiteral("instructions.json"));
    QVERIFY(writeFileAtomically(inputFile.toStdString(), inputs.dump(1)).empty());

    startWizard(studio, QStringLiteral("Curated instructions"));
    if (QTest::currentTestFailed())
        return;
    selectData(studio.find<QComboBox>(QStringLiteral("workflowCombo")), QStringLiteral("curation"));
    QVERIFY(shown(studio, QStringLiteral("inputKeyEdit")));
    QVERIFY(!shown(studio, QStringLiteral("chunkSizeSpin")));
    QCOMPARE(studio.find<QLineEdit>(QStringLiteral("inputKeyEdit"))->text(), QStringLiteral("Prompt"));
    QCOMPARE(studio.find<QLineEdit>(QStringLiteral("outputKeyEdit"))->text(), QStringLiteral("Completion"));
    studio.dialogs().openFileAnswers.push_back(inputFile);
    click(studio.find<QPushButton>(QStringLiteral("addFilesButton")));
    // The default input field is not in these elements: the page says so.
    QTRY_VERIFY2(
        label(studio, QStringLiteral("filesError")).contains(QStringLiteral("no element has the field")),
        qPrintable(label(studio, QStringLiteral("filesError"))));
    clickNext(studio);
    QTest::qWait(100);
    QCOMPARE(studio.window().wizard()->step(), DatasetWizard::Configure);

    typeInto(studio.find<QLineEdit>(QStringLiteral("inputKeyEdit")), QStringLiteral("instruction"));
    typeInto(studio.find<QLineEdit>(QStringLiteral("outputKeyEdit")), QStringLiteral("answer"));
    QTRY_VERIFY2(label(studio, QStringLiteral("filesStatusLabel")).contains(thousandElements()),
                 qPrintable(label(studio, QStringLiteral("filesStatusLabel"))));
    QVERIFY(!shown(studio, QStringLiteral("filesError")));

    auto* preview = openPreview(studio);
    QVERIFY(preview);
    QVERIFY(preview->findChild<QLabel*>(QStringLiteral("previewSummaryLabel"))
                ->text()
                .contains(thousandElements()));
    QVERIFY(preview->findChild<QListWidget*>(QStringLiteral("previewItemsList"))->count() > 3);
    QCOMPARE(preview->findChild<QPlainTextEdit*>(QStringLiteral("previewText"))->toPlainText(),
             QStringLiteral("Explain topic number 0 briefly."));
    preview->close();

    clickNext(studio);
    QTRY_COMPARE(studio.window().wizard()->step(), DatasetWizard::Prompt);
    QVERIFY(!shown(studio, QStringLiteral("seedsBox")));
    QVERIFY(!shown(studio, QStringLiteral("suggestSeedsButton")));
    QVERIFY(!shown(studio, QStringLiteral("sizeSpin")));
    // The template's question-writing prompt does not fit curation: the instruction is the user's.
    auto* prompt = studio.find<QPlainTextEdit>(QStringLiteral("promptEdit"));
    QCOMPARE(prompt->toPlainText(), QString());
    clickNext(studio);
    QCOMPARE(studio.window().wizard()->step(), DatasetWizard::Prompt);
    QVERIFY(shown(studio, QStringLiteral("promptError")));
    prompt->setFocus();
    QTest::keyClicks(prompt, QStringLiteral("Answer the instruction in two sentences."));
    clickNext(studio);
    QCOMPARE(studio.window().wizard()->step(), DatasetWizard::Examples);
    QVERIFY(label(studio, QStringLiteral("examplesHint")).contains(QStringLiteral("input/output pairs")));
    clickNext(studio);
    QCOMPARE(studio.window().wizard()->step(), DatasetWizard::Summary);
    auto* summary = studio.find<QTextBrowser>(QStringLiteral("summaryView"));
    QTRY_VERIFY2(summary->toPlainText().contains(thousandElements() + QStringLiteral(", 0 skipped")),
                 qPrintable(summary->toPlainText()));
    QVERIFY(summary->toPlainText().contains(QStringLiteral("answer")));
    QVERIFY(studio.find<QPlainTextEdit>(QStringLiteral("finalPromptView"))
                ->toPlainText()
                .contains(QStringLiteral("Explain topic number 0 briefly.")));
    const JobSpec draft = studio.window().wizard()->draft();
    QVERIFY(draft.workflow == Workflow::CustomDataCuration);
    QCOMPARE(draft.inputKey, std::string("instruction"));
    QCOMPARE(draft.outputKeys.completion, std::string("answer"));
    QVERIFY(draft.seeds.empty());

    const auto state = generateAndWait(studio);
    QVERIFY2(state.status == RunStatus::Completed, qPrintable(state.error));
    const auto dataset = readDataset(state.datasetPath);
    QCOMPARE(dataset.size(), std::size_t{kElements});
    std::set<int> ids;
    for (const auto& row : dataset) {
        QVERIFY2(row.contains("answer") && row["answer"].is_string() &&
                     !row["answer"].get<std::string>().empty(),
                 row.dump().c_str());
        const int id = row.at("id").get<int>();
        QCOMPARE(row.at("instruction").get<std::string>(),
                 inputs[static_cast<std::size_t>(id)]["instruction"]);
        ids.insert(id);
    }
    QCOMPARE(ids.size(), std::size_t{kElements});
}

void TestWorkflows::malformedCurationFileIsRefusedWithItsPosition() {
    QTemporaryDir dir;
    Studio studio(dir.path());
    standin::StandinServer server;
    server.start();
    useStandin(studio, server);
    const QString bad = dir.filePath(QStringLiteral("bad.json"));
    QVERIFY(writeFileAtomically(bad.toStdString(),
                                "[\n  {\"Prompt\": \"one\"},\n  {\"Prompt\": \"two\" \"x\"}\n]\n")
                .empty());

    startWizard(studio, QStringLiteral("Malformed input"));
    if (QTest::currentTestFailed())
        return;
    selectData(studio.find<QComboBox>(QStringLiteral("workflowCombo")), QStringLiteral("curation"));
    studio.dialogs().openFileAnswers.push_back(bad);
    click(studio.find<QPushButton>(QStringLiteral("addFilesButton")));
    // Next while the file is being checked: the wizard stays, and the position shows next to the field.
    clickNext(studio);
    QTRY_VERIFY(shown(studio, QStringLiteral("filesError")));
    const QString error = label(studio, QStringLiteral("filesError"));
    QVERIFY2(QRegularExpression(QStringLiteral("bad\\.json:3:\\d+: ")).match(error).hasMatch(),
             qPrintable(error));
    QTest::qWait(200);
    QCOMPARE(studio.window().wizard()->step(), DatasetWizard::Configure);
    clickNext(studio);
    QTest::qWait(200);
    QCOMPARE(studio.window().wizard()->step(), DatasetWizard::Configure);
    QVERIFY(label(studio, QStringLiteral("filesError")).contains(QStringLiteral("bad.json:3:")));

    auto* preview = openPreview(studio);
    QVERIFY(preview);
    QVERIFY(preview->findChild<QLabel*>(QStringLiteral("previewSummaryLabel"))
                ->text()
                .contains(QStringLiteral("bad.json:3:")));
    preview->close();

    // A fixed file is taken.
    QVERIFY(
        writeFileAtomically(bad.toStdString(), "[{\"Prompt\": \"one\"}, {\"Prompt\": \"two\"}, {\"x\": 3}]\n")
            .empty());
    studio.dialogs().openFileAnswers.push_back(bad);
    click(studio.find<QPushButton>(QStringLiteral("addFilesButton")));
    QTRY_VERIFY2(label(studio, QStringLiteral("filesStatusLabel")).contains(QStringLiteral("#3")),
                 qPrintable(label(studio, QStringLiteral("filesStatusLabel"))));
    QVERIFY(!shown(studio, QStringLiteral("filesError")));
    clickNext(studio);
    QTRY_COMPARE(studio.window().wizard()->step(), DatasetWizard::Prompt);
    QCOMPARE(studio.window().wizard()->draft().size, 2);
}

void TestWorkflows::generatePromptFillsTheEditorUndoably() {
    QTemporaryDir dir;
    Studio studio(dir.path());
    standin::StandinServer server;
    server.start();
    useStandin(studio, server);
    startWizard(studio, QStringLiteral("Prompt from the model"));
    if (QTest::currentTestFailed())
        return;
    clickNext(studio);
    QCOMPARE(studio.window().wizard()->step(), DatasetWizard::Prompt);
    auto* prompt = studio.find<QPlainTextEdit>(QStringLiteral("promptEdit"));
    const QString before = prompt->toPlainText();
    QVERIFY(!before.isEmpty());

    click(studio.find<QPushButton>(QStringLiteral("generatePromptButton")));
    auto* dialog = studio.find<gui::PromptSuggestionDialog>(QStringLiteral("promptSuggestionDialog"));
    QVERIFY(dialog);
    auto* use = dialog->findChild<QPushButton*>(QStringLiteral("useSuggestedPromptButton"));
    QVERIFY(!use->isEnabled());
    // A use case is needed first.
    click(dialog->findChild<QPushButton*>(QStringLiteral("askModelButton")));
    QVERIFY(dialog->findChild<QLabel*>(QStringLiteral("suggestionStatusLabel"))
                ->text()
                .contains(QStringLiteral("what the dataset is for")));
    typeInto(dialog->findChild<QLineEdit*>(QStringLiteral("useCaseEdit")),
             QStringLiteral("Questions new employees ask about the expense policy"));
    click(dialog->findChild<QPushButton*>(QStringLiteral("askModelButton")));
    QVERIFY(dialog->busy());
    auto* suggested = dialog->findChild<QPlainTextEdit*>(QStringLiteral("suggestedPromptEdit"));
    QTRY_VERIFY_WITH_TIMEOUT(!dialog->busy(), 30000);
    QVERIFY2(!suggested->toPlainText().isEmpty(),
             qPrintable(dialog->findChild<QLabel*>(QStringLiteral("suggestionStatusLabel"))->text()));
    // Shown first: the editor still has the old prompt.
    QCOMPARE(prompt->toPlainText(), before);
    suggested->moveCursor(QTextCursor::End);
    suggested->insertPlainText(QStringLiteral(" Keep answers short."));
    const QString chosen = suggested->toPlainText();
    QVERIFY(use->isEnabled());
    click(use);
    QTRY_VERIFY(!studio.find<QDialog>(QStringLiteral("promptSuggestionDialog")));
    QCOMPARE(prompt->toPlainText(), chosen);
    prompt->undo();
    QCOMPARE(prompt->toPlainText(), before);
    prompt->redo();
    QCOMPARE(prompt->toPlainText(), chosen);
    clickNext(studio);
    QCOMPARE(studio.window().wizard()->draft().prompt, chosen.toStdString());

    // Cancelling a slow answer leaves the editor alone; the use case is remembered.
    click(studio.find<QPushButton>(QStringLiteral("backButton")));
    standin::StandinOptions slow;
    slow.latency = std::chrono::seconds(20);
    server.setOptions(slow);
    click(studio.find<QPushButton>(QStringLiteral("generatePromptButton")));
    dialog = studio.find<gui::PromptSuggestionDialog>(QStringLiteral("promptSuggestionDialog"));
    QVERIFY(dialog);
    QCOMPARE(dialog->findChild<QLineEdit*>(QStringLiteral("useCaseEdit"))->text(),
             QStringLiteral("Questions new employees ask about the expense policy"));
    click(dialog->findChild<QPushButton*>(QStringLiteral("askModelButton")));
    QVERIFY(dialog->busy());
    QTest::qWait(300);
    QElapsedTimer cancelling;
    cancelling.start();
    click(dialog->findChild<QPushButton*>(QStringLiteral("cancelSuggestionButton")));
    QTRY_VERIFY_WITH_TIMEOUT(!dialog->busy(), 10000);
    QVERIFY2(cancelling.elapsed() < 5000, qPrintable(QString::number(cancelling.elapsed())));
    QCOMPARE(dialog->findChild<QLabel*>(QStringLiteral("suggestionStatusLabel"))->text(),
             QStringLiteral("Cancelled."));
    QVERIFY(!dialog->findChild<QPushButton*>(QStringLiteral("useSuggestedPromptButton"))->isEnabled());
    click(dialog->findChild<QPushButton*>(QStringLiteral("closeSuggestionButton")));
    QTRY_VERIFY(!studio.find<QDialog>(QStringLiteral("promptSuggestionDialog")));
    QCOMPARE(prompt->toPlainText(), chosen);
}

void TestWorkflows::suggestSeedsAddsOnlyTheCheckedOnes() {
    QTemporaryDir dir;
    Studio studio(dir.path());
    standin::StandinServer server;
    server.start();
    useStandin(studio, server);
    startWizard(studio, QStringLiteral("Seeds from the model"));
    if (QTest::currentTestFailed())
        return;
    clickNext(studio);
    QCOMPARE(studio.window().wizard()->step(), DatasetWizard::Prompt);
    auto* seeds = studio.find<QListWidget>(QStringLiteral("seedsList"));
    const int before = seeds->count();
    QVERIFY(before > 0);
    QVERIFY(shown(studio, QStringLiteral("suggestSeedsButton")));

    click(studio.find<QPushButton>(QStringLiteral("suggestSeedsButton")));
    auto* dialog = studio.find<gui::SeedSuggestionDialog>(QStringLiteral("seedSuggestionDialog"));
    QVERIFY(dialog);
    auto* count = dialog->findChild<QSpinBox*>(QStringLiteral("seedCountSpin"));
    QCOMPARE(count->value(), 10);
    setSpin(count, 4);
    typeInto(dialog->findChild<QLineEdit*>(QStringLiteral("useCaseEdit")),
             QStringLiteral("Python questions for data engineers"));
    click(dialog->findChild<QPushButton*>(QStringLiteral("askModelButton")));
    auto* list = dialog->findChild<QListWidget*>(QStringLiteral("suggestedSeedsList"));
    QTRY_VERIFY_WITH_TIMEOUT(!dialog->busy(), 30000);
    QVERIFY2(list->count() == 4,
             qPrintable(dialog->findChild<QLabel*>(QStringLiteral("suggestionStatusLabel"))->text()));
    QStringList listed;
    for (int i = 0; i < seeds->count(); ++i)
        listed << seeds->item(i)->text();
    for (int i = 0; i < list->count(); ++i) {
        QCOMPARE(list->item(i)->checkState(), Qt::Checked);
        QVERIFY(!listed.contains(list->item(i)->text()));
    }
    list->item(1)->setCheckState(Qt::Unchecked);
    list->item(3)->setCheckState(Qt::Unchecked);
    const QStringList kept = {list->item(0)->text(), list->item(2)->text()};
    const QStringList dropped = {list->item(1)->text(), list->item(3)->text()};
    auto* add = dialog->findChild<QPushButton*>(QStringLiteral("addCheckedSeedsButton"));
    QVERIFY(add->text().contains(QStringLiteral("2 seeds")));
    click(add);
    QTRY_VERIFY(!studio.find<QDialog>(QStringLiteral("seedSuggestionDialog")));
    QCOMPARE(seeds->count(), before + 2);
    QCOMPARE(seeds->item(before)->text(), kept[0]);
    QCOMPARE(seeds->item(before + 1)->text(), kept[1]);
    for (int i = 0; i < seeds->count(); ++i)
        QVERIFY(!dropped.contains(seeds->item(i)->text()));
    QCOMPARE(label(studio, QStringLiteral("seedsCountLabel")), QStringLiteral("%1 seeds").arg(before + 2));
    clickNext(studio);
    QCOMPARE(studio.window().wizard()->draft().seeds.size(), static_cast<std::size_t>(before + 2));
}

int main(int argc, char** argv) {
    return runGuiTests(argc, argv, [] { return std::make_unique<TestWorkflows>(); });
}

#include "workflows_gui_test.moc"
