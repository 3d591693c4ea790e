#include "core/RunHistory.h"
#include "testsupport/TempDir.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

namespace sds {
namespace {

using testing::TempDir;

RunRecord sampleRecord(const std::string& id, std::int64_t created) {
    RunRecord r;
    r.id = id;
    r.displayName = "Run " + id;
    r.templateId = "code_generation";
    r.workflow = "sft";
    r.provider = "openai";
    r.model = "m";
    r.parametersJson = R"({"temperature":0.5})";
    r.requestedSize = 10;
    r.createdAtMs = created;
    return r;
}

TEST(RunHistory, CreatesSchemaInWalModeAndStoresRuns) {
    TempDir dir;
    RunHistory history;
    ASSERT_EQ(history.open(dir / "h.sqlite"), "");
    EXPECT_EQ(history.schemaVersion(), RunHistory::kSchemaVersion);
    ASSERT_EQ(history.insert(sampleRecord("a", 1000)), "");
    ASSERT_EQ(history.insert(sampleRecord("b", 2000)), "");
    auto b = *history.find("b");
    b.status = RunStatus::Completed;
    b.completedRows = 10;
    b.finishedAtMs = 3000;
    b.score = 4.5;
    ASSERT_EQ(history.update(b), "");
    ASSERT_EQ(history.updateProgress("a", 3, 100, 200), "");
    const auto list = history.list();
    ASSERT_EQ(list.size(), 2U);
    EXPECT_EQ(list[0].id, "b"); // newest first
    EXPECT_EQ(list[0].status, RunStatus::Completed);
    EXPECT_EQ(*list[0].score, 4.5);
    EXPECT_EQ(list[1].completedRows, 3);
    EXPECT_EQ(list[1].outputTokens, 200);
    EXPECT_FALSE(list[1].score);

    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "h.sqlite").c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &statement, nullptr);
    ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)), "wal");
    sqlite3_finalize(statement);
    sqlite3_close(raw);
}

TEST(RunHistory, RenameRemoveAndUnknownIds) {
    TempDir dir;
    RunHistory history;
    ASSERT_EQ(history.open(dir / "h.sqlite"), "");
    ASSERT_EQ(history.insert(sampleRecord("a", 1)), "");
    EXPECT_EQ(history.rename("a", "New name"), "");
    EXPECT_EQ(history.find("a")->displayName, "New name");
    EXPECT_EQ(history.rename("zzz", "x"), "no run with id zzz");
    EXPECT_EQ(history.remove("a"), "");
    EXPECT_FALSE(history.find("a"));
    EXPECT_NE(history.insert(sampleRecord("b", 1)), "x");
    EXPECT_NE(history.insert(sampleRecord("b", 1)), ""); // duplicate id refused
}

TEST(RunHistory, ReopenKeepsDataAndRefusesNewerSchema) {
    TempDir dir;
    {
        RunHistory history;
        ASSERT_EQ(history.open(dir / "h.sqlite"), "");
        ASSERT_EQ(history.insert(sampleRecord("a", 1)), "");
    }
    {
        RunHistory history;
        ASSERT_EQ(history.open(dir / "h.sqlite"), "");
        EXPECT_TRUE(history.find("a"));
    }
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "h.sqlite").c_str(), &raw), SQLITE_OK);
    sqlite3_exec(raw, "PRAGMA user_version=99", nullptr, nullptr, nullptr);
    sqlite3_close(raw);
    RunHistory history;
    const auto error = history.open(dir / "h.sqlite");
    EXPECT_NE(error.find("newer than this program"), std::string::npos) << error;
}

} // namespace
} // namespace sds
