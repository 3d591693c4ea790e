#pragma once

#include <QObject>
#include <QSettings>
#include <QVariant>
#include <memory>

namespace sds::gui {

// The app's non-secret settings, one key each with a name and a default (secrets live in SecretStore).
class AppSettings : public QObject {
    Q_OBJECT
public:
    enum class Key {
        ProjectFolder,      // empty: Project::fromEnvironment()
        DefaultConcurrency, // requests in flight for a new job
        LocalModelFile,     // empty: the model set-up installed
        AwsProfile,
        AwsRegion,
        BedrockBatchS3Uri,   // where batch jobs put their records and answers: s3://bucket/prefix/
        BedrockBatchRoleArn, // the IAM role Bedrock assumes for batch jobs
        CaiiEndpoint,
        CaiiJwtFile,
        OpenAiBaseUrl,
        WindowGeometry,
    };
    Q_ENUM(Key)

    // Settings in the platform's usual place (~/.config/SyntheticDataStudio/sds-studio.conf).
    explicit AppSettings(QObject* parent = nullptr);
    // Settings in `file` (INI format).
    AppSettings(const QString& file, QObject* parent);

    [[nodiscard]] QVariant value(Key key) const;
    [[nodiscard]] QString text(Key key) const { return value(key).toString(); }
    void setValue(Key key, const QVariant& value);
    void sync();

    [[nodiscard]] static QString name(Key key);
    [[nodiscard]] static QVariant defaultValue(Key key);

signals:
    void changed(sds::gui::AppSettings::Key key);

private:
    std::unique_ptr<QSettings> m_settings;
};

} // namespace sds::gui
