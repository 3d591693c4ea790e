#include "engine/Evaluation.h"

#include "core/JsonFile.h"
#include "core/JsonStream.h"
#include "core/RowParsing.h"
#include "engine/CurationRun.h"
#include "engine/ElementStream.h"
#include "engine/RequestPool.h"

#include <algorithm>
#include <cmath>

namespace sds::engine {
namespace {

using Clock = std::chrono::steady_clock;

struct JudgeTask {
    std::size_t row = 0;
    RowView view;
};

std::string textOf(const nlohmann::ordered_json& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
}

nlohmann::json judgeSchema(const EvaluationRubric& rubric) {
    return {{"type", "object"},
            {"properties",
             {{"score", {{"type", "integer"}, {"minimum", rubric.minScore}, {"maximum", rubric.maxScore}}},
              {"justification", {{"type", "string"}, {"maxLength", 600}}}}},
            {"required", {"score", "justification"}},
            {"additionalProperties", false}};
}

struct Verdict {
    double score = 0;
    std::string justification;
};

std::optional<Verdict> verdictOf(const providers::ChatResponse& response, const EvaluationRubric& rubric) {
    std::optional<nlohmann::json> json;
    if (response.structured && response.structured->is_object())
        json = *response.structured;
    else
        json = extractJson(response.text);
    if (!json || !json->is_object() || !json->contains("score") || !(*json)["score"].is_number())
        return std::nullopt;
    const double score = (*json)["score"].get<double>();
    if (!std::isfinite(score) || score < rubric.minScore || score > rubric.maxScore)
        return std::nullopt;
    Verdict verdict{score, {}};
    if (json->contains("justification") && (*json)["justification"].is_string())
        verdict.justification = (*json)["justification"].get<std::string>();
    return verdict;
}

} // namespace

std::optional<RowView> viewRow(const nlohmann::ordered_json& row, const JobSpec& job) {
    if (job.workflow == Workflow::CustomDataCuration) {
        if (!row.is_object())
            return std::nullopt;
        const auto output = row.find(job.outputKeys.completion);
        auto input = curationInputText(row, job.inputKey);
        if (output == row.end() || !input)
            return std::nullopt;
        return RowView{std::move(*input), textOf(*output), {}};
    }
    if (!row.is_object())
        return std::nullopt;
    const auto question = row.find(job.outputKeys.prompt);
    const auto answer = row.find(job.outputKeys.completion);
    if (question == row.end() || answer == row.end())
        return std::nullopt;
    const auto origin = row.find(job.originKey());
    return RowView{textOf(*question), textOf(*answer), origin == row.end() ? std::string() : textOf(*origin)};
}

providers::ChatRequest buildJudgeRequest(const EvaluationSpec& spec, const JobSpec& job, const RowView& row,
                                         bool structuredOutput) {
    const EvaluationRubric& rubric = spec.rubric;
    std::string user = rubric.prompt + "\n\nThe scale runs from " + std::to_string(rubric.minScore) + " to " +
                       std::to_string(rubric.maxScore) + ".\n\n";
    if (!job.databaseSchema.empty())
        user += "Database schema:\n```sql\n" + job.databaseSchema + "\n```\n\n";
    if (job.workflow == Workflow::CustomDataCuration)
        user += "The output was written for this instruction:\n" + job.prompt + "\n\n";
    for (const auto& example : rubric.examples)
        user += "Example.\nQuestion:\n" + example.question + "\nAnswer:\n" + example.solution +
                "\nVerdict: {\"score\": " + std::to_string(example.score) +
                ", \"justification\": " + nlohmann::json(example.justification).dump() + "}\n\n";
    user += "Now judge this one.\nQuestion:\n" + row.question + "\nAnswer:\n" + row.answer + "\n\n";
    user += "Return a JSON object {\"score\": integer, \"justification\": string}.\n";
    return chatRequest(
        spec.judge.model,
        "You are a strict, fair reviewer of training data for language models. Answer with one "
        "valid JSON object and nothing else.",
        std::move(user), spec.parameters,
        structuredOutput ? std::optional<nlohmann::json>(judgeSchema(rubric)) : std::nullopt, "verdict");
}

EvaluationFiles evaluationFiles(const std::filesystem::path& runDir, const std::filesystem::path& dataset) {
    return {runDir / "evaluation.jsonl",
            dataset.parent_path() / (dataset.stem().string() + ".evaluation.json"),
            runDir / "evaluation-context.json"};
}

nlohmann::json evaluationContext(const std::filesystem::path& dataset, const EvaluationSpec& spec) {
    nlohmann::json rubric = {{"prompt", spec.rubric.prompt},
                             {"min", spec.rubric.minScore},
                             {"max", spec.rubric.maxScore},
                             {"examples", nlohmann::json::array()}};
    for (const auto& example : spec.rubric.examples)
        rubric["examples"].push_back(
            {example.question, example.solution, example.score, example.justification});
    return {{"dataset", contentFingerprint(dataset)},
            {"judge", {{"provider", spec.judge.name}, {"model", spec.judge.model}}},
            {"rubric", std::to_string(std::hash<std::string>{}(rubric.dump()))}};
}

std::string staleEvaluationReason(const EvaluationFiles& files, const std::filesystem::path& dataset) {
    const auto saved = readJsonFile(files.context);
    if (!saved.ok() || !saved.json->is_object() || !(*saved.json)["dataset"].is_string())
        return "the evaluation's record of which dataset it scored is missing";
    if ((*saved.json)["dataset"].get<std::string>() != contentFingerprint(dataset))
        return dataset.filename().string() + " changed since it was evaluated (a resumed run rewrote it)";
    return {};
}

namespace {

struct Evaluation final : WorkSource<JudgeTask> {
    const JobSpec& job;
    const EvaluationSpec& spec;
    const EvaluationFiles& files;
    RunOptions options;
    RequestPool<JudgeTask> pool;
    ElementStream rows; // rows already scored are marked done

    // Guarded by pool.mutex().
    Progress progress;
    int rowsThisSession = 0;
    Clock::time_point started = Clock::now();

    Evaluation(const JobSpec& j, const std::filesystem::path& dataset, const EvaluationFiles& f,
               const EvaluationSpec& s, std::shared_ptr<providers::Provider> judge, RunOptions o)
        : job(j), spec(s), files(f), options(std::move(o)),
          pool(*this, std::move(judge), std::clamp(s.concurrency, 1, JobSpec::kMaxConcurrency),
               options.retryPolicy()),
          rows(dataset) {}

    [[nodiscard]] bool finished() const override { return rows.finished(); }

    std::optional<JudgeTask> take() override {
        while (auto next = rows.next()) {
            auto view = viewRow(next->value, job);
            if (!view)
                continue;
            return JudgeTask{next->index, std::move(*view)};
        }
        if (!rows.error().empty())
            pool.fail(rows.error());
        return std::nullopt;
    }

    void abandon(const JudgeTask&) override {}

    providers::ChatRequest request(const JudgeTask& task) override {
        return buildJudgeRequest(spec, job, task.view, options.structuredOutput);
    }

    [[nodiscard]] std::string describe(const JudgeTask& task) const override {
        return "row " + std::to_string(task.row + 1);
    }

    void complete(JudgeTask& task, providers::ChatResponse&& response) override {
        const auto verdict = verdictOf(response, spec.rubric);
        if (!verdict) {
            std::lock_guard lock(pool.mutex());
            ++progress.invalidItems;
            pool.noteProblem("the judge's answer for row " + std::to_string(task.row + 1) +
                             " had no score on the scale");
            return;
        }
        const nlohmann::json line = {{"row", task.row},
                                     {"score", verdict->score},
                                     {"justification", verdict->justification},
                                     {"seed", task.view.origin}};
        const std::string error = appendJsonLine(files.results, line);
        std::lock_guard lock(pool.mutex());
        if (!error.empty()) {
            pool.fail(error);
            return;
        }
        ++progress.rowsDone;
        ++rowsThisSession;
    }
};

} // namespace

EvaluationReport evaluateDataset(const JobSpec& job, const std::filesystem::path& dataset,
                                 const EvaluationFiles& files, const EvaluationSpec& spec,
                                 std::shared_ptr<providers::Provider> judge, RunOptions options,
                                 const std::function<void(const Progress&)>& onProgress,
                                 const CancellationToken& cancel) {
    EvaluationReport report;
    report.files = files;
    std::size_t rows = 0;
    std::size_t judgeable = 0;
    if (auto error = checkJsonElements(dataset,
                                       [&](const JsonElement& element) {
                                           ++rows;
                                           if (viewRow(element.value, job))
                                               ++judgeable;
                                       });
        !error.empty()) {
        report.outcome.status = RunStatus::Failed;
        report.outcome.error = error;
        return report;
    }
    if (judgeable == 0) {
        report.outcome.status = RunStatus::Failed;
        report.outcome.error =
            dataset.filename().string() + ": no row has the fields \"" +
            (job.workflow == Workflow::CustomDataCuration ? job.inputKey : job.outputKeys.prompt) +
            "\" and \"" + job.outputKeys.completion + "\" to judge";
        return report;
    }

    // Earlier results are resumed only when they were scored on this dataset by this judge and rubric.
    const nlohmann::json context = evaluationContext(dataset, spec);
    std::error_code ec;
    if (std::filesystem::exists(files.results, ec)) {
        const auto saved = readJsonFile(files.context);
        if (!saved.ok() || *saved.json != context) {
            const bool sameDataset = saved.ok() && (*saved.json)["dataset"] == context["dataset"];
            report.restartedBecause = !saved.ok()   ? "earlier results have no record of what they scored"
                                      : sameDataset ? "the judge, model or rubric changed"
                                                    : "the dataset changed since the earlier evaluation";
            std::filesystem::rename(files.results, files.results.string() + ".previous", ec);
            if (ec) {
                report.outcome.status = RunStatus::Failed;
                report.outcome.error =
                    files.results.string() + ": cannot set the earlier results aside: " + ec.message();
                return report;
            }
        }
    }
    if (auto error = writeFileAtomically(files.context, context.dump(2) + "\n"); !error.empty()) {
        report.outcome.status = RunStatus::Failed;
        report.outcome.error = error;
        return report;
    }

    Evaluation evaluation(job, dataset, files, spec, std::move(judge), std::move(options));
    evaluation.rows.resize(rows);
    std::string readError;
    for (const auto& earlier : readEvaluations(files.results, &readError))
        if (evaluation.rows.markDone(earlier.row))
            ++evaluation.progress.rowsDone;
    evaluation.progress.rowsResumed = evaluation.progress.rowsDone;
    evaluation.progress.rowsRequested = static_cast<int>(judgeable);
    evaluation.progress.requestsPlanned = static_cast<int>(judgeable);
    if (auto error = evaluation.rows.open(); !error.empty()) {
        report.outcome.status = RunStatus::Failed;
        report.outcome.error = error;
        return report;
    }
    runReportingProgress(evaluation.pool, cancel,
                         evaluation.progress.requestsPlanned - evaluation.progress.rowsDone, nullptr,
                         evaluation.options.journalSyncInterval, onProgress, [&] {
                             return withCounters(evaluation.progress, evaluation.pool.counters(),
                                                 evaluation.started, evaluation.rowsThisSession);
                         });
    report.outcome.progress = withCounters(evaluation.progress, evaluation.pool.counters(),
                                           evaluation.started, evaluation.rowsThisSession);
    report.outcome.problems = evaluation.pool.problems();
    settle(report.outcome, evaluation.pool.fatalError(), cancel);
    if (onProgress)
        onProgress(report.outcome.progress);

    auto results = readEvaluations(files.results, &readError);
    std::erase_if(results, [&](const RowEvaluation& result) { return result.row >= rows; });
    report.summary = summarize(results);
    nlohmann::json rowsJson = nlohmann::json::array();
    for (const auto& result : results)
        rowsJson.push_back(
            {{"row", result.row}, {"score", result.score}, {"justification", result.justification}});
    const nlohmann::json summaryFile = {
        {"dataset", dataset.string()},
        {"judge", {{"provider", spec.judge.name}, {"model", spec.judge.model}}},
        {"scale", {{"min", spec.rubric.minScore}, {"max", spec.rubric.maxScore}}},
        {"status", toString(report.outcome.status)},
        {"rows_in_dataset", rows},
        {"summary", toJson(report.summary)},
        {"rows", std::move(rowsJson)}};
    if (auto error = writeFileAtomically(files.summary, summaryFile.dump(1) + "\n"); !error.empty()) {
        report.outcome.status = RunStatus::Failed;
        report.outcome.error = error;
    }
    return report;
}

} // namespace sds::engine
