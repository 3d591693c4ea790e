#pragma once

#include <QObject>
#include <QString>
#include <deque>
#include <functional>
#include <map>
#include <memory>

namespace sds::gui {

enum class Secret { AwsAccessKeyId, AwsSecretAccessKey, AwsSessionToken, CaiiToken, OpenAiApiKey };

// Where secrets are kept for good: the OS keychain. Calls complete asynchronously, in the order made.
class SecretBackend {
public:
    enum class Outcome { Ok, NotFound, Unavailable, Failed };
    using ReadDone = std::function<void(Outcome, const QString& value, const QString& error)>;
    using WriteDone = std::function<void(Outcome, const QString& error)>;

    virtual ~SecretBackend() = default;
    virtual void read(const QString& key, ReadDone done) = 0;
    virtual void write(const QString& key, const QString& value, WriteDone done) = 0;
    virtual void remove(const QString& key, WriteDone done) = 0;
};

// QtKeychain, never with its plain-file fallback.
[[nodiscard]] std::unique_ptr<SecretBackend> makeKeychainBackend(const QString& service);

// The secrets the app holds in memory for building providers, loaded from and saved to the keychain.
// Where no keychain service runs, nothing is kept unless the user chose to keep secrets for this session.
class SecretStore : public QObject {
    Q_OBJECT
public:
    enum class State { Loading, Keychain, NoKeychain };

    SecretStore(std::unique_ptr<SecretBackend> backend, QObject* parent = nullptr);
    ~SecretStore() override;

    // Reads every secret from the keychain; loaded() when done.
    void load();

    [[nodiscard]] State state() const { return m_state; }
    [[nodiscard]] QString keychainProblem() const { return m_keychainProblem; }
    [[nodiscard]] bool sessionOnly() const { return m_sessionOnly; }
    void setSessionOnly(bool sessionOnly);
    // False when there is nowhere to keep a secret: no keychain, and the user did not choose this session.
    [[nodiscard]] bool canStore() const;

    [[nodiscard]] QString value(Secret secret) const;
    // Keeps the value in memory and writes it to the keychain (an empty value removes it).
    // Returns false, keeping nothing, when canStore() is false.
    bool setValue(Secret secret, const QString& value);

    [[nodiscard]] static QString keyName(Secret secret);
    [[nodiscard]] static const std::vector<Secret>& all();

signals:
    void loaded();
    void stateChanged();
    void saveFailed(const QString& error);

private:
    void markNoKeychain(const QString& problem);

    std::unique_ptr<SecretBackend> m_backend;
    State m_state = State::Loading;
    QString m_keychainProblem;
    bool m_sessionOnly = false;
    std::map<Secret, QString> m_values;
    int m_pendingReads = 0;
    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

} // namespace sds::gui
