#include "core/Job.h"
#include "core/PromptBuilder.h"
#include "core/RunHistory.h"
#include "core/Template.h"
#include "testsupport/TempDir.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

namespace sds {
namespace {

using testing::TempDir;

TEST(JobWorkflowFields, RoundTripAndOriginKey) {
    JobSpec job;
    job.prompt = "Summarise.";
    job.workflow = Workflow::CustomDataCuration;
    job.inputFiles = {"/data/in.jsonl"};
    job.inputKey = "instruction";
    job.outputKeys.completion = "response";
    job.similarityThreshold = 0.8;
    job.validator = "sql";
    const auto back = jobFromJson(toJson(job), "job.json");
    ASSERT_TRUE(back.job) << back.error;
    EXPECT_EQ(*back.job, job);
    EXPECT_EQ(job.originKey(), "Seeds");

    JobSpec documents;
    documents.inputFiles = {"a.pdf"};
    documents.chunkSize = 1500;
    documents.chunkOverlap = 200;
    EXPECT_TRUE(documents.groundedInDocuments());
    EXPECT_EQ(documents.originKey(), "Generated_From");
    const auto again = jobFromJson(toJson(documents), "job.json");
    ASSERT_TRUE(again.job) << again.error;
    EXPECT_EQ(again.job->chunkSize, 1500);
    EXPECT_EQ(again.job->chunkOverlap, 200);
}

TEST(JobWorkflowFields, ValidationNamesEachProblem) {
    JobSpec curation;
    curation.prompt = "Summarise.";
    curation.workflow = Workflow::CustomDataCuration;
    curation.inputKey = "Completion";
    auto problems = validate(curation);
    ASSERT_EQ(problems.size(), 2U);
    EXPECT_NE(problems[0].find("exactly one JSON or JSON Lines file, got 0"), std::string::npos);
    EXPECT_NE(problems[1].find("input_key and the output key must be two different"), std::string::npos);

    JobSpec documents;
    documents.prompt = "Ask.";
    documents.inputFiles = {"a.pdf"};
    documents.chunkSize = 50;
    documents.chunkOverlap = 40;
    documents.similarityThreshold = 1.5;
    problems = validate(documents);
    ASSERT_EQ(problems.size(), 3U) << "no seeds needed with documents";
    EXPECT_NE(problems[0].find("chunk_size must be between 100 and 100000"), std::string::npos);
    EXPECT_NE(problems[1].find("chunk_overlap must be"), std::string::npos);
    EXPECT_NE(problems[2].find("similarity_threshold"), std::string::npos);
}

TEST(PromptBuilder, AGroundedBatchCarriesTheExcerptAndStillNamesTheCount) {
    BatchRequestInput input;
    input.seed = "manual.pdf";
    input.count = 3;
    input.groundingText = "The pump must be primed before the first start.";
    input.userPrompt = "Write maintenance questions.";
    const auto prompt = buildBatchPrompt(input);
    EXPECT_NE(prompt.user.find("Create 3 distinct"), std::string::npos);
    EXPECT_NE(prompt.user.find("\"\"\"\nThe pump must be primed before the first start.\n\"\"\""),
              std::string::npos);
    EXPECT_LT(prompt.user.find("Excerpt:"), prompt.user.find("Write maintenance questions."));
    input.groundingText.clear();
    EXPECT_EQ(buildBatchPrompt(input).user.find("Excerpt:"), std::string::npos);
}

TEST(TemplateRubric, BuiltinTemplatesCarryAValidatorAndAScoredRubric) {
    TemplateRegistry registry;
    registry.loadFolder(SDS_SOURCE_TEMPLATES_DIR);
    ASSERT_TRUE(registry.errors().empty()) << registry.errors().front();
    const Template* sql = registry.find("text_to_sql");
    ASSERT_NE(sql, nullptr);
    EXPECT_EQ(sql->validator, "sql");
    EXPECT_EQ(sql->evaluation.minScore, 1);
    EXPECT_EQ(sql->evaluation.maxScore, 5);
    EXPECT_GE(sql->evaluation.examples.size(), 2U);
    EXPECT_EQ(registry.find("code_generation")->validator, "code");
    EXPECT_EQ(registry.find("custom")->validator, "");
    EXPECT_FALSE(registry.find("custom")->evaluation.prompt.empty());
    const auto back = templateFromJson(templateToJson(*sql), "text_to_sql", "round trip");
    ASSERT_TRUE(back.value) << back.error;
    EXPECT_EQ(back.value->evaluation, sql->evaluation);
}

TEST(TemplateRubric, ARubricWithAnOffScaleExampleOrABadValidatorIsRefusedByName) {
    auto parsed =
        templateFromJson(nlohmann::json::parse(R"({"name": "T", "evaluation": {"scale": {"min": 1, "max": 10},
        "examples": [{"question": "q", "solution": "s", "score": 11, "justification": "j"}]}})"),
                         "t", "t.json");
    EXPECT_FALSE(parsed.value);
    EXPECT_NE(parsed.error.find("t.json: \"evaluation.examples\"[0].score 11 is outside the scale 1–10"),
              std::string::npos)
        << parsed.error;
    parsed = templateFromJson(nlohmann::json::parse(R"({"name": "T", "validator": "rust"})"), "t", "t.json");
    EXPECT_FALSE(parsed.value);
    EXPECT_NE(parsed.error.find("\"validator\" must be"), std::string::npos) << parsed.error;
    parsed = templateFromJson(
        nlohmann::json::parse(R"({"name": "T", "evaluation": {"scale": {"min": 0, "max": 10}}})"), "t",
        "t.json");
    ASSERT_TRUE(parsed.value) << parsed.error;
    EXPECT_EQ(parsed.value->evaluation.maxScore, 10);
    EXPECT_FALSE(parsed.value->evaluation.prompt.empty()) << "the default rubric's prompt stays";
}

TEST(RunHistoryV2, AVersionOneDatabaseIsMigratedKeepingItsRuns) {
    TempDir dir;
    const auto file = dir / "h.sqlite";
    {
        sqlite3* raw = nullptr;
        ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
        const char* v1 =
            "CREATE TABLE runs (id TEXT PRIMARY KEY, display_name TEXT NOT NULL, template TEXT NOT NULL, "
            "workflow "
            "TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL, parameters TEXT NOT NULL DEFAULT "
            "'{}', "
            "requested_size INTEGER NOT NULL, completed_rows INTEGER NOT NULL DEFAULT 0, status TEXT NOT "
            "NULL, "
            "output_path TEXT NOT NULL DEFAULT '', run_dir TEXT NOT NULL DEFAULT '', created_at INTEGER NOT "
            "NULL, "
            "finished_at INTEGER, input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL "
            "DEFAULT 0, "
            "score REAL, error TEXT NOT NULL DEFAULT '');"
            "CREATE INDEX runs_created ON runs(created_at);"
            "INSERT INTO runs (id, display_name, template, workflow, provider, model, requested_size, "
            "status, "
            "created_at) VALUES ('old', 'Old run', 'custom', 'sft', 'local', 'm', 5, 'completed', 1);"
            "PRAGMA user_version=1;";
        ASSERT_EQ(sqlite3_exec(raw, v1, nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(raw);
    }
    RunHistory history;
    ASSERT_EQ(history.open(file), "");
    EXPECT_EQ(history.schemaVersion(), RunHistory::kSchemaVersion);
    const auto old = history.find("old");
    ASSERT_TRUE(old);
    EXPECT_EQ(old->displayName, "Old run");
    EXPECT_EQ(old->validationJson, "");

    ASSERT_EQ(history.setValidation("old", R"({"passed":4,"failed":1})"), "");
    ASSERT_EQ(history.setEvaluation("old", 3.5, R"({"rows_scored":5})"), "");
    ASSERT_EQ(history.addExport({"old", "/x/train.jsonl", "openai", "train", 4, 10}), "");
    ASSERT_EQ(history.addExport({"old", "/x/validation.jsonl", "openai", "validation", 1, 10}), "");
    const auto updated = history.find("old");
    EXPECT_EQ(*updated->score, 3.5);
    EXPECT_EQ(updated->validationJson, R"({"passed":4,"failed":1})");
    EXPECT_EQ(updated->evaluationJson, R"({"rows_scored":5})");
    const auto exports = history.exports("old");
    ASSERT_EQ(exports.size(), 2U);
    EXPECT_EQ(exports[1].part, "validation");
    EXPECT_EQ(exports[1].rows, 1);
    EXPECT_NE(history.setValidation("missing", "{}"), "");
    ASSERT_EQ(history.remove("old"), "");
    EXPECT_TRUE(history.exports("old").empty()) << "a removed run's exports go with it";
}

} // namespace
} // namespace sds
