#pragma once

#include "gui/WizardPage.h"

class QLabel;

namespace sds::gui {

class AppContext;
class ExamplesEditor;

// Step 3: the example pairs that show the model the format.
class ExamplesPage : public WizardPage {
    Q_OBJECT
public:
    explicit ExamplesPage(AppContext& context, QWidget* parent = nullptr);

    [[nodiscard]] QString title() const override { return tr("Examples"); }
    void initializePage(const JobSpec& draft) override;
    void storeInto(JobSpec& draft) override;
    bool validatePage(JobSpec& draft) override;

private:
    AppContext& m_context;
    QLabel* m_hint;
    ExamplesEditor* m_editor;
    bool m_curation = false;
};

} // namespace sds::gui
