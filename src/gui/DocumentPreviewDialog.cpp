#include "gui/DocumentPreviewDialog.h"

#include "core/JsonStream.h"
#include "core/documents/Chunker.h"
#include "core/documents/DocumentText.h"
#include "engine/CurationRun.h"
#include "gui/Background.h"
#include "gui/FieldMessage.h"
#include "gui/Format.h"

#include <QDialogButtonBox>
#include <QFileInfo>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QVBoxLayout>

namespace sds::gui {
namespace {

constexpr qsizetype kShownCharacters = 200'000;

CurationFileCheck checkCurationFile(const JobSpec& job, int sampleSize) {
    CurationFileCheck result;
    const std::string& path = job.inputFiles.front();
    result.path = qs(path);
    const auto check = engine::checkCurationInput(path, job.inputKey);
    result.error = qs(check.error);
    result.elements = static_cast<qsizetype>(check.elements);
    result.missing = static_cast<qsizetype>(check.missingField.size());
    result.skipped = qs(engine::describeSkipped(check, job.inputKey));
    if (!result.error.isEmpty() || sampleSize < 1)
        return result;
    JsonElementReader reader(path);
    if (!reader.open().empty())
        return result;
    while (result.sample.size() < sampleSize) {
        auto element = reader.next();
        if (!element)
            break;
        if (auto text = engine::curationInputText(element->value, job.inputKey))
            result.sample << qs(*text);
    }
    return result;
}

DocumentCheck checkDocument(const std::string& path, const documents::ChunkOptions& options, bool keepText) {
    DocumentCheck result;
    result.path = qs(path);
    const auto document = documents::extractText(path);
    for (const auto& warning : document.warnings)
        result.warnings << qs(warning);
    if (!document.ok()) {
        result.error = qs(document.error);
        return result;
    }
    const auto chunks = documents::chunkText(document.text, options);
    result.excerpts = static_cast<int>(chunks.size());
    if (!chunks.empty())
        result.firstExcerpt = qs(chunks.front());
    const QString text = qs(document.text);
    result.characters = text.size();
    if (keepText)
        result.text = text;
    if (chunks.empty())
        result.error = QObject::tr("%1: no text to generate from").arg(QFileInfo(result.path).fileName());
    return result;
}

QString oneLine(const QString& text, int length) {
    QString line = text.simplified();
    if (line.size() > length)
        line = line.left(length - 1) + QStringLiteral("…");
    return line;
}

} // namespace

int InputCheck::usableDocuments() const {
    return static_cast<int>(
        std::count_if(documents.begin(), documents.end(), [](const DocumentCheck& d) { return d.ok(); }));
}

int InputCheck::excerpts() const {
    int total = 0;
    for (const auto& document : documents)
        total += document.ok() ? document.excerpts : 0;
    return total;
}

QStringList InputCheck::fileErrors() const {
    QStringList errors;
    for (const auto& document : documents)
        if (!document.ok())
            errors << document.error;
    if (curation && !curation->error.isEmpty())
        errors << curation->error;
    return errors;
}

InputCheck checkInputFiles(const JobSpec& job, bool keepText, int sampleSize,
                           const CancellationToken& cancel) {
    InputCheck check;
    check.workflow = job.workflow;
    if (job.inputFiles.empty())
        return check;
    if (job.workflow == Workflow::CustomDataCuration) {
        check.curation = checkCurationFile(job, sampleSize);
        return check;
    }
    const documents::ChunkOptions options{static_cast<std::size_t>(std::max(job.chunkSize, 1)),
                                          static_cast<std::size_t>(std::max(job.chunkOverlap, 0))};
    for (const auto& file : job.inputFiles) {
        if (cancel.isCancelled()) {
            check.cancelled = true;
            break;
        }
        check.documents.push_back(checkDocument(file, options, keepText));
    }
    return check;
}

DocumentPreviewDialog::DocumentPreviewDialog(const JobSpec& job, QWidget* parent)
    : QDialog(parent), m_job(job) {
    setObjectName(QStringLiteral("documentPreviewDialog"));
    setAttribute(Qt::WA_DeleteOnClose);
    const bool curation = job.workflow == Workflow::CustomDataCuration;
    setWindowTitle(curation ? tr("Preview the file to curate") : tr("Preview the documents"));
    resize(860, 560);

    m_summary = new QLabel(tr("Reading the files…"), this);
    m_summary->setObjectName(QStringLiteral("previewSummaryLabel"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_items = new QListWidget(this);
    m_items->setObjectName(QStringLiteral("previewItemsList"));
    m_detail = new QLabel(this);
    m_detail->setObjectName(QStringLiteral("previewDetailLabel"));
    m_detail->setWordWrap(true);
    m_detail->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_text = new QPlainTextEdit(this);
    m_text->setObjectName(QStringLiteral("previewText"));
    m_text->setReadOnly(true);

    auto* right = new QWidget(this);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(m_detail);
    rightLayout->addWidget(m_text, 1);
    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(m_items);
    splitter->addWidget(right);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 3);
    splitter->setChildrenCollapsible(false);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->button(QDialogButtonBox::Close)->setObjectName(QStringLiteral("closePreviewButton"));
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addWidget(splitter, 1);
    layout->addWidget(buttons);

    connect(m_items, &QListWidget::currentRowChanged, this, &DocumentPreviewDialog::showItem);
    runInBackground(
        this, [job = m_job, cancel = m_cancel] { return checkInputFiles(job, true, 20, cancel); },
        [this](const InputCheck& check) { showCheck(check); });
}

DocumentPreviewDialog::~DocumentPreviewDialog() {
    m_cancel.cancel();
}

void DocumentPreviewDialog::showCheck(const InputCheck& check) {
    m_check = check;
    m_finished = true;
    m_items->clear();
    if (check.curation) {
        const auto& file = *check.curation;
        if (!file.error.isEmpty()) {
            showOutcome(m_summary, false, file.error);
        } else {
            QString summary = tr("%1: %2.").arg(QFileInfo(file.path).fileName(),
                                                counted(file.elements, tr("element"), tr("elements")));
            summary += QLatin1Char(' ') +
                       (file.missing == 0 ? tr("Every element has the field \"%1\".").arg(qs(m_job.inputKey))
                                          : tr("%1 without the field \"%2\" will be skipped.")
                                                .arg(counted(file.missing, tr("element"), tr("elements")),
                                                     qs(m_job.inputKey)));
            m_summary->setStyleSheet(QString());
            m_summary->setText(summary);
            if (!file.skipped.isEmpty())
                m_summary->setToolTip(file.skipped);
        }
        for (int i = 0; i < file.sample.size(); ++i)
            m_items->addItem(QStringLiteral("%1. %2").arg(i + 1).arg(oneLine(file.sample[i], 60)));
    } else {
        m_summary->setStyleSheet(QString());
        m_summary->setText(tr("%1 of %2 usable, %3 in all.")
                               .arg(check.usableDocuments())
                               .arg(counted(static_cast<std::int64_t>(check.documents.size()), tr("document"),
                                            tr("documents")))
                               .arg(counted(check.excerpts(), tr("excerpt"), tr("excerpts"))));
        for (const auto& document : check.documents) {
            auto* item = new QListWidgetItem(QFileInfo(document.path).fileName(), m_items);
            item->setToolTip(document.path);
            if (!document.ok())
                item->setForeground(QColor(0xb3, 0x26, 0x1e));
        }
    }
    if (m_items->count() > 0)
        m_items->setCurrentRow(0);
    else
        showItem(-1);
    emit checked();
}

void DocumentPreviewDialog::showItem(int row) {
    if (row < 0) {
        m_detail->clear();
        m_text->clear();
        return;
    }
    if (m_check.curation) {
        if (row >= m_check.curation->sample.size())
            return;
        m_detail->setStyleSheet(QString());
        m_detail->setText(tr("Input %1 (the field \"%2\")").arg(row + 1).arg(qs(m_job.inputKey)));
        m_text->setPlainText(m_check.curation->sample[row]);
        return;
    }
    if (row >= static_cast<int>(m_check.documents.size()))
        return;
    const auto& document = m_check.documents[static_cast<std::size_t>(row)];
    if (!document.ok()) {
        showOutcome(m_detail, false, document.error);
        m_text->clear();
        return;
    }
    QString detail = tr("%1: %2 characters of text, %3 of up to %4 characters.")
                         .arg(QFileInfo(document.path).fileName(), formatCount(document.characters),
                              counted(document.excerpts, tr("excerpt"), tr("excerpts")))
                         .arg(m_job.chunkSize);
    for (const auto& warning : document.warnings)
        detail += QLatin1Char('\n') + warning;
    m_detail->setStyleSheet(QString());
    m_detail->setText(detail);
    m_text->setPlainText(
        document.text.size() > kShownCharacters
            ? document.text.left(kShownCharacters) +
                  tr("\n\n[… %1 more characters]").arg(formatCount(document.text.size() - kShownCharacters))
            : document.text);
}

} // namespace sds::gui
