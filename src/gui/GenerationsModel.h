#pragma once

#include "core/RunHistory.h"

#include <QAbstractTableModel>
#include <QTimer>
#include <functional>
#include <memory>
#include <vector>

namespace sds::gui {

class RunController;
class Workspace;

// The run history as a table, newest first. Reloads off the GUI thread when runs start, progress or end,
// and every few seconds while any run is going (runs of the CLI included).
class GenerationsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        DisplayName,
        Template,
        Workflow,
        Provider,
        Model,
        SizeRequested,
        RowsCompleted,
        Status,
        Score,
        Valid,
        Cost,
        Created,
        Duration,
        ColumnCount
    };
    enum Role { RunIdRole = Qt::UserRole + 1, SortRole, StatusRole };

    using Clock = std::function<std::int64_t()>; // ms since the epoch

    GenerationsModel(Workspace& workspace, RunController& runs, QObject* parent = nullptr);

    [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(int section, Qt::Orientation orientation,
                                      int role = Qt::DisplayRole) const override;

    [[nodiscard]] const RunRecord* record(int row) const;
    [[nodiscard]] const RunRecord* find(const QString& runId) const;
    [[nodiscard]] int rowOf(const QString& runId) const;

    // Asks the history again; `reloaded()` once the table shows it.
    void reload();
    void setClock(Clock clock) { m_clock = std::move(clock); }

signals:
    void reloaded();

private:
    void apply(std::vector<RunRecord> records);
    void applyLiveProgress(int ticket);
    [[nodiscard]] bool anyRunning() const;

    Workspace& m_workspace;
    RunController& m_runs;
    std::vector<RunRecord> m_records;
    Clock m_clock;
    QTimer m_poll;
    bool m_reloading = false;
    bool m_reloadAgain = false;
};

} // namespace sds::gui
