#include "gui/AppContext.h"
#include "gui/InstanceServer.h"
#include "gui/MainWindow.h"
#include "gui/SecretStore.h"
#include "gui/Workspace.h"

#include <QApplication>
#include <QMessageBox>
#include <spdlog/spdlog.h>

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("SyntheticDataStudio"));
    QApplication::setApplicationName(QStringLiteral("sds-studio"));
    QApplication::setApplicationDisplayName(QStringLiteral("Synthetic Data Studio"));
    QApplication::setApplicationVersion(QStringLiteral(SDS_VERSION));
    spdlog::set_level(spdlog::level::warn);

    sds::gui::AppContext context(sds::gui::makeKeychainBackend(QStringLiteral("Synthetic Data Studio")));
    if (const QString error = context.openProject(); !error.isEmpty()) {
        QMessageBox::critical(
            nullptr, QObject::tr("Synthetic Data Studio"),
            QObject::tr("Cannot open the project folder: %1\nSet SDS_PROJECT_DIR to a folder you "
                        "can write to.")
                .arg(error));
        return 1;
    }
    const QString serverName = sds::gui::InstanceServer::serverNameFor(context.workspace().project().root());
    if (sds::gui::InstanceServer::askRunningInstanceToShow(serverName))
        return 0; // the app already open on this project shows its window instead
    sds::gui::MainWindow window(context);
    QObject::connect(&window, &sds::gui::MainWindow::quitRequested, &app, &QApplication::quit);
    sds::gui::InstanceServer instanceServer(window);
    const auto answerLaterLaunches = [&] {
        const QString name = sds::gui::InstanceServer::serverNameFor(context.workspace().project().root());
        if (const QString error = instanceServer.listen(name); !error.isEmpty())
            spdlog::warn("gui: launching the app again will open a second window: {}", error.toStdString());
    };
    answerLaterLaunches();
    QObject::connect(&context.workspace(), &sds::gui::Workspace::projectChanged, &instanceServer,
                     answerLaterLaunches);
    window.show();
    return QApplication::exec();
}
