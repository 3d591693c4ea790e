#include "gui/AppSettings.h"

#include <QByteArray>

namespace sds::gui {

AppSettings::AppSettings(QObject* parent) : QObject(parent), m_settings(std::make_unique<QSettings>()) {}

AppSettings::AppSettings(const QString& file, QObject* parent)
    : QObject(parent), m_settings(std::make_unique<QSettings>(file, QSettings::IniFormat)) {}

QString AppSettings::name(Key key) {
    switch (key) {
    case Key::ProjectFolder:
        return QStringLiteral("project/folder");
    case Key::DefaultConcurrency:
        return QStringLiteral("generation/defaultConcurrency");
    case Key::LocalModelFile:
        return QStringLiteral("providers/local/modelFile");
    case Key::AwsProfile:
        return QStringLiteral("providers/bedrock/profile");
    case Key::AwsRegion:
        return QStringLiteral("providers/bedrock/region");
    case Key::BedrockBatchS3Uri:
        return QStringLiteral("providers/bedrock/batchS3Uri");
    case Key::BedrockBatchRoleArn:
        return QStringLiteral("providers/bedrock/batchRoleArn");
    case Key::CaiiEndpoint:
        return QStringLiteral("providers/caii/endpoint");
    case Key::CaiiJwtFile:
        return QStringLiteral("providers/caii/jwtFile");
    case Key::OpenAiBaseUrl:
        return QStringLiteral("providers/openai/baseUrl");
    case Key::WindowGeometry:
        return QStringLiteral("window/geometry");
    }
    return {};
}

QVariant AppSettings::defaultValue(Key key) {
    switch (key) {
    case Key::DefaultConcurrency:
        return 16;
    case Key::WindowGeometry:
        return QByteArray();
    default:
        return QString();
    }
}

QVariant AppSettings::value(Key key) const {
    return m_settings->value(name(key), defaultValue(key));
}

void AppSettings::setValue(Key key, const QVariant& value) {
    if (m_settings->value(name(key), defaultValue(key)) == value)
        return;
    m_settings->setValue(name(key), value);
    emit changed(key);
}

void AppSettings::sync() {
    m_settings->sync();
}

} // namespace sds::gui
