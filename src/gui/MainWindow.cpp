#include "gui/MainWindow.h"

#include "gui/AppContext.h"
#include "gui/AppSettings.h"
#include "gui/DatasetWizard.h"
#include "gui/Dialogs.h"
#include "gui/EvaluationController.h"
#include "gui/EvaluationDialog.h"
#include "gui/EvaluationView.h"
#include "gui/Format.h"
#include "gui/GenerationsModel.h"
#include "gui/GenerationsPage.h"
#include "gui/HomePage.h"
#include "gui/RunOutputView.h"
#include "gui/SettingsPage.h"
#include "gui/Workspace.h"

#include <QApplication>
#include <QCloseEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QShortcut>
#include <QStackedWidget>
#include <QStyle>
#include <QSystemTrayIcon>
#include <QVBoxLayout>

namespace sds::gui {
namespace {

QString trayToolTip(int activeRuns) {
    return QObject::tr("Synthetic Data Studio: %1 running")
        .arg(counted(activeRuns, QObject::tr("generation"), QObject::tr("generations")));
}

} // namespace

MainWindow::MainWindow(AppContext& context, QWidget* parent) : QMainWindow(parent), m_context(context) {
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(tr("Synthetic Data Studio"));

    m_navigation = new QListWidget(this);
    m_navigation->setObjectName(QStringLiteral("navigationList"));
    for (const QString& name : {tr("Home"), tr("Create Dataset"), tr("Generations"), tr("Settings")})
        m_navigation->addItem(name);
    m_navigation->setFixedWidth(180);
    m_navigation->setSpacing(2);
    QFont navigationFont = m_navigation->font();
    navigationFont.setPointSizeF(navigationFont.pointSizeF() * 1.1);
    m_navigation->setFont(navigationFont);
    m_activeRuns = new QLabel(this);
    m_activeRuns->setObjectName(QStringLiteral("activeRunsLabel"));
    m_activeRuns->setWordWrap(true);
    m_activeRuns->setTextFormat(Qt::RichText);
    auto* side = new QWidget(this);
    auto* sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(0, 0, 0, 0);
    sideLayout->addWidget(m_navigation, 1);
    sideLayout->addWidget(m_activeRuns);
    side->setFixedWidth(180);

    m_home = new HomePage(context, this);
    m_wizard = new DatasetWizard(context, this);
    m_generations = new GenerationsPage(context, this);
    m_settings = new SettingsPage(context, this);
    m_runView = new RunOutputView(context, this);
    m_evaluations = new EvaluationController(
        context.workspace(), [&context] { return context.providerAccess(); }, this);
    m_evaluationView = new EvaluationView(context, *m_evaluations, this);
    m_stack = new QStackedWidget(this);
    m_stack->setObjectName(QStringLiteral("pageStack"));
    for (QWidget* page : std::initializer_list<QWidget*>{m_home, m_wizard, m_generations, m_settings,
                                                         m_runView, m_evaluationView})
        m_stack->addWidget(page);

    auto* central = new QWidget(this);
    auto* layout = new QHBoxLayout(central);
    layout->addWidget(side);
    layout->addWidget(m_stack, 1);
    setCentralWidget(central);

    connect(m_navigation, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0 && row != static_cast<int>(m_section))
            showSection(static_cast<Section>(row));
    });
    // From a run's Output or Evaluation page, Generations is already the current row: a click goes back.
    connect(m_navigation, &QListWidget::clicked, this, [this](const QModelIndex& index) {
        if (index.isValid() && index.row() != static_cast<int>(m_section))
            showSection(static_cast<Section>(index.row()));
    });
    connect(m_home, &HomePage::createDatasetRequested, this, &MainWindow::createDataset);
    connect(m_home, &HomePage::openRunRequested, this, &MainWindow::openRun);
    connect(m_home, &HomePage::allGenerationsRequested, this, [this] { showSection(Section::Generations); });
    connect(m_wizard, &DatasetWizard::leftToHome, this, [this] { showSection(Section::Home); });
    connect(m_wizard, &DatasetWizard::settingsRequested, this, [this] { showSection(Section::Settings); });
    connect(m_generations, &GenerationsPage::openRunRequested, this, &MainWindow::openRun);
    connect(m_generations, &GenerationsPage::runStarted, this, &MainWindow::showRun);
    connect(m_generations, &GenerationsPage::editCopyRequested, this, [this](const JobSpec& job) {
        m_wizard->startFrom(job);
        m_wizardStarted = true;
        showSection(Section::CreateDataset);
    });
    connect(m_generations, &GenerationsPage::evaluateRequested, this, &MainWindow::evaluateRun);
    connect(m_generations, &GenerationsPage::evaluationRequested, this, &MainWindow::openEvaluation);
    for (RunOutputView* output : {m_runView, m_wizard->output()})
        connect(output, &RunOutputView::evaluationRequested, this, &MainWindow::openEvaluation);
    connect(m_evaluationView, &EvaluationView::evaluateRequested, this, &MainWindow::evaluateRun);
    connect(m_evaluationView, &EvaluationView::openRunRequested, this, &MainWindow::openRun);
    connect(m_evaluations, &EvaluationController::finished, &m_context.generations(),
            &GenerationsModel::reload);
    connect(m_activeRuns, &QLabel::linkActivated, this, [this] { showSection(Section::Generations); });
    connect(&m_context.runs(), &RunController::activeCountChanged, this, &MainWindow::updateActiveRuns);

    const auto shortcut = [this](QKeySequence keys, Section target) {
        auto* action = new QShortcut(keys, this);
        connect(action, &QShortcut::activated, this, [this, target] { showSection(target); });
    };
    shortcut(QKeySequence(Qt::CTRL | Qt::Key_1), Section::Home);
    shortcut(QKeySequence(Qt::CTRL | Qt::Key_2), Section::CreateDataset);
    shortcut(QKeySequence(Qt::CTRL | Qt::Key_3), Section::Generations);
    shortcut(QKeySequence(Qt::CTRL | Qt::Key_4), Section::Settings);
    auto* newDataset = new QShortcut(QKeySequence::New, this);
    connect(newDataset, &QShortcut::activated, this, [this] { createDataset("code_generation"); });

    resize(1280, 820);
    const QByteArray geometry = m_context.settings().value(AppSettings::Key::WindowGeometry).toByteArray();
    if (!geometry.isEmpty())
        restoreGeometry(geometry);
    updateActiveRuns(m_context.runs().activeCount());
    showSection(Section::Home);
}

void MainWindow::showSection(Section section) {
    if (section == Section::CreateDataset && !m_wizardStarted) {
        createDataset("code_generation");
        return;
    }
    if (section == Section::Generations)
        m_context.generations().reload();
    m_section = section;
    m_stack->setCurrentIndex(static_cast<int>(section));
    const int row = section == Section::Run || section == Section::Evaluation
                        ? static_cast<int>(Section::Generations)
                        : static_cast<int>(section);
    {
        const QSignalBlocker blocker(m_navigation);
        m_navigation->setCurrentRow(row);
    }
}

void MainWindow::createDataset(const std::string& templateId) {
    m_wizard->startNew(templateId);
    m_wizardStarted = true;
    showSection(Section::CreateDataset);
}

void MainWindow::openRun(const QString& runId) {
    const auto* record = m_context.generations().find(runId);
    if (!record)
        return;
    m_runView->showRecord(*record);
    showSection(Section::Run);
}

void MainWindow::showRun(RunTicket ticket) {
    m_runView->showTicket(ticket);
    showSection(Section::Run);
}

void MainWindow::openEvaluation(const QString& runId) {
    m_evaluationView->showRun(runId);
    showSection(Section::Evaluation);
}

void MainWindow::evaluateRun(const QString& runId) {
    if (m_evaluations->isActive(runId)) {
        openEvaluation(runId);
        return;
    }
    const auto* record = m_context.generations().find(runId);
    if (!record)
        return;
    auto* dialog = new EvaluationDialog(m_context, *record, m_stack->currentWidget());
    connect(dialog, &EvaluationDialog::evaluationRequested, this, [this](const EvaluationRequest& request) {
        m_evaluations->start(request);
        openEvaluation(request.runId);
    });
    dialog->open();
}

void MainWindow::bringBack() {
    m_closing = false;
    if (m_trayIcon)
        m_trayIcon->hide();
    if (isMinimized())
        showNormal();
    else
        show();
    raise();
    activateWindow();
}

void MainWindow::showTrayIcon() {
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        return;
    if (!m_trayIcon) {
        m_trayIcon = new QSystemTrayIcon(this);
        m_trayIcon->setObjectName(QStringLiteral("trayIcon"));
        const QIcon appIcon = QApplication::windowIcon();
        m_trayIcon->setIcon(appIcon.isNull() ? style()->standardIcon(QStyle::SP_ComputerIcon) : appIcon);
        auto* menu = new QMenu(this);
        menu->addAction(tr("Show window"), this, &MainWindow::bringBack);
        menu->addAction(tr("Quit"), this, &MainWindow::quitFromTray);
        m_trayIcon->setContextMenu(menu);
        connect(m_trayIcon, &QSystemTrayIcon::activated, this,
                [this](QSystemTrayIcon::ActivationReason reason) {
                    if (reason == QSystemTrayIcon::Trigger || reason == QSystemTrayIcon::DoubleClick)
                        bringBack();
                });
    }
    m_trayIcon->setToolTip(trayToolTip(m_context.runs().activeCount()));
    m_trayIcon->show();
}

void MainWindow::quitFromTray() {
    m_context.runs().cancelAll();
    m_closing = true;
    if (m_context.runs().activeCount() == 0)
        emit quitRequested();
}

void MainWindow::updateActiveRuns(int count) {
    m_activeRuns->setText(count == 0 ? QString()
                                     : tr("<a href=\"generations\">%1 running</a>")
                                           .arg(counted(count, tr("generation"), tr("generations"))));
    m_activeRuns->setVisible(count > 0);
    if (m_trayIcon)
        m_trayIcon->setToolTip(trayToolTip(count));
    if (count == 0 && m_closing)
        emit quitRequested();
}

void MainWindow::closeEvent(QCloseEvent* event) {
    m_context.settings().setValue(AppSettings::Key::WindowGeometry, saveGeometry());
    m_context.settings().sync();
    const int active = m_context.runs().activeCount();
    if (active == 0) {
        event->accept();
        return;
    }
    switch (Dialogs::current().closeDuringRuns(this, active)) {
    case Dialogs::CloseAnswer::StayOpen:
        event->ignore();
        return;
    case Dialogs::CloseAnswer::CancelRuns:
        m_context.runs().cancelAll();
        break;
    case Dialogs::CloseAnswer::KeepRunning:
        break;
    }
    event->ignore();
    m_closing = true;
    hide();
    showTrayIcon();
}

} // namespace sds::gui
