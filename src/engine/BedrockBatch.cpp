#include "engine/BedrockBatch.h"

#include "core/Journal.h"
#include "engine/Backoff.h"
#include "providers/bedrock/BatchInference.h"
#include "providers/bedrock/S3Client.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <spdlog/spdlog.h>
#include <thread>

namespace sds::engine {
namespace {

namespace bedrock = providers::bedrock;

constexpr std::size_t kProblemsKept = 5;
// The run's job, and one follow-up job for the records it failed when they are enough for a job of their
// own; what fails after that is asked on demand.
constexpr int kMaxBatchRounds = 2;

// "records.jsonl" and "output/" for the run's job, "records-2.jsonl" and "output-2/" for its follow-up.
std::string recordsFileName(int round) {
    return round <= 1 ? std::string("records.jsonl") : "records-" + std::to_string(round) + ".jsonl";
}
std::string outputFolderName(int round) {
    return round <= 1 ? std::string("output/") : "output-" + std::to_string(round) + "/";
}

// Waits `delay`, returning early (false) when `cancel` fires.
bool waitUnlessCancelled(std::chrono::milliseconds delay, const CancellationToken& cancel) {
    const auto until = std::chrono::steady_clock::now() + delay;
    while (std::chrono::steady_clock::now() < until) {
        if (cancel.isCancelled())
            return false;
        std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
            std::chrono::milliseconds(100),
            std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()) +
                std::chrono::milliseconds(1)));
    }
    return !cancel.isCancelled();
}

std::string withTrailingSlash(std::string uri) {
    if (!uri.ends_with('/'))
        uri += '/';
    return uri;
}

void noteProblem(BatchPhaseResult& result, const std::string& problem) {
    if (result.problems.size() < kProblemsKept &&
        std::find(result.problems.begin(), result.problems.end(), problem) == result.problems.end())
        result.problems.push_back(problem);
}

bedrock::S3Client s3ClientFor(const bedrock::BedrockProvider& provider) {
    const auto& connection = provider.connection();
    bedrock::S3Connection s3;
    s3.credentials = connection.credentials;
    s3.region = connection.region;
    s3.endpoint = connection.endpoints.s3;
    s3.caBundlePath = connection.caBundlePath;
    s3.clock = connection.clock;
    return bedrock::S3Client(std::move(s3), provider.transport());
}

} // namespace

std::string BatchRecordPlan::recordId() const {
    return "s" + std::to_string(seedIndex) + "-b" + std::to_string(batchNumber) + "-n" +
           std::to_string(count);
}

std::optional<BatchRecordPlan> recordPlanFromId(const std::string& recordId) {
    unsigned long seed = 0;
    int batch = 0;
    int count = 0;
    char tail = 0;
    if (std::sscanf(recordId.c_str(), "s%lu-b%d-n%d%c", &seed, &batch, &count, &tail) != 3 || batch < 0 ||
        count <= 0)
        return std::nullopt;
    BatchRecordPlan plan{static_cast<std::size_t>(seed), batch, count};
    if (plan.recordId() != recordId)
        return std::nullopt;
    return plan;
}

std::vector<BatchRecordPlan> planBatchRecords(const std::vector<int>& quotas,
                                              const std::vector<int>& rowsHeld, int rowsPerRequest) {
    std::vector<BatchRecordPlan> plan;
    if (rowsPerRequest < 1)
        return plan;
    for (std::size_t seed = 0; seed < quotas.size(); ++seed) {
        int missing = quotas[seed] - (seed < rowsHeld.size() ? rowsHeld[seed] : 0);
        for (int batch = 0; missing > 0; ++batch) {
            const int count = std::min(missing, rowsPerRequest);
            plan.push_back({seed, batch, count});
            missing -= count;
        }
    }
    return plan;
}

BedrockBatchPhase::BedrockBatchPhase(Inputs inputs, const bedrock::BedrockProvider& provider,
                                     BatchPolling polling)
    : m_inputs(std::move(inputs)), m_provider(provider), m_polling(polling) {
    if (m_inputs.job.provider.model.empty())
        m_inputs.job.provider.model = m_provider.defaultModel();
}

void BedrockBatchPhase::onStatus(std::function<void(const BatchJobState&)> callback) {
    m_statusCallback = std::move(callback);
}

std::string BedrockBatchPhase::save(const BatchJobState& state) {
    if (auto error = saveBatchJobState(m_inputs.runDir, state); !error.empty())
        return error;
    if (m_statusCallback)
        m_statusCallback(state);
    return {};
}

providers::ChatRequest BedrockBatchPhase::requestFor(const BatchRecordPlan& plan) const {
    BatchRequestInput input;
    if (m_inputs.chunks.empty()) {
        input.seed = plan.seedIndex < m_inputs.job.seeds.size() ? m_inputs.job.seeds[plan.seedIndex] : "";
    } else if (plan.seedIndex < m_inputs.chunks.size()) {
        input.seed = m_inputs.chunks[plan.seedIndex].source;
        input.groundingText = m_inputs.chunks[plan.seedIndex].text;
    }
    input.count = plan.count;
    return buildChatRequest(m_inputs.job, std::move(input), m_inputs.options);
}

BatchPhaseResult BedrockBatchPhase::run(const CancellationToken& cancel) {
    BatchPhaseResult result;
    auto loaded = loadBatchJobState(m_inputs.runDir);
    if (auto* error = std::get_if<std::string>(&loaded)) {
        result.error = *error;
        return result;
    }
    auto existing = std::get<std::optional<BatchJobState>>(std::move(loaded));
    if (existing && existing->answersTaken)
        return result; // an earlier session read the job's output: what is missing is asked on demand
    BatchJobState state;
    if (existing) {
        state = std::move(*existing);
    } else if (auto error = submit(state, result, cancel);
               !error.empty() || !result.notice.empty() || result.cancelled) {
        result.error = error;
        return result;
    }
    while (true) {
        if (state.jobArn.empty()) {
            if (auto error = create(state, result, cancel); !error.empty() || result.cancelled) {
                result.error = error;
                return result;
            }
        }
        if (auto error = waitForJob(state, result, cancel); !error.empty() || result.cancelled) {
            result.error = error;
            return result;
        }
        std::vector<BatchRecordPlan> failed;
        if (auto error = readOutputs(state, result, failed, cancel); !error.empty()) {
            result.error = error;
            return result;
        }
        const auto status = bedrock::batchJobStatusFromString(state.status);
        const bool finishedWithOutput = status == bedrock::BatchJobStatus::Completed ||
                                        status == bedrock::BatchJobStatus::PartiallyCompleted;
        if (finishedWithOutput && state.round < kMaxBatchRounds &&
            static_cast<int>(failed.size()) >= kBatchMinimumRecords) {
            // The answers are read again, with the follow-up's, once it has ended.
            spdlog::info("engine: {} records of batch job {} failed: they go into a follow-up job",
                         failed.size(), state.jobArn);
            state.earlierOutputUris.push_back(state.outputUri);
            ++state.round;
            result = {};
            if (auto error = upload(state, failed, result, cancel); !error.empty() || result.cancelled) {
                result.error = error;
                return result;
            }
            continue;
        }
        // With answers, the run marks them taken once they are in its journal (markBatchAnswersTaken):
        // a process killed before that reads the output again on resume, and the journal's rows make
        // the answers read twice duplicates.
        if (result.answers.empty()) {
            state.answersTaken = true;
            if (auto error = save(state); !error.empty()) {
                result.error = error;
                return result;
            }
        }
        if (result.answers.empty() && !finishedWithOutput)
            result.error = "the Bedrock batch job " + state.jobArn + " ended " + state.status +
                           (state.message.empty() ? std::string() : ": " + state.message) +
                           "; resume the run to ask for its rows on demand";
        return result;
    }
}

std::string BedrockBatchPhase::create(BatchJobState& state, BatchPhaseResult& result,
                                      const CancellationToken& cancel) {
    const bedrock::BatchJobClient jobs(m_provider.connection(), m_provider.transport());
    const std::string name =
        "sds-" + m_inputs.runId + (state.round > 1 ? "-r" + std::to_string(state.round) : std::string());
    bedrock::BatchJobRequest request;
    request.jobName = name;
    request.roleArn = m_inputs.job.batch.roleArn;
    request.modelId = m_inputs.job.provider.model;
    request.inputS3Uri = state.inputUri;
    request.outputS3Uri = state.outputUri;
    request.clientRequestToken = name;
    auto created = jobs.create(request, cancel);
    if (!created.ok()) {
        result.cancelled = created.error().kind == providers::ErrorKind::Cancelled;
        return result.cancelled ? std::string() : created.error().message;
    }
    state.jobArn = created.value();
    state.status = bedrock::toString(bedrock::BatchJobStatus::Submitted);
    state.message.clear();
    state.processedRecords.reset();
    state.failedRecords.reset();
    spdlog::info("engine: batch job {} created for run {}", state.jobArn, m_inputs.runId);
    return save(state);
}

std::string BedrockBatchPhase::submit(BatchJobState& state, BatchPhaseResult& result,
                                      const CancellationToken& cancel) {
    const auto& job = m_inputs.job;
    if (auto problem = bedrock::batchModelProblem(job.provider.model); !problem.empty())
        return problem;
    const auto location = bedrock::parseS3Uri(withTrailingSlash(job.batch.s3Uri));
    if (!location)
        return "batch.s3_uri \"" + job.batch.s3Uri +
               "\" is not an S3 location such as s3://my-bucket/prefix/";
    const std::vector<int> quotas =
        m_inputs.chunks.empty() ? job.rowsPerSeed() : spreadEvenly(job.size, m_inputs.chunks.size());
    std::vector<int> rowsHeld(quotas.size(), 0);
    Journal::read(m_inputs.journalPath, [&](JournalRow&& row) {
        if (row.seedIndex >= 0 && static_cast<std::size_t>(row.seedIndex) < rowsHeld.size())
            ++rowsHeld[static_cast<std::size_t>(row.seedIndex)];
    });
    const auto plan = planBatchRecords(quotas, rowsHeld, job.rowsPerRequest);
    if (static_cast<int>(plan.size()) < kBatchMinimumRecords) {
        result.notice = "only " + std::to_string(plan.size()) + " requests are left, fewer than the " +
                        std::to_string(kBatchMinimumRecords) +
                        " a Bedrock batch job needs: they are sent on demand";
        return {};
    }
    return upload(state, plan, result, cancel);
}

std::string BedrockBatchPhase::upload(BatchJobState& state, const std::vector<BatchRecordPlan>& plan,
                                      BatchPhaseResult& result, const CancellationToken& cancel) {
    const auto location = bedrock::parseS3Uri(withTrailingSlash(m_inputs.job.batch.s3Uri));
    if (!location)
        return "batch.s3_uri \"" + m_inputs.job.batch.s3Uri +
               "\" is not an S3 location such as s3://my-bucket/prefix/";
    std::string records;
    for (const auto& record : plan)
        records +=
            bedrock::batchRecordLine(record.recordId(), bedrock::buildNativeBody(requestFor(record))) + "\n";

    const std::string runPrefix = location->key + m_inputs.runId + "/";
    const bedrock::S3Location input{location->bucket, runPrefix + recordsFileName(state.round)};
    state.inputUri = input.uri();
    state.outputUri = bedrock::S3Location{location->bucket, runPrefix + outputFolderName(state.round)}.uri();
    state.records = static_cast<std::int64_t>(plan.size());
    state.jobArn.clear();
    state.status.clear();
    state.message.clear();
    state.processedRecords.reset();
    state.failedRecords.reset();
    if (auto failure = s3ClientFor(m_provider).putObject(input, records, cancel)) {
        result.cancelled = failure->kind == providers::ErrorKind::Cancelled;
        return result.cancelled ? std::string() : failure->message;
    }
    return save(state);
}

std::string BedrockBatchPhase::waitForJob(BatchJobState& state, BatchPhaseResult& result,
                                          const CancellationToken& cancel) {
    const bedrock::BatchJobClient jobs(m_provider.connection(), m_provider.transport());
    ExponentialBackoff backoff(m_polling.first, m_polling.longest, m_inputs.options.randomSeed);
    int attempt = 0;
    int failuresInARow = 0;
    constexpr int kFailuresGivenUp = 8;
    while (true) {
        auto info = jobs.get(state.jobArn, cancel);
        if (!info.ok()) {
            if (info.error().kind == providers::ErrorKind::Cancelled) {
                result.cancelled = true;
                return {};
            }
            if (!info.error().retryable() || ++failuresInARow >= kFailuresGivenUp)
                return info.error().message;
            spdlog::warn("engine: {} (asking again)", info.error().message);
        } else {
            failuresInARow = 0;
            const auto& job = info.value();
            const std::string status = bedrock::toString(job.status);
            const bool changed = status != state.status || job.processedRecords != state.processedRecords ||
                                 job.errorRecords != state.failedRecords || job.message != state.message;
            state.status = status;
            state.message = job.message;
            state.processedRecords = job.processedRecords;
            state.failedRecords = job.errorRecords;
            if (job.totalRecords && *job.totalRecords > 0)
                state.records = *job.totalRecords;
            if (changed)
                if (auto error = save(state); !error.empty())
                    return error;
            if (bedrock::isFinished(job.status))
                return {};
        }
        if (!waitUnlessCancelled(backoff.delay(attempt++), cancel)) {
            result.cancelled = true;
            return {};
        }
    }
}

std::string BedrockBatchPhase::readOutputs(const BatchJobState& state, BatchPhaseResult& result,
                                           std::vector<BatchRecordPlan>& failed,
                                           const CancellationToken& cancel) {
    const auto s3 = s3ClientFor(m_provider);
    const auto templateRequest = requestFor({0, 0, m_inputs.job.rowsPerRequest});
    std::set<std::string> answered;
    std::map<std::string, BatchRecordPlan> failedById;
    std::vector<std::string> outputUris = state.earlierOutputUris;
    outputUris.push_back(state.outputUri);
    for (const auto& outputUri : outputUris) {
        const auto outputPrefix = bedrock::parseS3Uri(outputUri);
        if (!outputPrefix)
            return batchJobStateFile(m_inputs.runDir).string() + ": \"" + outputUri +
                   "\" is not an S3 location";
        auto keys = s3.listKeys(*outputPrefix, cancel);
        if (!keys.ok())
            return keys.error().message;
        for (const auto& key : keys.value()) {
            if (!key.ends_with(".jsonl.out"))
                continue;
            auto body = s3.getObject({outputPrefix->bucket, key}, cancel);
            if (!body.ok())
                return body.error().message;
            const auto output = bedrock::parseBatchOutput(body.value());
            if (output.unreadableLines > 0)
                noteProblem(result, std::to_string(output.unreadableLines) + " unreadable lines in s3://" +
                                        outputPrefix->bucket + "/" + key);
            for (const auto& record : output.records) {
                const auto plan = recordPlanFromId(record.recordId);
                if (!plan) {
                    noteProblem(result, "a record with an unknown recordId \"" + record.recordId + "\"");
                    continue;
                }
                if (answered.contains(record.recordId))
                    continue;
                if (!record.modelOutput) {
                    failedById.emplace(record.recordId, *plan);
                    noteProblem(result, "batch record failed: " + record.error);
                    continue;
                }
                auto parsed = bedrock::parseNativeResponse(*record.modelOutput, templateRequest);
                if (!parsed.ok()) {
                    failedById.emplace(record.recordId, *plan);
                    noteProblem(result, parsed.error().message);
                    continue;
                }
                answered.insert(record.recordId);
                failedById.erase(record.recordId);
                result.tokens += parsed.value().usage;
                result.answers.push_back({plan->seedIndex, plan->count, std::move(parsed.value())});
            }
        }
    }
    failed.clear();
    for (const auto& [id, plan] : failedById)
        failed.push_back(plan);
    result.failedRecords = static_cast<int>(failed.size());
    result.records = static_cast<int>(answered.size() + failed.size());
    // A job that was stopped or expired, or an output file cut short, leaves records with no line at
    // all; their rows are asked on demand like the failed ones, but the user is told.
    if (state.earlierOutputUris.empty() && result.records < state.records) {
        result.problems.insert(result.problems.begin(), std::to_string(state.records - result.records) +
                                                            " of " + std::to_string(state.records) +
                                                            " records are missing from the output of job " +
                                                            state.jobArn + " (" + state.status + ")");
        result.records = state.records;
    }
    return {};
}

std::string markBatchAnswersTaken(const std::filesystem::path& runDir) {
    auto loaded = loadBatchJobState(runDir);
    if (auto* error = std::get_if<std::string>(&loaded))
        return *error;
    auto& state = std::get<std::optional<BatchJobState>>(loaded);
    if (!state || state->answersTaken)
        return {};
    state->answersTaken = true;
    return saveBatchJobState(runDir, *state);
}

} // namespace sds::engine
