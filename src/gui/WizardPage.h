#pragma once

#include "core/Job.h"

#include <QString>
#include <QWidget>

namespace sds::gui {

// One step of the Create Dataset wizard: a thin view over part of the draft the wizard owns.
class WizardPage : public QWidget {
    Q_OBJECT
public:
    using QWidget::QWidget;

    [[nodiscard]] virtual QString title() const = 0;
    // Shows the draft.
    virtual void initializePage(const JobSpec& draft) = 0;
    // Writes what the page holds into the draft without judging it, so Back keeps unfinished edits.
    virtual void storeInto(JobSpec& draft) = 0;
    // Writes into the draft and says next to each field what is wrong; false keeps the wizard here.
    virtual bool validatePage(JobSpec& draft) = 0;
};

} // namespace sds::gui
