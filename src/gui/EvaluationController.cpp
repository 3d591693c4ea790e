#include "gui/EvaluationController.h"

#include "core/Cancellation.h"
#include "engine/JobSetup.h"
#include "engine/RunTools.h"
#include "gui/Format.h"
#include "gui/Workspace.h"

#include <QMetaObject>
#include <mutex>
#include <optional>
#include <spdlog/spdlog.h>
#include <thread>

namespace sds::gui {

struct EvaluationController::Live {
    QString runId;
    CancellationToken cancel;
    std::thread thread;

    std::mutex mutex;
    std::optional<engine::Progress> pendingProgress;
    bool flushScheduled = false;
};

EvaluationController::EvaluationController(Workspace& workspace, AccessSource access, QObject* parent)
    : QObject(parent), m_workspace(workspace), m_access(std::move(access)) {}

EvaluationController::~EvaluationController() {
    cancelAll();
    for (auto& [runId, live] : m_live)
        if (live->thread.joinable())
            live->thread.join();
}

bool EvaluationController::start(const EvaluationRequest& request) {
    if (isActive(request.runId))
        return false;
    const auto history = m_workspace.history();
    if (!history)
        return false;
    const Template* source = m_workspace.findTemplate(request.templateId);
    EvaluationRubric rubric = source ? source->evaluation : defaultEvaluationRubric();
    if (request.rubricPrompt && !request.rubricPrompt->empty())
        rubric.prompt = *request.rubricPrompt;

    auto& state = m_states[request.runId];
    state = EvaluationState{};
    state.runId = request.runId;
    state.judge = request.judge;

    auto live = std::make_shared<Live>();
    live->runId = request.runId;
    m_live[request.runId] = live;
    live->thread = std::thread([this, live, request, rubric = std::move(rubric), access = m_access(),
                                history] { work(live, request, rubric, access, history); });
    emit started(request.runId);
    emit activeCountChanged(activeCount());
    return true;
}

void EvaluationController::work(const std::shared_ptr<Live>& live, const EvaluationRequest& request,
                                EvaluationRubric rubric, const ProviderAccess& access,
                                const std::shared_ptr<RunHistory>& history) {
    EvaluationState result;
    result.runId = request.runId;
    result.judge = request.judge;
    result.finished = true;
    result.status = RunStatus::Failed;
    try {
        engine::RunTools tools(*history);
        auto loaded = tools.load(ss(request.runId));
        if (auto* error = std::get_if<std::string>(&loaded)) {
            result.error = qs(*error);
            return finish(live, std::move(result));
        }
        const auto& run = std::get<engine::LoadedRun>(loaded);
        auto made = access.makeProvider(request.judge);
        if (!made.ok()) {
            result.error = qs(made.error().message);
            return finish(live, std::move(result));
        }
        engine::EvaluationSpec spec;
        spec.judge = request.judge;
        if (spec.judge.model.empty())
            spec.judge.model = made.value()->defaultModel();
        spec.concurrency = request.concurrency;
        spec.rubric = std::move(rubric);
        const auto report = tools.evaluate(
            run, spec, made.value(), engine::RunOptions{},
            [this, live](const engine::Progress& progress) {
                std::lock_guard lock(live->mutex);
                live->pendingProgress = progress;
                if (live->flushScheduled)
                    return;
                live->flushScheduled = true;
                QMetaObject::invokeMethod(
                    this,
                    [this, live] {
                        std::optional<engine::Progress> pending;
                        {
                            std::lock_guard relock(live->mutex);
                            pending.swap(live->pendingProgress);
                            live->flushScheduled = false;
                        }
                        auto found = m_states.find(live->runId);
                        if (!pending || found == m_states.end() || found->second.finished)
                            return;
                        found->second.progress = *pending;
                        found->second.progressKnown = true;
                        emit progressChanged(live->runId);
                    },
                    Qt::QueuedConnection);
            },
            live->cancel);
        result.status = report.outcome.status;
        result.progress = report.outcome.progress;
        result.progressKnown = true;
        result.error = qs(report.outcome.error);
        for (const auto& problem : report.outcome.problems)
            result.problems << qs(problem);
        result.rowsScored = report.summary.overall.count;
        result.mean = report.summary.overall.mean;
    } catch (const std::exception& error) {
        result.error = qs(std::string("unexpected error: ") + error.what());
    }
    finish(live, std::move(result));
}

void EvaluationController::finish(const std::shared_ptr<Live>& live, EvaluationState result) {
    if (!result.error.isEmpty() && result.status != RunStatus::Completed)
        spdlog::warn("gui: the evaluation of run {} stopped: {}", ss(live->runId), ss(result.error));
    QMetaObject::invokeMethod(
        this,
        [this, live, result = std::move(result)]() mutable {
            if (live->thread.joinable())
                live->thread.join();
            auto& state = m_states[live->runId];
            result.cancelRequested = state.cancelRequested;
            state = std::move(result);
            m_live.erase(live->runId);
            emit finished(live->runId);
            emit activeCountChanged(activeCount());
        },
        Qt::QueuedConnection);
}

void EvaluationController::cancel(const QString& runId) {
    if (auto found = m_live.find(runId); found != m_live.end()) {
        found->second->cancel.cancel();
        m_states[runId].cancelRequested = true;
        emit progressChanged(runId);
    }
}

void EvaluationController::cancelAll() {
    for (auto& [runId, live] : m_live) {
        live->cancel.cancel();
        m_states[runId].cancelRequested = true;
    }
}

const EvaluationState* EvaluationController::state(const QString& runId) const {
    const auto found = m_states.find(runId);
    return found == m_states.end() ? nullptr : &found->second;
}

bool EvaluationController::isActive(const QString& runId) const {
    return m_live.count(runId) > 0;
}

int EvaluationController::activeCount() const {
    return static_cast<int>(m_live.size());
}

} // namespace sds::gui
