#include "gui/HomePage.h"

#include "gui/AppContext.h"
#include "gui/FieldMessage.h"
#include "gui/Format.h"
#include "gui/GenerationsModel.h"
#include "gui/Workspace.h"

#include <QFrame>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace sds::gui {
namespace {

class RecentRunsProxy : public QSortFilterProxyModel {
public:
    static constexpr int kShown = 5;
    using QSortFilterProxyModel::QSortFilterProxyModel;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex&) const override { return sourceRow < kShown; }
    bool filterAcceptsColumn(int sourceColumn, const QModelIndex&) const override {
        switch (sourceColumn) {
        case GenerationsModel::DisplayName:
        case GenerationsModel::Template:
        case GenerationsModel::Provider:
        case GenerationsModel::RowsCompleted:
        case GenerationsModel::Status:
        case GenerationsModel::Created:
            return true;
        default:
            return false;
        }
    }
};

} // namespace

HomePage::HomePage(AppContext& context, QWidget* parent) : QWidget(parent), m_context(context) {
    setObjectName(QStringLiteral("homePage"));
    auto* title = new QLabel(tr("Synthetic Data Studio"), this);
    makeTitle(title, 1.8);
    auto* intro =
        new QLabel(tr("Create synthetic datasets of prompts and completions for fine-tuning language "
                      "models: pick a template, choose a model (the embedded one needs no account), "
                      "and generate."),
                   this);
    intro->setWordWrap(true);
    auto* create = new QPushButton(tr("Create Dataset"), this);
    create->setObjectName(QStringLiteral("createDatasetButton"));
    QFont createFont = create->font();
    createFont.setPointSizeF(createFont.pointSizeF() * 1.2);
    createFont.setBold(true);
    create->setFont(createFont);
    create->setMinimumHeight(44);
    create->setDefault(true);

    auto* templatesTitle = new QLabel(tr("Templates"), this);
    QFont sectionFont = templatesTitle->font();
    sectionFont.setPointSizeF(sectionFont.pointSizeF() * 1.2);
    sectionFont.setBold(true);
    templatesTitle->setFont(sectionFont);
    m_cards = new QHBoxLayout;

    auto* recentTitle = new QLabel(tr("Recent generations"), this);
    recentTitle->setFont(sectionFont);
    auto* all = new QPushButton(tr("All generations"), this);
    all->setObjectName(QStringLiteral("allGenerationsButton"));
    auto* proxy = new RecentRunsProxy(this);
    proxy->setSourceModel(&m_context.generations());
    m_recent = new QTableView(this);
    m_recent->setObjectName(QStringLiteral("recentRunsTable"));
    m_recent->setModel(proxy);
    m_recent->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_recent->setSelectionMode(QAbstractItemView::SingleSelection);
    m_recent->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_recent->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_recent->verticalHeader()->hide();
    m_recent->setTabKeyNavigation(false);
    m_noRuns = new QLabel(tr("No generations yet: create your first dataset above."), this);
    m_noRuns->setObjectName(QStringLiteral("noRunsLabel"));

    auto* recentHeader = new QHBoxLayout;
    recentHeader->addWidget(recentTitle);
    recentHeader->addStretch();
    recentHeader->addWidget(all);
    auto* createRow = new QHBoxLayout;
    createRow->addWidget(create);
    createRow->addStretch();
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(24, 18, 24, 18);
    layout->setSpacing(12);
    layout->addWidget(title);
    layout->addWidget(intro);
    layout->addLayout(createRow);
    layout->addSpacing(8);
    layout->addWidget(templatesTitle);
    layout->addLayout(m_cards);
    layout->addSpacing(8);
    layout->addLayout(recentHeader);
    layout->addWidget(m_noRuns);
    layout->addWidget(m_recent, 1);

    connect(create, &QPushButton::clicked, this, [this] { emit createDatasetRequested("code_generation"); });
    connect(all, &QPushButton::clicked, this, &HomePage::allGenerationsRequested);
    const auto open = [this](const QModelIndex& index) {
        if (index.isValid())
            emit openRunRequested(index.data(GenerationsModel::RunIdRole).toString());
    };
    connect(m_recent, &QTableView::activated, this, open);
    connect(m_recent, &QTableView::doubleClicked, this, open);
    const auto updateEmpty = [this] {
        m_noRuns->setVisible(m_context.generations().rowCount() == 0);
    };
    connect(&m_context.generations(), &GenerationsModel::reloaded, this, updateEmpty);
    connect(&m_context.workspace(), &Workspace::projectChanged, this, &HomePage::rebuildTemplateCards);
    rebuildTemplateCards();
    updateEmpty();
}

void HomePage::rebuildTemplateCards() {
    while (auto* item = m_cards->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    for (const Template* found : m_context.workspace().orderedTemplates()) {
        const Template& entry = *found;
        auto* card = new QFrame(this);
        card->setObjectName(QStringLiteral("templateCard_%1").arg(qs(entry.id)));
        card->setFrameShape(QFrame::StyledPanel);
        card->setMinimumWidth(200);
        auto* name = new QLabel(qs(entry.name), card);
        QFont nameFont = name->font();
        nameFont.setBold(true);
        nameFont.setPointSizeF(nameFont.pointSizeF() * 1.1);
        name->setFont(nameFont);
        auto* description = new QLabel(qs(entry.description), card);
        description->setWordWrap(true);
        auto* details = new QLabel(
            tr("%1, %2").arg(
                counted(static_cast<std::int64_t>(entry.seeds.size()), tr("seed"), tr("seeds")),
                counted(static_cast<std::int64_t>(entry.examples.size()), tr("example"), tr("examples"))),
            card);
        details->setStyleSheet(QStringLiteral("color: palette(mid);"));
        auto* use = new QPushButton(tr("Use %1").arg(qs(entry.name)), card);
        use->setObjectName(QStringLiteral("templateButton_%1").arg(qs(entry.id)));
        auto* layout = new QVBoxLayout(card);
        layout->addWidget(name);
        layout->addWidget(description, 1);
        layout->addWidget(details);
        layout->addWidget(use);
        connect(use, &QPushButton::clicked, this, [this, id = entry.id] { emit createDatasetRequested(id); });
        m_cards->addWidget(card, 1);
    }
}

} // namespace sds::gui
