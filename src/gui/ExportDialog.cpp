#include "gui/ExportDialog.h"

#include "core/export/DatasetExport.h"
#include "engine/RunTools.h"
#include "gui/AppContext.h"
#include "gui/Background.h"
#include "gui/Dialogs.h"
#include "gui/FieldMessage.h"
#include "gui/Format.h"
#include "gui/Workspace.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>
#include <filesystem>
#include <limits>

namespace sds::gui {
namespace {

QString extensionOf(const QString& format) {
    const auto parsed = exporting::exportFormatFromString(ss(format));
    return qs(exporting::fileExtension(parsed.value_or(exporting::ExportFormat::OpenAiChat)));
}

} // namespace

ExportDialog::ExportDialog(AppContext& context, const RunRecord& record, QWidget* parent)
    : QDialog(parent), m_context(context), m_record(record) {
    setObjectName(QStringLiteral("exportDialog"));
    setWindowTitle(tr("Export \"%1\"").arg(qs(record.displayName)));
    setAttribute(Qt::WA_DeleteOnClose);
    setWindowModality(Qt::WindowModal);

    m_format = new QComboBox(this);
    m_format->setObjectName(QStringLiteral("exportFormatCombo"));
    m_format->addItem(tr("OpenAI chat (JSONL)"), QStringLiteral("openai"));
    m_format->addItem(tr("Hugging Face (JSONL)"), QStringLiteral("hf"));
    m_format->addItem(tr("CSV"), QStringLiteral("csv"));
    m_format->addItem(tr("Alpaca (JSONL)"), QStringLiteral("alpaca"));
    m_format->addItem(tr("Bedrock conversation (JSONL)"), QStringLiteral("bedrock"));

    m_output = new QLineEdit(this);
    m_output->setObjectName(QStringLiteral("exportOutputEdit"));
    m_output->setMinimumWidth(420);
    m_output->setText(defaultOutput(QStringLiteral(".jsonl")));
    auto* browse = new QToolButton(this);
    browse->setObjectName(QStringLiteral("browseExportOutputButton"));
    browse->setText(tr("Browse…"));
    auto* outputRow = new QHBoxLayout;
    outputRow->addWidget(m_output, 1);
    outputRow->addWidget(browse);

    m_split = new QCheckBox(tr("Split into &train and validation files"), this);
    m_split->setObjectName(QStringLiteral("exportSplitCheck"));
    m_trainFraction = new QDoubleSpinBox(this);
    m_trainFraction->setObjectName(QStringLiteral("exportTrainFractionSpin"));
    m_trainFraction->setRange(0.01, 0.99);
    m_trainFraction->setSingleStep(0.05);
    m_trainFraction->setDecimals(2);
    m_trainFraction->setValue(0.9);
    m_trainFraction->setToolTip(tr("The share of rows for training; the rest is for validation"));
    m_randomSeed = new QSpinBox(this);
    m_randomSeed->setObjectName(QStringLiteral("exportRandomSeedSpin"));
    m_randomSeed->setRange(0, std::numeric_limits<int>::max());
    m_randomSeed->setValue(42);
    m_randomSeed->setToolTip(tr("The same seed shuffles the same rows into the same files"));
    auto* splitRow = new QHBoxLayout;
    splitRow->addWidget(m_split);
    splitRow->addWidget(new QLabel(tr("train share"), this));
    splitRow->addWidget(m_trainFraction);
    splitRow->addWidget(new QLabel(tr("random seed"), this));
    splitRow->addWidget(m_randomSeed);
    splitRow->addStretch();

    m_minScoreCheck = new QCheckBox(tr("Only rows scoring at &least"), this);
    m_minScoreCheck->setObjectName(QStringLiteral("exportMinScoreCheck"));
    m_minScore = new QDoubleSpinBox(this);
    m_minScore->setObjectName(QStringLiteral("exportMinScoreSpin"));
    m_minScore->setRange(-1000, 1000);
    m_minScore->setDecimals(1);
    m_minScore->setValue(3);
    m_validOnly = new QCheckBox(tr("Drop rows that &failed validation"), this);
    m_validOnly->setObjectName(QStringLiteral("exportValidOnlyCheck"));
    auto* keepRow = new QHBoxLayout;
    keepRow->addWidget(m_minScoreCheck);
    keepRow->addWidget(m_minScore);
    keepRow->addSpacing(16);
    keepRow->addWidget(m_validOnly);
    keepRow->addStretch();
    if (!record.score) {
        m_minScoreCheck->setEnabled(false);
        m_minScoreCheck->setToolTip(tr("Evaluate the run first"));
    }
    if (record.validationJson.empty()) {
        m_validOnly->setEnabled(false);
        m_validOnly->setToolTip(tr("Only SQL and code rows are validated"));
    }

    m_system = new QPlainTextEdit(this);
    m_system->setObjectName(QStringLiteral("exportSystemEdit"));
    m_system->setPlaceholderText(tr("Optional: a system message for every conversation (OpenAI, Bedrock)"));
    m_system->setFixedHeight(m_system->fontMetrics().lineSpacing() * 4);

    m_result = new QLabel(this);
    m_result->setObjectName(QStringLiteral("exportResultLabel"));
    m_result->setVisible(false);
    m_files = new QListWidget(this);
    m_files->setObjectName(QStringLiteral("exportedFilesList"));
    m_files->setVisible(false);
    m_files->setMaximumHeight(90);

    auto* buttons = new QDialogButtonBox(this);
    m_export = buttons->addButton(tr("&Export"), QDialogButtonBox::AcceptRole);
    m_export->setObjectName(QStringLiteral("startExportButton"));
    auto* close = buttons->addButton(QDialogButtonBox::Close);
    close->setObjectName(QStringLiteral("closeExportButton"));

    auto* form = new QFormLayout;
    form->addRow(tr("&Format"), m_format);
    auto* buddyLabel = new QLabel(tr("&Output file"), this);
    buddyLabel->setBuddy(m_output);
    form->addRow(buddyLabel, outputRow);
    form->addRow(tr("Split"), splitRow);
    form->addRow(tr("Rows"), keepRow);
    form->addRow(tr("&System message"), m_system);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_result);
    layout->addWidget(m_files);
    layout->addWidget(buttons);

    const auto updateSplit = [this] {
        m_trainFraction->setEnabled(m_split->isChecked());
        m_randomSeed->setEnabled(m_split->isChecked());
    };
    updateSplit();
    connect(m_split, &QCheckBox::toggled, this, updateSplit);
    connect(m_minScoreCheck, &QCheckBox::toggled, m_minScore, &QWidget::setEnabled);
    m_minScore->setEnabled(false);
    connect(m_format, &QComboBox::currentIndexChanged, this, &ExportDialog::formatChanged);
    connect(browse, &QToolButton::clicked, this, &ExportDialog::browse);
    connect(m_export, &QPushButton::clicked, this, &ExportDialog::startExport);
    connect(close, &QPushButton::clicked, this, &QDialog::reject);
}

ExportDialog* ExportDialog::openFor(AppContext& context, const RunRecord& record, QWidget* parent) {
    auto* dialog = new ExportDialog(context, record, parent);
    dialog->open();
    return dialog;
}

QString ExportDialog::defaultOutput(const QString& extension) const {
    const std::filesystem::path dataset = m_record.outputPath;
    const auto folder =
        dataset.empty() ? m_context.workspace().project().datasetsDir() : dataset.parent_path();
    const std::string stem = dataset.empty() ? m_record.id : dataset.stem().string();
    const QString format = m_format ? m_format->currentData().toString() : QStringLiteral("openai");
    return qs((folder / (stem + "_" + ss(format) + ss(extension))).string());
}

void ExportDialog::formatChanged() {
    const QString extension = extensionOf(m_format->currentData().toString());
    QString path = m_output->text().trimmed();
    const QFileInfo info(path);
    // Follow the format while the name is still one we suggested.
    for (int i = 0; i < m_format->count(); ++i) {
        const QString format = m_format->itemData(i).toString();
        const QString suggested = QStringLiteral("_%1%2").arg(format, extensionOf(format));
        if (path.endsWith(suggested)) {
            m_output->setText(path.left(path.size() - suggested.size()) + QStringLiteral("_") +
                              m_format->currentData().toString() + extension);
            return;
        }
    }
    if (!info.suffix().isEmpty() && QLatin1Char('.') + info.suffix() != extension)
        m_output->setText(path.left(path.size() - info.suffix().size() - 1) + extension);
}

void ExportDialog::browse() {
    const QString extension = extensionOf(m_format->currentData().toString());
    const QString chosen = Dialogs::current().saveFile(
        this, tr("Export to"), m_output->text(),
        extension == QLatin1String(".csv") ? tr("CSV files (*.csv)") : tr("JSON Lines files (*.jsonl)"));
    if (!chosen.isEmpty())
        m_output->setText(chosen);
}

void ExportDialog::startExport() {
    if (m_busy)
        return;
    const auto format = exporting::exportFormatFromString(ss(m_format->currentData().toString()));
    const QString output = m_output->text().trimmed();
    if (!format || output.isEmpty()) {
        showOutcome(m_result, false, tr("Choose a file to export to."));
        return;
    }
    exporting::ExportRequest request;
    request.format = *format;
    request.output = ss(output);
    if (m_split->isChecked())
        request.trainFraction = m_trainFraction->value();
    request.randomSeed = static_cast<std::uint64_t>(m_randomSeed->value());
    request.systemPrompt = ss(m_system->toPlainText().trimmed());
    engine::RowSelection selection;
    if (m_minScoreCheck->isChecked())
        selection.minScore = m_minScore->value();
    selection.validOnly = m_validOnly->isChecked();

    m_busy = true;
    m_export->setEnabled(false);
    m_files->clear();
    m_files->setVisible(false);
    showOutcome(m_result, true, tr("Exporting…"));
    runInBackground(
        this,
        [history = m_context.workspace().history(), runId = m_record.id, request, selection] {
            engine::RunTools tools(*history);
            auto loaded = tools.load(runId);
            if (auto* error = std::get_if<std::string>(&loaded)) {
                exporting::ExportResult failed;
                failed.error = *error;
                return failed;
            }
            return tools.exportRun(std::get<engine::LoadedRun>(loaded), request, selection);
        },
        [this](const exporting::ExportResult& result) {
            m_busy = false;
            m_export->setEnabled(true);
            if (!result.ok()) {
                showOutcome(m_result, false, tr("Cannot export: %1").arg(qs(result.error)));
                return;
            }
            const std::size_t written = result.rowsRead - result.rowsDropped - result.rowsSkipped;
            QString message =
                tr("Exported %1 of %2.")
                    .arg(formatCount(static_cast<std::int64_t>(written)),
                         counted(static_cast<std::int64_t>(result.rowsRead), tr("row"), tr("rows")));
            if (result.rowsDropped > 0)
                message += QLatin1Char(' ') + tr("%1 filtered out.").arg(result.rowsDropped);
            if (result.rowsSkipped > 0)
                message += QLatin1Char(' ') +
                           tr("%1 without a prompt or completion skipped.").arg(result.rowsSkipped);
            showOutcome(m_result, true, message);
            for (const auto& file : result.files) {
                auto* item = new QListWidgetItem(
                    tr("%1: %2  %3")
                        .arg(qs(file.part),
                             counted(static_cast<std::int64_t>(file.rows), tr("row"), tr("rows")),
                             qs(file.path.string())),
                    m_files);
                item->setData(Qt::UserRole, qs(file.path.string()));
                item->setData(Qt::UserRole + 1, static_cast<qulonglong>(file.rows));
            }
            m_files->setVisible(true);
            emit exported(qs(m_record.id));
        });
}

} // namespace sds::gui
