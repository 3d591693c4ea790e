#include "gui/DatasetWizard.h"

#include "engine/JobSetup.h"
#include "gui/AppContext.h"
#include "gui/ConfigurePage.h"
#include "gui/ExamplesPage.h"
#include "gui/Format.h"
#include "gui/PromptPage.h"
#include "gui/RunOutputView.h"
#include "gui/SummaryPage.h"
#include "gui/Workspace.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace sds::gui {

DatasetWizard::DatasetWizard(AppContext& context, QWidget* parent) : QWidget(parent), m_context(context) {
    setObjectName(QStringLiteral("datasetWizard"));

    auto* steps = new QHBoxLayout;
    const QStringList names = {tr("Home"),     tr("Configure"), tr("Prompt"),
                               tr("Examples"), tr("Summary"),   tr("Output")};
    for (int i = 0; i < names.size(); ++i) {
        if (i > 0)
            steps->addWidget(new QLabel(QStringLiteral("›"), this));
        auto* label = new QLabel(QStringLiteral("%1  %2").arg(i + 1).arg(names[i]), this);
        label->setObjectName(QStringLiteral("stepLabel%1").arg(i));
        m_stepLabels << label;
        steps->addWidget(label);
    }
    steps->addStretch();

    m_configure = new ConfigurePage(context, this);
    m_prompt = new PromptPage(context, this);
    m_examples = new ExamplesPage(context, this);
    m_summary = new SummaryPage(context, this);
    m_output = new RunOutputView(context, this);
    m_stack = new QStackedWidget(this);
    m_stack->setObjectName(QStringLiteral("wizardStack"));
    for (QWidget* page :
         std::initializer_list<QWidget*>{m_configure, m_prompt, m_examples, m_summary, m_output})
        m_stack->addWidget(page);

    m_back = new QPushButton(tr("&Back"), this);
    m_back->setObjectName(QStringLiteral("backButton"));
    m_next = new QPushButton(tr("&Next"), this);
    m_next->setObjectName(QStringLiteral("nextButton"));
    m_next->setDefault(true);
    m_newDataset = new QPushButton(tr("Create &another dataset"), this);
    m_newDataset->setObjectName(QStringLiteral("newDatasetButton"));
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_back);
    buttons->addStretch();
    buttons->addWidget(m_newDataset);
    buttons->addWidget(m_next);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(steps);
    layout->addWidget(m_stack, 1);
    layout->addLayout(buttons);

    connect(m_back, &QPushButton::clicked, this, &DatasetWizard::back);
    connect(m_next, &QPushButton::clicked, this, &DatasetWizard::next);
    connect(m_newDataset, &QPushButton::clicked, this, [this] { startNew(m_draft.templateId); });
    connect(m_summary, &SummaryPage::generateRequested, this, &DatasetWizard::generate);
    connect(m_configure, &ConfigurePage::settingsRequested, this, &DatasetWizard::settingsRequested);
    connect(m_configure, &ConfigurePage::continueRequested, this, [this] {
        if (m_step == Configure && isVisible())
            next();
    });
    setStep(Configure);
}

void DatasetWizard::startNew(const std::string& templateId) {
    JobSpec job;
    job.templateId = templateId;
    const auto* source = m_context.workspace().findTemplate(templateId);
    if (!source && !m_context.workspace().templates().templates().empty()) {
        source = &m_context.workspace().templates().templates().front();
        job.templateId = source->id;
    }
    if (source) {
        job.fillFromTemplate(*source);
        job.parameters = source->parameters;
        job.outputKeys = source->outputKeys;
    }
    job.provider.name = "local";
    job.concurrency = engine::kLocalModelConcurrency;
    job.rowsPerRequest = engine::kLocalModelRowsPerRequest;
    job.displayName = ss(QStringLiteral("%1 %2").arg(
        source ? qs(source->name) : qs(templateId),
        QDateTime::currentDateTime().toString(QStringLiteral("yyyy-MM-dd HH:mm"))));
    startFrom(job);
}

void DatasetWizard::startFrom(const JobSpec& job) {
    m_draft = job;
    m_configure->initializePage(m_draft);
    setStep(Configure);
}

void DatasetWizard::showRun(RunTicket ticket) {
    if (const auto* state = m_context.runs().state(ticket))
        m_draft = state->job;
    m_output->showTicket(ticket);
    setStep(Output);
}

WizardPage* DatasetWizard::pageAt(Step step) const {
    switch (step) {
    case Configure:
        return m_configure;
    case Prompt:
        return m_prompt;
    case Examples:
        return m_examples;
    case Summary:
        return m_summary;
    default:
        return nullptr;
    }
}

void DatasetWizard::next() {
    WizardPage* page = pageAt(m_step);
    if (!page || m_step >= Summary)
        return;
    if (!page->validatePage(m_draft))
        return;
    const auto following = static_cast<Step>(m_step + 1);
    pageAt(following)->initializePage(m_draft);
    setStep(following);
}

void DatasetWizard::back() {
    if (m_step == Configure) {
        m_configure->storeInto(m_draft);
        emit leftToHome();
        return;
    }
    if (WizardPage* page = pageAt(m_step))
        page->storeInto(m_draft);
    const auto previous = static_cast<Step>(m_step - 1);
    pageAt(previous)->initializePage(m_draft);
    setStep(previous);
}

void DatasetWizard::setStep(Step step) {
    m_step = step;
    m_stack->setCurrentIndex(step);
    for (int i = 0; i < m_stepLabels.size(); ++i) {
        QFont font = m_stepLabels[i]->font();
        font.setBold(i == step + 1);
        m_stepLabels[i]->setFont(font);
        m_stepLabels[i]->setEnabled(i <= step + 1);
    }
    m_next->setVisible(step < Summary);
    m_newDataset->setVisible(step == Output);
    m_back->setText(step == Configure ? tr("&Back to Home") : tr("&Back"));
    if (QWidget* current = m_stack->currentWidget())
        current->setFocus();
}

void DatasetWizard::generate() {
    if (!m_summary->validatePage(m_draft))
        return;
    const RunTicket ticket = m_context.runs().start(m_draft);
    m_output->showTicket(ticket);
    setStep(Output);
    emit runStarted(ticket);
}

} // namespace sds::gui
