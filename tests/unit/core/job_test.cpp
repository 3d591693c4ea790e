#include "core/Job.h"
#include "core/JsonFile.h"

#include <gtest/gtest.h>

namespace sds {
namespace {

JobSpec validJob() {
    JobSpec job;
    job.prompt = "Write questions";
    job.seeds = {"A", "B", "C"};
    job.size = 10;
    return job;
}

TEST(Job, RoundTripsThroughJson) {
    JobSpec job = validJob();
    job.displayName = "My run";
    job.provider = {
        "bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0", "http://127.0.0.1:1", "us-west-2", "dev", ""};
    job.examples = {{"q", "s"}};
    job.databaseSchema = "CREATE TABLE t(x);";
    job.parameters = {0.3, 0.9, 40, 1000};
    job.outputKeys = {"Question", "Answer"};
    job.concurrency = 64;
    job.rowsPerRequest = 3;
    const auto parsed = jobFromJson(toJson(job), "job.json");
    ASSERT_TRUE(parsed.job) << parsed.error;
    EXPECT_EQ(*parsed.job, job);
}

TEST(Job, SizeIsSpreadOverSeedsAndRequestsCounted) {
    JobSpec job = validJob();
    EXPECT_EQ(job.rowsPerSeed(), (std::vector<int>{4, 3, 3}));
    job.rowsPerRequest = 2;
    EXPECT_EQ(job.plannedRequests(), 2 + 2 + 2);
    job.size = 2;
    EXPECT_EQ(job.rowsPerSeed(), (std::vector<int>{1, 1, 0}));
    EXPECT_EQ(job.plannedRequests(), 2);
}

TEST(Job, WrongTypeNamesFileAndField) {
    const auto parsed = jobFromJson(nlohmann::json::parse(R"({"size": "ten"})"), "jobs/a.json");
    EXPECT_FALSE(parsed.job);
    EXPECT_EQ(parsed.error, "jobs/a.json: field \"size\" must be a whole number");
    const auto nested = jobFromJson(nlohmann::json::parse(R"({"parameters": {"top_p": "x"}})"), "b.json");
    EXPECT_EQ(nested.error, "b.json: field \"parameters.top_p\" must be a number");
}

TEST(Job, SecretsAreRefusedInJobFiles) {
    const auto parsed = jobFromJson(
        nlohmann::json::parse(R"({"provider": {"name": "openai", "api_key": "sk-123"}})"), "j.json");
    EXPECT_FALSE(parsed.job);
    EXPECT_NE(parsed.error.find("provider.api_key"), std::string::npos);
    EXPECT_EQ(parsed.error.find("sk-123"), std::string::npos);
}

TEST(Job, ValidationNamesEachBadValue) {
    JobSpec job = validJob();
    EXPECT_TRUE(validate(job).empty());
    job.size = 0;
    ASSERT_FALSE(validate(job).empty());
    EXPECT_EQ(validate(job).front(), "size must be between 1 and 10000000, got 0");
    job = validJob();
    job.parameters.temperature = 2.5;
    EXPECT_NE(validate(job).front().find("temperature"), std::string::npos);
    job = validJob();
    job.concurrency = 257;
    EXPECT_NE(validate(job).front().find("concurrency must be between 1 and 256"), std::string::npos);
    job = validJob();
    job.provider.name = "gemini";
    EXPECT_NE(validate(job).front().find("provider \"gemini\" is unknown"), std::string::npos);
    job = validJob();
    job.seeds.clear();
    EXPECT_NE(validate(job).front().find("seeds"), std::string::npos);
}

TEST(JsonFile, SyntaxErrorGivesLineAndColumn) {
    const auto result = parseJsonText("{\n  \"a\": 1,\n  \"b\": tru\n}", "x.json");
    EXPECT_FALSE(result.ok());
    EXPECT_EQ(result.error.rfind("x.json:3:", 0), 0U) << result.error;
}

TEST(JsonFile, MissingFileNamesIt) {
    const auto result = readJsonFile("/nonexistent/dir/job.json");
    EXPECT_FALSE(result.ok());
    EXPECT_NE(result.error.find("/nonexistent/dir/job.json"), std::string::npos);
}

TEST(Job, BatchModeRoundTripsAndItsLimitsAreNamed) {
    JobSpec job = validJob();
    job.provider.name = "bedrock";
    job.size = 300;
    job.rowsPerRequest = 3;
    job.mode = RunMode::BedrockBatch;
    job.batch = {"s3://my-bucket/sds/", "arn:aws:iam::123456789012:role/BedrockBatch"};
    EXPECT_TRUE(validate(job).empty()) << validate(job).front();
    const auto json = toJson(job);
    EXPECT_EQ(json["mode"], "batch");
    EXPECT_EQ(json["batch"]["role_arn"], "arn:aws:iam::123456789012:role/BedrockBatch");
    const auto parsed = jobFromJson(json, "job.json");
    ASSERT_TRUE(parsed.job) << parsed.error;
    EXPECT_EQ(*parsed.job, job);
    EXPECT_FALSE(toJson(validJob()).contains("mode")) << "on demand is the default and not written";

    JobSpec small = job;
    small.size = 30;
    const auto problems = batchProblems(small);
    ASSERT_EQ(problems.size(), 1U);
    EXPECT_NE(problems[0].find("at least 100 requests"), std::string::npos) << problems[0];
    EXPECT_NE(problems[0].find("plans 12"), std::string::npos) << problems[0];

    JobSpec wrong = job;
    wrong.provider.name = "openai";
    wrong.batch = {"my-bucket/sds", "BedrockBatch"};
    const auto wrongProblems = validate(wrong);
    ASSERT_EQ(wrongProblems.size(), 3U);
    EXPECT_NE(wrongProblems[0].find("\"openai\""), std::string::npos);
    EXPECT_NE(wrongProblems[1].find("batch.s3_uri"), std::string::npos);
    EXPECT_NE(wrongProblems[2].find("batch.role_arn"), std::string::npos);

    JobSpec badBucket = job;
    badBucket.batch.s3Uri = "s3://My_Bucket/sds/";
    const auto bucketProblems = batchProblems(badBucket);
    ASSERT_EQ(bucketProblems.size(), 1U);
    EXPECT_NE(bucketProblems[0].find("\"s3://My_Bucket/sds/\""), std::string::npos) << bucketProblems[0];

    const auto badMode = jobFromJson({{"mode", "fast"}}, "job.json");
    EXPECT_EQ(badMode.error, "job.json: field \"mode\" must be \"on_demand\" or \"batch\", not \"fast\"");
}

} // namespace
} // namespace sds
