#include "engine/RunService.h"

#include "core/JsonFile.h"
#include "core/documents/Chunker.h"
#include "core/documents/DocumentText.h"
#include "engine/CurationRun.h"
#include "engine/RunTools.h"
#include "engine/Validation.h"

#include <chrono>
#include <ctime>
#include <mutex>
#include <random>
#include <spdlog/spdlog.h>

namespace sds::engine {
namespace {

std::string utcStamp(std::int64_t timeMs, const char* format) {
    const std::time_t seconds = static_cast<std::time_t>(timeMs / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, format, &utc);
    return buffer;
}

std::string slug(const std::string& text) {
    std::string out;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u))
            out += static_cast<char>(std::tolower(u));
        else if (!out.empty() && out.back() != '-')
            out += '-';
    }
    while (!out.empty() && out.back() == '-')
        out.pop_back();
    if (out.size() > 48)
        out.resize(48);
    return out.empty() ? std::string("model") : out;
}

std::string modelFamily(const std::string& model) {
    // "us.anthropic.claude-3-5-haiku-20241022-v1:0" -> "claude-3-5-haiku-20241022-v1-0"; a path -> its file
    // name
    std::string name = std::filesystem::path(model).filename().string();
    if (const auto dot = name.rfind(".gguf"); dot != std::string::npos && dot + 5 == name.size())
        name.resize(dot);
    if (const auto vendor = name.find("anthropic."); vendor != std::string::npos)
        name = name.substr(vendor + 10);
    return slug(name);
}

std::filesystem::path chunksFile(const std::filesystem::path& runDir) {
    return runDir / "chunks.json";
}

} // namespace

std::variant<std::vector<GroundingChunk>, std::string> documentExcerpts(const JobSpec& job,
                                                                        std::vector<std::string>& notices) {
    std::vector<GroundingChunk> chunks;
    std::vector<std::string> errors;
    const documents::ChunkOptions options{static_cast<std::size_t>(job.chunkSize),
                                          static_cast<std::size_t>(job.chunkOverlap)};
    for (const auto& file : job.inputFiles) {
        const auto document = documents::extractText(file);
        for (const auto& warning : document.warnings)
            notices.push_back(warning);
        if (!document.ok()) {
            errors.push_back(document.error);
            notices.push_back(document.error + " (skipped)");
            continue;
        }
        const std::string source = std::filesystem::path(file).filename().string();
        for (auto& text : documents::chunkText(document.text, options))
            chunks.push_back({source, std::move(text)});
    }
    if (chunks.empty()) {
        std::string message = "no usable text in the input documents";
        for (const auto& error : errors)
            message += "; " + error;
        return message;
    }
    return chunks;
}

namespace {

std::string saveChunks(const std::filesystem::path& file, const std::vector<GroundingChunk>& chunks) {
    nlohmann::json json = nlohmann::json::array();
    for (const auto& chunk : chunks)
        json.push_back({{"source", chunk.source}, {"text", chunk.text}});
    return writeFileAtomically(file, json.dump(1) + "\n");
}

std::variant<std::vector<GroundingChunk>, std::string> loadChunks(const std::filesystem::path& file) {
    const auto read = readJsonFile(file);
    if (!read.ok())
        return read.error;
    std::vector<GroundingChunk> chunks;
    for (const auto& item : *read.json) {
        if (!item.is_object() || !item.contains("text") || !item["text"].is_string())
            return file.string() + ": an excerpt without text";
        const auto source = item.find("source");
        chunks.push_back(
            {source != item.end() && source->is_string() ? source->get<std::string>() : std::string(),
             item["text"].get<std::string>()});
    }
    return chunks;
}

// Checks what the job reads before anything is sent: the documents' excerpts, or the curation input.
std::string prepareInput(PreparedRun& run) {
    if (run.job.groundedInDocuments()) {
        auto chunks = documentExcerpts(run.job, run.notices);
        if (auto* error = std::get_if<std::string>(&chunks))
            return *error;
        run.chunks = std::move(std::get<std::vector<GroundingChunk>>(chunks));
    } else if (run.job.workflow == Workflow::CustomDataCuration && !run.job.inputFiles.empty()) {
        const auto check = checkCurationInput(run.job.inputFiles.front(), run.job.inputKey);
        if (!check.error.empty())
            return check.error;
        if (check.usable() == 0)
            return run.job.inputFiles.front() + ": no element has the field \"" + run.job.inputKey +
                   "\" (choose the input field with --input-key)";
        if (auto skipped = describeSkipped(check, run.job.inputKey); !skipped.empty())
            run.notices.push_back(std::move(skipped));
        run.job.size = static_cast<int>(check.usable());
        run.inputElements = check.elements;
    }
    return {};
}

// What a curation run was started on, so that a resume can tell whether the input changed under it.
nlohmann::json inputFingerprint(const PreparedRun& run) {
    return {{"path", run.job.inputFiles.front()},
            {"elements", run.inputElements},
            {"content", contentFingerprint(run.job.inputFiles.front())}};
}

std::filesystem::path inputFingerprintFile(const std::filesystem::path& runDir) {
    return runDir / "input.json";
}

// The metadata's "cost": what the run spent (earlier sessions included), at which price, and its cap.
nlohmann::json costJson(const PreparedRun& run, const Progress& progress) {
    nlohmann::json cost = {
        {"usd", progress.costUsd ? nlohmann::json(*progress.costUsd) : nlohmann::json()},
        {"max_cost_usd", run.job.maxCostUsd ? nlohmann::json(*run.job.maxCostUsd) : nlohmann::json()}};
    if (run.price)
        cost["price"] = {{"input_per_million", run.price->price.inputPerMillion},
                         {"output_per_million", run.price->price.outputPerMillion},
                         {"source", run.price->source}};
    else
        cost["price"] = "unknown";
    return cost;
}

// job.json: the job as it runs, with the dataset file it writes.
std::string saveRunJob(const PreparedRun& run) {
    nlohmann::json saved = toJson(run.job);
    saved["output"] = run.datasetPath.string();
    return writeFileAtomically(run.runDir / "job.json", saved.dump(2) + "\n");
}

// The run's price from the job or the price table; an error when the table cannot be read or the job's
// budget needs a price nobody gave.
std::string resolvePrice(PreparedRun& run, const Project& project) {
    const auto prices = project.loadPrices();
    if (!prices.error.empty())
        return prices.error;
    if (auto problem = budgetProblem(run.job, prices.table); !problem.empty())
        return problem;
    run.price = priceOf(run.job, prices.table);
    return {};
}

// The run ends before its generation: the batch job could not be submitted or read, or the wait for it
// was cancelled (the job goes on; a resume re-attaches to it).
RunOutcome outcomeBeforeGeneration(const PreparedRun& run, const BatchPhaseResult& batch,
                                   const std::string& error) {
    RunOutcome outcome;
    int rows = 0;
    Journal::read(run.journalPath, [&rows](JournalRow&&) { ++rows; });
    outcome.progress.rowsRequested = run.job.size;
    outcome.progress.rowsDone = std::min(rows, run.job.size);
    outcome.progress.rowsResumed = outcome.progress.rowsDone;
    outcome.progress.requestsPlanned = run.job.plannedRequests();
    if (run.price)
        outcome.progress.costUsd = run.costBefore.value_or(0.0);
    outcome.problems = batch.problems;
    outcome.failed = run.earlierFailures;
    if (!error.empty()) {
        outcome.status = RunStatus::Failed;
        outcome.error = error;
    } else {
        outcome.status = RunStatus::Cancelled;
        outcome.error = "cancelled while the Bedrock batch job runs; resume the run to re-attach to the job";
    }
    return outcome;
}

nlohmann::json batchJson(const std::filesystem::path& runDir) {
    const auto loaded = loadBatchJobState(runDir);
    const auto* state = std::get_if<std::optional<BatchJobState>>(&loaded);
    if (!state || !*state)
        return {{"mode", "batch"}, {"job_arn", nullptr}};
    const auto& job = **state;
    return {{"mode", "batch"},
            {"job_arn", job.jobArn},
            {"status", job.status},
            {"records", job.records},
            {"processed_records",
             job.processedRecords ? nlohmann::json(*job.processedRecords) : nlohmann::json()},
            {"failed_records", job.failedRecords ? nlohmann::json(*job.failedRecords) : nlohmann::json()},
            {"input_uri", job.inputUri},
            {"output_uri", job.outputUri},
            {"price_factor", kBatchPriceFactor}};
}

} // namespace

std::string RunService::runBatchPhase(const PreparedRun& run, providers::Provider& provider,
                                      const RunOptions& options, const RunCallbacks& callbacks,
                                      const CancellationToken& cancel, BatchPhaseResult& result) {
    const auto* bedrockProvider = dynamic_cast<const providers::bedrock::BedrockProvider*>(&provider);
    if (!bedrockProvider)
        return "mode \"batch\" runs on the bedrock provider only, not \"" + provider.name() + "\"";
    BedrockBatchPhase phase({run.id, run.runDir, run.journalPath, run.job, run.chunks, options},
                            *bedrockProvider, m_batchPolling);
    if (callbacks.batchStatus)
        phase.onStatus(callbacks.batchStatus);
    result = phase.run(cancel);
    return result.error;
}

std::string newRunId() {
    static std::mt19937 random{std::random_device{}()};
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    char suffix[8];
    std::snprintf(suffix, sizeof suffix, "%04x", static_cast<unsigned>(random() & 0xffffU));
    return utcStamp(nowMs(), "%Y%m%d-%H%M%S") + "-" + suffix;
}

std::int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string datasetFileName(const std::string& model, std::int64_t timeMs, const std::string& runId) {
    // The run id's random suffix keeps two runs started in the same second apart.
    const std::string suffix = runId.substr(runId.rfind('-') + 1);
    return "qa_pairs_" + modelFamily(model) + "_" + utcStamp(timeMs, "%Y%m%dT%H%M%SZ") + "_" + suffix +
           "_final.json";
}

RunService::RunService(Project project, RunHistory& history)
    : m_project(std::move(project)), m_history(history) {}

std::variant<PreparedRun, std::string> RunService::prepare(const JobSpec& job) {
    if (auto error = m_project.ensureExists(); !error.empty())
        return error;
    PreparedRun run;
    run.job = job;
    for (auto& file : run.job.inputFiles)
        file = std::filesystem::absolute(file).lexically_normal().string();
    if (auto error = prepareInput(run); !error.empty())
        return error;
    if (auto error = resolvePrice(run, m_project); !error.empty())
        return error;
    run.id = newRunId();
    run.createdAtMs = nowMs();
    run.runDir = m_project.runDir(run.id);
    run.journalPath = run.runDir / "journal.jsonl";
    run.datasetPath =
        job.outputPath.empty()
            ? m_project.datasetsDir() / datasetFileName(job.provider.model, run.createdAtMs, run.id)
            : std::filesystem::absolute(job.outputPath);
    run.metadataPath = run.datasetPath.parent_path() / (run.datasetPath.stem().string() + ".metadata.json");
    if (run.job.displayName.empty())
        run.job.displayName = run.job.templateId + " " + utcStamp(run.createdAtMs, "%Y-%m-%d %H:%M");
    std::error_code ec;
    std::filesystem::create_directories(run.runDir, ec);
    if (ec)
        return "cannot create the run folder " + run.runDir.string() + ": " + ec.message();
    auto locked = RunLock::acquire(run.runDir);
    if (!locked.lock)
        return locked.error;
    run.lock = std::move(locked.lock);
    if (auto error = saveRunJob(run); !error.empty())
        return error;
    if (!run.chunks.empty())
        if (auto error = saveChunks(chunksFile(run.runDir), run.chunks); !error.empty())
            return error;
    if (run.job.workflow == Workflow::CustomDataCuration)
        if (auto error =
                writeFileAtomically(inputFingerprintFile(run.runDir), inputFingerprint(run).dump(2) + "\n");
            !error.empty())
            return error;
    RunRecord record;
    record.id = run.id;
    record.displayName = run.job.displayName;
    record.templateId = run.job.templateId;
    record.workflow = toString(run.job.workflow);
    record.provider = run.job.provider.name;
    record.model = run.job.provider.model;
    record.parametersJson = toJson(run.job)["parameters"].dump();
    record.requestedSize = run.job.size;
    record.status = RunStatus::Running;
    record.outputPath = run.datasetPath.string();
    record.runDir = run.runDir.string();
    record.createdAtMs = run.createdAtMs;
    record.maxCostUsd = run.job.maxCostUsd;
    if (run.price)
        record.costUsd = 0.0;
    if (auto error = m_history.insert(record); !error.empty())
        return error;
    return run;
}

std::variant<PreparedRun, std::string> RunService::prepareResume(const std::string& runId, ResumeScope scope,
                                                                 std::optional<double> maxCostUsd) {
    auto record = m_history.find(runId);
    if (!record)
        return "no run with id " + runId + " (see `sds runs`)";
    if (record->status == RunStatus::Completed)
        return "run " + runId + " is already complete: " + record->outputPath;
    PreparedRun run;
    run.id = runId;
    run.runDir = record->runDir.empty() ? m_project.runDir(runId) : std::filesystem::path(record->runDir);
    auto locked = RunLock::acquire(run.runDir);
    if (!locked.lock) {
        if (!locked.heldElsewhere)
            return "cannot resume run " + runId + ": " + locked.error;
        return "run " + runId + " is " + locked.error +
               (locked.holderPid ? " (pid " + std::to_string(*locked.holderPid) + ")" : std::string()) +
               "; wait for it to end or stop that process, then resume it";
    }
    run.lock = std::move(locked.lock);
    // Read again under the lock: the process that held it may have finished the run meanwhile.
    record = m_history.find(runId);
    if (!record)
        return "no run with id " + runId + " (see `sds runs`)";
    if (record->status == RunStatus::Completed)
        return "run " + runId + " is already complete: " + record->outputPath;
    auto earlier = loadFailedWork(run.runDir);
    if (auto* error = std::get_if<std::string>(&earlier))
        return "cannot resume run " + runId + ": " + *error;
    run.earlierFailures = std::move(std::get<FailedWork>(earlier));
    run.resumeScope = scope;
    if (scope == ResumeScope::FailedOnly && run.earlierFailures.empty())
        return "nothing failed in run " + runId + " to retry; resume it to ask for every row it misses";
    auto job = loadRunJob(run.runDir);
    if (auto* error = std::get_if<std::string>(&job))
        return "cannot resume run " + runId + ": " + *error;
    run.job = std::move(std::get<JobSpec>(job));
    run.createdAtMs = record->createdAtMs;
    run.journalPath = run.runDir / "journal.jsonl";
    run.datasetPath = record->outputPath;
    run.metadataPath = run.datasetPath.parent_path() / (run.datasetPath.stem().string() + ".metadata.json");
    run.resumed = true;
    run.tokensBefore = {record->inputTokens, record->outputTokens};
    run.costBefore = record->costUsd;
    run.requestsBefore = record->requestsDone;
    if (maxCostUsd) {
        run.job.maxCostUsd = maxCostUsd;
        if (const auto problems = validate(run.job); !problems.empty())
            return "cannot resume run " + runId + ": " + problems.front();
    }
    if (auto error = resolvePrice(run, m_project); !error.empty())
        return "cannot resume run " + runId + ": " + error;
    if (maxCostUsd)
        if (auto error = saveRunJob(run); !error.empty())
            return error;
    if (run.job.groundedInDocuments()) {
        auto chunks = loadChunks(chunksFile(run.runDir));
        if (auto* error = std::get_if<std::string>(&chunks))
            return "cannot resume run " + runId + ": " + *error;
        run.chunks = std::move(std::get<std::vector<GroundingChunk>>(chunks));
    } else if (auto error = prepareInput(run); !error.empty()) {
        return "cannot resume run " + runId + ": " + error;
    }
    if (run.job.workflow == Workflow::CustomDataCuration) {
        const auto saved = readJsonFile(inputFingerprintFile(run.runDir));
        if (!saved.ok() || !saved.json->is_object() || !(*saved.json)["content"].is_string() ||
            !(*saved.json)["elements"].is_number_unsigned())
            return "cannot resume run " + runId + ": " + inputFingerprintFile(run.runDir).string() +
                   " (what the run was started on) is missing or damaged, so a changed input could not be "
                   "told";
        const auto savedElements = (*saved.json)["elements"].get<std::size_t>();
        if ((*saved.json)["content"] != inputFingerprint(run)["content"])
            return "cannot resume run " + runId + ": " + run.job.inputFiles.front() +
                   " changed since the run started (" + std::to_string(savedElements) + " elements then, " +
                   std::to_string(run.inputElements) +
                   " now); the rows already curated would not match it: start a new run";
    }
    auto updated = *record;
    updated.status = RunStatus::Running;
    updated.finishedAtMs.reset();
    updated.error.clear();
    updated.maxCostUsd = run.job.maxCostUsd;
    if (auto error = m_history.update(updated); !error.empty())
        return error;
    return run;
}

void RunService::markFailed(const PreparedRun& run, const std::string& error) {
    if (auto record = m_history.find(run.id)) {
        record->status = RunStatus::Failed;
        record->error = error;
        record->finishedAtMs = nowMs();
        if (auto problem = m_history.update(*record); !problem.empty())
            spdlog::error("db: {}", problem);
    }
}

RunReport RunService::execute(const PreparedRun& run, std::shared_ptr<providers::Provider> provider,
                              RunOptions options, const RunCallbacks& callbacks,
                              const CancellationToken& cancel) {
    RunReport report;
    report.runId = run.id;
    const auto started = std::chrono::steady_clock::now();
    Journal journal(run.journalPath);
    if (auto error = journal.open(); !error.empty()) {
        report.outcome.status = RunStatus::Failed;
        report.outcome.error = error;
        markFailed(run, error);
        return report;
    }
    if (run.price)
        options.spending = {run.price->price, run.job.maxCostUsd, run.costBefore.value_or(0)};
    auto lastSaved = std::chrono::steady_clock::now();
    const auto onProgress = [&](const Progress& progress) {
        if (std::chrono::steady_clock::now() - lastSaved > std::chrono::seconds(1)) {
            lastSaved = std::chrono::steady_clock::now();
            if (auto error = m_history.updateProgress(
                    run.id, progress.rowsDone, run.tokensBefore.input + progress.tokens.input,
                    run.tokensBefore.output + progress.tokens.output, progress.costUsd);
                !error.empty())
                spdlog::warn("db: {}", error);
        }
        if (callbacks.progress)
            callbacks.progress(progress);
    };
    const bool curation = run.job.workflow == Workflow::CustomDataCuration;
    if (curation) {
        CurationRun curationRun(run.job, run.job.inputFiles.front(), std::move(provider), journal, options);
        curationRun.onProgress(onProgress);
        curationRun.resumeFrom(run.earlierFailures, run.resumeScope);
        if (callbacks.row)
            curationRun.onRow(callbacks.row);
        report.outcome = curationRun.run(cancel);
    } else {
        BatchPhaseResult batch;
        // "Retry failed only" asks for a few rows: never a batch job.
        const bool batchMode = run.job.runsAsBatch() && run.resumeScope == ResumeScope::Everything;
        const std::string batchError =
            batchMode ? runBatchPhase(run, *provider, options, callbacks, cancel, batch) : std::string();
        const int batchRequests = static_cast<int>(batch.answers.size()) + batch.failedRecords;
        const auto withBatch = [&batch, batchRequests](Progress progress) {
            progress.tokens += batch.tokens;
            progress.requestsDone += batchRequests;
            return progress;
        };
        if (!batchError.empty() || batch.cancelled) {
            report.outcome = outcomeBeforeGeneration(run, batch, batchError);
        } else {
            if (!batch.notice.empty())
                spdlog::info("engine: {}", batch.notice);
            if (run.price)
                options.spending.spentBeforeUsd +=
                    batchPrice(run.price->price).costUsd(batch.tokens.input, batch.tokens.output);
            GenerationRun generation(run.job, std::move(provider), journal, options);
            generation.onProgress([&](const Progress& progress) { onProgress(withBatch(progress)); });
            generation.resumeFrom(run.earlierFailures, run.resumeScope);
            if (callbacks.row)
                generation.onRow(callbacks.row);
            if (!run.chunks.empty())
                generation.groundIn(run.chunks);
            const bool tookBatchAnswers = !batch.answers.empty();
            generation.takeAnswersFirst(std::move(batch.answers));
            report.outcome = generation.run(cancel);
            if (tookBatchAnswers)
                if (auto error = markBatchAnswersTaken(run.runDir); !error.empty())
                    spdlog::warn("{}", error);
            report.outcome.progress = withBatch(report.outcome.progress);
            for (const auto& problem : batch.problems)
                report.outcome.problems.push_back(problem);
        }
    }
    journal.close();
    if (auto error = saveFailedWork(run.runDir, report.outcome.failed); !error.empty())
        spdlog::warn("{}", error);

    if (report.outcome.progress.rowsDone > 0) {
        const auto written =
            curation ? writeCurationDatasetFromJournal(run.journalPath, run.datasetPath, run.job.inputKey,
                                                       run.job.outputKeys.completion)
                     : writeDatasetFromJournal(run.journalPath, run.datasetPath, run.job.outputKeys,
                                               static_cast<std::size_t>(run.job.size), run.job.originKey());
        if (!written.error.empty()) {
            report.outcome.status = RunStatus::Failed;
            report.outcome.error = written.error;
        } else {
            report.datasetPath = run.datasetPath;
            report.datasetRows = written.rows;
        }
    }
    ValidationReport validation;
    if (!report.datasetPath.empty()) {
        validation = validateDataset(run.job, report.datasetPath, validationFile(run.runDir));
        if (!validation.error.empty())
            spdlog::warn("validation: {}", validation.error);
        else if (validation.ran)
            if (auto error = m_history.setValidation(run.id, toJson(validation.counts).dump());
                !error.empty())
                spdlog::warn("db: {}", error);
    }
    report.validation = validation;
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    const auto& p = report.outcome.progress;
    nlohmann::json metadata = {
        {"run_id", run.id},
        {"status", toString(report.outcome.status)},
        {"job", toJson(run.job)},
        {"dataset", report.datasetPath.string()},
        {"rows", report.datasetRows},
        {"requested_rows", run.job.size},
        {"counts",
         {{"requests", p.requestsDone},
          {"retries", p.retries},
          {"failed_requests", p.failedRequests},
          {"duplicates_dropped", p.duplicates},
          {"incomplete_items_reasked", p.invalidItems},
          {"near_duplicates_rejected", p.nearDuplicates},
          {"low_quality_rejected", p.lowQuality.total()},
          {"low_quality_rejected_by_reason", p.lowQuality.toJson()},
          {"inputs_skipped", p.skippedInputs},
          {"rows_resumed", p.rowsResumed},
          {"requests_all_sessions", run.requestsBefore + p.requestsDone},
          {"requests_planned", p.requestsPlanned}}},
        {"tokens",
         {{"input", run.tokensBefore.input + p.tokens.input},
          {"output", run.tokensBefore.output + p.tokens.output}}},
        {"cost", costJson(run, p)},
        {"created_at_ms", run.createdAtMs},
        {"finished_at_ms", nowMs()},
        {"seconds_this_session", report.seconds},
        {"error", report.outcome.error},
        {"problems", report.outcome.problems},
        {"notices", run.notices},
    };
    if (run.job.runsAsBatch())
        metadata["batch"] = batchJson(run.runDir);
    if (validation.ran && validation.error.empty())
        metadata["validation"] = {{"counts", toJson(validation.counts)},
                                  {"first_failures", validation.firstFailures}};
    if (!report.outcome.seeds.empty()) {
        auto& seeds = metadata["seeds"] = nlohmann::json::array();
        for (const auto& seed : report.outcome.seeds)
            seeds.push_back({{run.chunks.empty() ? "seed" : "document", seed.seed},
                             {"requested", seed.requested},
                             {"rows", seed.accepted},
                             {"duplicates_dropped", seed.duplicates},
                             {"near_duplicates_rejected", seed.nearDuplicates},
                             {"low_quality_rejected", seed.lowQuality.total()},
                             {"low_quality_rejected_by_reason", seed.lowQuality.toJson()}});
    }
    if (!report.datasetPath.empty()) {
        if (auto error = writeFileAtomically(run.metadataPath, metadata.dump(2) + "\n"); !error.empty())
            spdlog::warn("{}", error);
        else
            report.metadataPath = run.metadataPath;
    }
    if (auto error = writeFileAtomically(run.runDir / "metadata.json", metadata.dump(2) + "\n");
        !error.empty())
        spdlog::warn("{}", error);

    if (auto record = m_history.find(run.id)) {
        record->status = report.outcome.status;
        record->completedRows = static_cast<int>(report.datasetRows);
        record->inputTokens = run.tokensBefore.input + p.tokens.input;
        record->outputTokens = run.tokensBefore.output + p.tokens.output;
        record->costUsd = p.costUsd;
        record->maxCostUsd = run.job.maxCostUsd;
        record->requestsDone = run.requestsBefore + p.requestsDone;
        record->requestsPlanned = p.requestsPlanned;
        record->finishedAtMs = nowMs();
        record->error = report.outcome.error;
        if (!report.datasetPath.empty())
            record->outputPath = report.datasetPath.string();
        if (auto error = m_history.update(*record); !error.empty())
            spdlog::error("db: {}", error);
    }
    return report;
}

} // namespace sds::engine
