#include "gui/RowsModel.h"

#include "gui/Format.h"

namespace sds::gui {
namespace {} // namespace

RowsModel::RowsModel(QObject* parent)
    : QAbstractTableModel(parent), m_promptHeader(tr("Prompt")), m_completionHeader(tr("Completion")) {}

void RowsModel::setRows(std::shared_ptr<RowStore> rows) {
    beginResetModel();
    m_rows = std::move(rows);
    m_shown = m_rows ? static_cast<int>(m_rows->size()) : 0;
    endResetModel();
}

void RowsModel::refresh() {
    if (!m_rows)
        return;
    const int available = static_cast<int>(m_rows->size());
    if (available <= m_shown)
        return;
    beginInsertRows({}, m_shown, available - 1);
    m_shown = available;
    endInsertRows();
}

void RowsModel::setHeaders(const QString& prompt, const QString& completion) {
    m_promptHeader = prompt;
    m_completionHeader = completion;
    emit headerDataChanged(Qt::Horizontal, 0, ColumnCount - 1);
}

const DatasetRow* RowsModel::row(int index) const {
    if (index < 0 || index >= m_shown)
        return nullptr;
    return &(*m_rows)[static_cast<std::size_t>(index)];
}

int RowsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : m_shown;
}

int RowsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RowsModel::data(const QModelIndex& index, int role) const {
    const DatasetRow* r = row(index.row());
    if (!r || index.column() < 0 || index.column() >= ColumnCount)
        return {};
    const QString& text = index.column() == Prompt ? r->prompt : r->completion;
    switch (role) {
    case Qt::DisplayRole:
        return cellText(text);
    case FullTextRole:
        return text;
    case SeedRole:
        return r->seed;
    case Qt::ToolTipRole:
        return r->seed;
    default:
        return {};
    }
}

QVariant RowsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (role != Qt::DisplayRole)
        return {};
    if (orientation == Qt::Vertical)
        return section + 1;
    return section == Prompt ? m_promptHeader : m_completionHeader;
}

} // namespace sds::gui
