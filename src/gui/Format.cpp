#include "gui/Format.h"

#include "providers/ProviderFactory.h"

#include <QDateTime>
#include <QFontDatabase>
#include <QLocale>
#include <cmath>
#include <filesystem>

namespace sds::gui {

QString formatDuration(double seconds) {
    if (seconds < 0 || !std::isfinite(seconds))
        return QStringLiteral("–");
    const auto total = static_cast<long long>(std::llround(seconds));
    if (total < 60)
        return QStringLiteral("%1s").arg(total);
    if (total < 3600)
        return QStringLiteral("%1m %2s").arg(total / 60).arg(total % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1h %2m").arg(total / 3600).arg((total % 3600) / 60, 2, 10, QLatin1Char('0'));
}

QString formatTimestamp(std::int64_t msSinceEpoch) {
    return QDateTime::fromMSecsSinceEpoch(msSinceEpoch).toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

QString formatCount(std::int64_t count) {
    return QLocale().toString(static_cast<qlonglong>(count));
}

QString counted(std::int64_t count, const QString& one, const QString& many) {
    return formatCount(count) + QLatin1Char(' ') + (count == 1 ? one : many);
}

QString providerDisplayName(const std::string& providerId) {
    for (const auto& provider : providers::knownProviders())
        if (provider.id == providerId)
            return qs(provider.displayName);
    return qs(providerId);
}

QString workflowDisplayName(Workflow workflow) {
    return workflow == Workflow::CustomDataCuration ? QStringLiteral("Custom Data Curation")
                                                    : QStringLiteral("Supervised Fine-Tuning");
}

QString workflowDisplayName(const std::string& workflowId) {
    if (const auto workflow = workflowFromString(workflowId))
        return workflowDisplayName(*workflow);
    return qs(workflowId);
}

QString statusDisplayName(RunStatus status) {
    switch (status) {
    case RunStatus::Running:
        return QStringLiteral("Running");
    case RunStatus::Completed:
        return QStringLiteral("Completed");
    case RunStatus::Partial:
        return QStringLiteral("Partial");
    case RunStatus::Failed:
        return QStringLiteral("Failed");
    case RunStatus::Cancelled:
        return QStringLiteral("Cancelled");
    case RunStatus::Interrupted:
        return QStringLiteral("Interrupted");
    case RunStatus::StoppedAtBudget:
        return QStringLiteral("Stopped at budget");
    }
    return {};
}

QString modelDisplayName(const std::string& providerId, const std::string& model) {
    if (providerId == "local")
        return qs(std::filesystem::path(model).filename().string());
    return qs(model);
}

QFont monospaceFont() {
    return QFontDatabase::systemFont(QFontDatabase::FixedFont);
}

QString cellText(const QString& text) {
    constexpr int kMaxCharacters = 200;
    QString line = text.left(kMaxCharacters + 1).simplified();
    if (line.size() > kMaxCharacters || text.size() > kMaxCharacters)
        line = line.left(kMaxCharacters) + QStringLiteral("…");
    return line;
}

} // namespace sds::gui
