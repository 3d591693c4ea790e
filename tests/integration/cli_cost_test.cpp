#include "CliProcess.h"
#include "core/JsonFile.h"
#include "standin/StandinServer.h"
#include "testsupport/TempDir.h"

#include <gtest/gtest.h>
#include <regex>

namespace sds::testing {
namespace {

using standin::StandinServer;

class CliCost : public ::testing::Test {
protected:
    std::map<std::string, std::string> env() const {
        return {{"SDS_PROJECT_DIR", m_project.path().string()},
                {"SDS_CACHE_DIR", (m_project / "cache").string()}};
    }
    std::vector<std::string> openAi(const StandinServer& server, std::vector<std::string> more) const {
        std::vector<std::string> arguments = {
            "generate", "--provider",   "openai", "--endpoint", server.baseUrl() + "/v1",
            "--model",  "standin-model"};
        arguments.insert(arguments.end(), more.begin(), more.end());
        return arguments;
    }
    nlohmann::json runs() const {
        const auto result = CliProcess::run({"runs", "--json"}, env());
        EXPECT_EQ(result.exitCode, 0) << result.err;
        return nlohmann::json::parse(result.out);
    }
    [[nodiscard]] bool projectHasAnything() const {
        std::error_code ec;
        for (const auto& entry : std::filesystem::recursive_directory_iterator(m_project.path(), ec))
            if (entry.is_regular_file())
                return true;
        return false;
    }

    TempDir m_project;
};

TEST_F(CliCost, DryRunPrintsThePlanAndCostRangeAndSendsAndWritesNothing) {
    StandinServer server;
    server.start();
    const auto result =
        CliProcess::run(openAi(server, {"--size", "50", "--seed", "Flask", "--seed", "NumPy", "--price-in",
                                        "1.5", "--price-out", "6", "--max-cost", "5", "--dry-run"}),
                        env());
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_NE(result.out.find("requests: 10 (50 rows, up to 5 per request)"), std::string::npos)
        << result.out;
    EXPECT_NE(result.out.find("tokens counted: 4 characters per token"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("price: $1.50 in, $6.00 out per 1M tokens (the job)"), std::string::npos)
        << result.out;
    EXPECT_TRUE(std::regex_search(result.out, std::regex(R"(cost: \$\d+\.\d+ - \$\d+\.\d+ \(at most \$)")))
        << result.out;
    EXPECT_NE(result.out.find("budget: $5.00"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("Dry run: nothing was sent"), std::string::npos) << result.out;
    EXPECT_EQ(server.stats().totalRequests, 0U) << "not even a model list";
    EXPECT_FALSE(projectHasAnything()) << "no run folder, no dataset, no history";

    const auto unknown = CliProcess::run(openAi(server, {"--size", "10", "--dry-run"}), env());
    ASSERT_EQ(unknown.exitCode, 0) << unknown.err;
    EXPECT_NE(unknown.out.find("price: unknown price for openai / standin-model"), std::string::npos)
        << unknown.out;
    EXPECT_EQ(server.stats().totalRequests, 0U);
}

TEST_F(CliCost, DryRunPricesBedrockModelsFromTheTable) {
    const auto result =
        CliProcess::run({"generate", "--provider", "bedrock", "--region", "us-east-1", "--model",
                         "us.anthropic.claude-3-5-haiku-20241022-v1:0", "--size", "200", "--dry-run"},
                        env());
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_NE(result.out.find("price: $0.80 in, $4.00 out per 1M tokens"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("as of 2025-06-01"), std::string::npos) << result.out;
}

TEST_F(CliCost, BadBudgetAndPriceInputIsOneLineNamingTheValue) {
    StandinServer server;
    server.start();
    expectBadInput(CliProcess::run(openAi(server, {"--max-cost", "-3"}), env()),
                   {"--max-cost must be a positive amount of USD, got -3"});
    expectBadInput(CliProcess::run(openAi(server, {"--price-in", "1"}), env()),
                   {"--price-in and --price-out go together"});
    expectBadInput(CliProcess::run(openAi(server, {"--price-in", "1", "--price-out", "-2"}), env()),
                   {"--price-out must be at least 0 USD per 1M tokens, got -2"});
    expectBadInput(CliProcess::run(openAi(server, {"--max-cost", "5", "--size", "10"}), env()),
                   {"needs the price of openai / standin-model", "--price-in"});
    const auto prices = m_project.write(
        "prices.json", R"({"prices": {"openai": {"standin-model": {"input": "x", "output": 1}}}})");
    expectBadInput(CliProcess::run(openAi(server, {"--size", "10"}), env()),
                   {prices.string(), "prices.openai[\"standin-model\"].input", "not \"x\""});
    expectBadInput(CliProcess::run(openAi(server, {"--size", "10", "--dry-run"}), env()), {prices.string()});
    EXPECT_EQ(server.stats().chatRequests, 0U);
}

// At $1000 per 1M output tokens and max_tokens 1000, a request is held at $1.00 while in flight and its
// answer (about 5 rows of the stand-in's, a few hundred tokens) costs a few tenths of that. With one request
// at a time and a cap of $1.60, the run sends requests while spent + $1.00 ≤ $1.60.
TEST_F(CliCost, TheBudgetStopsTheRunWhichKeepsItsRowsAndResumesWithAHigherCap) {
    StandinServer server;
    server.start();
    m_project.write("prices.json",
                    R"({"prices": {"openai": {"standin-model": {"input": 0, "output": 1000}}}})");
    const auto stopped = CliProcess::run(
        openAi(server, {"--size", "40", "--seed", "Flask", "--rows-per-request", "5", "--concurrency", "1",
                        "--max-tokens", "1000", "--max-cost", "1.60", "--name", "Capped"}),
        env());
    EXPECT_EQ(stopped.exitCode, 3) << stopped.err;
    EXPECT_NE(stopped.out.find("stopped_at_budget"), std::string::npos) << stopped.out;
    EXPECT_NE(stopped.err.find("--max-cost USD"), std::string::npos) << "says how to go on: " << stopped.err;
    auto list = runs();
    ASSERT_EQ(list.size(), 1U);
    const auto run = list[0];
    EXPECT_EQ(run["status"], "stopped_at_budget");
    const double spent = run["cost_usd"].get<double>();
    const int requests = run["requests_done"].get<int>();
    EXPECT_EQ(static_cast<std::uint64_t>(requests), server.stats().chatRequests);
    EXPECT_GE(requests, 1);
    EXPECT_LT(requests, 8);
    EXPECT_EQ(run["completed_rows"], requests * 5) << "every answered request's rows are kept";
    EXPECT_LE(spent, 1.60) << "spent never passes the cap";
    EXPECT_GT(spent + 1.00, 1.60) << "it stopped because one more request could have passed it";
    EXPECT_DOUBLE_EQ(run["max_cost_usd"].get<double>(), 1.60);
    EXPECT_NEAR(spent, run["output_tokens"].get<double>() * 1000 / 1e6, 1e-9)
        << "cost = reported tokens x price";

    const auto shown = CliProcess::run({"show", run["id"].get<std::string>()}, env());
    ASSERT_EQ(shown.exitCode, 0) << shown.err;
    EXPECT_DOUBLE_EQ(nlohmann::json::parse(shown.out)["cost_usd"].get<double>(), spent);
    const auto table = CliProcess::run({"runs"}, env());
    EXPECT_NE(table.out.find("COST"), std::string::npos);
    char formatted[32];
    std::snprintf(formatted, sizeof formatted, "$%.2f", spent);
    EXPECT_NE(table.out.find(formatted), std::string::npos) << table.out;

    const auto resumed =
        CliProcess::run({"generate", "--resume", run["id"].get<std::string>(), "--max-cost", "100"}, env());
    ASSERT_EQ(resumed.exitCode, 0) << resumed.err;
    list = runs();
    EXPECT_EQ(list[0]["status"], "completed");
    EXPECT_EQ(list[0]["completed_rows"], 40);
    EXPECT_EQ(list[0]["requests_done"], 8);
    EXPECT_GT(list[0]["cost_usd"].get<double>(), spent);
    EXPECT_NEAR(list[0]["cost_usd"].get<double>(), list[0]["output_tokens"].get<double>() * 1000 / 1e6, 1e-9);
    const auto metadata =
        readJsonFile(std::filesystem::path(list[0]["run_dir"].get<std::string>()) / "metadata.json");
    ASSERT_TRUE(metadata.ok());
    EXPECT_DOUBLE_EQ((*metadata.json)["cost"]["usd"].get<double>(), list[0]["cost_usd"].get<double>());
    EXPECT_EQ((*metadata.json)["cost"]["price"]["source"], (m_project / "prices.json").string());

    // A second dry run of the template now uses the finished run: its margin and its rows' size.
    const auto planned =
        CliProcess::run(openAi(server, {"--size", "40", "--seed", "Flask", "--dry-run"}), env());
    ASSERT_EQ(planned.exitCode, 0) << planned.err;
    EXPECT_NE(planned.out.find("x1 (highest requests done / planned of 1 earlier run of this template)"),
              std::string::npos)
        << planned.out;
    EXPECT_NE(planned.out.find("as in 1 earlier run of this template and model"), std::string::npos)
        << planned.out;
}

} // namespace
} // namespace sds::testing
