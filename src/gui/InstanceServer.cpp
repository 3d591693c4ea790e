#include "gui/InstanceServer.h"

#include "gui/MainWindow.h"

#include <QCryptographicHash>
#include <QLocalServer>
#include <QLocalSocket>
#include <QTimer>
#include <unistd.h>

namespace sds::gui {
namespace {

constexpr int kSilentClientTimeoutMs = 5000;

bool someoneServes(const QString& serverName) {
    QLocalSocket probe;
    probe.connectToServer(serverName);
    const bool connected = probe.waitForConnected(500);
    probe.abort();
    return connected;
}

} // namespace

InstanceServer::InstanceServer(MainWindow& window, QObject* parent)
    : QObject(parent), m_window(window), m_server(new QLocalServer(this)) {
    m_server->setSocketOptions(QLocalServer::UserAccessOption);
    connect(m_server, &QLocalServer::newConnection, this, &InstanceServer::answerNextConnection);
}

QString InstanceServer::serverNameFor(const std::filesystem::path& projectRoot) {
    std::error_code ec;
    auto folder = std::filesystem::weakly_canonical(std::filesystem::absolute(projectRoot), ec);
    if (ec)
        folder = projectRoot;
    const QByteArray digest =
        QCryptographicHash::hash(QByteArray::fromStdString(folder.string()), QCryptographicHash::Sha256)
            .toHex()
            .left(16);
    return QStringLiteral("sds-studio-%1-%2").arg(::getuid()).arg(QString::fromLatin1(digest));
}

QString InstanceServer::listen(const QString& serverName) {
    if (m_server->isListening() && m_server->serverName() == serverName)
        return {};
    m_server->close();
    // Listening with access options replaces a socket file of that name, even one a live app answers on.
    if (someoneServes(serverName))
        return tr("another Synthetic Data Studio answers on %1").arg(serverName);
    QLocalServer::removeServer(serverName); // left by an app that crashed
    return m_server->listen(serverName) ? QString() : m_server->errorString();
}

void InstanceServer::answerNextConnection() {
    while (QLocalSocket* socket = m_server->nextPendingConnection()) {
        connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
        QTimer::singleShot(kSilentClientTimeoutMs, socket, &QLocalSocket::abort);
        const auto answer = [this, socket] {
            if (!socket->canReadLine())
                return;
            if (socket->readLine() == kShowRequest) {
                m_window.bringBack();
                socket->write(kShownReply);
                socket->flush();
            }
            socket->disconnectFromServer();
        };
        connect(socket, &QLocalSocket::readyRead, this, answer);
        answer();
    }
}

bool InstanceServer::askRunningInstanceToShow(const QString& serverName, int timeoutMs) {
    QLocalSocket socket;
    socket.connectToServer(serverName);
    if (!socket.waitForConnected(timeoutMs))
        return false;
    socket.write(kShowRequest);
    if (!socket.waitForBytesWritten(timeoutMs))
        return false;
    while (!socket.canReadLine())
        if (!socket.waitForReadyRead(timeoutMs))
            return false;
    return socket.readLine() == kShownReply;
}

} // namespace sds::gui
