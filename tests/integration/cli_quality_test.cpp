// End to end through the `sds` binary: what happens to a run after generation. Its SQL is validated
// (the stand-in writes a column that is not in the schema into every fourth case), a judge model scores
// its rows, a filtered copy keeps the good ones, and exports write fine-tuning files.

#include "CliProcess.h"
#include "core/JsonFile.h"
#include "standin/StandinServer.h"
#include "testsupport/TempDir.h"

#include <cmath>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <set>
#include <sstream>

namespace sds::testing {
namespace {

using standin::StandinServer;

constexpr std::size_t kRows = 40;

std::string slurp(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

std::vector<nlohmann::json> jsonLines(const std::filesystem::path& file) {
    std::vector<nlohmann::json> result;
    std::istringstream in(slurp(file));
    std::string line;
    while (std::getline(in, line)) {
        auto json = nlohmann::json::parse(line, nullptr, false);
        EXPECT_FALSE(json.is_discarded()) << file << ": not JSON: " << line;
        result.push_back(std::move(json));
    }
    return result;
}

// The records of an RFC 4180 CSV file (quoted fields may hold commas, quotes and line breaks).
std::vector<std::vector<std::string>> csvRecords(const std::string& text) {
    std::vector<std::vector<std::string>> records;
    std::vector<std::string> record;
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            record.push_back(std::move(field));
            field.clear();
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')
                ++i;
            record.push_back(std::move(field));
            field.clear();
            records.push_back(std::move(record));
            record.clear();
        } else {
            field += c;
        }
    }
    if (!field.empty() || !record.empty()) {
        record.push_back(std::move(field));
        records.push_back(std::move(record));
    }
    return records;
}

// The stand-in's questions start "Case N:"; every fourth case's query names the column "salry".
int caseNumber(const nlohmann::json& row) {
    const std::string prompt = row.value("Prompt", std::string());
    if (prompt.rfind("Case ", 0) != 0)
        return -1;
    return std::stoi(prompt.substr(5));
}

class CliQualityTest : public ::testing::Test {
protected:
    void SetUp() override { m_server.start(); }

    std::map<std::string, std::string> env() const {
        return {{"SDS_PROJECT_DIR", m_project.path().string()},
                {"SDS_CACHE_DIR", (m_project / "cache").string()}};
    }
    std::vector<std::string> provider() const {
        return {"--provider", "openai", "--endpoint", m_server.baseUrl() + "/v1", "--model", "standin-model"};
    }
    ProcessResult sds(std::vector<std::string> arguments, bool withProvider = false) const {
        if (withProvider)
            for (auto& argument : provider())
                arguments.push_back(std::move(argument));
        return CliProcess::run(std::move(arguments), env());
    }
    nlohmann::json runs() const {
        const auto result = sds({"runs", "--json"});
        EXPECT_EQ(result.exitCode, 0) << result.err;
        return nlohmann::json::parse(result.out, nullptr, false);
    }
    nlohmann::json run(const std::string& id) const {
        for (const auto& record : runs())
            if (record["id"] == id)
                return record;
        ADD_FAILURE() << "no run " << id;
        return nlohmann::json::object();
    }
    nlohmann::json show(const std::string& id) const {
        const auto result = sds({"show", id});
        EXPECT_EQ(result.exitCode, 0) << result.err;
        return nlohmann::json::parse(result.out, nullptr, false);
    }
    // Generates a text_to_sql run of kRows rows; its id, or empty.
    std::string generateSql(std::vector<std::string> extra = {}) {
        std::vector<std::string> arguments = {"generate", "--template", "text_to_sql", "--size",
                                              std::to_string(kRows)};
        arguments.insert(arguments.end(), extra.begin(), extra.end());
        const auto before = runs().size();
        m_lastGenerate = sds(arguments, true);
        EXPECT_EQ(m_lastGenerate.exitCode, 0) << m_lastGenerate.err;
        const auto list = runs();
        if (m_lastGenerate.exitCode != 0 || list.size() != before + 1)
            return {};
        for (const auto& record : list)
            if (m_lastGenerate.out.find(record["id"].get<std::string>()) != std::string::npos)
                return record["id"].get<std::string>();
        return {};
    }
    std::filesystem::path datasetOf(const std::string& id) const {
        return run(id).value("output_path", std::string());
    }
    std::filesystem::path runDirOf(const std::string& id) const {
        return run(id).value("run_dir", std::string());
    }
    static nlohmann::json readRows(const std::filesystem::path& file) {
        const auto json = readJsonFile(file);
        EXPECT_TRUE(json.ok()) << json.error;
        return json.ok() ? *json.json : nlohmann::json::array();
    }
    // Row index -> score, from the evaluation summary beside the dataset.
    static std::map<std::size_t, double> summaryScores(const std::filesystem::path& dataset,
                                                       nlohmann::json* summary = nullptr) {
        const auto file = dataset.parent_path() / (dataset.stem().string() + ".evaluation.json");
        const auto json = readJsonFile(file);
        EXPECT_TRUE(json.ok()) << json.error;
        std::map<std::size_t, double> scores;
        if (!json.ok())
            return scores;
        if (summary)
            *summary = *json.json;
        for (const auto& row : (*json.json)["rows"])
            scores[row["row"].get<std::size_t>()] = row["score"].get<double>();
        return scores;
    }

    TempDir m_project;
    StandinServer m_server;
    ProcessResult m_lastGenerate;
};

TEST_F(CliQualityTest, GeneratedSqlIsValidatedAndTheCountsAgree) {
    const std::string id = generateSql();
    ASSERT_FALSE(id.empty());
    const auto rows = readRows(datasetOf(id));
    ASSERT_EQ(rows.size(), kRows);
    std::size_t wrong = 0;
    for (const auto& row : rows) {
        const int number = caseNumber(row);
        ASSERT_GT(number, 0) << row.dump();
        const std::string answer = row["Completion"].get<std::string>();
        EXPECT_NE(answer.find("```sql"), std::string::npos) << answer;
        EXPECT_EQ(answer.find("salry") != std::string::npos, number % 4 == 0) << answer;
        wrong += number % 4 == 0 ? 1 : 0;
    }
    ASSERT_GT(wrong, 0U);
    const std::string counts =
        std::to_string(kRows - wrong) + " passed, " + std::to_string(wrong) + " failed";
    EXPECT_NE(m_lastGenerate.out.find("checked:  " + counts), std::string::npos) << m_lastGenerate.out;
    EXPECT_NE(m_lastGenerate.out.find("no such column: salry"), std::string::npos) << m_lastGenerate.out;

    const auto validate = sds({"validate", id});
    ASSERT_EQ(validate.exitCode, 0) << validate.err;
    EXPECT_NE(validate.out.find(counts), std::string::npos) << validate.out;
    EXPECT_NE(validate.out.find("no such column: salry"), std::string::npos) << validate.out;

    const auto record = show(id);
    ASSERT_TRUE(record.contains("validation")) << record.dump(2);
    const auto& v = record["validation"];
    EXPECT_EQ(v.value("passed", 0) + v.value("failed", 0) + v.value("unjudged", 0) +
                  v.value("not_applicable", 0),
              static_cast<int>(kRows))
        << v.dump();
    EXPECT_EQ(v.value("failed", 0), static_cast<int>(wrong));

    // The per-row results fail exactly the rows with the misspelt column.
    const auto results =
        jsonLines(std::filesystem::path(record["run_dir"].get<std::string>()) / "validation.jsonl");
    ASSERT_EQ(results.size(), kRows);
    for (const auto& result : results) {
        const auto row = result["row"].get<std::size_t>();
        ASSERT_LT(row, kRows);
        EXPECT_EQ(result["status"] == "failed", caseNumber(rows[row]) % 4 == 0) << result.dump();
    }
}

TEST_F(CliQualityTest, EvaluationScoresEveryRowOnceAndRecordsTheMean) {
    const std::string id = generateSql();
    ASSERT_FALSE(id.empty());
    const auto dataset = datasetOf(id);
    const auto requestsBefore = m_server.stats().chatRequests;
    const auto evaluate = sds({"evaluate", id}, true);
    ASSERT_EQ(evaluate.exitCode, 0) << evaluate.err;
    EXPECT_EQ(m_server.stats().chatRequests - requestsBefore, kRows) << "one judge request per row";

    nlohmann::json summary;
    const auto scores = summaryScores(dataset, &summary);
    ASSERT_EQ(scores.size(), kRows);
    double sum = 0;
    for (const auto& [row, score] : scores) {
        EXPECT_LT(row, kRows);
        EXPECT_GE(score, 1.0);
        EXPECT_LE(score, 5.0);
        sum += score;
    }
    const double mean = sum / static_cast<double>(kRows);
    EXPECT_NEAR(summary["summary"]["overall"]["mean"].get<double>(), mean, 1e-9);
    EXPECT_EQ(summary["summary"]["overall"]["count"], kRows);
    const auto record = run(id);
    ASSERT_TRUE(record["score"].is_number()) << record.dump(2);
    EXPECT_NEAR(record["score"].get<double>(), mean, 1e-9);
    char printed[32];
    std::snprintf(printed, sizeof printed, "mean %.2f", mean);
    EXPECT_NE(evaluate.out.find(printed), std::string::npos) << evaluate.out;

    const auto requestsAfterFirst = m_server.stats().chatRequests;
    const auto again = sds({"evaluate", id}, true);
    ASSERT_EQ(again.exitCode, 0) << again.err;
    EXPECT_EQ(m_server.stats().chatRequests, requestsAfterFirst) << "every row was scored already";
    EXPECT_EQ(summaryScores(dataset), scores);
    EXPECT_NEAR(run(id)["score"].get<double>(), mean, 1e-9);
}

TEST_F(CliQualityTest, TheJudgesInstructionsComeFromTheTemplateOrTheCommandLine) {
    const std::string id = generateSql();
    ASSERT_FALSE(id.empty());
    m_server.resetStats();
    ASSERT_EQ(sds({"evaluate", id}, true).exitCode, 0);
    auto requests = m_server.recordedRequests();
    ASSERT_EQ(requests.size(), kRows);
    for (const auto& request : requests) {
        EXPECT_NE(request.body.find("Score this question and SQL answer from 1 to 5"), std::string::npos)
            << "the text_to_sql template's rubric";
        EXPECT_NE(request.body.find("customers has no order_date column"), std::string::npos)
            << "with its scored examples";
    }

    // A second judge with other instructions scores the same run again from scratch.
    const auto summaryFile =
        datasetOf(id).parent_path() / (datasetOf(id).stem().string() + ".evaluation.json");
    std::filesystem::remove(runDirOf(id) / "evaluation.jsonl");
    std::filesystem::remove(summaryFile);
    const auto rubric =
        m_project.write("rubric.txt", "Give 5 only to queries that name every column. MARKER-7");
    m_server.resetStats();
    const auto custom = sds({"evaluate", id, "--rubric-prompt-file", rubric.string()}, true);
    ASSERT_EQ(custom.exitCode, 0) << custom.err;
    requests = m_server.recordedRequests();
    ASSERT_EQ(requests.size(), kRows);
    for (const auto& request : requests) {
        EXPECT_NE(request.body.find("MARKER-7"), std::string::npos);
        EXPECT_EQ(request.body.find("Score this question and SQL answer"), std::string::npos);
    }
    expectBadInput(sds({"evaluate", id, "--rubric-prompt-file", (m_project / "missing.txt").string()}, true),
                   {"missing.txt"});
}

TEST_F(CliQualityTest, FilterWritesACopyWithTheKeptRowsAndLeavesTheDatasetAlone) {
    const std::string id = generateSql();
    ASSERT_FALSE(id.empty());
    const auto dataset = datasetOf(id);
    const std::string bytesBefore = slurp(dataset);
    const auto rows = readRows(dataset);
    ASSERT_EQ(rows.size(), kRows);

    expectBadInput(sds({"filter", id, "--min-score", "3"}), {"sds evaluate " + id});
    ASSERT_EQ(sds({"evaluate", id}, true).exitCode, 0);
    const auto scores = summaryScores(dataset);
    ASSERT_EQ(scores.size(), kRows);

    const auto byScore = sds({"filter", id, "--min-score", "3"});
    ASSERT_EQ(byScore.exitCode, 0) << byScore.err;
    const auto filtered = dataset.parent_path() / (dataset.stem().string() + "_filtered.json");
    EXPECT_NE(byScore.out.find(filtered.string()), std::string::npos) << byScore.out;
    nlohmann::json expected = nlohmann::json::array();
    for (std::size_t i = 0; i < rows.size(); ++i)
        if (scores.at(i) >= 3)
            expected.push_back(rows[i]);
    ASSERT_GT(expected.size(), 0U);
    ASSERT_LT(expected.size(), kRows) << "the stand-in's scores vary over rows";
    EXPECT_EQ(readRows(filtered), expected);
    EXPECT_NE(byScore.out.find("Kept " + std::to_string(expected.size()) + " rows, dropped " +
                               std::to_string(kRows - expected.size())),
              std::string::npos)
        << byScore.out;

    const auto validOutput = m_project / "valid.json";
    const auto validOnly = sds({"filter", id, "--valid-only", "--output", validOutput.string()});
    ASSERT_EQ(validOnly.exitCode, 0) << validOnly.err;
    nlohmann::json valid = nlohmann::json::array();
    for (const auto& row : rows)
        if (caseNumber(row) % 4 != 0)
            valid.push_back(row);
    EXPECT_EQ(readRows(validOutput), valid);

    const auto bothOutput = m_project / "both.json";
    ASSERT_EQ(
        sds({"filter", id, "--valid-only", "--min-score", "3", "--output", bothOutput.string()}).exitCode, 0);
    nlohmann::json both = nlohmann::json::array();
    for (std::size_t i = 0; i < rows.size(); ++i)
        if (caseNumber(rows[i]) % 4 != 0 && scores.at(i) >= 3)
            both.push_back(rows[i]);
    EXPECT_EQ(readRows(bothOutput), both);

    EXPECT_EQ(slurp(dataset), bytesBefore) << "the dataset itself is never changed";
    expectBadInput(sds({"filter", id}), {"--min-score", "--valid-only"});
    expectBadInput(sds({"filter", id, "--valid-only", "--output", dataset.string()}), {dataset.string()});
    EXPECT_EQ(slurp(dataset), bytesBefore);
}

TEST_F(CliQualityTest, ExportsWriteEachFormatAndAreListedWithTheRun) {
    const std::string id = generateSql();
    ASSERT_FALSE(id.empty());
    const auto rows = readRows(datasetOf(id));
    ASSERT_EQ(rows.size(), kRows);
    std::set<std::string> prompts;
    for (const auto& row : rows)
        prompts.insert(row["Prompt"].get<std::string>());

    const auto openai = sds({"export", id, "--format", "openai", "--output", (m_project / "X.jsonl").string(),
                             "--split", "0.9", "--system", "You write SQL."});
    ASSERT_EQ(openai.exitCode, 0) << openai.err;
    const auto train = jsonLines(m_project / "X_train.jsonl");
    const auto validation = jsonLines(m_project / "X_validation.jsonl");
    EXPECT_EQ(train.size(), 36U);
    EXPECT_EQ(validation.size(), 4U);
    std::set<std::string> exported;
    for (const auto* part : {&train, &validation})
        for (const auto& line : *part) {
            ASSERT_TRUE(line.contains("messages") && line["messages"].is_array()) << line.dump();
            const auto& messages = line["messages"];
            ASSERT_EQ(messages.size(), 3U) << line.dump();
            EXPECT_EQ(messages[0]["role"], "system");
            EXPECT_EQ(messages[0]["content"], "You write SQL.");
            EXPECT_EQ(messages[1]["role"], "user");
            EXPECT_EQ(messages[2]["role"], "assistant");
            EXPECT_NE(messages[2]["content"].get<std::string>().find("```sql"), std::string::npos);
            exported.insert(messages[1]["content"].get<std::string>());
        }
    EXPECT_EQ(exported, prompts) << "train and validation together hold every row once";

    ASSERT_EQ(
        sds({"export", id, "--format", "openai", "--output", (m_project / "plain.jsonl").string()}).exitCode,
        0);
    const auto plain = jsonLines(m_project / "plain.jsonl");
    ASSERT_EQ(plain.size(), kRows);
    for (const auto& line : plain) {
        ASSERT_EQ(line["messages"].size(), 2U) << "no system message without --system: " << line.dump();
        EXPECT_EQ(line["messages"][0]["role"], "user");
        EXPECT_EQ(line["messages"][1]["role"], "assistant");
    }

    const auto bedrock =
        sds({"export", id, "--format", "bedrock", "--output", (m_project / "bedrock.jsonl").string()});
    ASSERT_EQ(bedrock.exitCode, 0) << bedrock.err;
    const auto conversations = jsonLines(m_project / "bedrock.jsonl");
    ASSERT_EQ(conversations.size(), kRows);
    for (const auto& line : conversations) {
        EXPECT_EQ(line["schemaVersion"], "bedrock-conversation-2024");
        const auto& messages = line["messages"];
        ASSERT_EQ(messages.size(), 2U) << line.dump();
        EXPECT_EQ(messages[0]["role"], "user");
        EXPECT_EQ(messages[1]["role"], "assistant");
        for (const auto& message : messages) {
            ASSERT_TRUE(message["content"].is_array() && message["content"].size() == 1U) << line.dump();
            EXPECT_TRUE(message["content"][0]["text"].is_string()) << line.dump();
        }
        EXPECT_TRUE(prompts.count(messages[0]["content"][0]["text"].get<std::string>()));
    }

    ASSERT_EQ(sds({"export", id, "--format", "csv", "--output", (m_project / "rows.csv").string()}).exitCode,
              0);
    const auto records = csvRecords(slurp(m_project / "rows.csv"));
    ASSERT_EQ(records.size(), kRows + 1);
    EXPECT_EQ(records[0], (std::vector<std::string>{"Seeds", "Prompt", "Completion"}));
    for (std::size_t i = 1; i < records.size(); ++i) {
        ASSERT_EQ(records[i].size(), 3U);
        EXPECT_EQ(records[i][1], rows[i - 1]["Prompt"]);
        EXPECT_EQ(records[i][2], rows[i - 1]["Completion"]) << "line breaks and quotes survive";
    }

    ASSERT_EQ(
        sds({"export", id, "--format", "alpaca", "--output", (m_project / "alpaca.jsonl").string()}).exitCode,
        0);
    const auto alpaca = jsonLines(m_project / "alpaca.jsonl");
    ASSERT_EQ(alpaca.size(), kRows);
    for (std::size_t i = 0; i < alpaca.size(); ++i) {
        EXPECT_EQ(alpaca[i]["instruction"], rows[i]["Prompt"]);
        EXPECT_EQ(alpaca[i]["input"], "");
        EXPECT_EQ(alpaca[i]["output"], rows[i]["Completion"]);
    }

    const auto listed = show(id)["exports"];
    std::map<std::string, std::pair<std::string, int>> byPath;
    for (const auto& e : listed)
        byPath[std::filesystem::path(e["path"].get<std::string>()).filename().string()] = {
            e["format"].get<std::string>(), e["rows"].get<int>()};
    const std::map<std::string, std::pair<std::string, int>> expectedExports = {
        {"X_train.jsonl", {"openai", 36}}, {"X_validation.jsonl", {"openai", 4}},
        {"plain.jsonl", {"openai", 40}},   {"bedrock.jsonl", {"bedrock", 40}},
        {"rows.csv", {"csv", 40}},         {"alpaca.jsonl", {"alpaca", 40}}};
    EXPECT_EQ(byPath, expectedExports) << listed.dump(2);

    expectBadInput(sds({"export", id, "--format", "parquet", "--output", (m_project / "p.jsonl").string()}),
                   {"parquet", "--format"});
    EXPECT_FALSE(std::filesystem::exists(m_project / "p.jsonl"));
    expectBadInput(sds({"export", id, "--format", "openai", "--output", (m_project / "s.jsonl").string(),
                        "--split", "1.5"}),
                   {"1.5"});
    EXPECT_EQ(show(id)["exports"].size(), listed.size()) << "failed exports are not listed";
}

TEST_F(CliQualityTest, ExportBySelectionNeedsAnEvaluationOfThatRun) {
    const std::string evaluated = generateSql();
    const std::string other = generateSql();
    ASSERT_FALSE(evaluated.empty());
    ASSERT_FALSE(other.empty());
    ASSERT_NE(evaluated, other);
    ASSERT_EQ(sds({"evaluate", evaluated}, true).exitCode, 0);

    const auto output = m_project / "good.jsonl";
    expectBadInput(
        sds({"export", other, "--format", "openai", "--output", output.string(), "--min-score", "3"}),
        {"sds evaluate " + other});
    EXPECT_FALSE(std::filesystem::exists(output));

    const auto scores = summaryScores(datasetOf(evaluated));
    std::size_t good = 0;
    for (const auto& [row, score] : scores)
        good += score >= 3 ? 1 : 0;
    const auto exported =
        sds({"export", evaluated, "--format", "openai", "--output", output.string(), "--min-score", "3"});
    ASSERT_EQ(exported.exitCode, 0) << exported.err;
    EXPECT_EQ(jsonLines(output).size(), good);
}

TEST_F(CliQualityTest, SimilarityThresholdOneTurnsTheCheckOffAndAboveOneIsRefused) {
    for (const std::vector<std::string>& extra :
         {std::vector<std::string>{}, std::vector<std::string>{"--similarity-threshold", "1"}}) {
        std::vector<std::string> arguments = {"generate", "--size", "30",   "--seed",
                                              "Graphs",   "--seed", "Trees"};
        arguments.insert(arguments.end(), extra.begin(), extra.end());
        const auto result = sds(arguments, true);
        ASSERT_EQ(result.exitCode, 0) << result.err;
        EXPECT_NE(result.out.find("rows:     30 of 30"), std::string::npos) << result.out;
        EXPECT_NE(result.out.find("near-duplicates rejected 0"), std::string::npos)
            << "the stand-in's questions are distinct: " << result.out;
    }
    const auto saved = runs();
    ASSERT_EQ(saved.size(), 2U);
    std::set<double> thresholds;
    for (const auto& record : saved) {
        const auto job =
            readJsonFile(std::filesystem::path(record["run_dir"].get<std::string>()) / "job.json");
        ASSERT_TRUE(job.ok()) << job.error;
        thresholds.insert((*job.json).value("similarity_threshold", -1.0));
    }
    EXPECT_EQ(thresholds, (std::set<double>{0.7, 1.0})) << "the default and the flag are saved with the job";
    const auto runsBefore = runs().size();

    expectBadInput(sds({"generate", "--size", "5", "--similarity-threshold", "1.5"}, true),
                   {"similarity_threshold"});
    const auto job = m_project.write("job.json", R"({"size": 5, "similarity_threshold": 1.5})");
    expectBadInput(sds({"generate", "--config", job.string()}, true), {"similarity_threshold"});
    expectBadInput(sds({"generate", "--size", "5", "--similarity-threshold", "0"}, true),
                   {"similarity_threshold"});
    EXPECT_EQ(runs().size(), runsBefore) << "no run for a refused job";
}

TEST_F(CliQualityTest, DegenerateRowsAreAskedAgainAndCountedInTheSummaryAndTheMetadata) {
    standin::StandinOptions degenerate;
    degenerate.rateDegenerate = 0.4;
    degenerate.seed = 9;
    m_server.setOptions(degenerate);
    // One request at a time: which seed meets the stand-in's degenerate rows then follows from its seed,
    // not from the order in which 16 requests in flight happen to arrive.
    const auto result =
        sds({"generate", "--size", "40", "--seed", "Graphs", "--seed", "Trees", "--concurrency", "1"}, true);
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_NE(result.out.find("rows:     40 of 40"), std::string::npos) << result.out;
    const auto injected = static_cast<int>(m_server.stats().faults.degenerate);
    ASSERT_GT(injected, 0);
    EXPECT_NE(result.out.find("low-quality rows rejected " + std::to_string(injected) + " ("),
              std::string::npos)
        << "every degenerate item the stand-in wrote is counted: " << result.out;
    EXPECT_NE(result.out.find("looping"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("low-quality rows rejected for \"Graphs\""), std::string::npos) << result.out;

    const auto list = runs();
    ASSERT_EQ(list.size(), 1U);
    const std::filesystem::path runDir = list[0]["run_dir"].get<std::string>();
    const auto metadata = readJsonFile(runDir / "metadata.json");
    ASSERT_TRUE(metadata.ok()) << metadata.error;
    const auto& counts = (*metadata.json)["counts"];
    EXPECT_EQ(counts["low_quality_rejected"], injected);
    const auto& byReason = counts["low_quality_rejected_by_reason"];
    EXPECT_EQ(byReason["looping"].get<int>() + byReason["repetition"].get<int>(), injected)
        << byReason.dump();
    int perSeed = 0;
    for (const auto& seed : (*metadata.json)["seeds"]) {
        perSeed += seed["low_quality_rejected"].get<int>();
        EXPECT_TRUE(seed["low_quality_rejected_by_reason"].is_object()) << seed.dump();
    }
    EXPECT_EQ(perSeed, injected);

    const auto rows = readRows(list[0]["output_path"].get<std::string>());
    ASSERT_EQ(rows.size(), 40U);
    for (const auto& row : rows) {
        EXPECT_EQ(row["Prompt"].get<std::string>().find("}}],"), std::string::npos) << row.dump();
        EXPECT_EQ(row["Completion"].get<std::string>().find("is_valid_answer()"), std::string::npos)
            << row.dump();
    }
}

TEST_F(CliQualityTest, UnknownRunsAndRunsWithoutAValidatorAreOneError) {
    for (const auto& command : {std::vector<std::string>{"validate", "no-such-run"},
                                std::vector<std::string>{"filter", "no-such-run", "--valid-only"},
                                std::vector<std::string>{"export", "no-such-run", "--format", "csv",
                                                         "--output", (m_project / "x.csv").string()},
                                std::vector<std::string>{"show", "no-such-run"}})
        expectBadInput(sds(command), {"no run with id no-such-run"});
    expectBadInput(sds({"evaluate", "no-such-run"}, true), {"no run with id no-such-run"});

    const auto custom = sds({"generate", "--template", "custom", "--size", "5", "--seed", "Haiku", "--prompt",
                             "Write a question and an answer."},
                            true);
    ASSERT_EQ(custom.exitCode, 0) << custom.err;
    const std::string id = runs()[0]["id"].get<std::string>();
    expectBadInput(sds({"validate", id}), {"no validator"});
    expectBadInput(sds({"filter", id, "--valid-only"}), {"no validator"});
}

} // namespace
} // namespace sds::testing
