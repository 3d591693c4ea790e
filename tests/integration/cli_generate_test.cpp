#include "CliProcess.h"
#include "core/Journal.h"
#include "core/JsonFile.h"
#include "standin/StandinServer.h"
#include "testsupport/TempDir.h"

#include <csignal>
#include <functional>
#include <gtest/gtest.h>
#include <set>
#include <thread>

namespace sds::testing {
namespace {

using standin::StandinOptions;
using standin::StandinServer;

StandinOptions options(const std::function<void(StandinOptions&)>& change) {
    StandinOptions result;
    change(result);
    return result;
}

class CliTest : public ::testing::Test {
protected:
    std::map<std::string, std::string> env(std::map<std::string, std::string> extra = {}) const {
        extra["SDS_PROJECT_DIR"] = m_project.path().string();
        extra["SDS_CACHE_DIR"] = (m_project / "cache").string();
        return extra;
    }
    std::vector<std::filesystem::path> datasets() const {
        std::vector<std::filesystem::path> files;
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(m_project / "datasets", ec))
            if (entry.path().string().ends_with("_final.json"))
                files.push_back(entry.path());
        return files;
    }
    nlohmann::json runs() const {
        const auto result = CliProcess::run({"runs", "--json"}, env());
        EXPECT_EQ(result.exitCode, 0) << result.err;
        return nlohmann::json::parse(result.out);
    }
    static nlohmann::json readDataset(const std::filesystem::path& path) {
        const auto json = readJsonFile(path);
        EXPECT_TRUE(json.ok()) << json.error;
        return json.ok() ? *json.json : nlohmann::json();
    }
    static void expectValidRows(const nlohmann::json& rows, std::size_t count) {
        ASSERT_TRUE(rows.is_array());
        EXPECT_EQ(rows.size(), count);
        std::set<std::string> questions;
        for (const auto& row : rows) {
            ASSERT_TRUE(row.contains("Seeds") && row.contains("Prompt") && row.contains("Completion"))
                << row.dump();
            EXPECT_FALSE(row["Prompt"].get<std::string>().empty());
            EXPECT_FALSE(row["Completion"].get<std::string>().empty());
            EXPECT_TRUE(questions.insert(row["Prompt"].get<std::string>()).second) << "repeated row";
        }
    }

    TempDir m_project;
};

TEST_F(CliTest, OpenAiCompatibleProviderMakesADatasetListedInGenerations) {
    StandinServer server(options([&](StandinOptions& o) { o.bearerToken = "sk-test-token"; }));
    server.start();
    const auto result = CliProcess::run({"generate", "--provider", "openai", "--endpoint",
                                         server.baseUrl() + "/v1", "--model", "standin-model", "--size", "30",
                                         "--seed", "Flask", "--seed", "NumPy", "--name", "OpenAI run"},
                                        env({{"OPENAI_API_KEY", "sk-test-token"}}));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_NE(result.out.find("completed"), std::string::npos);
    const auto files = datasets();
    ASSERT_EQ(files.size(), 1U);
    EXPECT_NE(result.out.find(files[0].string()), std::string::npos) << "the summary names the dataset";
    expectValidRows(readDataset(files[0]), 30);
    const auto list = runs();
    ASSERT_EQ(list.size(), 1U);
    EXPECT_EQ(list[0]["display_name"], "OpenAI run");
    EXPECT_EQ(list[0]["status"], "completed");
    EXPECT_EQ(list[0]["completed_rows"], 30);
    EXPECT_EQ(list[0]["provider"], "openai");
    EXPECT_GT(list[0]["output_tokens"].get<int>(), 0);
    const auto metadata =
        readJsonFile(files[0].parent_path() / (files[0].stem().string() + ".metadata.json"));
    ASSERT_TRUE(metadata.ok()) << metadata.error;
    EXPECT_EQ((*metadata.json)["status"], "completed");
    EXPECT_EQ((*metadata.json)["job"]["seeds"].size(), 2U);
}

TEST_F(CliTest, ClouderaAiInferenceUsesCdpTokenAndJwtFile) {
    StandinServer server(options([&](StandinOptions& o) { o.bearerToken = "jwt-access-token"; }));
    server.start();
    const auto jwt = m_project.write("jwt", R"({"access_token": "jwt-access-token"})");
    const auto result = CliProcess::run({"generate", "--provider", "caii", "--endpoint",
                                         server.baseUrl() + "/v1/chat/completions", "--model",
                                         "standin-model", "--size", "12", "--template", "text_to_sql"},
                                        env({{"CDP_JWT_PATH", jwt.string()}}));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    ASSERT_EQ(datasets().size(), 1U);
    expectValidRows(readDataset(datasets()[0]), 12);
    const auto recorded = server.recordedRequests();
    ASSERT_FALSE(recorded.empty());
    EXPECT_NE(recorded[0].body.find("CREATE TABLE employees"), std::string::npos)
        << "schema goes into the prompt";

    const auto wrong = CliProcess::run({"generate", "--provider", "caii", "--endpoint",
                                        server.baseUrl() + "/v1", "--model", "standin-model", "--size", "2"},
                                       env({{"CDP_TOKEN", "wrong"}}));
    EXPECT_EQ(wrong.exitCode, 1);
    EXPECT_NE(wrong.err.find("CDP_TOKEN"), std::string::npos) << wrong.err;
    EXPECT_EQ(wrong.err.find("wrong"), std::string::npos) << "the token itself is never printed";
}

TEST_F(CliTest, BedrockSignsWithSigV4AgainstTheStandIn) {
    StandinServer server(options([](StandinOptions& o) {
        o.awsCredentials = {{"AKIDSTANDIN", "standin-secret"}};
        o.awsRegion = "us-west-2";
    }));
    server.start();
    const auto result =
        CliProcess::run({"generate", "--provider", "bedrock", "--model",
                         "anthropic.claude-3-5-sonnet-20240620-v1:0", "--size", "10", "--seed", "Graphs"},
                        env({{"AWS_ACCESS_KEY_ID", "AKIDSTANDIN"},
                             {"AWS_SECRET_ACCESS_KEY", "standin-secret"},
                             {"AWS_REGION", "us-west-2"},
                             {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", server.baseUrl()}}));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    ASSERT_EQ(datasets().size(), 1U);
    expectValidRows(readDataset(datasets()[0]), 10);
    const auto recorded = server.recordedRequests();
    ASSERT_FALSE(recorded.empty());
    EXPECT_NE(recorded[0].path.find("v1%3A0/converse"), std::string::npos) << recorded[0].path;

    const auto badKey =
        CliProcess::run({"generate", "--provider", "bedrock", "--model",
                         "anthropic.claude-3-5-sonnet-20240620-v1:0", "--size", "2", "--seed", "x"},
                        env({{"AWS_ACCESS_KEY_ID", "AKIDSTANDIN"},
                             {"AWS_SECRET_ACCESS_KEY", "not-the-secret"},
                             {"AWS_REGION", "us-west-2"},
                             {"AWS_ENDPOINT_URL", server.baseUrl()}}));
    EXPECT_EQ(badKey.exitCode, 1);
    EXPECT_EQ(badKey.err.find("not-the-secret"), std::string::npos);
    EXPECT_FALSE(badKey.errLines().empty());
}

TEST_F(CliTest, FaultsAreRetriedAndTheDatasetIsStillExact) {
    StandinOptions faults;
    faults.latency = std::chrono::milliseconds(5);
    faults.rate429 = 0.15;
    faults.rate500 = 0.05;
    faults.rate503 = 0.05;
    faults.rateDrop = 0.05;
    faults.rateMalformed = 0.05;
    faults.rateMessy = 0.1;
    faults.rateMissingField = 0.1;
    faults.rateDuplicate = 0.1;
    faults.seed = 3;
    StandinServer server(faults);
    server.start();
    const auto result =
        CliProcess::run({"generate", "--provider", "openai", "--endpoint", server.baseUrl() + "/v1",
                         "--model", "standin-model", "--size", "150", "--concurrency", "32"},
                        env());
    ASSERT_EQ(result.exitCode, 0) << result.err;
    ASSERT_EQ(datasets().size(), 1U);
    expectValidRows(readDataset(datasets()[0]), 150);
    EXPECT_GT(server.stats().faults.total(), 0U);
    EXPECT_NE(result.out.find("retries"), std::string::npos);
}

TEST_F(CliTest, BadInputGetsOneClearLineAndWritesNothing) {
    StandinServer server;
    server.start();
    const std::string url = server.baseUrl() + "/v1";
    const auto badJson = m_project.write("job.json", "{\n  \"size\": 10,\n  \"seeds\": [\"a\",]\n}\n");
    const auto examples = m_project.write("examples.json", R"([{"question": "q"}])");
    struct Case {
        std::vector<std::string> arguments;
        std::string expected;
    };
    const std::vector<Case> cases = {
        {{"generate", "--template", "poetry"}, "unknown template \"poetry\""},
        {{"generate", "--provider", "gemini", "--size", "3"}, "provider \"gemini\" is unknown"},
        {{"generate", "--seeds-file", "/nonexistent/seeds.txt"}, "/nonexistent/seeds.txt"},
        {{"generate", "--config", badJson.string()}, badJson.string() + ":3:"},
        {{"generate", "--examples-file", examples.string()}, "element 0 needs string fields"},
        {{"generate", "--provider", "openai", "--endpoint", url, "--model", "m", "--size", "0"},
         "size must be between"},
        {{"generate", "--provider", "openai", "--endpoint", url, "--model", "m", "--temperature", "3"},
         "temperature"},
        {{"generate", "--provider", "openai", "--endpoint", "http://127.0.0.1:1/v1", "--model", "m", "--size",
          "3"},
         "cannot reach"},
        {{"generate", "--provider", "openai", "--endpoint", url, "--model", "no-such-model", "--size", "3"},
         "no-such-model"},
        {{"generate", "--provider", "caii", "--endpoint", url, "--model", "m"}, "CDP_TOKEN"},
        {{"generate", "--provider", "bedrock", "--model", "m", "--region", "us-east-1"}, "AWS"},
        {{"generate", "--resume", "no-such-run"}, "no run with id no-such-run"},
    };
    for (const auto& c : cases) {
        const auto result = CliProcess::run(c.arguments, env({{"HOME", m_project.path().string()}}));
        EXPECT_NE(result.exitCode, 0) << c.expected;
        const auto lines = result.errLines();
        ASSERT_FALSE(lines.empty()) << c.expected;
        EXPECT_NE(lines.back().find(c.expected), std::string::npos) << "got: " << result.err;
        EXPECT_EQ(lines.back().rfind("sds: error: ", 0), 0U) << lines.back();
        EXPECT_TRUE(datasets().empty()) << "no dataset for: " << c.expected;
    }
}

TEST_F(CliTest, SecretsNeverReachLogsOrFiles) {
    const std::string secret = "sk-very-secret-value-1234";
    StandinServer server(options([&](StandinOptions& o) { o.bearerToken = secret; }));
    server.start();
    const auto result = CliProcess::run({"-v", "generate", "--provider", "openai", "--endpoint",
                                         server.baseUrl() + "/v1", "--model", "standin-model", "--size", "5"},
                                        env({{"OPENAI_API_KEY", secret}}));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_EQ(result.out.find(secret), std::string::npos);
    EXPECT_EQ(result.err.find(secret), std::string::npos);
    for (const auto& entry : std::filesystem::recursive_directory_iterator(m_project.path())) {
        if (!entry.is_regular_file())
            continue;
        const auto content = readTextFile(entry.path());
        ASSERT_TRUE(content);
        EXPECT_EQ(content->find(secret), std::string::npos) << entry.path();
    }
}

TEST_F(CliTest, KilledRunResumesToExactlyTheRequestedRows) {
    StandinServer server(options([](StandinOptions& o) { o.latency = std::chrono::milliseconds(40); }));
    server.start();
    CliProcess first({"generate", "--provider", "openai", "--endpoint", server.baseUrl() + "/v1", "--model",
                      "standin-model", "--size", "400", "--concurrency", "4", "--rows-per-request", "2"},
                     env());
    first.start();
    const auto [journal, rowsBeforeKill] = waitForJournalRows(m_project / "runs", 40);
    first.signal(SIGKILL);
    const auto killed = first.wait();
    EXPECT_EQ(killed.exitCode, 128 + SIGKILL);
    ASSERT_GE(rowsBeforeKill, 40U);
    std::vector<std::string> journaled;
    Journal::read(journal, [&](JournalRow&& row) { journaled.push_back(row.question); });
    ASSERT_LT(journaled.size(), 400U);

    const std::string runId = journal.parent_path().filename().string();
    EXPECT_EQ(runs()[0]["status"], "interrupted") << "no process holds it any more";
    const auto resumed = CliProcess::run({"generate", "--resume", runId}, env());
    ASSERT_EQ(resumed.exitCode, 0) << resumed.err;
    ASSERT_EQ(datasets().size(), 1U);
    const auto rows = readDataset(datasets()[0]);
    expectValidRows(rows, 400);
    std::set<std::string> questions;
    for (const auto& row : rows)
        questions.insert(row["Prompt"].get<std::string>());
    for (const auto& question : journaled)
        EXPECT_TRUE(questions.count(question)) << "lost a journaled row: " << question;
    EXPECT_EQ(runs()[0]["status"], "completed");
    EXPECT_EQ(runs()[0]["completed_rows"], 400);
}

TEST_F(CliTest, InterruptStopsPromptlyKeepsRowsAndCanResume) {
    StandinServer server(options([](StandinOptions& o) { o.latency = std::chrono::milliseconds(100); }));
    server.start();
    CliProcess process({"generate", "--provider", "openai", "--endpoint", server.baseUrl() + "/v1", "--model",
                        "standin-model", "--size", "5000", "--concurrency", "8"},
                       env());
    process.start();
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    const auto interruptedAt = std::chrono::steady_clock::now();
    process.signal(SIGINT);
    const auto result = process.wait();
    EXPECT_LT(std::chrono::steady_clock::now() - interruptedAt, std::chrono::seconds(2));
    EXPECT_EQ(result.exitCode, 130) << result.err;
    EXPECT_NE(result.err.find("--resume"), std::string::npos) << result.err;
    ASSERT_EQ(datasets().size(), 1U) << "cancel keeps what arrived";
    const auto rows = readDataset(datasets()[0]);
    EXPECT_GT(rows.size(), 0U);
    EXPECT_LT(rows.size(), 5000U);
    EXPECT_EQ(runs()[0]["status"], "cancelled");
}

} // namespace
} // namespace sds::testing
