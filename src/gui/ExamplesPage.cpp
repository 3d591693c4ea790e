#include "gui/ExamplesPage.h"

#include "gui/AppContext.h"
#include "gui/ExamplesEditor.h"
#include "gui/ExamplesModel.h"
#include "gui/Format.h"
#include "gui/Workspace.h"

#include <QLabel>
#include <QVBoxLayout>

namespace sds::gui {

ExamplesPage::ExamplesPage(AppContext& context, QWidget* parent) : WizardPage(parent), m_context(context) {
    setObjectName(QStringLiteral("examplesPage"));
    m_hint = new QLabel(this);
    m_hint->setObjectName(QStringLiteral("examplesHint"));
    m_hint->setWordWrap(true);
    m_editor = new ExamplesEditor(this);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_hint);
    layout->addWidget(m_editor, 1);
}

void ExamplesPage::initializePage(const JobSpec& draft) {
    m_curation = draft.workflow == Workflow::CustomDataCuration;
    m_hint->setText(
        m_curation ? tr("For curation the examples are input/output pairs: an input like the \"%1\" of your "
                        "elements, and the output the model should write for it. They are optional. "
                        "Double-click a cell to edit it; Tab leaves the editor.")
                         .arg(qs(draft.inputKey))
                   : tr("Example questions and answers show the model the format and depth you want. "
                        "Double-click a cell to edit it; Tab leaves the editor."));
    m_editor->model()->setColumnTitles(m_curation ? tr("Input") : QString(),
                                       m_curation ? tr("Output") : QString());
    const auto* source = m_context.workspace().findTemplate(draft.templateId);
    m_editor->setDefaults(source && !m_curation ? source->examples : std::vector<Example>{});
    m_editor->setFileFolder(qs(m_context.workspace().project().root().string()));
    m_editor->setExamples(draft.examples);
}

void ExamplesPage::storeInto(JobSpec& draft) {
    draft.examples = m_editor->examples();
}

bool ExamplesPage::validatePage(JobSpec& draft) {
    storeInto(draft);
    const auto blank = [](const std::string& text) {
        return text.find_first_not_of(" \t\r\n") == std::string::npos;
    };
    QStringList problems;
    for (std::size_t i = 0; i < draft.examples.size(); ++i) {
        const auto& example = draft.examples[i];
        if (blank(example.question) && blank(example.solution))
            problems << tr("Example %1 is empty: fill it in or remove it.").arg(i + 1);
        else if (blank(example.question))
            problems << (m_curation ? tr("Example %1 has no input.") : tr("Example %1 has no question."))
                            .arg(i + 1);
        else if (blank(example.solution))
            problems << (m_curation ? tr("Example %1 has no output.") : tr("Example %1 has no solution."))
                            .arg(i + 1);
    }
    m_editor->showProblem(problems.join(QLatin1Char('\n')));
    return problems.isEmpty();
}

} // namespace sds::gui
