#include "core/Journal.h"
#include "core/JsonFile.h"
#include "testsupport/TempDir.h"

#include <fstream>
#include <gtest/gtest.h>
#include <thread>

namespace sds {
namespace {

using testing::TempDir;

std::vector<JournalRow> readAll(const std::filesystem::path& path, Journal::ReadResult* result = nullptr) {
    std::vector<JournalRow> rows;
    const auto read = Journal::read(path, [&](JournalRow&& row) { rows.push_back(std::move(row)); });
    if (result)
        *result = read;
    return rows;
}

TEST(Journal, AppendedRowsReadBackInOrder) {
    TempDir dir;
    Journal journal(dir / "run" / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    ASSERT_EQ(journal.append({0, "Seed A", "Q1", "S1", nullptr}), "");
    ASSERT_EQ(journal.append({1, "Seed B", "Q2 \"quoted\"\nline", "S2", nullptr}), "");
    journal.close();
    const auto rows = readAll(dir / "run" / "journal.jsonl");
    ASSERT_EQ(rows.size(), 2U);
    EXPECT_EQ(rows[1].seedIndex, 1);
    EXPECT_EQ(rows[1].seed, "Seed B");
    EXPECT_EQ(rows[1].question, "Q2 \"quoted\"\nline");
}

TEST(Journal, TornLastLineIsIgnoredAndCutBeforeTheNextAppend) {
    TempDir dir;
    const auto path = dir / "journal.jsonl";
    {
        Journal journal(path);
        ASSERT_EQ(journal.open(), "");
        ASSERT_EQ(journal.append({0, "s", "Q1", "S1", nullptr}), "");
    }
    std::ofstream(path, std::ios::app) << R"({"seed_index":0,"seed":"s","question":"Q2","sol)";
    Journal::ReadResult result;
    EXPECT_EQ(readAll(path, &result).size(), 1U);
    EXPECT_GT(result.tornBytes, 0U);
    {
        Journal journal(path);
        ASSERT_EQ(journal.open(), "");
        ASSERT_EQ(journal.append({0, "s", "Q3", "S3", nullptr}), "");
    }
    const auto rows = readAll(path, &result);
    ASSERT_EQ(rows.size(), 2U);
    EXPECT_EQ(rows[1].question, "Q3");
    EXPECT_EQ(result.tornBytes, 0U);
    EXPECT_EQ(result.corruptLines, 0U);
}

TEST(Journal, ConcurrentAppendsNeverInterleave) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i)
                EXPECT_EQ(journal.append({t, "seed", "Q" + std::to_string(t) + "-" + std::to_string(i),
                                          std::string(300, 'x'), nullptr}),
                          "");
        });
    for (auto& thread : threads)
        thread.join();
    journal.close();
    Journal::ReadResult result;
    EXPECT_EQ(readAll(dir / "journal.jsonl", &result).size(), 1600U);
    EXPECT_EQ(result.corruptLines, 0U);
}

TEST(Dataset, WrittenFromJournalWithReferenceKeysAndLimit) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    for (int i = 0; i < 5; ++i)
        ASSERT_EQ(
            journal.append({0, "Python Basics", "Q" + std::to_string(i), "S" + std::to_string(i), nullptr}),
            "");
    journal.close();
    const auto written = writeDatasetFromJournal(dir / "journal.jsonl", dir / "out" / "data.json",
                                                 OutputKeys{"Prompt", "Completion"}, 4);
    ASSERT_EQ(written.error, "");
    EXPECT_EQ(written.rows, 4U);
    const auto json = readJsonFile(dir / "out" / "data.json");
    ASSERT_TRUE(json.ok()) << json.error;
    ASSERT_TRUE(json.json->is_array());
    ASSERT_EQ(json.json->size(), 4U);
    const auto& first = (*json.json)[0];
    EXPECT_EQ(first["Seeds"], "Python Basics");
    EXPECT_EQ(first["Prompt"], "Q0");
    EXPECT_EQ(first["Completion"], "S0");
    EXPECT_EQ(first.size(), 3U);
    EXPECT_EQ(first.begin().key(), "Completion"); // nlohmann::json sorts keys on read; the file keeps order
    const auto text = readTextFile(dir / "out" / "data.json");
    ASSERT_TRUE(text);
    EXPECT_LT(text->find("\"Seeds\""), text->find("\"Prompt\""));
    EXPECT_FALSE(std::filesystem::exists(dir / "out" / ("data.json.tmp-" + std::to_string(::getpid()))));
}

TEST(Dataset, EmptyJournalGivesEmptyArray) {
    TempDir dir;
    const auto written = writeDatasetFromJournal(dir / "none.jsonl", dir / "d.json", OutputKeys{}, 10);
    ASSERT_EQ(written.error, "");
    EXPECT_EQ(written.rows, 0U);
    EXPECT_EQ(readJsonFile(dir / "d.json").json->size(), 0U);
}

TEST(AtomicWrite, ReplacesWholeFileAndReportsUnwritableFolder) {
    TempDir dir;
    ASSERT_EQ(writeFileAtomically(dir / "a.txt", "one"), "");
    ASSERT_EQ(writeFileAtomically(dir / "a.txt", "two"), "");
    EXPECT_EQ(*readTextFile(dir / "a.txt"), "two");
    const auto error = writeFileAtomically("/proc/no-such/x.txt", "x");
    EXPECT_NE(error.find("/proc/no-such/x.txt"), std::string::npos) << error;
}

} // namespace
} // namespace sds
