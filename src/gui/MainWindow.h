#pragma once

#include "gui/RunController.h"

#include <QMainWindow>

class QLabel;
class QListWidget;
class QStackedWidget;
class QSystemTrayIcon;

namespace sds::gui {

class AppContext;
class DatasetWizard;
class EvaluationController;
class EvaluationView;
class GenerationsPage;
class HomePage;
class RunOutputView;
class SettingsPage;

// Navigation on the left (Home, Create Dataset, Generations, Settings), the pages on the right. Runs go on
// whichever page is shown; closing during a run asks whether to cancel it or keep it running hidden. A
// hidden window comes back from the system tray icon (where there is a tray) or when the app is launched
// again (InstanceServer).
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    enum class Section { Home, CreateDataset, Generations, Settings, Run, Evaluation };

    explicit MainWindow(AppContext& context, QWidget* parent = nullptr);

    void showSection(Section section);
    [[nodiscard]] Section section() const { return m_section; }
    void createDataset(const std::string& templateId);
    void openRun(const QString& runId);
    void showRun(RunTicket ticket);
    // The run's quality: scores, validation, exports.
    void openEvaluation(const QString& runId);
    // Asks for a judge, then evaluates the run and shows its progress on the Evaluation view.
    void evaluateRun(const QString& runId);
    // Shows the window again, hidden or not, in front; the app no longer quits when its runs end.
    void bringBack();

    [[nodiscard]] HomePage* home() const { return m_home; }
    [[nodiscard]] DatasetWizard* wizard() const { return m_wizard; }
    [[nodiscard]] GenerationsPage* generations() const { return m_generations; }
    [[nodiscard]] SettingsPage* settingsPage() const { return m_settings; }
    [[nodiscard]] RunOutputView* runView() const { return m_runView; }
    [[nodiscard]] EvaluationView* evaluationView() const { return m_evaluationView; }
    [[nodiscard]] EvaluationController& evaluations() const { return *m_evaluations; }

signals:
    // The window was closed while runs went on, and now they have all ended.
    void quitRequested();

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void updateActiveRuns(int count);
    void showTrayIcon();
    // From the tray: cancels the runs (their rows are kept) and quits once they have stopped.
    void quitFromTray();

    AppContext& m_context;
    Section m_section = Section::Home;
    bool m_wizardStarted = false;
    bool m_closing = false;
    QListWidget* m_navigation;
    QLabel* m_activeRuns;
    QStackedWidget* m_stack;
    HomePage* m_home;
    DatasetWizard* m_wizard;
    GenerationsPage* m_generations;
    SettingsPage* m_settings;
    RunOutputView* m_runView;
    EvaluationController* m_evaluations;
    EvaluationView* m_evaluationView;
    QSystemTrayIcon* m_trayIcon = nullptr; // made when first needed, and only where there is a tray
};

} // namespace sds::gui
