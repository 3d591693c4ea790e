#include "gui/SeedsEditor.h"

#include "engine/JobFiles.h"
#include "gui/Background.h"
#include "gui/Dialogs.h"
#include "gui/FieldMessage.h"
#include "gui/Format.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>
#include <algorithm>
#include <variant>

namespace sds::gui {
namespace {

QListWidgetItem* editableItem(const QString& text) {
    auto* item = new QListWidgetItem(text);
    item->setFlags(item->flags() | Qt::ItemIsEditable);
    return item;
}

struct SeedsImport {
    std::vector<std::string> seeds;
    QString error;
};

} // namespace

SeedsEditor::SeedsEditor(QWidget* parent) : QWidget(parent) {
    m_list = new QListWidget(this);
    m_list->setObjectName(QStringLiteral("seedsList"));
    m_list->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_list->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed |
                            QAbstractItemView::AnyKeyPressed);
    m_list->setWordWrap(true);
    m_add = new QPushButton(tr("Add"), this);
    m_add->setObjectName(QStringLiteral("addSeedButton"));
    m_remove = new QPushButton(tr("Remove"), this);
    m_remove->setObjectName(QStringLiteral("removeSeedButton"));
    m_import = new QPushButton(tr("Import…"), this);
    m_import->setObjectName(QStringLiteral("importSeedsButton"));
    m_import->setToolTip(tr("A text file with one topic per line, or a JSON array of strings"));
    m_restore = new QPushButton(tr("Restore default"), this);
    m_restore->setObjectName(QStringLiteral("restoreSeedsButton"));
    m_count = new QLabel(this);
    m_count->setObjectName(QStringLiteral("seedsCountLabel"));
    m_problem = new FieldMessage(QStringLiteral("seedsError"), this);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_add);
    buttons->addWidget(m_remove);
    buttons->addWidget(m_import);
    buttons->addWidget(m_restore);
    buttons->addStretch();
    buttons->addWidget(m_count);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_list);
    layout->addLayout(buttons);
    layout->addWidget(m_problem);

    connect(m_add, &QPushButton::clicked, this, &SeedsEditor::addSeed);
    connect(m_remove, &QPushButton::clicked, this, &SeedsEditor::removeSelected);
    connect(m_import, &QPushButton::clicked, this, &SeedsEditor::importFile);
    connect(m_restore, &QPushButton::clicked, this, [this] {
        setSeeds(m_defaults);
        emit seedsChanged();
    });
    connect(m_list, &QListWidget::itemChanged, this, [this] {
        m_problem->clear();
        emit seedsChanged();
    });
    connect(this, &SeedsEditor::seedsChanged, this, &SeedsEditor::updateCount);
}

void SeedsEditor::setSeeds(const std::vector<std::string>& seeds) {
    const QSignalBlocker blocker(m_list);
    m_list->clear();
    for (const auto& seed : seeds)
        m_list->addItem(editableItem(qs(seed)));
    m_problem->clear();
    updateCount();
}

std::vector<std::string> SeedsEditor::seeds() const {
    std::vector<std::string> seeds;
    for (int i = 0; i < m_list->count(); ++i)
        seeds.push_back(ss(m_list->item(i)->text().trimmed()));
    return seeds;
}

void SeedsEditor::addSeeds(const std::vector<std::string>& seeds) {
    auto listed = this->seeds();
    bool added = false;
    for (const auto& seed : seeds)
        if (std::find(listed.begin(), listed.end(), seed) == listed.end()) {
            listed.push_back(seed);
            added = true;
        }
    if (!added)
        return;
    setSeeds(listed);
    emit seedsChanged();
}

void SeedsEditor::showProblem(const QString& problem) {
    m_problem->show(problem);
}

void SeedsEditor::addSeed() {
    auto* item = editableItem(tr("New topic"));
    m_list->addItem(item);
    m_list->setCurrentItem(item);
    m_list->editItem(item);
    m_problem->clear();
    emit seedsChanged();
}

void SeedsEditor::removeSelected() {
    const auto selected = m_list->selectedItems();
    if (selected.isEmpty())
        return;
    qDeleteAll(selected);
    emit seedsChanged();
}

void SeedsEditor::importFile() {
    const QString file = Dialogs::current().openFile(this, tr("Import seeds"), m_importFolder,
                                                     tr("Seeds (*.txt *.json);;All files (*)"));
    if (file.isEmpty())
        return;
    runInBackground(
        this,
        [path = ss(file)] {
            auto read = engine::readSeedsFile(path);
            SeedsImport result;
            if (auto* error = std::get_if<std::string>(&read))
                result.error = qs(*error);
            else
                result.seeds = std::get<std::vector<std::string>>(read);
            return result;
        },
        [this](const SeedsImport& result) {
            if (!result.error.isEmpty()) {
                m_problem->show(tr("Cannot import: %1").arg(result.error));
                return;
            }
            addSeeds(result.seeds);
        });
}

void SeedsEditor::updateCount() {
    m_count->setText(counted(m_list->count(), tr("seed"), tr("seeds")));
}

} // namespace sds::gui
