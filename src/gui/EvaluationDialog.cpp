#include "gui/EvaluationDialog.h"

#include "core/Job.h"
#include "engine/JobSetup.h"
#include "gui/AppContext.h"
#include "gui/Background.h"
#include "gui/FieldMessage.h"
#include "gui/FilterDialog.h"
#include "gui/Format.h"
#include "gui/ModelList.h"
#include "gui/Workspace.h"
#include "providers/ProviderFactory.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

namespace sds::gui {
namespace {

constexpr int kDefaultJudgeConcurrency = 16;

} // namespace

EvaluationDialog::EvaluationDialog(AppContext& context, const RunRecord& record, QWidget* parent)
    : QDialog(parent), m_context(context), m_record(record), m_wantedModel(record.model) {
    setObjectName(QStringLiteral("evaluationDialog"));
    setWindowTitle(tr("Evaluate \"%1\"").arg(qs(record.displayName)));
    setAttribute(Qt::WA_DeleteOnClose);
    setWindowModality(Qt::WindowModal);

    m_provider = new QComboBox(this);
    m_provider->setObjectName(QStringLiteral("judgeProviderCombo"));
    for (const auto& provider : providers::knownProviders())
        m_provider->addItem(qs(provider.displayName), qs(provider.id));
    m_provider->setCurrentIndex(std::max(0, m_provider->findData(qs(record.provider))));

    m_model = new QComboBox(this);
    m_model->setObjectName(QStringLiteral("judgeModelCombo"));
    m_model->setEditable(true);
    m_model->setInsertPolicy(QComboBox::NoInsert);
    m_model->setMinimumContentsLength(30);
    m_model->setEditText(modelDisplayName(record.provider, record.model));
    m_refresh = new QToolButton(this);
    m_refresh->setObjectName(QStringLiteral("refreshJudgeModelsButton"));
    m_refresh->setText(tr("Refresh"));
    auto* modelRow = new QHBoxLayout;
    modelRow->addWidget(m_model, 1);
    modelRow->addWidget(m_refresh);
    m_modelStatus = new QLabel(this);
    m_modelStatus->setObjectName(QStringLiteral("judgeModelStatusLabel"));
    m_modelStatus->setWordWrap(true);

    m_concurrency = new QSpinBox(this);
    m_concurrency->setObjectName(QStringLiteral("judgeConcurrencySpin"));
    m_concurrency->setRange(1, JobSpec::kMaxConcurrency);
    m_concurrency->setValue(record.provider == "local" ? engine::kLocalModelConcurrency
                                                       : kDefaultJudgeConcurrency);
    m_concurrency->setToolTip(tr("Rows scored at once"));

    const auto [minScore, maxScore] = scoreScale(context, record);
    auto* about = new QLabel(this);
    about->setObjectName(QStringLiteral("evaluationAboutLabel"));
    about->setWordWrap(true);
    QString aboutText = tr("The judge gives every row a score from %1 to %2 with a one-line justification, "
                           "following the rubric of the %3 template.")
                            .arg(minScore)
                            .arg(maxScore)
                            .arg(context.workspace().templateName(record.templateId));
    if (record.score)
        aboutText += QLatin1Char(' ') + tr("Rows already scored are kept: only the rest are asked.");
    about->setText(aboutText);

    // The judge's instructions, editable like the generation prompt; the scale and the scored examples
    // stay the template's.
    m_rubricPrompt = new QPlainTextEdit(this);
    m_rubricPrompt->setObjectName(QStringLiteral("judgePromptEdit"));
    const Template* source = context.workspace().findTemplate(record.templateId);
    m_rubricPrompt->setPlainText(qs(source ? source->evaluation.prompt : defaultEvaluationRubric().prompt));
    m_rubricPrompt->setTabChangesFocus(true);
    m_rubricPrompt->setMinimumHeight(90);

    auto* buttons = new QDialogButtonBox(this);
    m_start = buttons->addButton(tr("&Evaluate"), QDialogButtonBox::AcceptRole);
    m_start->setObjectName(QStringLiteral("startEvaluationButton"));
    auto* cancel = buttons->addButton(QDialogButtonBox::Cancel);
    cancel->setObjectName(QStringLiteral("cancelEvaluationDialogButton"));

    auto* form = new QFormLayout;
    form->addRow(tr("Judge &provider"), m_provider);
    auto* buddyLabel = new QLabel(tr("Judge &model"), this);
    buddyLabel->setBuddy(m_model);
    form->addRow(buddyLabel, modelRow);
    form->addRow(QString(), m_modelStatus);
    form->addRow(tr("&Concurrency"), m_concurrency);
    form->addRow(tr("Judge &instructions"), m_rubricPrompt);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(about);
    layout->addLayout(form);
    layout->addWidget(buttons);

    connect(m_provider, &QComboBox::currentIndexChanged, this, &EvaluationDialog::providerChanged);
    connect(m_refresh, &QToolButton::clicked, this, &EvaluationDialog::refreshModels);
    connect(m_model, &QComboBox::currentTextChanged, this, [this] { m_wantedModel = currentModelId(); });
    connect(cancel, &QPushButton::clicked, this, &QDialog::reject);
    connect(m_start, &QPushButton::clicked, this, [this] {
        EvaluationRequest request;
        request.runId = qs(m_record.id);
        request.templateId = m_record.templateId;
        request.judge = currentChoice();
        request.concurrency = m_concurrency->value();
        request.rubricPrompt = ss(m_rubricPrompt->toPlainText().trimmed());
        emit evaluationRequested(request);
        accept();
    });
    refreshModels();
}

ProviderChoice EvaluationDialog::currentChoice() const {
    ProviderChoice choice;
    choice.name = ss(m_provider->currentData().toString());
    m_context.providerAccess().fillFromSettings(choice);
    choice.model = currentModelId();
    return choice;
}

std::string EvaluationDialog::currentModelId() const {
    const QString text = m_model->currentText().trimmed();
    const int index = m_model->findText(text);
    if (index >= 0 && !m_model->itemData(index).toString().isEmpty())
        return ss(m_model->itemData(index).toString());
    if (text == modelDisplayName(m_record.provider, m_record.model) &&
        ss(m_provider->currentData().toString()) == m_record.provider)
        return m_record.model;
    return ss(text);
}

void EvaluationDialog::providerChanged() {
    const std::string name = ss(m_provider->currentData().toString());
    m_wantedModel = name == m_record.provider ? m_record.model : std::string();
    {
        const QSignalBlocker blocker(m_model);
        m_model->clear();
        m_model->setEditText(modelDisplayName(name, m_wantedModel));
    }
    if (name == "local" && m_concurrency->value() == kDefaultJudgeConcurrency)
        m_concurrency->setValue(engine::kLocalModelConcurrency);
    refreshModels();
}

void EvaluationDialog::refreshModels() {
    const ProviderChoice choice = currentChoice();
    const int generation = ++m_fetchGeneration;
    fetchModels(this, m_modelStatus, m_context.providerAccess(), choice,
                [this, generation, providerName = choice.name](const ModelFetch& fetch) {
                    if (generation != m_fetchGeneration)
                        return;
                    if (showModels(m_model, m_modelStatus, fetch, m_wantedModel, providerName))
                        m_wantedModel = currentModelId();
                });
}

} // namespace sds::gui
