#include "gui/RunController.h"

#include "core/Journal.h"
#include "engine/JobSetup.h"
#include "engine/RunService.h"
#include "gui/Format.h"
#include "gui/Workspace.h"

#include <QMetaObject>
#include <mutex>
#include <spdlog/spdlog.h>
#include <thread>

namespace sds::gui {

struct RunController::Live {
    RunTicket ticket = 0;
    CancellationToken cancel;
    std::thread thread;

    std::mutex mutex;
    std::vector<DatasetRow> pendingRows;
    std::optional<engine::Progress> pendingProgress;
    bool flushScheduled = false;
};

RunController::RunController(Workspace& workspace, AccessSource access, QObject* parent)
    : QObject(parent), m_workspace(workspace), m_access(std::move(access)) {}

RunController::~RunController() {
    cancelAll();
    for (auto& [ticket, live] : m_live)
        if (live->thread.joinable())
            live->thread.join();
}

RunTicket RunController::start(const JobSpec& job) {
    return launch({job, {}, engine::ResumeScope::Everything, std::nullopt, m_batchPolling});
}

RunTicket RunController::resume(const QString& runId, std::optional<double> maxCostUsd) {
    return launch({{}, runId, engine::ResumeScope::Everything, maxCostUsd, m_batchPolling});
}

RunTicket RunController::retryFailed(const QString& runId) {
    return launch({{}, runId, engine::ResumeScope::FailedOnly, std::nullopt, m_batchPolling});
}

RunTicket RunController::launch(Request request) {
    const RunTicket ticket = m_nextTicket++;
    auto& state = m_states[ticket];
    state.ticket = ticket;
    state.job = request.job;
    state.runId = request.resumeId;
    state.resumed = !request.resumeId.isEmpty();
    state.rows = std::make_shared<RowStore>();

    auto live = std::make_shared<Live>();
    live->ticket = ticket;
    m_live[ticket] = live;
    live->thread = std::thread(
        [this, live, request = std::move(request), access = m_access(), project = m_workspace.project(),
         history = m_workspace.history()] { work(live, request, access, project, history); });
    emit activeCountChanged(activeCount());
    return ticket;
}

void RunController::work(const std::shared_ptr<Live>& live, const Request& request,
                         const ProviderAccess& access, const Project& project,
                         const std::shared_ptr<RunHistory>& history) {
    try {
        engine::RunService service(project, *history);
        service.setBatchPolling(request.batchPolling);
        engine::PreparedRun prepared;
        std::shared_ptr<providers::Provider> provider;
        if (!request.resumeId.isEmpty()) {
            auto resumed = service.prepareResume(ss(request.resumeId), request.scope, request.maxCostUsd);
            if (auto* error = std::get_if<std::string>(&resumed))
                return failToStart(live, *error);
            prepared = std::move(std::get<engine::PreparedRun>(resumed));
            auto made = access.makeProvider(prepared.job.provider);
            if (!made.ok()) {
                service.markFailed(prepared, made.error().message);
                return failToStart(live, made.error().message);
            }
            provider = made.value();
            Journal::read(prepared.journalPath, [&](JournalRow&& row) {
                std::lock_guard lock(live->mutex);
                live->pendingRows.push_back({qs(row.seed), qs(row.question), qs(row.solution)});
            });
        } else {
            JobSpec job = request.job;
            auto made = access.makeProvider(job.provider);
            if (!made.ok())
                return failToStart(live, made.error().message);
            provider = made.value();
            if (job.provider.model.empty())
                job.provider.model = provider->defaultModel();
            if (job.provider.model.empty())
                return failToStart(live, "choose a model on the Configure page");
            if (live->cancel.isCancelled())
                return failToStart(live, "cancelled before it started");
            auto created = service.prepare(job);
            if (auto* error = std::get_if<std::string>(&created))
                return failToStart(live, *error);
            prepared = std::move(std::get<engine::PreparedRun>(created));
        }
        QMetaObject::invokeMethod(
            this,
            [this, ticket = live->ticket, runId = qs(prepared.id), job = prepared.job] {
                auto& state = m_states[ticket];
                state.runId = runId;
                state.job = job;
                emit runPrepared(ticket);
            },
            Qt::QueuedConnection);

        engine::RunCallbacks callbacks;
        callbacks.progress = [this, live](const engine::Progress& progress) {
            std::lock_guard lock(live->mutex);
            live->pendingProgress = progress;
            scheduleFlush(live);
        };
        callbacks.row = [this, live](const JournalRow& row) {
            DatasetRow converted{qs(row.seed), qs(row.question), qs(row.solution)};
            std::lock_guard lock(live->mutex);
            live->pendingRows.push_back(std::move(converted));
            scheduleFlush(live);
        };
        callbacks.batchStatus = [this, ticket = live->ticket](const BatchJobState& job) {
            QMetaObject::invokeMethod(
                this,
                [this, ticket, summary = qs(describeBatchJob(job))] {
                    m_states[ticket].batchJob = summary;
                    emit progressChanged(ticket);
                },
                Qt::QueuedConnection);
        };
        const auto report = service.execute(prepared, std::move(provider),
                                            engine::runOptionsFor(prepared.job), callbacks, live->cancel);

        QMetaObject::invokeMethod(
            this,
            [this, live, report] {
                flush(*live);
                auto& state = m_states[live->ticket];
                state.finished = true;
                state.status = report.outcome.status;
                state.progress = report.outcome.progress;
                state.progressKnown = true;
                state.error = qs(report.outcome.error);
                for (const auto& problem : report.outcome.problems)
                    state.problems << qs(problem);
                state.datasetPath = report.datasetPath.empty() ? QString() : qs(report.datasetPath.string());
                state.datasetRows = static_cast<int>(report.datasetRows);
                state.seconds = report.seconds;
                retire(live, state);
            },
            Qt::QueuedConnection);
    } catch (const std::exception& error) {
        failToStart(live, std::string("unexpected error: ") + error.what());
    }
}

void RunController::failToStart(const std::shared_ptr<Live>& live, const std::string& error) {
    spdlog::warn("gui: a generation could not run: {}", error);
    QMetaObject::invokeMethod(
        this,
        [this, live, message = qs(error)] {
            auto& state = m_states[live->ticket];
            state.finished = true;
            state.status = RunStatus::Failed;
            state.error = message;
            retire(live, state);
        },
        Qt::QueuedConnection);
}

void RunController::retire(const std::shared_ptr<Live>& live, RunState& state) {
    if (live->thread.joinable())
        live->thread.join();
    m_live.erase(live->ticket);
    emit runFinished(live->ticket);
    state.rows.reset();
    emit activeCountChanged(activeCount());
}

void RunController::scheduleFlush(const std::shared_ptr<Live>& live) {
    if (live->flushScheduled)
        return;
    live->flushScheduled = true;
    QMetaObject::invokeMethod(
        this, [this, live] { flush(*live); }, Qt::QueuedConnection);
}

void RunController::flush(Live& live) {
    std::vector<DatasetRow> rows;
    std::optional<engine::Progress> progress;
    {
        std::lock_guard lock(live.mutex);
        rows.swap(live.pendingRows);
        progress.swap(live.pendingProgress);
        live.flushScheduled = false;
    }
    auto found = m_states.find(live.ticket);
    if (found == m_states.end())
        return;
    auto& state = found->second;
    if (!rows.empty() && state.rows) {
        state.rows->insert(state.rows->end(), std::make_move_iterator(rows.begin()),
                           std::make_move_iterator(rows.end()));
        emit rowsArrived(live.ticket);
    }
    if (progress) {
        state.progress = *progress;
        state.progressKnown = true;
        emit progressChanged(live.ticket);
    }
}

void RunController::cancel(RunTicket ticket) {
    if (auto found = m_live.find(ticket); found != m_live.end()) {
        found->second->cancel.cancel();
        m_states[ticket].cancelRequested = true;
        emit progressChanged(ticket);
    }
}

void RunController::cancelAll() {
    for (auto& [ticket, live] : m_live) {
        live->cancel.cancel();
        m_states[ticket].cancelRequested = true;
    }
}

const RunState* RunController::state(RunTicket ticket) const {
    const auto found = m_states.find(ticket);
    return found == m_states.end() ? nullptr : &found->second;
}

std::optional<RunTicket> RunController::ticketOf(const QString& runId) const {
    std::optional<RunTicket> newest;
    for (const auto& [ticket, state] : m_states)
        if (state.runId == runId)
            newest = ticket;
    return newest;
}

bool RunController::isActive(const QString& runId) const {
    for (const auto& [ticket, live] : m_live)
        if (m_states.at(ticket).runId == runId)
            return true;
    return false;
}

int RunController::activeCount() const {
    return static_cast<int>(m_live.size());
}

} // namespace sds::gui
