#pragma once

#include "core/BatchJobState.h"
#include "core/RunHistory.h"

#include <QAbstractTableModel>
#include <QTimer>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sds::gui {

class RunController;
class Workspace;

// The run history as a table, newest first. Reloads off the GUI thread when runs start, progress or end,
// and every few seconds while any run is going (runs of the CLI included). A run the history calls running
// that no process holds any more shows as Interrupted.
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
    // Seeds and elements of the run that failed and were not made good since (what Retry failed only asks).
    [[nodiscard]] std::size_t failedParts(const QString& runId) const;
    // "2 seeds", "3 elements": the run's failed parts in the words of its workflow.
    [[nodiscard]] static QString countFailedParts(const RunRecord& record, std::size_t parts);

    // Asks the history again; `reloaded()` once the table shows it.
    void reload();
    void setClock(Clock clock) { m_clock = std::move(clock); }

signals:
    void reloaded();

private:
    struct Listing {
        std::vector<RunRecord> records;
        std::map<std::string, std::size_t> failedParts; // by run id, for runs with failures
        std::map<std::string, BatchJobState> batchJobs; // by run id, for runs waiting on a batch job
    };
    [[nodiscard]] static Listing list(RunHistory& history);
    void apply(Listing listing);
    void applyLiveProgress(int ticket);
    [[nodiscard]] bool anyRunning() const;

    Workspace& m_workspace;
    RunController& m_runs;
    std::vector<RunRecord> m_records;
    std::map<std::string, std::size_t> m_failedParts;
    std::map<std::string, BatchJobState> m_batchJobs;
    Clock m_clock;
    QTimer m_poll;
    bool m_reloading = false;
    bool m_reloadAgain = false;
};

} // namespace sds::gui
