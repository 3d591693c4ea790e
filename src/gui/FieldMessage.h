#pragma once

#include <QLabel>
#include <QString>
#include <map>
#include <string>
#include <vector>

namespace sds::gui {

// A red, wrapping line under a field that says what is wrong with it; hidden while there is nothing to say.
class FieldMessage : public QLabel {
    Q_OBJECT
public:
    FieldMessage(const QString& objectName, QWidget* parent = nullptr);
    void show(const QString& message);
    void clear();
};

// A page's heading: the label's font, bold and `scale` times larger.
void makeTitle(QLabel* label, double scale = 1.4);

// A green or red one-line result (a connection test, a saved file).
void showOutcome(QLabel* label, bool ok, const QString& message);

// core::validate() names the field at the start of each problem ("size must be …", "top_k must …"):
// the problems keyed by that field, for showing next to it.
[[nodiscard]] std::map<std::string, QString> problemsByField(const std::vector<std::string>& problems);

} // namespace sds::gui
