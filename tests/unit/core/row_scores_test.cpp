#include "core/RowScores.h"
#include "testsupport/TempDir.h"

#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sstream>
#include <thread>

namespace sds {
namespace {

using ::testing::StartsWith;
using testing::TempDir;

std::string readFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

TEST(RowScores, EvaluationsReadBackSortedByRowWithTheLastResultWinning) {
    TempDir dir;
    const auto file = dir / "evaluations" / "run.jsonl";
    ASSERT_EQ(appendJsonLine(file, toJson(RowEvaluation{2, 4, "good", "Joins"})), "");
    ASSERT_EQ(appendJsonLine(file, toJson(RowEvaluation{0, 1.5, "weak \"quoted\"\nanswer", "Basics"})), "");
    ASSERT_EQ(appendJsonLine(file, toJson(RowEvaluation{2, 5, "re-judged", "Joins"})), "");
    std::string error = "stale";
    const auto evaluations = readEvaluations(file, &error);
    EXPECT_EQ(error, "");
    ASSERT_EQ(evaluations.size(), 2U);
    EXPECT_EQ(evaluations[0].row, 0U);
    EXPECT_DOUBLE_EQ(evaluations[0].score, 1.5);
    EXPECT_EQ(evaluations[0].justification, "weak \"quoted\"\nanswer");
    EXPECT_EQ(evaluations[0].seed, "Basics");
    EXPECT_EQ(evaluations[1].row, 2U);
    EXPECT_DOUBLE_EQ(evaluations[1].score, 5);
    EXPECT_EQ(evaluations[1].justification, "re-judged");
}

TEST(RowScores, AMissingFileHasNoResultsAndNoError) {
    TempDir dir;
    std::string error;
    EXPECT_TRUE(readEvaluations(dir / "none.jsonl", &error).empty());
    EXPECT_EQ(error, "");
    EXPECT_TRUE(readValidations(dir / "none.jsonl", &error).empty());
    EXPECT_EQ(error, "");
}

TEST(RowScores, ATornLastLineIsIgnoredAndCutBeforeTheNextAppend) {
    TempDir dir;
    const auto file = dir / "scores.jsonl";
    ASSERT_EQ(appendJsonLine(file, toJson(RowEvaluation{0, 3, "ok", "s"})), "");
    std::ofstream(file, std::ios::app) << R"({"row":1,"score":4,"justif)";
    std::string error;
    auto evaluations = readEvaluations(file, &error);
    EXPECT_EQ(error, "");
    ASSERT_EQ(evaluations.size(), 1U);

    ASSERT_EQ(appendJsonLine(file, toJson(RowEvaluation{1, 2, "again", "s"})), "");
    evaluations = readEvaluations(file, &error);
    EXPECT_EQ(error, "");
    ASSERT_EQ(evaluations.size(), 2U);
    EXPECT_EQ(evaluations[1].justification, "again");
    const auto text = readFile(file);
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
    EXPECT_EQ(text.find("justif\""), std::string::npos);
}

TEST(RowScores, CutTornLastLineHandlesEdgeCases) {
    TempDir dir;
    EXPECT_EQ(cutTornLastLine(dir / "missing.jsonl"), "");
    const auto onlyTorn = dir.write("a.jsonl", "{\"row\":");
    EXPECT_EQ(cutTornLastLine(onlyTorn), "");
    EXPECT_EQ(readFile(onlyTorn), "");
    const auto complete = dir.write("b.jsonl", "{}\n{}\n");
    EXPECT_EQ(cutTornLastLine(complete), "");
    EXPECT_EQ(readFile(complete), "{}\n{}\n");
    // A torn line longer than one read block.
    const auto longTorn = dir.write("c.jsonl", "{}\n" + std::string(10'000, 'x'));
    EXPECT_EQ(cutTornLastLine(longTorn), "");
    EXPECT_EQ(readFile(longTorn), "{}\n");
}

TEST(RowScores, LinesThatAreNotResultsAreSkippedAndNamed) {
    TempDir dir;
    const auto file = dir.write("scores.jsonl", "{\"row\":0,\"score\":4}\n"
                                                "not json\n"
                                                "\n"
                                                "{\"row\":-1,\"score\":4}\n"
                                                "{\"row\":3,\"score\":\"high\"}\n"
                                                "{\"row\":5,\"score\":2,\"justification\":7}\n");
    std::string error;
    const auto evaluations = readEvaluations(file, &error);
    EXPECT_EQ(error, file.string() + ":2: not an evaluation result (3 lines skipped)");
    ASSERT_EQ(evaluations.size(), 2U);
    EXPECT_EQ(evaluations[1].row, 5U);
    EXPECT_EQ(evaluations[1].justification, ""); // a non-string justification is dropped, not the row
}

TEST(RowScores, ValidationsReadBackWithTheirStatus) {
    TempDir dir;
    const auto file = dir / "validation.jsonl";
    ASSERT_EQ(
        appendJsonLine(file, toJson(RowValidation{1, kValidationFailed, "near \"FROM\": syntax error"})), "");
    ASSERT_EQ(appendJsonLine(file, toJson(RowValidation{0, kValidationPassed, ""})), "");
    ASSERT_EQ(appendJsonLine(file, toJson(RowValidation{2, kValidationNotApplicable, "prose"})), "");
    ASSERT_EQ(appendJsonLine(file, nlohmann::json{{"row", 3}, {"status", "maybe"}}), "");
    ASSERT_EQ(appendJsonLine(file, toJson(RowValidation{1, kValidationUnjudged, "timed out"})), "");
    std::string error;
    const auto validations = readValidations(file, &error);
    EXPECT_EQ(error, file.string() + ":4: not a validation result (1 line skipped)");
    ASSERT_EQ(validations.size(), 3U);
    EXPECT_EQ(validations[0].status, "passed");
    EXPECT_EQ(validations[1].status, "unjudged");
    EXPECT_EQ(validations[1].message, "timed out");
    EXPECT_EQ(validations[2].status, "not_applicable");
}

TEST(RowScores, ConcurrentAppendsStayWholeLines) {
    TempDir dir;
    const auto file = dir / "scores.jsonl";
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (std::size_t i = 0; i < 100; ++i)
                EXPECT_EQ(
                    appendJsonLine(file, toJson(RowEvaluation{t * 100 + i, 3, std::string(500, 'j'), "s"})),
                    "");
        });
    }
    for (auto& thread : threads)
        thread.join();
    std::string error;
    EXPECT_EQ(readEvaluations(file, &error).size(), 400U);
    EXPECT_EQ(error, "");
}

TEST(RowScores, SummaryIsComputedPerSeedInFirstSeenOrder) {
    const std::vector<RowEvaluation> evaluations = {
        {0, 4, "", "A"}, {1, 2, "", "B"}, {2, 5, "", "A"}, {3, 3.5, "", "B"}, {4, 1, "", "C"},
    };
    const auto summary = summarize(evaluations);
    EXPECT_DOUBLE_EQ(summary.overall.mean, 3.1); // 15.5 / 5
    EXPECT_DOUBLE_EQ(summary.overall.min, 1);
    EXPECT_DOUBLE_EQ(summary.overall.max, 5);
    EXPECT_EQ(summary.overall.count, 5U);
    ASSERT_EQ(summary.perSeed.size(), 3U);
    EXPECT_EQ(summary.perSeed[0].first, "A");
    EXPECT_DOUBLE_EQ(summary.perSeed[0].second.mean, 4.5);
    EXPECT_DOUBLE_EQ(summary.perSeed[0].second.min, 4);
    EXPECT_DOUBLE_EQ(summary.perSeed[0].second.max, 5);
    EXPECT_EQ(summary.perSeed[0].second.count, 2U);
    EXPECT_EQ(summary.perSeed[1].first, "B");
    EXPECT_DOUBLE_EQ(summary.perSeed[1].second.mean, 2.75);
    EXPECT_DOUBLE_EQ(summary.perSeed[1].second.min, 2);
    EXPECT_DOUBLE_EQ(summary.perSeed[1].second.max, 3.5);
    EXPECT_EQ(summary.perSeed[2].first, "C");
    EXPECT_EQ(summary.perSeed[2].second.count, 1U);
    // 3.5 rounds to 4.
    EXPECT_EQ(summary.histogram, (std::map<int, std::size_t>{{1, 1}, {2, 1}, {4, 2}, {5, 1}}));

    EXPECT_EQ(
        toJson(summary).dump(),
        R"({"histogram":[{"rows":1,"score":1},{"rows":1,"score":2},{"rows":2,"score":4},{"rows":1,"score":5}],)"
        R"("overall":{"count":5,"max":5.0,"mean":3.1,"min":1.0},)"
        R"("per_seed":[{"count":2,"max":5.0,"mean":4.5,"min":4.0,"seed":"A"},)"
        R"({"count":2,"max":3.5,"mean":2.75,"min":2.0,"seed":"B"},)"
        R"({"count":1,"max":1.0,"mean":1.0,"min":1.0,"seed":"C"}]})");
}

TEST(RowScores, AnEmptySummaryIsZero) {
    const auto summary = summarize({});
    EXPECT_EQ(summary.overall.count, 0U);
    EXPECT_DOUBLE_EQ(summary.overall.mean, 0);
    EXPECT_TRUE(summary.perSeed.empty());
    EXPECT_TRUE(summary.histogram.empty());
    EXPECT_EQ(toJson(summary)["per_seed"].size(), 0U);
}

TEST(RowScores, SummaryOfResultsReadFromAFile) {
    TempDir dir;
    const auto file = dir / "scores.jsonl";
    ASSERT_EQ(appendJsonLine(file, toJson(RowEvaluation{0, 2, "", "Joins"})), "");
    ASSERT_EQ(appendJsonLine(file, toJson(RowEvaluation{1, 4, "", "Joins"})), "");
    ASSERT_EQ(appendJsonLine(file, toJson(RowEvaluation{0, 3, "", "Joins"})), ""); // replaces row 0
    const auto summary = summarize(readEvaluations(file));
    EXPECT_DOUBLE_EQ(summary.overall.mean, 3.5);
    EXPECT_EQ(summary.overall.count, 2U);
}

TEST(RowScores, ReadAppendedJsonLinesCountsRefusedAndTornLines) {
    TempDir dir;
    const auto file = dir.write("lines.jsonl", "{\"a\":1}\n{\"b\":2}\r\n[1]\n{\"a\":");
    std::size_t seen = 0;
    const auto result = readAppendedJsonLines(file, [&](const nlohmann::json& line) {
        ++seen;
        return line.is_object();
    });
    EXPECT_EQ(seen, 3U);
    EXPECT_EQ(result.lines, 2U);
    EXPECT_EQ(result.corruptLines, 1U);
    EXPECT_EQ(result.firstCorruptLine, 3U);
    EXPECT_EQ(result.tornBytes, 5U);
    EXPECT_EQ(result.error, "");
}

} // namespace
} // namespace sds
