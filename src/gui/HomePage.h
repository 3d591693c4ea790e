#pragma once

#include <QWidget>
#include <string>

class QHBoxLayout;
class QLabel;
class QTableView;

namespace sds::gui {

class AppContext;

// Where the app opens: Create Dataset, the templates as cards, and the most recent generations.
class HomePage : public QWidget {
    Q_OBJECT
public:
    explicit HomePage(AppContext& context, QWidget* parent = nullptr);

signals:
    void createDatasetRequested(const std::string& templateId);
    void openRunRequested(const QString& runId);
    void allGenerationsRequested();

private:
    void rebuildTemplateCards();

    AppContext& m_context;
    QHBoxLayout* m_cards;
    QTableView* m_recent;
    QLabel* m_noRuns;
};

} // namespace sds::gui
