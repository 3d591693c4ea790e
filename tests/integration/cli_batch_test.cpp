// `sds generate --mode batch`: a Bedrock batch inference job against the stand-in's S3 and control plane.

#include "CliProcess.h"
#include "core/BatchJobState.h"
#include "core/JsonFile.h"
#include "standin/StandinServer.h"
#include "testsupport/TempDir.h"

#include <csignal>
#include <gtest/gtest.h>
#include <thread>

namespace sds::testing {
namespace {

using standin::StandinOptions;
using standin::StandinServer;

const std::string kAccessKey = "AKIDCLIBATCHTEST1";
const std::string kSecret = "cli-batch-secret-value";
const std::string kModel = "anthropic.claude-3-5-sonnet-20240620-v1:0";
const std::string kRole = "arn:aws:iam::123456789012:role/BedrockBatch";

class CliBatchTest : public ::testing::Test {
protected:
    void SetUp() override {
        StandinOptions options;
        options.awsCredentials = {{kAccessKey, kSecret}};
        options.batch.pollsUntilDone = 2;
        options.batch.failEveryNthRecord = 7;
        server = std::make_unique<StandinServer>(options);
        server->start();
    }

    std::map<std::string, std::string> env() const {
        return {{"SDS_PROJECT_DIR", m_project.path().string()},
                {"SDS_CACHE_DIR", (m_project / "cache").string()},
                {"AWS_ACCESS_KEY_ID", kAccessKey},
                {"AWS_SECRET_ACCESS_KEY", kSecret},
                {"AWS_REGION", "us-east-1"},
                {"AWS_ENDPOINT_URL", server->baseUrl()}};
    }
    ProcessResult sds(std::vector<std::string> arguments) const {
        return CliProcess::run(std::move(arguments), env());
    }
    static std::vector<std::string> batch(std::vector<std::string> arguments, const std::string& size = "200",
                                          const std::string& role = kRole,
                                          const std::string& mode = "batch") {
        std::vector<std::string> all = {"generate",
                                        "--provider",
                                        "bedrock",
                                        "--model",
                                        kModel,
                                        "--seed",
                                        "Joins",
                                        "--seed",
                                        "Indexes",
                                        "--size",
                                        size,
                                        "--rows-per-request",
                                        "2",
                                        "--mode",
                                        mode,
                                        "--batch-s3-uri",
                                        "s3://sds-cli-bucket/batches/",
                                        "--batch-role-arn",
                                        role,
                                        "--batch-poll-seconds",
                                        "0.01"};
        all.insert(all.end(), arguments.begin(), arguments.end());
        return all;
    }
    nlohmann::json show(const std::string& runId) const {
        const auto result = sds({"show", runId});
        EXPECT_EQ(result.exitCode, 0) << result.err;
        return nlohmann::json::parse(result.out, nullptr, false);
    }
    std::string onlyRunId() const {
        const auto list = nlohmann::json::parse(sds({"runs", "--json"}).out);
        EXPECT_EQ(list.size(), 1U);
        return list.empty() ? std::string() : list[0]["id"].get<std::string>();
    }

    std::unique_ptr<StandinServer> server;
    TempDir m_project;
};

TEST_F(CliBatchTest, ABatchRunWithFailingRecordsEndsCompleteAndShowsItsJob) {
    const auto result = sds(batch({}));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_NE(result.err.find("Bedrock batch job arn:aws:bedrock:us-east-1"), std::string::npos)
        << result.err;
    EXPECT_EQ(result.out.find(kSecret), std::string::npos);
    EXPECT_EQ(result.err.find(kSecret), std::string::npos);
    EXPECT_EQ(server->stats().batch.jobsCreated, 1U);
    EXPECT_GE(server->stats().chatRequests, 14U) << "14 of 100 records failed and were asked on demand";

    const auto run = show(onlyRunId());
    EXPECT_EQ(run["status"], "completed");
    EXPECT_EQ(run["completed_rows"], 200);
    EXPECT_EQ(run["batch_job"]["status"], "PartiallyCompleted");
    EXPECT_EQ(run["batch_job"]["records"], 100);
    EXPECT_EQ(run["batch_job"]["records_failed"], 14);
    const auto dataset = readJsonFile(run["output_path"].get<std::string>());
    ASSERT_TRUE(dataset.ok());
    EXPECT_EQ(dataset.json->size(), 200U);
    const auto metadata =
        readJsonFile(std::filesystem::path(run["run_dir"].get<std::string>()) / "metadata.json");
    ASSERT_TRUE(metadata.ok());
    EXPECT_EQ(metadata.json->dump().find(kSecret), std::string::npos);
}

TEST_F(CliBatchTest, AKilledRunResumesByReattachingToItsJob) {
    auto options = server->options();
    options.batch.pollsUntilDone = 1000000;
    server->setOptions(options);
    CliProcess first(batch({}), env());
    first.start();
    std::filesystem::path stateFile;
    std::string arn;
    for (int i = 0; i < 3000 && arn.empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        std::error_code ec;
        if (!std::filesystem::exists(m_project / "runs", ec))
            continue;
        for (const auto& entry : std::filesystem::directory_iterator(m_project / "runs", ec)) {
            const auto loaded = loadBatchJobState(entry.path());
            if (const auto* state = std::get_if<std::optional<BatchJobState>>(&loaded);
                state && *state && (*state)->status == "InProgress")
                arn = (*state)->jobArn;
        }
    }
    ASSERT_FALSE(arn.empty()) << "the job was created and is being polled";
    first.signal(SIGKILL);
    const auto killed = first.wait();
    EXPECT_EQ(killed.exitCode, 128 + SIGKILL);

    const std::string runId = onlyRunId();
    const auto interrupted = show(runId);
    EXPECT_EQ(interrupted["status"], "interrupted");
    EXPECT_EQ(interrupted["batch_job"]["job_arn"], arn);
    EXPECT_EQ(interrupted["batch_job"]["status"], "InProgress");
    const auto table = sds({"runs"});
    EXPECT_NE(table.out.find("interrupted (batch InProgress)"), std::string::npos) << table.out;

    options.batch.pollsUntilDone = 0;
    server->setOptions(options);
    const auto resumed = sds({"generate", "--resume", runId, "--batch-poll-seconds", "0.01"});
    ASSERT_EQ(resumed.exitCode, 0) << resumed.err;
    EXPECT_EQ(server->stats().batch.jobsCreated, 1U) << "re-attached by its ARN, not submitted again";
    const auto finished = show(runId);
    EXPECT_EQ(finished["status"], "completed");
    EXPECT_EQ(finished["completed_rows"], 200);
    EXPECT_EQ(finished["batch_job"]["job_arn"], arn);
}

TEST_F(CliBatchTest, TheEstimateUsesTheBatchPriceAndABudgetItPassesIsRefused) {
    const auto plan = sds(batch({"--dry-run"}));
    ASSERT_EQ(plan.exitCode, 0) << plan.err;
    EXPECT_NE(plan.out.find("batch price: $1.50 in, $7.50 out per 1M tokens"), std::string::npos) << plan.out;

    const auto refused = sds(batch({"--max-cost", "0.001"}));
    expectBadInput(refused, {"batch job's estimate", "budget of $0.001", "cannot stop halfway"});
    EXPECT_EQ(server->stats().batch.s3Requests, 0U);
    EXPECT_EQ(server->stats().batch.jobsCreated, 0U);
}

TEST_F(CliBatchTest, BatchModeOutsideItsLimitsIsAClearError) {
    expectBadInput(sds({"generate", "--provider", "openai", "--endpoint", server->baseUrl() + "/v1",
                        "--model", "standin-model", "--size", "500", "--mode", "batch", "--batch-s3-uri",
                        "s3://sds-cli-bucket/x/", "--batch-role-arn", kRole}),
                   {"mode \"batch\" runs on the bedrock provider only", "\"openai\""});
    expectBadInput(sds(batch({}, "20")), {"at least 100 requests", "plans 10"});
    expectBadInput(sds(batch({}, "200", "BedrockBatch")), {"batch.role_arn", "\"BedrockBatch\""});
    expectBadInput(sds(batch({}, "200", kRole, "fast")), {"--mode", "\"fast\""});
    expectBadInput(
        sds({"generate", "--provider", "openai", "--endpoint", server->baseUrl() + "/v1", "--model",
             "standin-model", "--size", "5", "--batch-s3-uri", "s3://sds-cli-bucket/x/"}),
        {"--batch-s3-uri", "add --mode batch"});
    EXPECT_EQ(server->stats().batch.s3Requests, 0U);
}

} // namespace
} // namespace sds::testing
