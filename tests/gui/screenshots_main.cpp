// sds-screenshots DIR: drives sds-studio against an in-process stand-in provider service under the offscreen
// platform and saves a PNG of every page, and of the Generations list with real runs in it, into DIR.

#include "StudioHarness.h"
#include "gui/DatasetWizard.h"
#include "gui/EvaluationController.h"
#include "gui/EvaluationView.h"
#include "gui/GenerationsPage.h"
#include "gui/RowsModel.h"
#include "gui/RunController.h"
#include "gui/RunOutputView.h"
#include "standin/StandinServer.h"

#include <QCheckBox>
#include <QDialog>
#include <QDir>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QToolButton>
#include <cstdio>
#include <spdlog/spdlog.h>

using namespace sds;
using namespace sds::testing;
using Section = gui::MainWindow::Section;

namespace {

constexpr int kTimeoutMs = 60000;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "sds-screenshots: %s\n", what);
    std::exit(1);
}

template <typename T> T* need(Studio& studio, const char* name) {
    auto* found = studio.find<T>(QString::fromUtf8(name));
    if (!found)
        fail(name);
    return found;
}

void waitFor(const std::function<bool()>& condition, const char* what) {
    if (!QTest::qWaitFor(condition, kTimeoutMs))
        fail(what);
}

void save(Studio& studio, const QDir& folder, const char* name) {
    QTest::qWait(150); // let layouts and fonts settle
    const QString file = folder.filePath(QString::fromUtf8(name));
    if (!studio.window().grab().save(file))
        fail(name);
    std::printf("%s\n", qPrintable(file));
}

void saveWidget(QWidget* widget, const QDir& folder, const char* name) {
    QTest::qWait(150);
    const QString file = folder.filePath(QString::fromUtf8(name));
    if (!widget->grab().save(file))
        fail(name);
    std::printf("%s\n", qPrintable(file));
}

QDialog* shownDialog(Studio& studio, const char* name) {
    QDialog* found = nullptr;
    waitFor(
        [&] {
            for (auto* dialog : studio.window().findChildren<QDialog*>(QString::fromUtf8(name)))
                if (dialog->isVisible())
                    found = dialog;
            return found != nullptr;
        },
        name);
    return found;
}

void navigate(Studio& studio, int row) {
    auto* navigation = need<QListWidget>(studio, "navigationList");
    QTest::mouseClick(navigation->viewport(), Qt::LeftButton, Qt::NoModifier,
                      navigation->visualItemRect(navigation->item(row)).center());
}

// Home -> Configure with the stand-in as an OpenAI-compatible server.
void configure(Studio& studio, const char* templateButton, const char* name) {
    navigate(studio, 0);
    click(need<QPushButton>(studio, templateButton));
    typeInto(need<QLineEdit>(studio, "displayNameEdit"), QString::fromUtf8(name));
    selectData(need<QComboBox>(studio, "providerCombo"), QStringLiteral("openai"));
    auto* model = need<QComboBox>(studio, "modelCombo");
    waitFor([model] { return model->findData(QStringLiteral("standin-model")) >= 0; },
            "the stand-in's models");
    selectData(model, QStringLiteral("standin-model"));
}

void next(Studio& studio) {
    click(need<QPushButton>(studio, "nextButton"));
}

bool finished(gui::RunOutputView* view) {
    return !view->findChild<QPushButton*>(QStringLiteral("cancelRunButton"))->isVisible();
}

} // namespace

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    if (argc != 2) {
        std::fprintf(stderr, "usage: sds-screenshots OUTPUT_DIR\n");
        return 2;
    }
    QTemporaryDir work;
    isolateEnvironment(work.path());
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("SyntheticDataStudio"));
    QApplication::setApplicationName(QStringLiteral("sds-studio"));
    QApplication::setFont(QFont(QStringLiteral("DejaVu Sans"), 10));
    spdlog::set_level(spdlog::level::err);
    const QDir folder(QString::fromLocal8Bit(argv[1]));
    if (!folder.mkpath(QStringLiteral(".")))
        fail("cannot create the output folder");

    standin::StandinOptions options;
    options.latency = std::chrono::milliseconds(120);
    options.latencyJitter = std::chrono::milliseconds(120);
    standin::StandinServer server(options);
    server.start();

    Studio studio(work.path());
    studio.window().resize(1480, 900);
    navigate(studio, 3);
    typeInto(need<QLineEdit>(studio, "openAiBaseUrlEdit"), QString::fromStdString(server.baseUrl() + "/v1"));
    click(need<QPushButton>(studio, "saveSettingsButton"));

    // A finished Text to SQL run and a cancelled Custom run, for the Generations list.
    configure(studio, "templateButton_text_to_sql", "Orders database questions");
    next(studio);
    setSpin(need<QSpinBox>(studio, "sizeSpin"), 24);
    next(studio);
    next(studio);
    click(need<QPushButton>(studio, "generateButton"));
    auto* output = studio.window().wizard()->output();
    waitFor([output] { return finished(output); }, "the Text to SQL run");
    const QString sqlRun = output->runId();

    configure(studio, "templateButton_custom", "Support answers (cancelled)");
    next(studio);
    setSpin(need<QSpinBox>(studio, "sizeSpin"), 300);
    setSpin(need<QSpinBox>(studio, "concurrencySpin"), 2);
    next(studio);
    next(studio);
    click(need<QPushButton>(studio, "generateButton"));
    waitFor([output] { return output->rowsModel()->rowCount() >= 12; }, "rows of the run to cancel");
    click(output->findChild<QPushButton*>(QStringLiteral("cancelRunButton")));
    waitFor([output] { return finished(output); }, "the cancelled run");

    // The pages of the wizard, with the Code Generation template.
    configure(studio, "templateButton_code_generation", "Flask tutorial Q&A");
    save(studio, folder, "02-configure.png");
    next(studio);
    setSpin(need<QSpinBox>(studio, "sizeSpin"), 60);
    setSpin(need<QSpinBox>(studio, "concurrencySpin"), 3);
    save(studio, folder, "03-prompt.png");
    next(studio);
    auto* examples = need<QTableView>(studio, "examplesTable");
    examples->selectRow(0);
    save(studio, folder, "04-examples.png");
    next(studio);
    save(studio, folder, "05-summary.png");
    click(need<QPushButton>(studio, "generateButton"));
    waitFor([output] { return output->rowsModel()->rowCount() >= 20; }, "rows of the running generation");
    auto* rows = output->findChild<QTableView*>(QStringLiteral("rowsTable"));
    rows->selectRow(1);
    save(studio, folder, "06-output-running.png");
    waitFor([output] { return finished(output); }, "the Code Generation run");
    rows->selectRow(2);
    save(studio, folder, "07-output-finished.png");

    navigate(studio, 2);
    auto* generations = need<QTableView>(studio, "generationsTable");
    waitFor([generations] { return generations->model()->rowCount() == 3; }, "three generations listed");
    generations->selectRow(1);
    save(studio, folder, "08-generations.png");

    // The Text to SQL run judged by the stand-in: the Evaluation view, its validation tab, the export dialog.
    if (!studio.window().generations()->selectRun(sqlRun))
        fail("the Text to SQL run in the list");
    click(need<QToolButton>(studio, "evaluateButton"));
    auto* evaluate = shownDialog(studio, "evaluationDialog");
    auto* judge = evaluate->findChild<QComboBox*>(QStringLiteral("judgeModelCombo"));
    waitFor([judge] { return judge->findData(QStringLiteral("standin-model")) >= 0; }, "the judge's models");
    selectData(judge, QStringLiteral("standin-model"));
    saveWidget(evaluate, folder, "evaluation-dialog.png");
    click(evaluate->findChild<QPushButton*>(QStringLiteral("startEvaluationButton")));
    auto* evaluation = studio.window().evaluationView();
    waitFor([&studio, sqlRun] { return !studio.window().evaluations().isActive(sqlRun); }, "the evaluation");
    waitFor([evaluation] { return evaluation->rowsModel()->rowCount() == 24; }, "the scored rows");
    evaluation->findChild<QTableView*>(QStringLiteral("judgedRowsTable"))->selectRow(0);
    save(studio, folder, "evaluation.png");
    auto* tabs = evaluation->findChild<QTabWidget*>(QStringLiteral("evaluationTabs"));
    tabs->setCurrentIndex(1);
    auto* failures = evaluation->findChild<QTableWidget*>(QStringLiteral("failedRowsTable"));
    waitFor([failures] { return failures->rowCount() > 0; }, "the rows that failed validation");
    failures->setCurrentCell(0, 0);
    save(studio, folder, "evaluation-validation.png");
    tabs->setCurrentIndex(0);
    click(need<QPushButton>(studio, "evaluationExportButton"));
    auto* exporting = shownDialog(studio, "exportDialog");
    click(exporting->findChild<QCheckBox*>(QStringLiteral("exportSplitCheck")));
    click(exporting->findChild<QPushButton*>(QStringLiteral("startExportButton")));
    auto* exported = exporting->findChild<QLabel*>(QStringLiteral("exportResultLabel"));
    waitFor([exported] { return exported->text().startsWith(QStringLiteral("Exported")); }, "the export");
    saveWidget(exporting, folder, "evaluation-export.png");
    exporting->close();

    navigate(studio, 3);
    click(need<QPushButton>(studio, "testOpenAiButton"));
    auto* result = need<QLabel>(studio, "testOpenAiResult");
    waitFor([result] { return result->text().startsWith(QStringLiteral("Connected")); },
            "the connection test");
    save(studio, folder, "09-settings.png");

    // Generating from documents: the Configure page with two files, and the preview of their text.
    configure(studio, "templateButton_custom", "Quarterly report Q&A");
    studio.dialogs().openFilesAnswers.push_back(
        {QStringLiteral(SDS_TEST_DATA_DIR "/documents/two_pages.pdf"),
         QStringLiteral(SDS_TEST_DATA_DIR "/documents/paragraphs_list_table.docx")});
    click(need<QPushButton>(studio, "addFilesButton"));
    auto* filesStatus = need<QLabel>(studio, "filesStatusLabel");
    waitFor([filesStatus] { return filesStatus->text().contains(QStringLiteral("excerpt")); },
            "the documents' excerpts");
    save(studio, folder, "11-configure-documents.png");
    click(need<QPushButton>(studio, "previewFilesButton"));
    auto* preview = shownDialog(studio, "documentPreviewDialog");
    auto* previewItems = preview->findChild<QListWidget*>(QStringLiteral("previewItemsList"));
    waitFor([previewItems] { return previewItems->count() == 2; }, "the preview");
    previewItems->setCurrentRow(1);
    saveWidget(preview, folder, "12-document-preview.png");
    preview->close();

    // What a page says when its input is wrong.
    configure(studio, "templateButton_text_to_sql", "");
    selectData(need<QComboBox>(studio, "workflowCombo"), QStringLiteral("curation"));
    next(studio);
    save(studio, folder, "10-configure-validation.png");

    navigate(studio, 0);
    save(studio, folder, "01-home.png");
    return 0;
}
