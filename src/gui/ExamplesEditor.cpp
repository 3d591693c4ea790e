#include "gui/ExamplesEditor.h"

#include "core/JsonFile.h"
#include "engine/JobFiles.h"
#include "gui/Background.h"
#include "gui/Dialogs.h"
#include "gui/ExamplesModel.h"
#include "gui/FieldMessage.h"
#include "gui/Format.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QVBoxLayout>
#include <variant>

namespace sds::gui {
namespace {

// Edits a cell in a multi-line editor (Enter adds a line, Tab moves on); rows show a few lines at most.
class MultiLineDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    QWidget* createEditor(QWidget* parent, const QStyleOptionViewItem&,
                          const QModelIndex& index) const override {
        auto* editor = new QPlainTextEdit(parent);
        editor->setObjectName(QStringLiteral("exampleCellEditor"));
        editor->setTabChangesFocus(true);
        const QVariant font = index.data(Qt::FontRole);
        if (font.isValid())
            editor->setFont(font.value<QFont>());
        return editor;
    }

    void updateEditorGeometry(QWidget* editor, const QStyleOptionViewItem& option,
                              const QModelIndex&) const override {
        QRect area = option.rect;
        area.setHeight(std::max(area.height(), 160));
        editor->setGeometry(area);
    }

    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override {
        QSize size = QStyledItemDelegate::sizeHint(option, index);
        const int lineHeight = option.fontMetrics.lineSpacing();
        size.setHeight(std::clamp(size.height(), lineHeight + 8, lineHeight * 6 + 8));
        return size;
    }
};

struct ExamplesImport {
    std::vector<Example> examples;
    QString error;
};

} // namespace

ExamplesEditor::ExamplesEditor(QWidget* parent) : QWidget(parent) {
    m_model = new ExamplesModel(this);
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("examplesTable"));
    m_table->setModel(m_model);
    m_table->setItemDelegate(new MultiLineDelegate(m_table));
    m_table->setWordWrap(true);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed |
                             QAbstractItemView::AnyKeyPressed);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_table->setTabKeyNavigation(false);

    m_add = new QPushButton(tr("Add"), this);
    m_add->setObjectName(QStringLiteral("addExampleButton"));
    m_remove = new QPushButton(tr("Remove"), this);
    m_remove->setObjectName(QStringLiteral("removeExampleButton"));
    m_import = new QPushButton(tr("Import JSON…"), this);
    m_import->setObjectName(QStringLiteral("importExamplesButton"));
    m_export = new QPushButton(tr("Export JSON…"), this);
    m_export->setObjectName(QStringLiteral("exportExamplesButton"));
    m_restore = new QPushButton(tr("Restore defaults"), this);
    m_restore->setObjectName(QStringLiteral("restoreExamplesButton"));
    m_problem = new FieldMessage(QStringLiteral("examplesError"), this);
    m_fileMessage = new FieldMessage(QStringLiteral("examplesFileMessage"), this);

    auto* buttons = new QHBoxLayout;
    for (auto* button : {m_add, m_remove, m_import, m_export, m_restore})
        buttons->addWidget(button);
    buttons->addStretch();
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_table, 1);
    layout->addLayout(buttons);
    layout->addWidget(m_problem);
    layout->addWidget(m_fileMessage);

    connect(m_add, &QPushButton::clicked, this, &ExamplesEditor::addExample);
    connect(m_remove, &QPushButton::clicked, this, &ExamplesEditor::removeSelected);
    connect(m_import, &QPushButton::clicked, this, &ExamplesEditor::importFile);
    connect(m_export, &QPushButton::clicked, this, &ExamplesEditor::exportFile);
    connect(m_restore, &QPushButton::clicked, this, [this] { setExamples(m_defaults); });
    connect(m_model, &ExamplesModel::dataChanged, this, [this](const QModelIndex& topLeft) {
        m_problem->clear();
        m_table->resizeRowToContents(topLeft.row());
    });
}

void ExamplesEditor::setExamples(std::vector<Example> examples) {
    m_model->setExamples(std::move(examples));
    m_problem->clear();
    m_fileMessage->clear();
    fitRows();
}

std::vector<Example> ExamplesEditor::examples() const {
    return m_model->examples();
}

void ExamplesEditor::showProblem(const QString& problem) {
    m_problem->show(problem);
}

void ExamplesEditor::fitRows() {
    m_table->resizeRowsToContents();
}

void ExamplesEditor::addExample() {
    const int row = m_model->addExample();
    const QModelIndex cell = m_model->index(row, ExamplesModel::Question);
    m_table->setCurrentIndex(cell);
    m_table->edit(cell);
    m_problem->clear();
}

void ExamplesEditor::removeSelected() {
    QList<int> rows;
    for (const QModelIndex& index : m_table->selectionModel()->selectedRows())
        rows << index.row();
    if (rows.isEmpty() && m_table->currentIndex().isValid())
        rows << m_table->currentIndex().row();
    m_model->removeExamples(rows);
    m_problem->clear();
}

void ExamplesEditor::importFile() {
    const QString file = Dialogs::current().openFile(this, tr("Import examples"), m_folder,
                                                     tr("JSON (*.json);;All files (*)"));
    if (file.isEmpty())
        return;
    runInBackground(
        this,
        [path = ss(file)] {
            auto read = engine::readExamplesFile(path);
            ExamplesImport result;
            if (auto* error = std::get_if<std::string>(&read))
                result.error = qs(*error);
            else
                result.examples = std::get<std::vector<Example>>(read);
            return result;
        },
        [this, file](const ExamplesImport& result) {
            if (!result.error.isEmpty()) {
                m_fileMessage->show(tr("Cannot import: %1").arg(result.error));
                return;
            }
            setExamples(result.examples);
            showOutcome(m_fileMessage, true,
                        tr("Imported %1 from %2.")
                            .arg(counted(static_cast<std::int64_t>(result.examples.size()), tr("example"),
                                         tr("examples")),
                                 file));
        });
}

void ExamplesEditor::exportFile() {
    const QString file = Dialogs::current().saveFile(
        this, tr("Export examples"), m_folder + QStringLiteral("/examples.json"), tr("JSON (*.json)"));
    if (file.isEmpty())
        return;
    nlohmann::json array = nlohmann::json::array();
    for (const auto& example : m_model->examples())
        array.push_back({{"question", example.question}, {"solution", example.solution}});
    runInBackground(
        this, [path = ss(file), text = array.dump(2) + "\n"] { return qs(writeFileAtomically(path, text)); },
        [this, file](const QString& error) {
            showOutcome(m_fileMessage, error.isEmpty(),
                        error.isEmpty() ? tr("Exported to %1.").arg(file)
                                        : tr("Cannot export: %1").arg(error));
        });
}

} // namespace sds::gui
