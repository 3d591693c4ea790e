#pragma once

#include "core/Job.h"
#include "core/RunHistory.h"

#include <QFont>
#include <QString>
#include <cstdint>
#include <string>

namespace sds::gui {

[[nodiscard]] inline QString qs(const std::string& text) {
    return QString::fromStdString(text);
}
[[nodiscard]] inline std::string ss(const QString& text) {
    return text.toStdString();
}

// "45s", "3m 04s", "2h 05m"; "–" when unknown (negative).
[[nodiscard]] QString formatDuration(double seconds);
// "2024-05-01 14:03" in local time.
[[nodiscard]] QString formatTimestamp(std::int64_t msSinceEpoch);
[[nodiscard]] QString formatCount(std::int64_t count);
// "1 model", "6 models".
[[nodiscard]] QString counted(std::int64_t count, const QString& one, const QString& many);

[[nodiscard]] QString providerDisplayName(const std::string& providerId);
[[nodiscard]] QString workflowDisplayName(Workflow workflow);
[[nodiscard]] QString workflowDisplayName(const std::string& workflowId);
[[nodiscard]] QString statusDisplayName(RunStatus status);
// A local model is a file path: its file name is what people recognise.
[[nodiscard]] QString modelDisplayName(const std::string& providerId, const std::string& model);

[[nodiscard]] QFont monospaceFont();

// A table cell's text: one line, at most 200 characters, "…" when cut. Tables stay fast and even; the full
// text belongs in a detail view.
[[nodiscard]] QString cellText(const QString& text);

} // namespace sds::gui
