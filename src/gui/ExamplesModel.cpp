#include "gui/ExamplesModel.h"

#include "gui/Format.h"

#include <algorithm>

namespace sds::gui {

ExamplesModel::ExamplesModel(QObject* parent) : QAbstractTableModel(parent) {}

void ExamplesModel::setExamples(std::vector<Example> examples) {
    beginResetModel();
    m_examples = std::move(examples);
    endResetModel();
}

int ExamplesModel::addExample() {
    const int row = rowCount();
    beginInsertRows({}, row, row);
    m_examples.push_back({});
    endInsertRows();
    return row;
}

void ExamplesModel::removeExamples(QList<int> rows) {
    std::sort(rows.begin(), rows.end(), std::greater<>());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    for (const int row : rows) {
        if (row < 0 || row >= rowCount())
            continue;
        beginRemoveRows({}, row, row);
        m_examples.erase(m_examples.begin() + row);
        endRemoveRows();
    }
}

int ExamplesModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_examples.size());
}

int ExamplesModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ExamplesModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Example& example = m_examples[static_cast<std::size_t>(index.row())];
    const std::string& text = index.column() == Question ? example.question : example.solution;
    switch (role) {
    case Qt::DisplayRole:
    case Qt::EditRole:
        return qs(text);
    case Qt::FontRole:
        if (index.column() == Solution)
            return monospaceFont();
        return {};
    case Qt::TextAlignmentRole:
        return QVariant::fromValue(Qt::AlignLeft | Qt::AlignTop);
    default:
        return {};
    }
}

bool ExamplesModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (role != Qt::EditRole ||
        !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return false;
    Example& example = m_examples[static_cast<std::size_t>(index.row())];
    std::string& text = index.column() == Question ? example.question : example.solution;
    text = ss(value.toString());
    emit dataChanged(index, index, {Qt::DisplayRole, Qt::EditRole});
    return true;
}

Qt::ItemFlags ExamplesModel::flags(const QModelIndex& index) const {
    if (!index.isValid())
        return Qt::NoItemFlags;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsEditable;
}

QVariant ExamplesModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (role != Qt::DisplayRole)
        return {};
    if (orientation == Qt::Vertical)
        return section + 1;
    if (section == Question)
        return m_questionTitle.isEmpty() ? tr("Question") : m_questionTitle;
    return m_solutionTitle.isEmpty() ? tr("Solution") : m_solutionTitle;
}

void ExamplesModel::setColumnTitles(const QString& question, const QString& solution) {
    m_questionTitle = question;
    m_solutionTitle = solution;
    emit headerDataChanged(Qt::Horizontal, Question, Solution);
}

} // namespace sds::gui
