#pragma once

// Shared by the GUI tests and the screenshot tool: an isolated app (project, settings and keychain in a
// temporary folder), dialogs answered by script, and helpers that drive widgets by object name.

#include "gui/AppContext.h"
#include "gui/Dialogs.h"
#include "gui/MainWindow.h"
#include "gui/SecretStore.h"

#include <QApplication>
#include <QComboBox>
#include <QLineEdit>
#include <QSpinBox>
#include <QString>
#include <QTemporaryDir>
#include <QTest>
#include <QWidget>
#include <deque>
#include <functional>
#include <map>
#include <memory>

namespace sds::standin {
class StandinServer;
}

namespace sds::testing {

// A keychain in memory, shared across restarts of the app in one test; or none at all.
class FakeKeychain final : public gui::SecretBackend {
public:
    struct Storage {
        bool available = true;
        std::map<QString, QString> entries;
        int writes = 0;
    };
    explicit FakeKeychain(std::shared_ptr<Storage> storage) : m_storage(std::move(storage)) {}

    void read(const QString& key, ReadDone done) override;
    void write(const QString& key, const QString& value, WriteDone done) override;
    void remove(const QString& key, WriteDone done) override;

private:
    std::shared_ptr<Storage> m_storage;
    QObject m_context;
};

class ScriptedDialogs final : public gui::Dialogs {
public:
    std::deque<QString> openFileAnswers;
    std::deque<QStringList> openFilesAnswers;
    std::deque<QString> saveFileAnswers;
    std::deque<std::optional<QString>> textAnswers;
    std::deque<DeleteAnswer> deleteAnswers;
    CloseAnswer closeAnswer = CloseAnswer::StayOpen;
    QStringList openedFolders;
    int closeQuestions = 0;

    QString openFile(QWidget*, const QString&, const QString&, const QString&) override;
    QStringList openFiles(QWidget*, const QString&, const QString&, const QString&) override;
    QString saveFile(QWidget*, const QString&, const QString&, const QString&) override;
    QString folder(QWidget*, const QString&, const QString&) override { return {}; }
    std::optional<QString> text(QWidget*, const QString&, const QString&, const QString&) override;
    DeleteAnswer confirmDelete(QWidget*, const QString&, const QString&) override;
    CloseAnswer closeDuringRuns(QWidget*, int) override {
        ++closeQuestions;
        return closeAnswer;
    }
    void openFolder(const QString& path) override { openedFolders << path; }
};

// Points HOME, XDG_CONFIG_HOME, XDG_CACHE_HOME and SDS_PROJECT_DIR into `root` so nothing of the user's
// is read or written.
void isolateEnvironment(const QString& root);

// One app: context and main window over the project in `folder`, with the given keychain.
class Studio {
public:
    explicit Studio(const QString& folder, std::shared_ptr<FakeKeychain::Storage> keychain = nullptr);
    ~Studio();
    Studio(const Studio&) = delete;
    Studio& operator=(const Studio&) = delete;

    gui::AppContext& context() { return *m_context; }
    gui::MainWindow& window() { return *m_window; }
    ScriptedDialogs& dialogs() { return m_dialogs; }
    std::shared_ptr<FakeKeychain::Storage> keychain() const { return m_keychain; }

    template <typename T> T* find(const QString& name) const { return m_window->findChild<T*>(name); }

private:
    std::shared_ptr<FakeKeychain::Storage> m_keychain;
    ScriptedDialogs m_dialogs;
    std::unique_ptr<gui::AppContext> m_context;
    std::unique_ptr<gui::MainWindow> m_window;
};

// Reading and navigating the app by object name.
QString label(const Studio& studio, const QString& name); // "<no label NAME>" when there is none
bool shown(const Studio& studio, const QString& name);
void clickNavigation(Studio& studio, int row); // Home 0, Create Dataset 1, Generations 2, Settings 3
// Settings: the OpenAI-compatible base URL points at `server`.
void useStandin(Studio& studio, const standin::StandinServer& server);
// Home -> Configure (OpenAI-compatible, standin-model) -> Prompt (size, and concurrency when not 0) ->
// Examples -> Summary.
void walkToSummary(Studio& studio, const QString& name, int size, int concurrency = 0);

// The main() of a GUI test executable: offscreen unless a platform is set, the environment isolated, an
// application named as the real one, then QTest::qExec on the object `makeTest` creates.
int runGuiTests(int argc, char** argv, const std::function<std::unique_ptr<QObject>()>& makeTest);

// Real input: a mouse click, or typing after select-all.
void click(QWidget* widget);
void typeInto(QLineEdit* line, const QString& text);
void selectData(QComboBox* combo, const QString& data);
void setSpin(QSpinBox* spin, int value);

} // namespace sds::testing
