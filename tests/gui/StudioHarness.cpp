#include "StudioHarness.h"

#include "gui/DatasetWizard.h"
#include "standin/StandinServer.h"

#include <QAbstractButton>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QPushButton>
#include <QTimer>
#include <spdlog/spdlog.h>

namespace sds::testing {

void FakeKeychain::read(const QString& key, ReadDone done) {
    QTimer::singleShot(0, &m_context, [storage = m_storage, key, done = std::move(done)] {
        if (!storage->available)
            return done(Outcome::Unavailable, {}, QStringLiteral("no keychain service in the test"));
        const auto found = storage->entries.find(key);
        if (found == storage->entries.end())
            return done(Outcome::NotFound, {}, {});
        done(Outcome::Ok, found->second, {});
    });
}

void FakeKeychain::write(const QString& key, const QString& value, WriteDone done) {
    QTimer::singleShot(0, &m_context, [storage = m_storage, key, value, done = std::move(done)] {
        if (!storage->available)
            return done(Outcome::Unavailable, QStringLiteral("no keychain service in the test"));
        storage->entries[key] = value;
        ++storage->writes;
        done(Outcome::Ok, {});
    });
}

void FakeKeychain::remove(const QString& key, WriteDone done) {
    QTimer::singleShot(0, &m_context, [storage = m_storage, key, done = std::move(done)] {
        if (!storage->available)
            return done(Outcome::Unavailable, QStringLiteral("no keychain service in the test"));
        storage->entries.erase(key);
        done(Outcome::Ok, {});
    });
}

QString ScriptedDialogs::openFile(QWidget*, const QString&, const QString&, const QString&) {
    if (openFileAnswers.empty())
        return {};
    QString answer = openFileAnswers.front();
    openFileAnswers.pop_front();
    return answer;
}

QStringList ScriptedDialogs::openFiles(QWidget*, const QString&, const QString&, const QString&) {
    if (openFilesAnswers.empty())
        return {};
    QStringList answer = openFilesAnswers.front();
    openFilesAnswers.pop_front();
    return answer;
}

QString ScriptedDialogs::saveFile(QWidget*, const QString&, const QString&, const QString&) {
    if (saveFileAnswers.empty())
        return {};
    QString answer = saveFileAnswers.front();
    saveFileAnswers.pop_front();
    return answer;
}

std::optional<QString> ScriptedDialogs::text(QWidget*, const QString&, const QString&, const QString&) {
    if (textAnswers.empty())
        return std::nullopt;
    const bool answered = textAnswers.front().has_value();
    QString value = textAnswers.front().value_or(QString());
    textAnswers.pop_front();
    if (!answered)
        return std::nullopt;
    return value;
}

gui::Dialogs::DeleteAnswer ScriptedDialogs::confirmDelete(QWidget*, const QString&, const QString&) {
    if (deleteAnswers.empty())
        return {};
    auto answer = deleteAnswers.front();
    deleteAnswers.pop_front();
    return answer;
}

void isolateEnvironment(const QString& root) {
    const QByteArray base = root.toUtf8();
    qputenv("HOME", base + "/home");
    qputenv("XDG_CONFIG_HOME", base + "/config");
    qputenv("XDG_CACHE_HOME", base + "/cache");
    qputenv("SDS_PROJECT_DIR", base + "/project");
    qunsetenv("SDS_CACHE_DIR");
    for (const char* name : {"OPENAI_API_KEY", "OPENAI_BASE_URL", "CDP_TOKEN", "AWS_ACCESS_KEY_ID",
                             "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"})
        qunsetenv(name);
}

Studio::Studio(const QString& folder, std::shared_ptr<FakeKeychain::Storage> keychain)
    : m_keychain(keychain ? std::move(keychain) : std::make_shared<FakeKeychain::Storage>()) {
    isolateEnvironment(folder);
    gui::Dialogs::install(&m_dialogs);
    m_context = std::make_unique<gui::AppContext>(std::make_unique<FakeKeychain>(m_keychain),
                                                  folder + QStringLiteral("/config/sds-studio.conf"));
    if (const QString error = m_context->openProject(); !error.isEmpty())
        qFatal("cannot open the test project: %s", qPrintable(error));
    m_window = std::make_unique<gui::MainWindow>(*m_context);
    m_window->show();
    if (!QTest::qWaitForWindowExposed(m_window.get()))
        qWarning("the main window was not exposed");
}

Studio::~Studio() {
    m_window.reset();
    m_context.reset();
    gui::Dialogs::install(nullptr);
}

void click(QWidget* widget) {
    if (!widget)
        qFatal("click: no widget");
    QTest::mouseClick(widget, Qt::LeftButton, Qt::NoModifier, widget->rect().center());
}

void typeInto(QLineEdit* line, const QString& text) {
    if (!line)
        qFatal("typeInto: no line edit");
    line->setFocus();
    line->selectAll();
    QTest::keyClick(line, Qt::Key_Delete);
    QTest::keyClicks(line, text);
}

void selectData(QComboBox* combo, const QString& data) {
    if (!combo)
        qFatal("selectData: no combo box");
    const int index = combo->findData(data);
    if (index < 0)
        qFatal("selectData: no item %s", qPrintable(data));
    combo->setFocus();
    combo->setCurrentIndex(index);
}

void setSpin(QSpinBox* spin, int value) {
    if (!spin)
        qFatal("setSpin: no spin box");
    spin->setFocus();
    spin->selectAll();
    QTest::keyClicks(spin, QString::number(value));
    QTest::keyClick(spin, Qt::Key_Tab);
}

QString label(const Studio& studio, const QString& name) {
    const auto* found = studio.find<QLabel>(name);
    return found ? found->text() : QStringLiteral("<no label %1>").arg(name);
}

bool shown(const Studio& studio, const QString& name) {
    const auto* widget = studio.find<QWidget>(name);
    return widget && widget->isVisible();
}

void clickNavigation(Studio& studio, int row) {
    auto* navigation = studio.find<QListWidget>(QStringLiteral("navigationList"));
    QVERIFY(navigation);
    QTest::mouseClick(navigation->viewport(), Qt::LeftButton, Qt::NoModifier,
                      navigation->visualItemRect(navigation->item(row)).center());
}

void useStandin(Studio& studio, const standin::StandinServer& server) {
    clickNavigation(studio, 3);
    QCOMPARE(studio.window().section(), gui::MainWindow::Section::Settings);
    typeInto(studio.find<QLineEdit>(QStringLiteral("openAiBaseUrlEdit")),
             QString::fromStdString(server.baseUrl() + "/v1"));
    click(studio.find<QPushButton>(QStringLiteral("saveSettingsButton")));
    QCOMPARE(label(studio, QStringLiteral("settingsStatusLabel")), QStringLiteral("Settings saved."));
}

void walkToSummary(Studio& studio, const QString& name, int size, int concurrency) {
    clickNavigation(studio, 0);
    click(studio.find<QPushButton>(QStringLiteral("createDatasetButton")));
    auto* wizard = studio.window().wizard();
    QCOMPARE(studio.window().section(), gui::MainWindow::Section::CreateDataset);
    QCOMPARE(wizard->step(), gui::DatasetWizard::Configure);
    typeInto(studio.find<QLineEdit>(QStringLiteral("displayNameEdit")), name);
    selectData(studio.find<QComboBox>(QStringLiteral("providerCombo")), QStringLiteral("openai"));
    auto* model = studio.find<QComboBox>(QStringLiteral("modelCombo"));
    QTRY_VERIFY(model->findData(QStringLiteral("standin-model")) >= 0);
    selectData(model, QStringLiteral("standin-model"));
    click(studio.find<QPushButton>(QStringLiteral("nextButton")));
    QCOMPARE(wizard->step(), gui::DatasetWizard::Prompt);
    setSpin(studio.find<QSpinBox>(QStringLiteral("sizeSpin")), size);
    if (concurrency > 0)
        setSpin(studio.find<QSpinBox>(QStringLiteral("concurrencySpin")), concurrency);
    click(studio.find<QPushButton>(QStringLiteral("nextButton")));
    QCOMPARE(wizard->step(), gui::DatasetWizard::Examples);
    click(studio.find<QPushButton>(QStringLiteral("nextButton")));
    QCOMPARE(wizard->step(), gui::DatasetWizard::Summary);
}

int runGuiTests(int argc, char** argv, const std::function<std::unique_ptr<QObject>()>& makeTest) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QTemporaryDir startup;
    isolateEnvironment(startup.path());
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("SyntheticDataStudio"));
    QApplication::setApplicationName(QStringLiteral("sds-studio"));
    QLocale::setDefault(QLocale::c());
    spdlog::set_level(spdlog::level::err);
    const auto test = makeTest();
    return QTest::qExec(test.get(), argc, argv);
}

} // namespace sds::testing
