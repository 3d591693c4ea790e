#pragma once

#include "core/Cancellation.h"
#include "core/RunHistory.h"
#include "core/export/DatasetExport.h"
#include "engine/Evaluation.h"
#include "engine/Validation.h"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <variant>

namespace sds::engine {

// A run from the history with its saved job and dataset.
struct LoadedRun {
    RunRecord record;
    JobSpec job;
    std::filesystem::path runDir;
    std::filesystem::path dataset;
};

// Which rows to keep: a minimum evaluation score (rows without a score are dropped), and/or only rows
// that did not fail validation (unjudged rows are kept).
struct RowSelection {
    std::optional<double> minScore;
    bool validOnly = false;
    [[nodiscard]] bool empty() const { return !minScore && !validOnly; }
};

struct FilterReport {
    std::filesystem::path output;
    std::size_t rowsKept = 0;
    std::size_t rowsDropped = 0;
    std::string error;
};

// What can be done with a finished run: validate its rows, evaluate them with a judge model, keep the
// good ones in a filtered copy, and export them for fine-tuning. The dataset itself is never changed.
class RunTools {
public:
    explicit RunTools(RunHistory& history) : m_history(history) {}

    [[nodiscard]] std::variant<LoadedRun, std::string> load(const std::string& runId);

    ValidationReport validate(const LoadedRun& run);
    EvaluationReport evaluate(const LoadedRun& run, const EvaluationSpec& spec,
                              std::shared_ptr<providers::Provider> judge, RunOptions options,
                              const std::function<void(const Progress&)>& onProgress,
                              const CancellationToken& cancel);

    // The row test for a selection; an error when it needs an evaluation or validation the run lacks.
    [[nodiscard]] std::variant<std::function<bool(std::size_t)>, std::string>
    rowFilter(const LoadedRun& run, const RowSelection& selection);
    // A filtered copy of the dataset: `output`, or "<dataset stem>_filtered.json" beside it when empty.
    FilterReport filter(const LoadedRun& run, const RowSelection& selection, std::filesystem::path output);
    // Fills the dataset, keys and row filter of `request` from the run, exports, and lists the files
    // with the run.
    exporting::ExportResult exportRun(const LoadedRun& run, exporting::ExportRequest request,
                                      const RowSelection& selection);

private:
    RunHistory& m_history;
};

// Why a run's rows are not validated: a curation run, or a template without a validator.
[[nodiscard]] std::string noValidatorReason(const JobSpec& job, const std::string& runId);

// The saved job of a run folder.
[[nodiscard]] std::variant<JobSpec, std::string> loadRunJob(const std::filesystem::path& runDir);

} // namespace sds::engine
