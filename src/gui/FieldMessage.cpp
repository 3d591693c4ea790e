#include "gui/FieldMessage.h"

#include "gui/Format.h"

namespace sds::gui {

FieldMessage::FieldMessage(const QString& objectName, QWidget* parent) : QLabel(parent) {
    setObjectName(objectName);
    setWordWrap(true);
    setTextInteractionFlags(Qt::TextSelectableByMouse);
    setStyleSheet(QStringLiteral("color: #b3261e;"));
    setVisible(false);
}

void FieldMessage::show(const QString& message) {
    setText(message);
    setVisible(!message.isEmpty());
}

void FieldMessage::clear() {
    show({});
}

void showOutcome(QLabel* label, bool ok, const QString& message) {
    label->setWordWrap(true);
    label->setStyleSheet(ok ? QStringLiteral("color: #1b6e20;") : QStringLiteral("color: #b3261e;"));
    label->setText(message);
    label->setVisible(!message.isEmpty());
}

std::map<std::string, QString> problemsByField(const std::vector<std::string>& problems) {
    static const std::vector<std::string> fields = {
        "size",  "rows per request", "concurrency", "temperature", "top_p", "top_k", "max_tokens",
        "seeds", "prompt",           "output_keys", "provider"};
    std::map<std::string, QString> byField;
    for (const auto& problem : problems) {
        std::string field = "other";
        for (const auto& candidate : fields)
            if (problem.rfind(candidate, 0) == 0) {
                field = candidate;
                break;
            }
        auto& text = byField[field];
        const QString sentence = qs(problem);
        text = text.isEmpty() ? sentence.left(1).toUpper() + sentence.mid(1) + QStringLiteral(".")
                              : text + QLatin1Char('\n') + sentence;
    }
    return byField;
}

void makeTitle(QLabel* label, double scale) {
    QFont font = label->font();
    font.setPointSizeF(font.pointSizeF() * scale);
    font.setBold(true);
    label->setFont(font);
}

} // namespace sds::gui
