#pragma once

#include "core/Cancellation.h"
#include "core/Job.h"

#include <QDialog>
#include <QString>
#include <QStringList>
#include <optional>
#include <vector>

class QLabel;
class QListWidget;
class QPlainTextEdit;

namespace sds::gui {

// One document as the documents workflow will read it.
struct DocumentCheck {
    QString path;
    QString error; // one line naming the file; empty when the document is usable
    QStringList warnings;
    int excerpts = 0;
    qsizetype characters = 0;
    QString text; // only when asked for
    QString firstExcerpt;
    [[nodiscard]] bool ok() const { return error.isEmpty(); }
};

// The file Custom Data Curation reads, checked in one pass before anything is sent.
struct CurationFileCheck {
    QString path;
    QString error; // "<file>:<line>:<col>: …" at the first malformed spot
    qsizetype elements = 0;
    qsizetype missing = 0; // elements without the input field
    QString skipped;       // "3 of 1000 elements have no field …", empty when none is skipped
    QStringList sample;    // the input text of the first elements
    [[nodiscard]] qsizetype usable() const { return elements - missing; }
};

// A job's input files checked the way RunService::prepare will check them.
struct InputCheck {
    Workflow workflow = Workflow::SupervisedFineTuning;
    std::vector<DocumentCheck> documents;
    std::optional<CurationFileCheck> curation;
    bool cancelled = false;

    [[nodiscard]] int usableDocuments() const;
    [[nodiscard]] int excerpts() const;
    // One line per unusable file (its error), as the run's notices will say it.
    [[nodiscard]] QStringList fileErrors() const;
};

// Blocking, reads every file: call off the GUI thread. `sampleSize` curation inputs are kept.
[[nodiscard]] InputCheck checkInputFiles(const JobSpec& job, bool keepText, int sampleSize,
                                         const CancellationToken& cancel);

// "Preview": each document's text (or why it cannot be used) and its number of excerpts; for a curation
// file the element count, the first inputs and how many elements lack the input field. Reads the files
// off the GUI thread; closing it stops the reading.
class DocumentPreviewDialog : public QDialog {
    Q_OBJECT
public:
    DocumentPreviewDialog(const JobSpec& job, QWidget* parent = nullptr);
    ~DocumentPreviewDialog() override;

    [[nodiscard]] bool finished() const { return m_finished; }

signals:
    void checked();

private:
    void showCheck(const InputCheck& check);
    void showItem(int row);

    JobSpec m_job;
    CancellationToken m_cancel;
    InputCheck m_check;
    bool m_finished = false;
    QLabel* m_summary;
    QListWidget* m_items;
    QLabel* m_detail;
    QPlainTextEdit* m_text;
};

} // namespace sds::gui
