#include "core/BatchJobState.h"
#include "core/JsonFile.h"
#include "core/Project.h"
#include "engine/BedrockBatch.h"
#include "engine/RunService.h"
#include "providers/bedrock/BedrockProvider.h"
#include "standin/Generation.h"
#include "standin/StandinServer.h"
#include "testsupport/EngineRuns.h"
#include "testsupport/ScriptedProvider.h"
#include "testsupport/TempDir.h"

#include <algorithm>
#include <gtest/gtest.h>

namespace sds::engine {
namespace {

using providers::ChatRequest;
using providers::ChatResult;
using testing::ScriptedProvider;
using testing::TempDir;

const std::string kAccessKey = "AKIDENGINEBATCH01";
const std::string kSecret = "engine-batch-secret";
const std::string kModel = "anthropic.claude-3-5-sonnet-20240620-v1:0";

TEST(BatchRecords, ThePlanFollowsTheSeedsQuotasAndTheirIdsReadBack) {
    const auto plan = planBatchRecords({5, 2, 0}, {1, 0, 0}, 2);
    ASSERT_EQ(plan.size(), 3U);
    EXPECT_EQ(plan[0], (BatchRecordPlan{0, 0, 2}));
    EXPECT_EQ(plan[1], (BatchRecordPlan{0, 1, 2}));
    EXPECT_EQ(plan[2], (BatchRecordPlan{1, 0, 2}));
    EXPECT_EQ(plan[1].recordId(), "s0-b1-n2");
    EXPECT_EQ(recordPlanFromId("s12-b3-n5"), (BatchRecordPlan{12, 3, 5}));
    EXPECT_FALSE(recordPlanFromId("s1-b2-n0"));
    EXPECT_FALSE(recordPlanFromId("s1-b2-n3x"));
    EXPECT_FALSE(recordPlanFromId("record-7"));
}

// Case numbers far above the on-demand answers', so that those are new questions.
nlohmann::json codeItem(const std::string& topic, int caseNumber) {
    return {{"question", standin::questionText(topic, static_cast<std::uint64_t>(caseNumber))},
            {"solution", "Call it:\n```python\nprint(solve(" + std::to_string(caseNumber) + "))\n```"}};
}

PrefetchedAnswer prefetched(std::size_t seed, nlohmann::json items) {
    auto answer = testing::structured({{"items", std::move(items)}});
    return {seed, 2, answer.value()};
}

TEST(BatchAnswers, GoThroughTheQualityGateAndTheNearDuplicateFilterAndWhatFailsIsAskedOnDemand) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    JobSpec job;
    job.prompt = "Write programming questions with code.";
    job.seeds = {"Python Basics", "Flask"};
    job.validator = "code";
    job.size = 8;
    job.rowsPerRequest = 2;
    job.concurrency = 1;
    job.provider.model = "scripted-model";
    auto nearDuplicate = codeItem("Python Basics", 90001);
    nearDuplicate["question"] = nearDuplicate["question"].get<std::string>() + " Explain briefly.";
    const nlohmann::json noCode = {{"question", "How do you check that an answer is valid?"},
                                   {"solution", "is_valid_answer()"}};
    auto provider = std::make_shared<ScriptedProvider>(
        [](int call, const ChatRequest& request) -> std::optional<ChatResult> {
            nlohmann::json items = nlohmann::json::array();
            while (static_cast<int>(items.size()) < ScriptedProvider::requestedCount(request))
                items.push_back(codeItem(ScriptedProvider::requestedTopic(request),
                                         call * 10 + static_cast<int>(items.size())));
            return testing::structured({{"items", items}});
        });
    GenerationRun run(job, provider, journal, testing::fastRunOptions(3));
    run.takeAnswersFirst({prefetched(0, {noCode, codeItem("Python Basics", 90001)}),
                          prefetched(0, {nearDuplicate, codeItem("Python Basics", 90002)}),
                          prefetched(1, {codeItem("Flask", 90003), codeItem("Flask", 90004)}),
                          prefetched(1, {codeItem("Flask", 90005), codeItem("Flask", 90006)})});
    const auto outcome = run.run(CancellationToken{});
    journal.close();
    ASSERT_EQ(outcome.status, RunStatus::Completed) << outcome.error;
    EXPECT_EQ(outcome.progress.lowQuality.total(), 1) << outcome.progress.lowQuality.describe();
    EXPECT_EQ(outcome.progress.nearDuplicates, 1);
    EXPECT_EQ(outcome.seeds[0].nearDuplicates, 1);
    const auto rows = testing::journalRows(dir / "journal.jsonl");
    ASSERT_EQ(rows.size(), 8U);
    for (const auto& row : rows) {
        EXPECT_NE(row.question, noCode["question"]);
        EXPECT_NE(row.question, nearDuplicate["question"]);
    }
    EXPECT_GE(provider->calls(), 1) << "the two rows the batch answers did not bring are asked on demand";
    for (const auto& request : provider->requests())
        EXPECT_EQ(ScriptedProvider::requestedTopic(request), "Python Basics");
}

class BatchRunService : public ::testing::Test {
protected:
    void SetUp() override {
        standin::StandinOptions options;
        options.awsCredentials = {{kAccessKey, kSecret}};
        options.batch.pollsUntilDone = 2;
        options.batch.failEveryNthRecord = 10;
        server = std::make_unique<standin::StandinServer>(options);
        server->start();
        environment.variables = {{"AWS_ACCESS_KEY_ID", kAccessKey},
                                 {"AWS_SECRET_ACCESS_KEY", kSecret},
                                 {"AWS_REGION", "us-east-1"},
                                 {"AWS_ENDPOINT_URL", server->baseUrl()}};
        ASSERT_EQ(history.open(project.historyDatabase()), "");
        service.setBatchPolling({std::chrono::milliseconds(1), std::chrono::milliseconds(5)});
    }

    std::shared_ptr<providers::Provider> provider() const {
        providers::ProviderConfig config;
        config.provider = "bedrock";
        auto made = providers::bedrock::BedrockProvider::create(config, environment);
        EXPECT_TRUE(made.ok()) << made.error().message;
        return made.value();
    }

    static JobSpec batchJob() {
        JobSpec job;
        job.displayName = "batch";
        job.prompt = "Write questions about the topic with answers.";
        job.seeds = {"Joins", "Window functions", "Indexes", "Transactions"};
        job.size = 400;
        job.rowsPerRequest = 2;
        job.concurrency = 8;
        job.provider.name = "bedrock";
        job.provider.model = kModel;
        job.mode = RunMode::BedrockBatch;
        job.batch = {"s3://sds-batch-bucket/jobs/", "arn:aws:iam::123456789012:role/BedrockBatch"};
        return job;
    }

    BatchJobState savedState(const PreparedRun& run) const {
        auto loaded = loadBatchJobState(run.runDir);
        EXPECT_TRUE(std::holds_alternative<std::optional<BatchJobState>>(loaded))
            << std::get<std::string>(loaded);
        const auto* state = std::get_if<std::optional<BatchJobState>>(&loaded);
        return state && *state ? **state : BatchJobState{};
    }

    std::unique_ptr<standin::StandinServer> server;
    providers::FakeEnvironment environment;
    TempDir dir;
    Project project{dir / "project"};
    RunHistory history;
    RunService service{project, history};
};

TEST_F(BatchRunService, AFullRunTakesTheJobsAnswersAndAsksTheFailedRecordsOnDemand) {
    auto prepared = service.prepare(batchJob());
    ASSERT_TRUE(std::holds_alternative<PreparedRun>(prepared)) << std::get<std::string>(prepared);
    const auto& run = std::get<PreparedRun>(prepared);
    std::vector<std::string> statuses;
    RunCallbacks callbacks;
    callbacks.batchStatus = [&](const BatchJobState& state) {
        statuses.push_back(state.status);
    };
    const auto report =
        service.execute(run, provider(), testing::fastRunOptions(7), callbacks, CancellationToken{});
    ASSERT_EQ(report.outcome.status, RunStatus::Completed) << report.outcome.error;
    EXPECT_EQ(report.datasetRows, 400U);

    const auto stats = server->stats();
    EXPECT_EQ(stats.batch.jobsCreated, 1U);
    EXPECT_GE(stats.chatRequests, 20U) << "20 of the 200 records failed; their rows were asked on demand";
    EXPECT_LT(stats.chatRequests, 60U) << "only what failed went on demand";
    const auto state = savedState(run);
    EXPECT_EQ(state.status, "PartiallyCompleted");
    EXPECT_EQ(state.records, 200);
    EXPECT_EQ(state.failedRecords, 20);
    EXPECT_TRUE(state.answersTaken);
    EXPECT_EQ(state.inputUri, "s3://sds-batch-bucket/jobs/" + run.id + "/records.jsonl");
    EXPECT_TRUE(server->s3Object("sds-batch-bucket", "jobs/" + run.id + "/records.jsonl"));
    ASSERT_FALSE(statuses.empty());
    EXPECT_EQ(statuses.back(), "PartiallyCompleted");
    const auto record = history.find(run.id);
    ASSERT_TRUE(record);
    EXPECT_EQ(record->requestsDone, 200 + static_cast<int>(stats.chatRequests))
        << "the job's 200 records and the requests sent on demand";
    EXPECT_EQ(record->inputTokens, report.outcome.progress.tokens.input);

    const auto metadata = readJsonFile(run.runDir / "metadata.json");
    ASSERT_TRUE(metadata.ok());
    EXPECT_EQ((*metadata.json)["batch"]["job_arn"], state.jobArn);
    EXPECT_EQ((*metadata.json)["batch"]["failed_records"], 20);
    EXPECT_EQ((*metadata.json)["job"]["mode"], "batch");
    const auto& tokens = report.outcome.progress.tokens;
    ASSERT_TRUE(report.outcome.progress.costUsd);
    const TokenPrice onDemand{3.0, 15.0};
    EXPECT_LT(*report.outcome.progress.costUsd, 0.75 * onDemand.costUsd(tokens.input, tokens.output))
        << "most tokens are priced at the batch price";
    EXPECT_GT(*report.outcome.progress.costUsd, 0.5 * onDemand.costUsd(tokens.input, tokens.output) - 1e-9);
}

TEST_F(BatchRunService, EnoughFailedRecordsGoIntoOneFollowUpJobAndTheRestOnDemand) {
    auto options = server->options();
    options.batch.failEveryNthRecord = 2;
    server->setOptions(options);
    auto prepared = service.prepare(batchJob());
    ASSERT_TRUE(std::holds_alternative<PreparedRun>(prepared)) << std::get<std::string>(prepared);
    const auto& run = std::get<PreparedRun>(prepared);
    const auto report = service.execute(run, provider(), testing::fastRunOptions(7), {}, CancellationToken{});
    ASSERT_EQ(report.outcome.status, RunStatus::Completed) << report.outcome.error;
    EXPECT_EQ(report.datasetRows, 400U);
    EXPECT_EQ(server->stats().batch.jobsCreated, 2U)
        << "the run's job and one follow-up for its 100 failures";
    const auto state = savedState(run);
    EXPECT_EQ(state.round, 2);
    EXPECT_EQ(state.records, 100);
    EXPECT_EQ(state.earlierOutputUris.size(), 1U);
    EXPECT_EQ(state.inputUri, "s3://sds-batch-bucket/jobs/" + run.id + "/records-2.jsonl");
    EXPECT_TRUE(state.answersTaken);
    EXPECT_GE(server->stats().chatRequests, 50U) << "the follow-up's 50 failures were asked on demand";
    EXPECT_LT(server->stats().chatRequests, 100U);
}

TEST_F(BatchRunService, AResumeWhileTheFollowUpJobRunsReattachesToIt) {
    auto options = server->options();
    options.batch.failEveryNthRecord = 2;
    options.batch.pollsUntilDone = 3;
    server->setOptions(options);
    auto prepared = service.prepare(batchJob());
    ASSERT_TRUE(std::holds_alternative<PreparedRun>(prepared)) << std::get<std::string>(prepared);
    auto& run = std::get<PreparedRun>(prepared);
    CancellationToken cancel;
    RunCallbacks callbacks;
    callbacks.batchStatus = [&](const BatchJobState& state) {
        if (state.round == 2 && state.status == "InProgress")
            cancel.cancel();
    };
    const auto first = service.execute(run, provider(), testing::fastRunOptions(7), callbacks, cancel);
    ASSERT_EQ(first.outcome.status, RunStatus::Cancelled) << first.outcome.error;
    const std::string followUp = savedState(run).jobArn;
    EXPECT_EQ(server->stats().batch.jobsCreated, 2U);

    run.lock.reset();
    auto resumed = service.prepareResume(run.id);
    ASSERT_TRUE(std::holds_alternative<PreparedRun>(resumed)) << std::get<std::string>(resumed);
    const auto second = service.execute(std::get<PreparedRun>(resumed), provider(),
                                        testing::fastRunOptions(7), {}, CancellationToken{});
    ASSERT_EQ(second.outcome.status, RunStatus::Completed) << second.outcome.error;
    EXPECT_EQ(second.datasetRows, 400U);
    EXPECT_EQ(server->stats().batch.jobsCreated, 2U) << "re-attached to the follow-up job";
    EXPECT_EQ(savedState(run).jobArn, followUp);
    EXPECT_LT(server->stats().chatRequests, 100U) << "the first job's answers were read again, not re-asked";
}

TEST_F(BatchRunService, AnswersReadButNotYetInTheJournalAreReadAgainWithoutANewJob) {
    auto prepared = service.prepare(batchJob());
    ASSERT_TRUE(std::holds_alternative<PreparedRun>(prepared)) << std::get<std::string>(prepared);
    auto& run = std::get<PreparedRun>(prepared);
    const auto bedrockProvider = std::dynamic_pointer_cast<providers::bedrock::BedrockProvider>(provider());
    ASSERT_TRUE(bedrockProvider);
    // The phase alone: the job ends and its output is read, as if the process died before the
    // generation took the answers into the journal.
    BedrockBatchPhase phase({run.id, run.runDir, run.journalPath, run.job, {}, testing::fastRunOptions(7)},
                            *bedrockProvider, {std::chrono::milliseconds(1), std::chrono::milliseconds(5)});
    const auto read = phase.run(CancellationToken{});
    ASSERT_EQ(read.error, "");
    EXPECT_EQ(read.answers.size(), 180U) << "200 records, every 10th failed";
    EXPECT_FALSE(savedState(run).answersTaken) << "nothing is in the journal yet";

    const auto report = service.execute(run, provider(), testing::fastRunOptions(7), {}, CancellationToken{});
    ASSERT_EQ(report.outcome.status, RunStatus::Completed) << report.outcome.error;
    EXPECT_EQ(report.datasetRows, 400U);
    EXPECT_EQ(server->stats().batch.jobsCreated, 1U) << "the job's output was read again, not bought again";
    EXPECT_LT(server->stats().chatRequests, 60U) << "only the failed records went on demand";
    EXPECT_TRUE(savedState(run).answersTaken);
}

TEST_F(BatchRunService, RecordsMissingFromTheOutputAreToldAndAskedOnDemand) {
    auto options = server->options();
    options.batch.failEveryNthRecord = 0;
    options.batch.omitLastRecords = 30;
    server->setOptions(options);
    auto prepared = service.prepare(batchJob());
    ASSERT_TRUE(std::holds_alternative<PreparedRun>(prepared)) << std::get<std::string>(prepared);
    const auto& run = std::get<PreparedRun>(prepared);
    const auto report = service.execute(run, provider(), testing::fastRunOptions(7), {}, CancellationToken{});
    ASSERT_EQ(report.outcome.status, RunStatus::Completed) << report.outcome.error;
    EXPECT_EQ(report.datasetRows, 400U);
    EXPECT_EQ(server->stats().batch.jobsCreated, 1U);
    EXPECT_GE(server->stats().chatRequests, 30U) << "the 30 missing records' rows were asked on demand";
    const auto told = std::find_if(
        report.outcome.problems.begin(), report.outcome.problems.end(), [](const std::string& problem) {
            return problem.find("30 of 200 records are missing") != std::string::npos;
        });
    EXPECT_NE(told, report.outcome.problems.end()) << ::testing::PrintToString(report.outcome.problems);
}

TEST_F(BatchRunService, AResumeInTheMiddleOfPollingReattachesToTheSameJob) {
    auto options = server->options();
    options.batch.pollsUntilDone = 1000;
    server->setOptions(options);
    auto prepared = service.prepare(batchJob());
    ASSERT_TRUE(std::holds_alternative<PreparedRun>(prepared)) << std::get<std::string>(prepared);
    auto& run = std::get<PreparedRun>(prepared);
    CancellationToken cancel;
    RunCallbacks callbacks;
    callbacks.batchStatus = [&](const BatchJobState& state) {
        if (state.status == "InProgress")
            cancel.cancel();
    };
    const auto first = service.execute(run, provider(), testing::fastRunOptions(7), callbacks, cancel);
    EXPECT_EQ(first.outcome.status, RunStatus::Cancelled);
    EXPECT_NE(first.outcome.error.find("re-attach"), std::string::npos) << first.outcome.error;
    const std::string arn = savedState(run).jobArn;
    ASSERT_FALSE(arn.empty());
    const auto waiting = history.find(run.id);
    ASSERT_TRUE(waiting);
    EXPECT_EQ(waiting->status, RunStatus::Cancelled);
    EXPECT_EQ(waiting->costUsd, 0.0) << "nothing spent yet, and the price is still known";
    EXPECT_FALSE(savedState(run).answersTaken);
    const auto pollsBefore = server->stats().batch.statusPolls;

    options.batch.pollsUntilDone = 0;
    server->setOptions(options);
    run.lock.reset();
    auto resumed = service.prepareResume(run.id);
    ASSERT_TRUE(std::holds_alternative<PreparedRun>(resumed)) << std::get<std::string>(resumed);
    const auto second = service.execute(std::get<PreparedRun>(resumed), provider(),
                                        testing::fastRunOptions(7), {}, CancellationToken{});
    ASSERT_EQ(second.outcome.status, RunStatus::Completed) << second.outcome.error;
    EXPECT_EQ(second.datasetRows, 400U);
    EXPECT_EQ(server->stats().batch.jobsCreated, 1U)
        << "the resumed run re-attached instead of submitting again";
    EXPECT_GT(server->stats().batch.statusPolls, pollsBefore);
    EXPECT_EQ(savedState(run).jobArn, arn);
}

TEST_F(BatchRunService, AFailedJobFailsTheRunAndItsResumeAsksOnDemand) {
    auto options = server->options();
    options.batch.failJob = true;
    server->setOptions(options);
    auto prepared = service.prepare(batchJob());
    ASSERT_TRUE(std::holds_alternative<PreparedRun>(prepared)) << std::get<std::string>(prepared);
    auto& run = std::get<PreparedRun>(prepared);
    const auto first = service.execute(run, provider(), testing::fastRunOptions(7), {}, CancellationToken{});
    EXPECT_EQ(first.outcome.status, RunStatus::Failed);
    EXPECT_NE(first.outcome.error.find("ended Failed"), std::string::npos) << first.outcome.error;
    EXPECT_NE(first.outcome.error.find(savedState(run).jobArn), std::string::npos);
    EXPECT_EQ(server->stats().chatRequests, 0U);

    run.lock.reset();
    auto resumed = service.prepareResume(run.id);
    ASSERT_TRUE(std::holds_alternative<PreparedRun>(resumed)) << std::get<std::string>(resumed);
    const auto second = service.execute(std::get<PreparedRun>(resumed), provider(),
                                        testing::fastRunOptions(7), {}, CancellationToken{});
    ASSERT_EQ(second.outcome.status, RunStatus::Completed) << second.outcome.error;
    EXPECT_EQ(server->stats().batch.jobsCreated, 1U);
    EXPECT_GE(server->stats().chatRequests, 200U);
}

TEST_F(BatchRunService, RetryFailedNeverSubmitsABatchJob) {
    JobSpec job = batchJob();
    auto prepared = service.prepare(job);
    ASSERT_TRUE(std::holds_alternative<PreparedRun>(prepared));
    auto& run = std::get<PreparedRun>(prepared);
    ASSERT_EQ(saveFailedWork(run.runDir, FailedWork{{1}, {}}), "");
    run.lock.reset();
    auto retry = service.prepareResume(run.id, ResumeScope::FailedOnly);
    ASSERT_TRUE(std::holds_alternative<PreparedRun>(retry)) << std::get<std::string>(retry);
    const auto report = service.execute(std::get<PreparedRun>(retry), provider(), testing::fastRunOptions(7),
                                        {}, CancellationToken{});
    EXPECT_EQ(server->stats().batch.jobsCreated, 0U);
    EXPECT_EQ(server->stats().batch.s3Requests, 0U);
    EXPECT_GE(server->stats().chatRequests, 50U) << "seed 1's 100 rows, asked on demand";
    EXPECT_FALSE(std::filesystem::exists(batchJobStateFile(run.runDir)));
    EXPECT_EQ(report.outcome.seeds[1].accepted, 100);
}

} // namespace
} // namespace sds::engine
