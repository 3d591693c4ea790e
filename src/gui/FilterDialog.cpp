#include "gui/FilterDialog.h"

#include "engine/RunTools.h"
#include "gui/AppContext.h"
#include "gui/Background.h"
#include "gui/Dialogs.h"
#include "gui/FieldMessage.h"
#include "gui/Format.h"
#include "gui/Workspace.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>
#include <filesystem>

namespace sds::gui {

std::pair<int, int> scoreScale(AppContext& context, const RunRecord& record) {
    EvaluationRubric rubric = defaultEvaluationRubric();
    if (const Template* source = context.workspace().findTemplate(record.templateId))
        rubric = source->evaluation;
    std::pair<int, int> scale{rubric.minScore, rubric.maxScore};
    if (!record.evaluationJson.empty()) {
        const auto json = nlohmann::json::parse(record.evaluationJson, nullptr, false);
        if (json.is_object()) {
            const auto stored = json.value("scale", nlohmann::json::object());
            scale = {stored.value("min", scale.first), stored.value("max", scale.second)};
        }
    }
    return scale;
}

FilterDialog::FilterDialog(AppContext& context, const RunRecord& record, int minScore, int maxScore,
                           QWidget* parent)
    : QDialog(parent), m_context(context), m_record(record) {
    setObjectName(QStringLiteral("filterDialog"));
    setWindowTitle(tr("Keep the good rows of \"%1\"").arg(qs(record.displayName)));
    setAttribute(Qt::WA_DeleteOnClose);
    setWindowModality(Qt::WindowModal);

    m_minScoreCheck = new QCheckBox(tr("Rows scoring at &least"), this);
    m_minScoreCheck->setObjectName(QStringLiteral("filterMinScoreCheck"));
    m_minScore = new QSpinBox(this);
    m_minScore->setObjectName(QStringLiteral("filterMinScoreSpin"));
    m_minScore->setRange(minScore, maxScore);
    m_minScore->setValue(minScore + (maxScore - minScore + 1) / 2);
    m_minScore->setSuffix(tr(" of %1").arg(maxScore));
    const bool evaluated = record.score.has_value();
    m_minScoreCheck->setChecked(evaluated);
    m_minScoreCheck->setEnabled(evaluated);
    m_minScore->setEnabled(evaluated);
    if (!evaluated)
        m_minScoreCheck->setToolTip(tr("Evaluate the run first"));
    auto* scoreRow = new QHBoxLayout;
    scoreRow->addWidget(m_minScoreCheck);
    scoreRow->addWidget(m_minScore);
    scoreRow->addStretch();

    m_validOnly = new QCheckBox(tr("Drop rows that &failed validation"), this);
    m_validOnly->setObjectName(QStringLiteral("filterValidOnlyCheck"));
    m_validOnly->setEnabled(!record.validationJson.empty());
    if (record.validationJson.empty())
        m_validOnly->setToolTip(tr("Only SQL and code rows are validated"));

    m_output = new QLineEdit(this);
    m_output->setObjectName(QStringLiteral("filterOutputEdit"));
    m_output->setMinimumWidth(420);
    const std::filesystem::path dataset = record.outputPath;
    if (!dataset.empty())
        m_output->setText(
            qs((dataset.parent_path() / (dataset.stem().string() + "_filtered.json")).string()));
    auto* browse = new QToolButton(this);
    browse->setObjectName(QStringLiteral("browseFilterOutputButton"));
    browse->setText(tr("Browse…"));
    auto* outputRow = new QHBoxLayout;
    outputRow->addWidget(m_output, 1);
    outputRow->addWidget(browse);

    auto* note =
        new QLabel(tr("The rows kept are written to a new file; the dataset itself is not changed."), this);
    note->setWordWrap(true);
    note->setStyleSheet(QStringLiteral("color: palette(mid);"));
    m_result = new QLabel(this);
    m_result->setObjectName(QStringLiteral("filterResultLabel"));
    m_result->setVisible(false);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* buttons = new QDialogButtonBox(this);
    m_keep = buttons->addButton(tr("&Keep rows"), QDialogButtonBox::AcceptRole);
    m_keep->setObjectName(QStringLiteral("startFilterButton"));
    auto* close = buttons->addButton(QDialogButtonBox::Close);
    close->setObjectName(QStringLiteral("closeFilterButton"));

    auto* form = new QFormLayout;
    form->addRow(tr("Keep"), scoreRow);
    form->addRow(QString(), m_validOnly);
    auto* buddyLabel = new QLabel(tr("&Output file"), this);
    buddyLabel->setBuddy(m_output);
    form->addRow(buddyLabel, outputRow);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addWidget(m_result);
    layout->addWidget(buttons);

    connect(m_minScoreCheck, &QCheckBox::toggled, m_minScore, &QWidget::setEnabled);
    connect(browse, &QToolButton::clicked, this, &FilterDialog::browse);
    connect(m_keep, &QPushButton::clicked, this, &FilterDialog::keep);
    connect(close, &QPushButton::clicked, this, &QDialog::reject);
}

FilterDialog* FilterDialog::openFor(AppContext& context, const RunRecord& record, QWidget* parent) {
    const auto [minScore, maxScore] = scoreScale(context, record);
    auto* dialog = new FilterDialog(context, record, minScore, maxScore, parent);
    dialog->open();
    return dialog;
}

void FilterDialog::browse() {
    const QString chosen = Dialogs::current().saveFile(this, tr("Save the rows kept to"), m_output->text(),
                                                       tr("JSON files (*.json)"));
    if (!chosen.isEmpty())
        m_output->setText(chosen);
}

void FilterDialog::keep() {
    if (m_busy)
        return;
    engine::RowSelection selection;
    if (m_minScoreCheck->isChecked())
        selection.minScore = m_minScore->value();
    selection.validOnly = m_validOnly->isChecked();
    if (selection.empty()) {
        showOutcome(m_result, false,
                    tr("Choose a minimum score, or to drop the rows that failed validation."));
        return;
    }
    m_busy = true;
    m_keep->setEnabled(false);
    showOutcome(m_result, true, tr("Writing the rows kept…"));
    runInBackground(
        this,
        [history = m_context.workspace().history(), runId = m_record.id, selection,
         output = ss(m_output->text().trimmed())] {
            engine::RunTools tools(*history);
            auto loaded = tools.load(runId);
            if (auto* error = std::get_if<std::string>(&loaded)) {
                engine::FilterReport failed;
                failed.error = *error;
                return failed;
            }
            return tools.filter(std::get<engine::LoadedRun>(loaded), selection, output);
        },
        [this](const engine::FilterReport& report) {
            m_busy = false;
            m_keep->setEnabled(true);
            if (!report.error.empty()) {
                showOutcome(m_result, false, tr("Cannot filter: %1").arg(qs(report.error)));
                return;
            }
            showOutcome(m_result, true,
                        tr("Kept %1, dropped %2: %3")
                            .arg(counted(static_cast<std::int64_t>(report.rowsKept), tr("row"), tr("rows")),
                                 formatCount(static_cast<std::int64_t>(report.rowsDropped)),
                                 qs(report.output.string())));
            emit filtered(qs(m_record.id), qs(report.output.string()));
        });
}

} // namespace sds::gui
