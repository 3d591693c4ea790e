#pragma once

#include <QObject>
#include <QString>
#include <filesystem>

class QLocalServer;

namespace sds::gui {

class MainWindow;

// One app per user and project folder. The first launch listens on a local socket named after the folder;
// a later launch on the same folder asks it to show its window (hidden while runs go on in the
// background, or behind other windows) and exits. Works without a system tray, offscreen too.
class InstanceServer : public QObject {
    Q_OBJECT
public:
    explicit InstanceServer(MainWindow& window, QObject* parent = nullptr);

    // Answers later launches on `serverName` (instead of the name it answered on before), replacing a
    // socket left by an app that crashed; an error, empty on success.
    [[nodiscard]] QString listen(const QString& serverName);

    // The socket name for the app on `projectRoot`.
    [[nodiscard]] static QString serverNameFor(const std::filesystem::path& projectRoot);
    // From a later launch: true when an app is serving `serverName` and has shown its window. Blocks up to
    // `timeoutMs`; call it before the event loop runs.
    [[nodiscard]] static bool askRunningInstanceToShow(const QString& serverName, int timeoutMs = 3000);

    static constexpr char kShowRequest[] = "show\n";
    static constexpr char kShownReply[] = "shown\n";

private:
    void answerNextConnection();

    MainWindow& m_window;
    QLocalServer* m_server;
};

} // namespace sds::gui
