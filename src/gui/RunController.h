#pragma once

#include "core/Cancellation.h"
#include "core/Job.h"
#include "core/RunHistory.h"
#include "engine/BedrockBatch.h"
#include "engine/FailedWork.h"
#include "engine/GenerationRun.h"
#include "gui/ProviderAccess.h"

#include <QObject>
#include <QString>
#include <QStringList>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace sds::gui {

class Workspace;

struct DatasetRow {
    QString seed;
    QString prompt;
    QString completion;
};
// Rows in arrival order; only ever appended to, on the GUI thread.
using RowStore = std::vector<DatasetRow>;

// A generation started in this session. The ticket exists at once; the run id once the run is prepared.
using RunTicket = int;

struct RunState {
    RunTicket ticket = 0;
    QString runId;
    JobSpec job;
    bool resumed = false;
    bool finished = false;
    bool cancelRequested = false;
    RunStatus status = RunStatus::Running;
    engine::Progress progress;
    bool progressKnown = false;
    QString error; // why it stopped early or could not start
    QStringList problems;
    QString batchJob; // a batch run's Bedrock job: status and records processed, once submitted
    QString datasetPath;
    int datasetRows = 0;
    double seconds = 0;
    std::shared_ptr<RowStore> rows; // while it runs; afterwards the dataset file has them
};

// Owns the running generations. Each runs RunService::execute on a thread of its own; progress and rows
// come back to the GUI thread in batches, however fast they arrive.
class RunController : public QObject {
    Q_OBJECT
public:
    using AccessSource = std::function<ProviderAccess()>;

    RunController(Workspace& workspace, AccessSource access, QObject* parent = nullptr);
    ~RunController() override; // cancels what still runs and waits for it (about a second)

    RunTicket start(const JobSpec& job);
    // `maxCostUsd`, when given, is the run's new cost cap.
    RunTicket resume(const QString& runId, std::optional<double> maxCostUsd = std::nullopt);
    // Asks only for what failed in the run's earlier sessions (engine::ResumeScope::FailedOnly).
    RunTicket retryFailed(const QString& runId);
    void cancel(RunTicket ticket);
    void cancelAll();

    // How often runs started from now on ask a Bedrock batch job's status (shorter in tests).
    void setBatchPolling(engine::BatchPolling polling) { m_batchPolling = polling; }

    [[nodiscard]] const RunState* state(RunTicket ticket) const;
    [[nodiscard]] std::optional<RunTicket> ticketOf(const QString& runId) const;
    [[nodiscard]] bool isActive(const QString& runId) const;
    [[nodiscard]] int activeCount() const;

signals:
    void runPrepared(sds::gui::RunTicket ticket);
    void progressChanged(sds::gui::RunTicket ticket);
    void rowsArrived(sds::gui::RunTicket ticket);
    void runFinished(sds::gui::RunTicket ticket);
    void activeCountChanged(int count);

private:
    struct Live;
    struct Request {
        JobSpec job;
        QString resumeId;
        engine::ResumeScope scope = engine::ResumeScope::Everything;
        std::optional<double> maxCostUsd;
        engine::BatchPolling batchPolling;
    };
    RunTicket launch(Request request);
    void work(const std::shared_ptr<Live>& live, const Request& request, const ProviderAccess& access,
              const Project& project, const std::shared_ptr<RunHistory>& history);
    void scheduleFlush(const std::shared_ptr<Live>& live);
    void flush(Live& live);
    void failToStart(const std::shared_ptr<Live>& live, const std::string& error);
    // On the GUI thread once a run has ended: joins its thread and tells the views.
    void retire(const std::shared_ptr<Live>& live, RunState& state);

    Workspace& m_workspace;
    AccessSource m_access;
    RunTicket m_nextTicket = 1;
    engine::BatchPolling m_batchPolling;
    std::map<RunTicket, RunState> m_states;
    std::map<RunTicket, std::shared_ptr<Live>> m_live;
};

} // namespace sds::gui
