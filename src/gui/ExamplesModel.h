#pragma once

#include "core/Template.h"

#include <QAbstractTableModel>
#include <vector>

namespace sds::gui {

// Example question/answer pairs, edited in place.
class ExamplesModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Question, Solution, ColumnCount };

    explicit ExamplesModel(QObject* parent = nullptr);

    void setExamples(std::vector<Example> examples);
    [[nodiscard]] const std::vector<Example>& examples() const { return m_examples; }
    // Adds an empty pair at the end; its row.
    int addExample();
    void removeExamples(QList<int> rows);
    // The column titles: "Question" and "Solution" unless set (curation: "Input" and "Output").
    void setColumnTitles(const QString& question, const QString& solution);

    [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
    [[nodiscard]] Qt::ItemFlags flags(const QModelIndex& index) const override;
    [[nodiscard]] QVariant headerData(int section, Qt::Orientation orientation,
                                      int role = Qt::DisplayRole) const override;

private:
    std::vector<Example> m_examples;
    QString m_questionTitle;
    QString m_solutionTitle;
};

} // namespace sds::gui
