#include "engine/RunTools.h"

#include "core/JsonFile.h"
#include "core/JsonStream.h"
#include "engine/RunService.h"

#include <fstream>

namespace sds::engine {

std::variant<JobSpec, std::string> loadRunJob(const std::filesystem::path& runDir) {
    const auto jobFile = runDir / "job.json";
    const auto read = readJsonFile(jobFile);
    if (!read.ok())
        return read.error;
    auto parsed = jobFromJson(*read.json, jobFile.string());
    if (!parsed.job)
        return parsed.error;
    return std::move(*parsed.job);
}

std::string noValidatorReason(const JobSpec& job, const std::string& runId) {
    if (job.workflow == Workflow::CustomDataCuration)
        return "run " + runId + " is a curation run: its outputs have no fixed form to validate";
    return "run " + runId + ": its template (" + job.templateId +
           ") has no validator; SQL (text_to_sql) and code (code_generation) are checked";
}

std::variant<LoadedRun, std::string> RunTools::load(const std::string& runId) {
    auto record = m_history.find(runId);
    if (!record)
        return "no run with id " + runId + " (see `sds runs`)";
    LoadedRun run;
    run.record = std::move(*record);
    run.runDir = run.record.runDir;
    run.dataset = run.record.outputPath;
    auto job = loadRunJob(run.runDir);
    if (auto* error = std::get_if<std::string>(&job))
        return "run " + runId + ": " + *error;
    run.job = std::move(std::get<JobSpec>(job));
    std::error_code ec;
    if (run.dataset.empty() || !std::filesystem::exists(run.dataset, ec))
        return "run " + runId + " has no dataset yet" +
               (run.dataset.empty() ? std::string() : " (" + run.dataset.string() + " is missing)");
    return run;
}

ValidationReport RunTools::validate(const LoadedRun& run) {
    ValidationReport report = validateDataset(run.job, run.dataset, validationFile(run.runDir));
    if (report.ran && report.error.empty())
        if (auto error = m_history.setValidation(run.record.id, toJson(report.counts).dump()); !error.empty())
            report.error = error;
    return report;
}

EvaluationReport RunTools::evaluate(const LoadedRun& run, const EvaluationSpec& spec,
                                    std::shared_ptr<providers::Provider> judge, RunOptions options,
                                    const std::function<void(const Progress&)>& onProgress,
                                    const CancellationToken& cancel) {
    const auto files = evaluationFiles(run.runDir, run.dataset);
    EvaluationReport report = evaluateDataset(run.job, run.dataset, files, spec, std::move(judge),
                                              std::move(options), onProgress, cancel);
    if (report.summary.overall.count > 0) {
        // Tokens add up over the sessions of a resumed evaluation.
        providers::TokenUsage tokens = report.outcome.progress.tokens;
        if (const auto earlier = nlohmann::json::parse(run.record.evaluationJson, nullptr, false);
            earlier.is_object() && earlier.contains("tokens") && earlier["tokens"].is_object()) {
            tokens.input += earlier["tokens"].value("input", std::int64_t{0});
            tokens.output += earlier["tokens"].value("output", std::int64_t{0});
        }
        const nlohmann::json evaluation = {
            {"judge", {{"provider", spec.judge.name}, {"model", spec.judge.model}}},
            {"tokens", {{"input", tokens.input}, {"output", tokens.output}}},
            {"scale", {{"min", spec.rubric.minScore}, {"max", spec.rubric.maxScore}}},
            {"rows_scored", report.summary.overall.count},
            {"status", toString(report.outcome.status)},
            {"summary_file", files.summary.string()}};
        if (auto error =
                m_history.setEvaluation(run.record.id, report.summary.overall.mean, evaluation.dump());
            !error.empty() && report.outcome.error.empty())
            report.outcome.error = error;
    }
    return report;
}

std::variant<std::function<bool(std::size_t)>, std::string>
RunTools::rowFilter(const LoadedRun& run, const RowSelection& selection) {
    std::vector<signed char> scoreOk; // by row: -1 unknown, 0 below, 1 at least the minimum
    std::vector<bool> failed;
    if (selection.minScore) {
        const auto files = evaluationFiles(run.runDir, run.dataset);
        std::string error;
        const auto results = readEvaluations(files.results, &error);
        if (results.empty())
            return "run " + run.record.id + " has no evaluation yet: run `sds evaluate " + run.record.id +
                   "` first";
        if (auto stale = staleEvaluationReason(files, run.dataset); !stale.empty())
            return "run " + run.record.id + ": " + stale + "; run `sds evaluate " + run.record.id + "` again";
        for (const auto& result : results) {
            if (result.row >= scoreOk.size())
                scoreOk.resize(result.row + 1, -1);
            scoreOk[result.row] = result.score >= *selection.minScore ? 1 : 0;
        }
    }
    if (selection.validOnly) {
        if (run.job.validator.empty() || run.job.workflow == Workflow::CustomDataCuration)
            return noValidatorReason(run.job, run.record.id) + ", so --valid-only has nothing to go by";
        std::string error;
        const auto file = validationFile(run.runDir);
        std::error_code ec;
        if (!std::filesystem::exists(file, ec)) {
            const auto report = validate(run);
            if (!report.error.empty())
                return report.error;
        }
        for (const auto& result : readValidations(file, &error)) {
            if (result.row >= failed.size())
                failed.resize(result.row + 1, false);
            failed[result.row] = result.status == "failed";
        }
    }
    const bool byScore = selection.minScore.has_value();
    return std::function<bool(std::size_t)>(
        [scoreOk = std::move(scoreOk), failed = std::move(failed), byScore](std::size_t row) {
            if (byScore && (row >= scoreOk.size() || scoreOk[row] != 1))
                return false;
            return row >= failed.size() || !failed[row];
        });
}

FilterReport RunTools::filter(const LoadedRun& run, const RowSelection& selection,
                              std::filesystem::path output) {
    FilterReport report;
    if (selection.empty()) {
        report.error = "say which rows to keep: --min-score N and/or --valid-only";
        return report;
    }
    auto keep = rowFilter(run, selection);
    if (auto* error = std::get_if<std::string>(&keep)) {
        report.error = *error;
        return report;
    }
    const auto& keepRow = std::get<std::function<bool(std::size_t)>>(keep);
    if (output.empty())
        output = run.dataset.parent_path() / (run.dataset.stem().string() + "_filtered.json");
    std::error_code ec;
    if (std::filesystem::weakly_canonical(output, ec) == std::filesystem::weakly_canonical(run.dataset, ec) ||
        std::filesystem::equivalent(output, run.dataset, ec)) {
        report.error = output.string() + ": the filtered copy cannot replace the dataset itself";
        return report;
    }
    report.output = output;
    const auto written = writeJsonArrayAtomically(output, [&](const auto& emit) {
        return checkJsonElements(run.dataset, [&](const JsonElement& element) {
            if (keepRow(element.index))
                emit(element.value);
            else
                ++report.rowsDropped;
        });
    });
    report.rowsKept = written.rows;
    report.error = written.error;
    return report;
}

exporting::ExportResult RunTools::exportRun(const LoadedRun& run, exporting::ExportRequest request,
                                            const RowSelection& selection) {
    request.dataset = run.dataset;
    if (run.job.workflow == Workflow::CustomDataCuration) {
        request.promptKey = run.job.inputKey;
        request.completionKey = run.job.outputKeys.completion;
    } else {
        request.promptKey = run.job.outputKeys.prompt;
        request.completionKey = run.job.outputKeys.completion;
    }
    if (!selection.empty()) {
        auto keep = rowFilter(run, selection);
        if (auto* error = std::get_if<std::string>(&keep)) {
            exporting::ExportResult result;
            result.error = *error;
            return result;
        }
        request.keep = std::move(std::get<std::function<bool(std::size_t)>>(keep));
    }
    auto result = exporting::exportDataset(request);
    if (result.ok())
        for (const auto& file : result.files)
            if (auto error =
                    m_history.addExport({run.record.id, std::filesystem::absolute(file.path).string(),
                                         exporting::toString(request.format), file.part,
                                         static_cast<std::int64_t>(file.rows), nowMs()});
                !error.empty())
                result.error = error;
    return result;
}

} // namespace sds::engine
