#include "gui/SuggestionDialogs.h"

#include "core/JsonStream.h"
#include "engine/CurationRun.h"
#include "engine/Suggestions.h"
#include "gui/Background.h"
#include "gui/FieldMessage.h"
#include "gui/Format.h"

#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace sds::gui {
namespace {

constexpr int kInputSample = 5;

// The context the engine is given: the job as the wizard has it, plus a few curation inputs.
engine::SuggestionContext contextFor(const JobSpec& job, const std::string& useCase) {
    engine::SuggestionContext context;
    context.useCase = useCase;
    context.job = job;
    if (job.workflow != Workflow::CustomDataCuration || job.inputFiles.empty())
        return context;
    JsonElementReader reader(job.inputFiles.front());
    if (!reader.open().empty())
        return context;
    while (static_cast<int>(context.inputSample.size()) < kInputSample) {
        auto element = reader.next();
        if (!element)
            break;
        if (auto text = engine::curationInputText(element->value, job.inputKey))
            context.inputSample.push_back(std::move(*text));
    }
    return context;
}

} // namespace

SuggestionDialog::SuggestionDialog(ProviderAccess access, JobSpec job, QString initialUseCase,
                                   QWidget* parent)
    : QDialog(parent), m_access(std::move(access)), m_job(std::move(job)) {
    setAttribute(Qt::WA_DeleteOnClose);
    resize(640, 480);
    m_useCase = new QLineEdit(this);
    m_useCase->setObjectName(QStringLiteral("useCaseEdit"));
    m_useCase->setPlaceholderText(tr("e.g. Questions a new employee asks about our expense policy"));
    m_useCase->setText(initialUseCase);
    m_ask = new QPushButton(this);
    m_ask->setObjectName(QStringLiteral("askModelButton"));
    m_ask->setDefault(true);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("suggestionStatusLabel"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setVisible(false);
    m_cancel = new QPushButton(tr("Cancel request"), this);
    m_cancel->setObjectName(QStringLiteral("cancelSuggestionButton"));
    m_cancel->setVisible(false);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_buttons->button(QDialogButtonBox::Close)->setObjectName(QStringLiteral("closeSuggestionButton"));
    m_buttons->button(QDialogButtonBox::Close)->setAutoDefault(false);

    auto* useCaseLabel = new QLabel(tr("What is the dataset &for? A sentence or two."), this);
    useCaseLabel->setBuddy(m_useCase);
    auto* model = new QLabel(tr("Asks %1 (%2).")
                                 .arg(providerDisplayName(m_job.provider.name),
                                      m_job.provider.model.empty()
                                          ? tr("its default model")
                                          : modelDisplayName(m_job.provider.name, m_job.provider.model)),
                             this);
    model->setWordWrap(true);
    model->setStyleSheet(QStringLiteral("color: palette(mid);"));
    auto* statusRow = new QHBoxLayout;
    statusRow->addWidget(m_status, 1);
    statusRow->addWidget(m_cancel);
    m_content = new QVBoxLayout;
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(useCaseLabel);
    layout->addWidget(m_useCase);
    layout->addWidget(model);
    layout->addLayout(m_content, 1);
    layout->addLayout(statusRow);
    layout->addWidget(m_buttons);

    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_ask, &QPushButton::clicked, this, [this] {
        if (m_useCase->text().trimmed().isEmpty()) {
            showStatus(false, tr("Say in a sentence what the dataset is for."));
            m_useCase->setFocus();
            return;
        }
        emit useCaseChanged(useCase());
        startRequest();
    });
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        m_token.cancel();
        m_cancel->setEnabled(false);
        m_status->setText(tr("Cancelling…"));
    });
}

SuggestionDialog::~SuggestionDialog() {
    m_token.cancel();
}

QString SuggestionDialog::useCase() const {
    return m_useCase->text().trimmed();
}

void SuggestionDialog::setBusy(bool busy, const QString& status) {
    m_busy = busy;
    m_ask->setEnabled(!busy);
    m_useCase->setReadOnly(busy);
    m_cancel->setVisible(busy);
    m_cancel->setEnabled(busy);
    if (busy) {
        m_status->setStyleSheet(QString());
        m_status->setText(status);
        m_status->setVisible(true);
    }
}

void SuggestionDialog::showStatus(bool ok, const QString& message) {
    showOutcome(m_status, ok, message);
}

template <typename Result, typename Ask, typename Done> void SuggestionDialog::askModel(Ask ask, Done done) {
    m_token = CancellationToken();
    runInBackground(
        this,
        [access = m_access, job = m_job, useCase = ss(useCase()), cancel = m_token,
         ask = std::move(ask)]() -> Result {
            auto made = access.makeProvider(job.provider);
            if (!made.ok())
                return Result{qs(made.error().message), {}};
            auto provider = made.value();
            engine::SuggestionContext context = contextFor(job, useCase);
            if (context.job.provider.model.empty())
                context.job.provider.model = provider->defaultModel();
            return Result{{}, ask(provider, context, cancel)};
        },
        [this, done = std::move(done)](const Result& result) {
            const bool cancelled = m_token.isCancelled();
            setBusy(false);
            done(result, cancelled);
        },
        providerCallPool());
}

namespace {

struct PromptAnswer {
    QString providerError;
    engine::PromptSuggestion suggestion;
};

struct SeedsAnswer {
    QString providerError;
    engine::SeedSuggestions suggestions;
};

} // namespace

PromptSuggestionDialog::PromptSuggestionDialog(ProviderAccess access, JobSpec job, QString initialUseCase,
                                               QWidget* parent)
    : SuggestionDialog(std::move(access), std::move(job), std::move(initialUseCase), parent) {
    setObjectName(QStringLiteral("promptSuggestionDialog"));
    setWindowTitle(tr("Generate prompt"));
    m_ask->setText(tr("&Generate"));
    m_suggestion = new QPlainTextEdit(this);
    m_suggestion->setObjectName(QStringLiteral("suggestedPromptEdit"));
    m_suggestion->setPlaceholderText(tr("The model's prompt appears here; you can edit it before using it."));
    m_suggestion->setTabChangesFocus(true);
    m_use = new QPushButton(tr("&Use this prompt"), this);
    m_use->setObjectName(QStringLiteral("useSuggestedPromptButton"));
    m_use->setToolTip(tr("Replaces the prompt in the editor; Undo there brings the old one back"));
    m_use->setEnabled(false);
    m_buttons->addButton(m_use, QDialogButtonBox::AcceptRole);
    auto* askRow = new QHBoxLayout;
    askRow->addWidget(m_ask);
    askRow->addStretch();
    m_content->addLayout(askRow);
    m_content->addWidget(m_suggestion, 1);

    connect(m_suggestion, &QPlainTextEdit::textChanged, this,
            [this] { m_use->setEnabled(!busy() && !m_suggestion->toPlainText().trimmed().isEmpty()); });
    connect(m_use, &QPushButton::clicked, this, [this] {
        emit promptChosen(m_suggestion->toPlainText());
        accept();
    });
}

void PromptSuggestionDialog::startRequest() {
    setBusy(true, tr("Asking the model for a prompt…"));
    m_use->setEnabled(false);
    askModel<PromptAnswer>(
        [](std::shared_ptr<providers::Provider> provider, const engine::SuggestionContext& context,
           const CancellationToken& cancel) { return engine::suggestPrompt(provider, context, {}, cancel); },
        [this](const PromptAnswer& answer, bool cancelled) {
            if (cancelled)
                return showStatus(false, tr("Cancelled."));
            if (!answer.providerError.isEmpty())
                return showStatus(false, tr("Cannot ask the model: %1").arg(answer.providerError));
            if (!answer.suggestion.error.empty())
                return showStatus(false, tr("No prompt came back: %1").arg(qs(answer.suggestion.error)));
            m_suggestion->setPlainText(qs(answer.suggestion.prompt));
            showStatus(true, tr("Read it, edit it if you like, then use it."));
            m_use->setEnabled(true);
        });
}

SeedSuggestionDialog::SeedSuggestionDialog(ProviderAccess access, JobSpec job, QString initialUseCase,
                                           QWidget* parent)
    : SuggestionDialog(std::move(access), std::move(job), std::move(initialUseCase), parent) {
    setObjectName(QStringLiteral("seedSuggestionDialog"));
    setWindowTitle(tr("Suggest seeds"));
    m_ask->setText(tr("&Suggest"));
    m_count = new QSpinBox(this);
    m_count->setObjectName(QStringLiteral("seedCountSpin"));
    m_count->setRange(1, 100);
    m_count->setValue(10);
    m_seeds = new QListWidget(this);
    m_seeds->setObjectName(QStringLiteral("suggestedSeedsList"));
    m_note = new QLabel(this);
    m_note->setObjectName(QStringLiteral("suggestedSeedsNote"));
    m_note->setWordWrap(true);
    m_note->setText(
        tr("New seeds are never near-duplicates of the ones already listed (%1).")
            .arg(counted(static_cast<std::int64_t>(m_job.seeds.size()), tr("seed"), tr("seeds"))));
    m_add = new QPushButton(tr("&Add checked seeds"), this);
    m_add->setObjectName(QStringLiteral("addCheckedSeedsButton"));
    m_add->setEnabled(false);
    m_buttons->addButton(m_add, QDialogButtonBox::AcceptRole);

    auto* askRow = new QHBoxLayout;
    auto* countLabel = new QLabel(tr("&How many"), this);
    countLabel->setBuddy(m_count);
    askRow->addWidget(countLabel);
    askRow->addWidget(m_count);
    askRow->addWidget(m_ask);
    askRow->addStretch();
    m_content->addLayout(askRow);
    m_content->addWidget(m_seeds, 1);
    m_content->addWidget(m_note);

    connect(m_seeds, &QListWidget::itemChanged, this, &SeedSuggestionDialog::updateAddButton);
    connect(m_add, &QPushButton::clicked, this, [this] {
        std::vector<std::string> chosen;
        for (int i = 0; i < m_seeds->count(); ++i)
            if (m_seeds->item(i)->checkState() == Qt::Checked)
                chosen.push_back(ss(m_seeds->item(i)->text()));
        emit seedsChosen(chosen);
        accept();
    });
}

void SeedSuggestionDialog::updateAddButton() {
    int checked = 0;
    for (int i = 0; i < m_seeds->count(); ++i)
        checked += m_seeds->item(i)->checkState() == Qt::Checked ? 1 : 0;
    m_add->setEnabled(!busy() && checked > 0);
    m_add->setText(checked > 0 ? tr("&Add %1").arg(counted(checked, tr("seed"), tr("seeds")))
                               : tr("&Add checked seeds"));
}

void SeedSuggestionDialog::startRequest() {
    const int count = m_count->value();
    setBusy(true, tr("Asking the model for %1…").arg(counted(count, tr("seed"), tr("seeds"))));
    m_add->setEnabled(false);
    // Seeds suggested earlier in this dialog count as listed, so asking again brings new ones.
    for (int i = 0; i < m_seeds->count(); ++i) {
        std::string seed = ss(m_seeds->item(i)->text());
        if (std::find(m_job.seeds.begin(), m_job.seeds.end(), seed) == m_job.seeds.end())
            m_job.seeds.push_back(std::move(seed));
    }
    askModel<SeedsAnswer>(
        [count](std::shared_ptr<providers::Provider> provider, const engine::SuggestionContext& context,
                const CancellationToken& cancel) {
            return engine::suggestSeeds(provider, context, count, {}, cancel);
        },
        [this](const SeedsAnswer& answer, bool cancelled) {
            updateAddButton();
            if (cancelled)
                return showStatus(false, tr("Cancelled."));
            if (!answer.providerError.isEmpty())
                return showStatus(false, tr("Cannot ask the model: %1").arg(answer.providerError));
            const auto& suggestions = answer.suggestions;
            {
                const QSignalBlocker blocker(m_seeds);
                for (const auto& seed : suggestions.seeds) {
                    auto* item = new QListWidgetItem(qs(seed), m_seeds);
                    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
                    item->setCheckState(Qt::Checked);
                }
            }
            updateAddButton();
            QString message = suggestions.seeds.empty()
                                  ? tr("No new seed came back: %1").arg(qs(suggestions.error))
                                  : tr("%1: uncheck those you do not want.")
                                        .arg(counted(static_cast<std::int64_t>(suggestions.seeds.size()),
                                                     tr("new seed"), tr("new seeds")));
            if (!suggestions.rejected.empty())
                message += QLatin1Char(' ') +
                           tr("%1 left out as too close to seeds already listed.")
                               .arg(counted(static_cast<std::int64_t>(suggestions.rejected.size()),
                                            tr("suggestion"), tr("suggestions")));
            showStatus(!suggestions.seeds.empty(), message);
        });
}

} // namespace sds::gui
