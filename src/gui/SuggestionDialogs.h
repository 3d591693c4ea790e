#pragma once

#include "core/Cancellation.h"
#include "core/Job.h"
#include "gui/ProviderAccess.h"

#include <QDialog>
#include <QString>
#include <string>
#include <vector>

class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QVBoxLayout;

namespace sds::gui {

// What both suggestion dialogs share: the use case in the user's words, and one request to the job's
// model at a time, off the GUI thread, with a busy line and a Cancel button. Closing the dialog cancels.
class SuggestionDialog : public QDialog {
    Q_OBJECT
public:
    SuggestionDialog(ProviderAccess access, JobSpec job, QString initialUseCase, QWidget* parent);
    ~SuggestionDialog() override;

    [[nodiscard]] QString useCase() const;
    [[nodiscard]] bool busy() const { return m_busy; }

signals:
    void useCaseChanged(const QString& useCase);

protected:
    // Asks the model; `ask` runs on a pool thread with the provider and the context, `done` back here.
    template <typename Result, typename Ask, typename Done> void askModel(Ask ask, Done done);
    void setBusy(bool busy, const QString& status = {});
    void showStatus(bool ok, const QString& message);
    virtual void startRequest() = 0;

    ProviderAccess m_access;
    JobSpec m_job;
    QVBoxLayout* m_content; // the dialog's own fields go here
    QDialogButtonBox* m_buttons;
    QLineEdit* m_useCase;
    QPushButton* m_ask;

private:
    QLabel* m_status;
    QPushButton* m_cancel;
    CancellationToken m_token;
    bool m_busy = false;
};

// "Generate prompt": the model writes a prompt for the job; the user reads (and may edit) it before it
// replaces the one in the editor.
class PromptSuggestionDialog final : public SuggestionDialog {
    Q_OBJECT
public:
    PromptSuggestionDialog(ProviderAccess access, JobSpec job, QString initialUseCase,
                           QWidget* parent = nullptr);

signals:
    void promptChosen(const QString& prompt);

private:
    void startRequest() override;

    QPlainTextEdit* m_suggestion;
    QPushButton* m_use;
};

// "Suggest seeds": asks for N new seeds and lists them with check boxes; the checked ones are added.
class SeedSuggestionDialog final : public SuggestionDialog {
    Q_OBJECT
public:
    SeedSuggestionDialog(ProviderAccess access, JobSpec job, QString initialUseCase,
                         QWidget* parent = nullptr);

signals:
    void seedsChosen(const std::vector<std::string>& seeds);

private:
    void startRequest() override;
    void updateAddButton();

    QSpinBox* m_count;
    QListWidget* m_seeds;
    QLabel* m_note;
    QPushButton* m_add;
};

} // namespace sds::gui
