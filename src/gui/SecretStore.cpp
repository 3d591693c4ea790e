#include "gui/SecretStore.h"

#include <qt6keychain/keychain.h>

namespace sds::gui {
namespace {

// Runs QtKeychain jobs one after another, as QtKeychain requires on some platforms.
class KeychainBackend final : public SecretBackend {
public:
    explicit KeychainBackend(QString service) : m_service(std::move(service)) {}

    void read(const QString& key, ReadDone done) override {
        enqueue([this, key, done = std::move(done)] {
            auto* job = new QKeychain::ReadPasswordJob(m_service, &m_jobOwner);
            job->setKey(key);
            job->setInsecureFallback(false);
            QObject::connect(job, &QKeychain::Job::finished, job, [this, job, done](QKeychain::Job*) {
                done(outcomeOf(job->error()), job->textData(), job->errorString());
                next();
            });
            return job;
        });
    }

    void write(const QString& key, const QString& value, WriteDone done) override {
        enqueue([this, key, value, done = std::move(done)] {
            auto* job = new QKeychain::WritePasswordJob(m_service, &m_jobOwner);
            job->setKey(key);
            job->setInsecureFallback(false);
            job->setTextData(value);
            QObject::connect(job, &QKeychain::Job::finished, job, [this, job, done](QKeychain::Job*) {
                done(outcomeOf(job->error()), job->errorString());
                next();
            });
            return job;
        });
    }

    void remove(const QString& key, WriteDone done) override {
        enqueue([this, key, done = std::move(done)] {
            auto* job = new QKeychain::DeletePasswordJob(m_service, &m_jobOwner);
            job->setKey(key);
            job->setInsecureFallback(false);
            QObject::connect(job, &QKeychain::Job::finished, job, [this, job, done](QKeychain::Job*) {
                const auto outcome = outcomeOf(job->error());
                done(outcome == Outcome::NotFound ? Outcome::Ok : outcome, job->errorString());
                next();
            });
            return job;
        });
    }

private:
    static Outcome outcomeOf(QKeychain::Error error) {
        switch (error) {
        case QKeychain::NoError:
            return Outcome::Ok;
        case QKeychain::EntryNotFound:
            return Outcome::NotFound;
        case QKeychain::NoBackendAvailable:
        case QKeychain::NotImplemented:
        case QKeychain::AccessDeniedByUser:
        case QKeychain::AccessDenied:
        case QKeychain::OtherError:
            return Outcome::Unavailable;
        case QKeychain::CouldNotDeleteEntry:
            return Outcome::Failed;
        }
        return Outcome::Failed;
    }

    void enqueue(std::function<QKeychain::Job*()> makeJob) {
        m_queue.push_back(std::move(makeJob));
        if (!m_busy)
            next();
    }

    void next() {
        m_busy = !m_queue.empty();
        if (!m_busy)
            return;
        auto makeJob = std::move(m_queue.front());
        m_queue.pop_front();
        auto* job = makeJob();
        job->setAutoDelete(true);
        job->start();
    }

    QString m_service;
    QObject m_jobOwner; // pending jobs die with the backend
    std::deque<std::function<QKeychain::Job*()>> m_queue;
    bool m_busy = false;
};

} // namespace

std::unique_ptr<SecretBackend> makeKeychainBackend(const QString& service) {
    return std::make_unique<KeychainBackend>(service);
}

SecretStore::SecretStore(std::unique_ptr<SecretBackend> backend, QObject* parent)
    : QObject(parent), m_backend(std::move(backend)) {}

SecretStore::~SecretStore() {
    *m_alive = false;
}

const std::vector<Secret>& SecretStore::all() {
    static const std::vector<Secret> secrets = {Secret::AwsAccessKeyId, Secret::AwsSecretAccessKey,
                                                Secret::AwsSessionToken, Secret::CaiiToken,
                                                Secret::OpenAiApiKey};
    return secrets;
}

QString SecretStore::keyName(Secret secret) {
    switch (secret) {
    case Secret::AwsAccessKeyId:
        return QStringLiteral("aws_access_key_id");
    case Secret::AwsSecretAccessKey:
        return QStringLiteral("aws_secret_access_key");
    case Secret::AwsSessionToken:
        return QStringLiteral("aws_session_token");
    case Secret::CaiiToken:
        return QStringLiteral("cdp_token");
    case Secret::OpenAiApiKey:
        return QStringLiteral("openai_api_key");
    }
    return {};
}

void SecretStore::load() {
    m_state = State::Loading;
    m_pendingReads = static_cast<int>(all().size());
    for (const Secret secret : all()) {
        m_backend->read(keyName(secret),
                        [this, alive = m_alive, secret](SecretBackend::Outcome outcome, const QString& value,
                                                        const QString& error) {
                            if (!*alive)
                                return;
                            if (outcome == SecretBackend::Outcome::Ok)
                                m_values[secret] = value;
                            else if (outcome == SecretBackend::Outcome::Unavailable ||
                                     outcome == SecretBackend::Outcome::Failed)
                                markNoKeychain(error);
                            if (--m_pendingReads == 0) {
                                if (m_state == State::Loading) {
                                    m_state = State::Keychain;
                                    emit stateChanged();
                                }
                                emit loaded();
                            }
                        });
    }
}

void SecretStore::markNoKeychain(const QString& problem) {
    if (m_state == State::NoKeychain)
        return;
    m_state = State::NoKeychain;
    m_keychainProblem = problem;
    emit stateChanged();
}

void SecretStore::setSessionOnly(bool sessionOnly) {
    if (m_sessionOnly == sessionOnly)
        return;
    m_sessionOnly = sessionOnly;
    if (!sessionOnly && m_state == State::NoKeychain)
        m_values.clear();
    emit stateChanged();
}

bool SecretStore::canStore() const {
    return m_state != State::NoKeychain || m_sessionOnly;
}

QString SecretStore::value(Secret secret) const {
    const auto found = m_values.find(secret);
    return found == m_values.end() ? QString() : found->second;
}

bool SecretStore::setValue(Secret secret, const QString& value) {
    if (!canStore())
        return false;
    if (this->value(secret) == value)
        return true;
    if (value.isEmpty())
        m_values.erase(secret);
    else
        m_values[secret] = value;
    if (m_state == State::NoKeychain)
        return true;
    const auto done = [this, alive = m_alive](SecretBackend::Outcome outcome, const QString& error) {
        if (!*alive || outcome == SecretBackend::Outcome::Ok)
            return;
        if (outcome == SecretBackend::Outcome::Unavailable)
            markNoKeychain(error);
        emit saveFailed(error);
    };
    if (value.isEmpty())
        m_backend->remove(keyName(secret), done);
    else
        m_backend->write(keyName(secret), value, done);
    return true;
}

} // namespace sds::gui
