#include "core/Job.h"
#include "core/Pricing.h"
#include "core/Project.h"
#include "core/RunHistory.h"
#include "testsupport/TempDir.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

namespace sds {
namespace {

using testing::TempDir;

TEST(PriceTable, TheBuiltInTableLoadsAndPricesTheListedBedrockModels) {
    PriceTable table;
    ASSERT_EQ(table.loadFile(resourcesDir() / "prices.json"), "");
    const auto sonnet = table.find("bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0");
    ASSERT_TRUE(sonnet);
    EXPECT_EQ(sonnet->price, (TokenPrice{3.0, 15.0}));
    EXPECT_NE(sonnet->source.find("as of 2025-06-01"), std::string::npos) << sonnet->source;
    const auto profile = table.find("bedrock", "us.anthropic.claude-3-5-haiku-20241022-v1:0");
    ASSERT_TRUE(profile) << "a cross-region inference profile costs what its model costs";
    EXPECT_EQ(profile->price, (TokenPrice{0.80, 4.00}));
    const auto local = table.find("local", "/models/anything.gguf");
    ASSERT_TRUE(local);
    EXPECT_EQ(local->price, (TokenPrice{0, 0}));
    EXPECT_FALSE(table.find("bedrock", "vendor.unknown-model-v1:0"));
    EXPECT_FALSE(table.find("caii", "meta/llama-3.1-8b-instruct"));
    for (const char* model :
         {"anthropic.claude-3-5-sonnet-20241022-v2:0", "anthropic.claude-3-7-sonnet-20250219-v1:0",
          "anthropic.claude-sonnet-4-20250514-v1:0", "meta.llama3-1-8b-instruct-v1:0",
          "meta.llama3-1-70b-instruct-v1:0", "meta.llama3-3-70b-instruct-v1:0", "amazon.nova-pro-v1:0",
          "amazon.nova-lite-v1:0", "amazon.nova-micro-v1:0", "mistral.mistral-large-2407-v1:0",
          "eu.anthropic.claude-3-haiku-20240307-v1:0"})
        EXPECT_TRUE(table.find("bedrock", model)) << model << " is offered by the app but has no price";
}

TEST(PriceTable, TheProjectFileOverridesAndAddsPrices) {
    TempDir dir;
    const Project project(dir.path());
    dir.write("prices.json", R"({"prices": {"bedrock": {"anthropic.claude-3-5-sonnet-20240620-v1:0":
        {"input": 1.5, "output": 7.5}}, "caii": {"meta/llama": {"input": 0.1, "output": 0.2}}}})");
    const auto prices = project.loadPrices();
    ASSERT_EQ(prices.error, "");
    const auto sonnet = prices.table.find("bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0");
    ASSERT_TRUE(sonnet);
    EXPECT_EQ(sonnet->price, (TokenPrice{1.5, 7.5}));
    EXPECT_EQ(sonnet->source, project.pricesFile().string());
    EXPECT_EQ(prices.table.find("caii", "meta/llama")->price, (TokenPrice{0.1, 0.2}));
    EXPECT_TRUE(prices.table.find("bedrock", "amazon.nova-lite-v1:0")) << "the built-in prices stay";
}

TEST(PriceTable, AMalformedFileIsOneLineNamingTheFileAndField) {
    TempDir dir;
    const auto check = [&](const std::string& content, const std::string& expected) {
        PriceTable table;
        const auto file = dir.write("prices.json", content);
        const auto error = table.loadFile(file);
        EXPECT_NE(error.find(file.string()), std::string::npos) << error;
        EXPECT_NE(error.find(expected), std::string::npos) << error;
        EXPECT_EQ(error.find('\n'), std::string::npos) << error;
        EXPECT_TRUE(table.entries().empty()) << "nothing of a malformed file is used";
    };
    check(R"({"prices": {"openai": {"gpt-x": {"input": -1, "output": 2}}}})",
          "prices.openai[\"gpt-x\"].input must be a number of USD per 1M tokens, at least 0, not -1");
    check(R"({"prices": {"openai": {"gpt-x": {"input": 1, "output": "cheap"}}}})",
          "prices.openai[\"gpt-x\"].output must be a number of USD per 1M tokens, at least 0, not \"cheap\"");
    check(R"({"prices": {"openai": {"gpt-x": {"input": 1}}}})", "has no \"output\" price");
    check(R"({"prices": []})", "a price file is a JSON object with \"prices\"");
    check(R"({"prices": {)", "prices.json:1:");
}

TEST(PriceTable, WhatSettingsWriteReadsBack) {
    const std::vector<PriceEntry> entries = {{"caii", "meta/llama", {0.1, 0.2}}, {"openai", "gpt-x", {1, 4}}};
    PriceTable table;
    ASSERT_EQ(table.loadJson(priceFileJson(entries, "edited in Settings"), "prices.json"), "");
    EXPECT_EQ(table.entries(), entries);
}

TEST(PriceTable, CostAndItsFormat) {
    const TokenPrice price{3.0, 15.0};
    EXPECT_DOUBLE_EQ(price.costUsd(1'000'000, 0), 3.0);
    EXPECT_DOUBLE_EQ(price.costUsd(1000, 2000), 0.003 + 0.030);
    EXPECT_EQ(formatUsd(0), "$0.00");
    EXPECT_EQ(formatUsd(12.345), "$12.35");
    EXPECT_EQ(formatUsd(0.00312), "$0.00312");
}

TEST(JobBudget, PriceAndCapRoundTripAndBadValuesAreNamed) {
    JobSpec job;
    job.prompt = "p";
    job.seeds = {"s"};
    job.price = TokenPrice{0.5, 1.5};
    job.maxCostUsd = 2.5;
    const auto parsed = jobFromJson(toJson(job), "job.json");
    ASSERT_TRUE(parsed.job) << parsed.error;
    EXPECT_EQ(*parsed.job, job);
    EXPECT_TRUE(validate(job).empty());

    job.maxCostUsd = -3;
    const auto problems = validate(job);
    ASSERT_EQ(problems.size(), 1U);
    EXPECT_EQ(problems.front(), "max_cost_usd must be a positive amount of USD, got -3");
    job.maxCostUsd.reset();
    job.price = TokenPrice{-1, 2};
    ASSERT_EQ(validate(job).size(), 1U);
    EXPECT_EQ(validate(job).front(), "price must be at least 0 USD per 1M tokens, got -1 in, 2 out");

    const auto wrongType = jobFromJson(nlohmann::json{{"max_cost_usd", "ten"}}, "job.json");
    EXPECT_EQ(wrongType.error, "job.json: field \"max_cost_usd\" must be a number");
    const auto wrongPrice = jobFromJson(nlohmann::json{{"price", {{"input", 1}}}}, "job.json");
    EXPECT_NE(wrongPrice.error.find("job.json: field \"price\" must be"), std::string::npos)
        << wrongPrice.error;
}

TEST(RunHistoryV3, AVersionTwoDatabaseGainsCostColumnsKeepingItsRuns) {
    TempDir dir;
    const auto file = dir / "h.sqlite";
    {
        sqlite3* raw = nullptr;
        ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
        const char* v2 =
            "CREATE TABLE runs (id TEXT PRIMARY KEY, display_name TEXT NOT NULL, template TEXT NOT NULL, "
            "workflow TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL, parameters TEXT NOT NULL "
            "DEFAULT '{}', requested_size INTEGER NOT NULL, completed_rows INTEGER NOT NULL DEFAULT 0, "
            "status TEXT NOT NULL, output_path TEXT NOT NULL DEFAULT '', run_dir TEXT NOT NULL DEFAULT '', "
            "created_at INTEGER NOT NULL, finished_at INTEGER, input_tokens INTEGER NOT NULL DEFAULT 0, "
            "output_tokens INTEGER NOT NULL DEFAULT 0, score REAL, error TEXT NOT NULL DEFAULT '', "
            "validation TEXT NOT NULL DEFAULT '', evaluation TEXT NOT NULL DEFAULT '');"
            "CREATE INDEX runs_created ON runs(created_at);"
            "CREATE TABLE exports (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, path TEXT NOT "
            "NULL, format TEXT NOT NULL, part TEXT NOT NULL, rows INTEGER NOT NULL, created_at INTEGER NOT "
            "NULL);"
            "CREATE INDEX exports_run ON exports(run_id, id);"
            "INSERT INTO runs (id, display_name, template, workflow, provider, model, requested_size, "
            "completed_rows, status, created_at, input_tokens, output_tokens, score) VALUES ('old', 'Old "
            "run', "
            "'custom', 'sft', 'bedrock', 'm', 5, 5, 'completed', 1, 1000, 2000, 4.5);"
            "INSERT INTO exports (run_id, path, format, part, rows, created_at) VALUES "
            "('old', '/x.jsonl', 'openai', 'all', 5, 2);"
            "PRAGMA user_version=2;";
        ASSERT_EQ(sqlite3_exec(raw, v2, nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(raw);
    }
    RunHistory history;
    ASSERT_EQ(history.open(file), "");
    EXPECT_EQ(history.schemaVersion(), 3);
    auto old = history.find("old");
    ASSERT_TRUE(old);
    EXPECT_EQ(old->displayName, "Old run");
    EXPECT_EQ(old->outputTokens, 2000);
    EXPECT_EQ(*old->score, 4.5);
    EXPECT_FALSE(old->costUsd) << "an old run's cost is unknown, not zero";
    EXPECT_FALSE(old->maxCostUsd);
    EXPECT_EQ(old->requestsDone, 0);
    EXPECT_EQ(history.exports("old").size(), 1U);

    old->status = RunStatus::StoppedAtBudget;
    old->costUsd = 0.75;
    old->maxCostUsd = 1.0;
    old->requestsDone = 12;
    old->requestsPlanned = 20;
    ASSERT_EQ(history.update(*old), "");
    ASSERT_EQ(history.updateProgress("old", 6, 1100, 2100, 0.8), "");
    ASSERT_EQ(history.updateProgress("old", 7, 1200, 2200), "");
    const auto updated = history.find("old");
    EXPECT_EQ(updated->status, RunStatus::StoppedAtBudget);
    EXPECT_DOUBLE_EQ(*updated->costUsd, 0.8) << "progress without a cost keeps the last one";
    EXPECT_DOUBLE_EQ(*updated->maxCostUsd, 1.0);
    EXPECT_EQ(updated->requestsDone, 12);
    EXPECT_EQ(updated->requestsPlanned, 20);
    EXPECT_EQ(updated->completedRows, 7);
    EXPECT_EQ(toString(RunStatus::StoppedAtBudget), "stopped_at_budget");
    EXPECT_EQ(runStatusFromString("stopped_at_budget"), RunStatus::StoppedAtBudget);
}

TEST(RunHistoryV3, AFailedMigrationLeavesVersionTwoUntouched) {
    TempDir dir;
    const auto file = dir / "h.sqlite";
    {
        sqlite3* raw = nullptr;
        ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
        // A version-2 database that already has the last column the migration adds: its last step fails.
        const char* v2 = "CREATE TABLE runs (id TEXT PRIMARY KEY, requests_planned INTEGER);"
                         "INSERT INTO runs (id) VALUES ('kept');"
                         "PRAGMA user_version=2;";
        ASSERT_EQ(sqlite3_exec(raw, v2, nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(raw);
    }
    RunHistory history;
    const auto error = history.open(file);
    EXPECT_NE(error.find("duplicate column name: requests_planned"), std::string::npos) << error;
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(raw, "SELECT COUNT(*) FROM pragma_table_info('runs')", -1, &statement, nullptr);
    ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(statement, 0), 2) << "no column of the failed migration stays";
    sqlite3_finalize(statement);
    sqlite3_prepare_v2(raw, "PRAGMA user_version", -1, &statement, nullptr);
    ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(statement, 0), 2);
    sqlite3_finalize(statement);
    sqlite3_close(raw);
}

} // namespace
} // namespace sds
