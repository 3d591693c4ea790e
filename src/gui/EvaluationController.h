#pragma once

#include "core/Job.h"
#include "core/RunHistory.h"
#include "core/Template.h"
#include "engine/GenerationRun.h"
#include "gui/ProviderAccess.h"

#include <QObject>
#include <QString>
#include <QStringList>
#include <functional>
#include <map>
#include <memory>
#include <optional>

namespace sds::gui {

class Workspace;

// Score a finished run's rows with a judge model (`sds evaluate RUN`).
struct EvaluationRequest {
    QString runId;
    std::string templateId; // its rubric; the default rubric when the template is gone
    ProviderChoice judge;
    int concurrency = 16;
    std::optional<std::string> rubricPrompt; // the judge's instructions as edited; the template's when unset
};

struct EvaluationState {
    QString runId;
    ProviderChoice judge;
    bool finished = false;
    bool cancelRequested = false;
    RunStatus status = RunStatus::Running;
    engine::Progress progress;
    bool progressKnown = false;
    QString error; // why it stopped early or could not start
    QStringList problems;
    std::size_t rowsScored = 0;
    double mean = 0;
};

// Owns the evaluations of this session, one per run at a time, each on a thread of its own (like
// RunController's generations). An evaluation started again resumes: rows already scored are kept.
class EvaluationController : public QObject {
    Q_OBJECT
public:
    using AccessSource = std::function<ProviderAccess()>;

    EvaluationController(Workspace& workspace, AccessSource access, QObject* parent = nullptr);
    ~EvaluationController() override; // cancels what still runs and waits for it

    // False when the run is being evaluated already.
    bool start(const EvaluationRequest& request);
    void cancel(const QString& runId);
    void cancelAll();

    [[nodiscard]] const EvaluationState* state(const QString& runId) const;
    [[nodiscard]] bool isActive(const QString& runId) const;
    [[nodiscard]] int activeCount() const;

signals:
    void started(const QString& runId);
    void progressChanged(const QString& runId);
    void finished(const QString& runId);
    void activeCountChanged(int count);

private:
    struct Live;
    void work(const std::shared_ptr<Live>& live, const EvaluationRequest& request, EvaluationRubric rubric,
              const ProviderAccess& access, const std::shared_ptr<RunHistory>& history);
    void finish(const std::shared_ptr<Live>& live, EvaluationState result);

    Workspace& m_workspace;
    AccessSource m_access;
    std::map<QString, EvaluationState> m_states;
    std::map<QString, std::shared_ptr<Live>> m_live;
};

} // namespace sds::gui
