// Runs left behind by a killed process, runs held by a live one, and retrying only what failed.

#include "CliProcess.h"
#include "core/Journal.h"
#include "core/JsonFile.h"
#include "standin/StandinServer.h"
#include "testsupport/TempDir.h"

#include <csignal>
#include <gtest/gtest.h>
#include <set>

namespace sds::testing {
namespace {

using standin::StandinOptions;
using standin::StandinServer;

class CliRecoveryTest : public ::testing::Test {
protected:
    std::map<std::string, std::string> env() const {
        return {{"SDS_PROJECT_DIR", m_project.path().string()},
                {"SDS_CACHE_DIR", (m_project / "cache").string()},
                {"OPENAI_API_KEY", "unused"}};
    }
    ProcessResult sds(std::vector<std::string> arguments) const {
        return CliProcess::run(std::move(arguments), env());
    }
    static std::vector<std::string> openAi(const StandinServer& server, std::vector<std::string> arguments) {
        std::vector<std::string> all = {
            "generate", "--provider",   "openai", "--endpoint", server.baseUrl() + "/v1",
            "--model",  "standin-model"};
        all.insert(all.end(), arguments.begin(), arguments.end());
        return all;
    }
    nlohmann::json show(const std::string& runId) const {
        const auto result = sds({"show", runId});
        EXPECT_EQ(result.exitCode, 0) << result.err;
        return nlohmann::json::parse(result.out, nullptr, false);
    }
    std::string listedStatus(const std::string& runId) const {
        const auto result = sds({"runs", "--json"});
        EXPECT_EQ(result.exitCode, 0) << result.err;
        for (const auto& run : nlohmann::json::parse(result.out))
            if (run["id"] == runId)
                return run["status"];
        return "<not listed>";
    }
    std::string onlyRunId() const {
        const auto result = sds({"runs", "--json"});
        const auto list = nlohmann::json::parse(result.out);
        EXPECT_EQ(list.size(), 1U) << result.out;
        return list.empty() ? std::string() : list[0]["id"].get<std::string>();
    }
    static nlohmann::json dataset(const nlohmann::json& run) {
        const auto read = readJsonFile(run["output_path"].get<std::string>());
        EXPECT_TRUE(read.ok()) << read.error;
        return read.ok() ? *read.json : nlohmann::json::array();
    }

    TempDir m_project;
};

TEST_F(CliRecoveryTest, AKilledRunIsInterruptedAndAHeldOneIsNotResumedElsewhere) {
    StandinOptions slow;
    slow.latency = std::chrono::milliseconds(150); // about 11 s for the whole run: it is killed long before
    StandinServer server(slow);
    server.start();
    CliProcess first(openAi(server, {"--seed", "One", "--seed", "Two", "--seed", "Three", "--size", "300",
                                     "--concurrency", "2", "--rows-per-request", "2"}),
                     env());
    first.start();
    const auto [journal, rowsBeforeKill] = waitForJournalRows(m_project / "runs", 10);
    ASSERT_GE(rowsBeforeKill, 10U);
    const std::string runId = journal.parent_path().filename().string();

    EXPECT_EQ(listedStatus(runId), "running") << "its process holds it";
    const auto refused = sds({"generate", "--resume", runId});
    expectBadInput(refused,
                   {runId, "still running in another process", "(pid " + std::to_string(first.pid()) + ")"});
    EXPECT_EQ(listedStatus(runId), "running") << "the refused resume changed nothing";

    first.signal(SIGKILL);
    EXPECT_EQ(first.wait().exitCode, 128 + SIGKILL);
    std::set<std::string> journaled;
    Journal::read(journal, [&](JournalRow&& row) { journaled.insert(row.question); });
    ASSERT_LT(journaled.size(), 300U);

    EXPECT_EQ(listedStatus(runId), "interrupted");
    EXPECT_EQ(show(runId)["status"], "interrupted");
    const auto table = sds({"runs"});
    EXPECT_NE(table.out.find("interrupted"), std::string::npos) << table.out;

    const auto nothingFailed = sds({"generate", "--resume", runId, "--retry-failed"});
    expectBadInput(nothingFailed, {"nothing failed in run " + runId, "resume it"});

    server.setOptions({});
    server.resetStats();
    const auto resumed = sds({"generate", "--resume", runId});
    ASSERT_EQ(resumed.exitCode, 0) << resumed.err;
    const auto run = show(runId);
    EXPECT_EQ(run["status"], "completed");
    EXPECT_EQ(run["completed_rows"], 300);
    const auto rows = dataset(run);
    ASSERT_EQ(rows.size(), 300U);
    std::set<std::string> questions;
    for (const auto& row : rows)
        questions.insert(row["Prompt"].get<std::string>());
    EXPECT_EQ(questions.size(), 300U) << "no repeated row";
    for (const auto& question : journaled)
        EXPECT_TRUE(questions.count(question)) << "lost a journaled row: " << question;
    EXPECT_LE(server.stats().chatRequests, (300U - journaled.size()) / 2 + 3)
        << "the resume asked only for the missing rows, 2 per request (one odd share per seed)";
}

TEST_F(CliRecoveryTest, RetryFailedAsksOnlyForTheSeedsThatFailed) {
    StandinOptions options;
    options.emptyAnswerSubjects = {"Beta", "Delta"};
    StandinServer server(options);
    server.start();
    const auto first = sds(openAi(server, {"--seed", "Alpha", "--seed", "Beta", "--seed", "Gamma", "--seed",
                                           "Delta", "--size", "16", "--rows-per-request", "2"}));
    ASSERT_EQ(first.exitCode, 3) << first.err;
    EXPECT_NE(first.err.find("--retry-failed"), std::string::npos) << first.err;
    const std::string runId = onlyRunId();
    EXPECT_EQ(listedStatus(runId), "partial");
    EXPECT_EQ(dataset(show(runId)).size(), 8U);

    server.setOptions({});
    server.resetStats();
    const auto retried = sds({"generate", "--resume", runId, "--retry-failed"});
    ASSERT_EQ(retried.exitCode, 0) << retried.err;
    EXPECT_NE(
        retried.err.find("Retrying only what failed in run " + runId + ": 2 seeds: \"Beta\", \"Delta\""),
        std::string::npos)
        << retried.err;
    const auto asked = server.stats().chatRequestsBySubject;
    EXPECT_EQ(asked, (std::map<std::string, std::uint64_t>{{"Beta", 2}, {"Delta", 2}}))
        << "4 rows each, 2 per request, and nothing for Alpha or Gamma";
    const auto run = show(runId);
    EXPECT_EQ(run["status"], "completed");
    const auto rows = dataset(run);
    ASSERT_EQ(rows.size(), 16U);
    std::map<std::string, int> perSeed;
    for (const auto& row : rows)
        ++perSeed[row["Seeds"].get<std::string>()];
    EXPECT_EQ(perSeed, (std::map<std::string, int>{{"Alpha", 4}, {"Beta", 4}, {"Delta", 4}, {"Gamma", 4}}));
}

TEST_F(CliRecoveryTest, RetryFailedSendsOnlyTheCurationElementsThatFailed) {
    StandinOptions options;
    options.emptyAnswerSubjects = {"task 1", "task 4"};
    StandinServer server(options);
    server.start();
    nlohmann::json elements = nlohmann::json::array();
    for (int i = 0; i < 6; ++i)
        elements.push_back({{"Prompt", "task " + std::to_string(i)}});
    const auto input = m_project.write("input.json", elements.dump());
    const auto first =
        sds(openAi(server, {"--workflow", "curation", "--input", input.string(), "--prompt", "Answer it."}));
    ASSERT_EQ(first.exitCode, 3) << first.err;
    const std::string runId = onlyRunId();

    server.setOptions({});
    server.resetStats();
    const auto retried = sds({"generate", "--resume", runId, "--retry-failed"});
    ASSERT_EQ(retried.exitCode, 0) << retried.err;
    EXPECT_NE(retried.err.find("2 elements: #2, #5"), std::string::npos) << retried.err;
    EXPECT_EQ(server.stats().chatRequestsBySubject,
              (std::map<std::string, std::uint64_t>{{"task 1", 1}, {"task 4", 1}}));
    const auto rows = dataset(show(runId));
    ASSERT_EQ(rows.size(), 6U);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        EXPECT_EQ(rows[i]["Prompt"], "task " + std::to_string(i)) << "input order";
        EXPECT_FALSE(rows[i]["Completion"].get<std::string>().empty());
    }
}

TEST_F(CliRecoveryTest, RetryFailedNeedsResume) {
    const auto result = sds({"generate", "--retry-failed"});
    EXPECT_EQ(result.exitCode, 2) << result.err;
    EXPECT_NE(result.err.find("--resume"), std::string::npos) << result.err;
}

} // namespace
} // namespace sds::testing
