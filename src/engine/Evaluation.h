#pragma once

#include "core/Cancellation.h"
#include "core/Job.h"
#include "core/RowScores.h"
#include "core/RunHistory.h"
#include "core/Template.h"
#include "engine/GenerationRun.h"
#include "providers/Provider.h"

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace sds::engine {

// A dataset row as the judge and the validators see it: the question (or curation input), the answer
// (or output), and the seed or excerpt it came from.
struct RowView {
    std::string question;
    std::string answer;
    std::string origin;
};
[[nodiscard]] std::optional<RowView> viewRow(const nlohmann::ordered_json& row, const JobSpec& job);

struct EvaluationSpec {
    ProviderChoice judge;
    ModelParameters parameters{0.0, 1.0, 50, 1024};
    int concurrency = 16;
    EvaluationRubric rubric = defaultEvaluationRubric();
};

[[nodiscard]] providers::ChatRequest buildJudgeRequest(const EvaluationSpec& spec, const JobSpec& job,
                                                       const RowView& row, bool structuredOutput);

// Files of one run's evaluation: the per-row results as they arrive (in the run folder, for resume)
// and the summary with every row's score and justification, beside the dataset.
struct EvaluationFiles {
    std::filesystem::path results;
    std::filesystem::path summary;
    std::filesystem::path context; // which dataset and which judge and rubric the results belong to
};

// What the saved results were scored against: the dataset's content and the judge, model and rubric.
// Results of another context are not reused (a resumed curation run rewrites its dataset in input order,
// so row numbers move; another judge's scores do not mix with this one's).
[[nodiscard]] nlohmann::json evaluationContext(const std::filesystem::path& dataset,
                                               const EvaluationSpec& spec);
// The reason the results in `files` cannot be used for `dataset` as it is now (it changed since they were
// scored), or empty when they can.
[[nodiscard]] std::string staleEvaluationReason(const EvaluationFiles& files,
                                                const std::filesystem::path& dataset);
[[nodiscard]] EvaluationFiles evaluationFiles(const std::filesystem::path& runDir,
                                              const std::filesystem::path& dataset);

struct EvaluationReport {
    RunOutcome outcome;           // rows scored count as rows done
    std::string restartedBecause; // set when earlier results were set aside instead of resumed
    EvaluationSummary summary;
    EvaluationFiles files;
};

// LLM-as-judge over a finished dataset: every row gets a score on the rubric's scale and a short
// justification, through the same pool as generation (concurrency, retries, cancel); rows already
// scored (a resumed evaluation) are not asked again. The dataset itself is never written.
[[nodiscard]] EvaluationReport evaluateDataset(const JobSpec& job, const std::filesystem::path& dataset,
                                               const EvaluationFiles& files, const EvaluationSpec& spec,
                                               std::shared_ptr<providers::Provider> judge, RunOptions options,
                                               const std::function<void(const Progress&)>& onProgress,
                                               const CancellationToken& cancel);

} // namespace sds::engine
