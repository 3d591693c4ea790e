#pragma once

#include "gui/RunController.h"

#include <QAbstractTableModel>
#include <memory>

namespace sds::gui {

// Rows of a dataset (Prompt, Completion), shared with the run that is adding to them.
class RowsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Prompt, Completion, ColumnCount };
    enum Role { SeedRole = Qt::UserRole + 1, FullTextRole };

    explicit RowsModel(QObject* parent = nullptr);

    void setRows(std::shared_ptr<RowStore> rows);
    // The store grew: shows the new rows.
    void refresh();
    void clear() { setRows(nullptr); }
    void setHeaders(const QString& prompt, const QString& completion);

    [[nodiscard]] const DatasetRow* row(int index) const;

    [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(int section, Qt::Orientation orientation,
                                      int role = Qt::DisplayRole) const override;

private:
    std::shared_ptr<RowStore> m_rows;
    int m_shown = 0;
    QString m_promptHeader;
    QString m_completionHeader;
};

} // namespace sds::gui
