#include "core/export/DatasetExport.h"
#include "testsupport/TempDir.h"

#include <cmath>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace sds::exporting {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::TempDir;
using Json = nlohmann::ordered_json;

std::string readFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

// Every line of a JSON Lines file, each required to be valid JSON.
std::vector<Json> readJsonLines(const std::filesystem::path& path) {
    std::vector<Json> lines;
    std::istringstream in(readFile(path));
    std::string line;
    while (std::getline(in, line)) {
        const auto json = Json::parse(line, nullptr, false);
        EXPECT_FALSE(json.is_discarded()) << path << ": not JSON: " << line;
        lines.push_back(json);
    }
    return lines;
}

// A small RFC 4180 reader for the round trip.
std::vector<std::vector<std::string>> parseCsv(const std::string& text) {
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
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            record.push_back(std::move(field));
            field.clear();
            records.push_back(std::move(record));
            record.clear();
            ++i;
        } else {
            field += c;
        }
    }
    EXPECT_TRUE(field.empty() && record.empty()) << "the CSV does not end with CRLF";
    return records;
}

std::vector<std::string> filesIn(const std::filesystem::path& folder) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(folder))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::filesystem::path writeRows(const TempDir& dir, std::size_t count,
                                const std::string& name = "data.json") {
    Json rows = Json::array();
    for (std::size_t i = 0; i < count; ++i)
        rows.push_back({{"Seeds", "seed " + std::to_string(i % 3)},
                        {"Prompt", "question " + std::to_string(i)},
                        {"Completion", "answer " + std::to_string(i)}});
    return dir.write(name, rows.dump(2));
}

ExportRequest requestFor(const std::filesystem::path& dataset, ExportFormat format,
                         const std::filesystem::path& output) {
    ExportRequest request;
    request.dataset = dataset;
    request.format = format;
    request.output = output;
    return request;
}

const char* const kMixedRows = R"json([
  {"Seeds": "Joins", "Prompt": "How do I join?", "Completion": "SELECT 1;"},
  {"Seeds": "Joins", "Prompt": "No answer"},
  {"Seeds": "Aggregations", "Prompt": "Count, \"quoted\"\nrows", "Completion": {"sql": "SELECT COUNT(*)"}},
  "not an object"
])json";

TEST(DatasetExport, FormatNamesAndExtensions) {
    for (const auto format : {ExportFormat::OpenAiChat, ExportFormat::HuggingFace, ExportFormat::Csv,
                              ExportFormat::Alpaca, ExportFormat::BedrockConversation})
        EXPECT_EQ(exportFormatFromString(toString(format)), format);
    EXPECT_EQ(toString(ExportFormat::BedrockConversation), "bedrock");
    EXPECT_EQ(exportFormatFromString("hf"), ExportFormat::HuggingFace);
    EXPECT_FALSE(exportFormatFromString("xml").has_value());
    EXPECT_EQ(fileExtension(ExportFormat::Csv), ".csv");
    EXPECT_EQ(fileExtension(ExportFormat::OpenAiChat), ".jsonl");
    EXPECT_EQ(fileExtension(ExportFormat::BedrockConversation), ".jsonl");
}

TEST(DatasetExport, OpenAiChatHasSystemUserAssistantInOrder) {
    TempDir dir;
    auto request =
        requestFor(dir.write("data.json", kMixedRows), ExportFormat::OpenAiChat, dir / "out.jsonl");
    request.systemPrompt = "You write SQL.";
    const auto result = exportDataset(request);
    ASSERT_EQ(result.error, "");
    EXPECT_EQ(result.rowsRead, 4U);
    EXPECT_EQ(result.rowsSkipped, 2U);
    EXPECT_EQ(result.rowsDropped, 0U);
    ASSERT_EQ(result.files.size(), 1U);
    EXPECT_EQ(result.files[0].path, dir / "out.jsonl");
    EXPECT_EQ(result.files[0].part, "all");
    EXPECT_EQ(result.files[0].rows, 2U);

    const auto lines = readJsonLines(dir / "out.jsonl");
    ASSERT_EQ(lines.size(), 2U);
    for (const auto& line : lines) {
        ASSERT_EQ(line.size(), 1U);
        const auto& messages = line.at("messages");
        ASSERT_EQ(messages.size(), 3U);
        EXPECT_EQ(messages[0]["role"], "system");
        EXPECT_EQ(messages[0]["content"], "You write SQL.");
        EXPECT_EQ(messages[1]["role"], "user");
        EXPECT_EQ(messages[2]["role"], "assistant");
    }
    EXPECT_EQ(lines[0]["messages"][1]["content"], "How do I join?");
    EXPECT_EQ(lines[0]["messages"][2]["content"], "SELECT 1;");
    EXPECT_EQ(lines[1]["messages"][1]["content"], "Count, \"quoted\"\nrows");
    EXPECT_EQ(lines[1]["messages"][2]["content"],
              R"json({"sql":"SELECT COUNT(*)"})json"); // non-strings as JSON
    EXPECT_EQ(filesIn(dir.path()), (std::vector<std::string>{"data.json", "out.jsonl"}));
}

TEST(DatasetExport, OpenAiChatWithoutSystemPromptAndWithOtherKeys) {
    TempDir dir;
    const auto dataset =
        dir.write("docs.json", R"([{"Generated_From": "chunk", "question": "Q\u00e9", "answer": "A"}])");
    auto request = requestFor(dataset, ExportFormat::OpenAiChat, dir / "out.jsonl");
    request.promptKey = "question";
    request.completionKey = "answer";
    ASSERT_EQ(exportDataset(request).error, "");
    const auto raw = readFile(dir / "out.jsonl");
    EXPECT_EQ(raw, "{\"messages\":[{\"role\":\"user\",\"content\":\"Q\xC3\xA9\"},"
                   "{\"role\":\"assistant\",\"content\":\"A\"}]}\n");
}

TEST(DatasetExport, HuggingFaceKeepsEachRowsColumnsUnchanged) {
    TempDir dir;
    const auto dataset = dir.write("data.json", R"([
      {"Seeds": "s", "Prompt": "p", "Completion": "c", "score": 4.5},
      {"input": "curation row", "Prompt": "model output", "nested": {"b": [1, 2], "a": null}},
      7
    ])");
    const auto result = exportDataset(requestFor(dataset, ExportFormat::HuggingFace, dir / "hf.jsonl"));
    ASSERT_EQ(result.error, "");
    EXPECT_EQ(result.rowsSkipped, 1U); // the number is not a row
    EXPECT_EQ(
        readFile(dir / "hf.jsonl"),
        "{\"Seeds\":\"s\",\"Prompt\":\"p\",\"Completion\":\"c\",\"score\":4.5}\n"
        "{\"input\":\"curation row\",\"Prompt\":\"model output\",\"nested\":{\"b\":[1,2],\"a\":null}}\n");
}

TEST(DatasetExport, CsvRoundTripsCommasQuotesAndNewlines) {
    TempDir dir;
    const auto dataset = dir.write("data.json", R"([
      {"Seeds": "Joins", "Prompt": "a, b", "Completion": "say \"hi\""},
      {"Seeds": "Multi\nline", "Prompt": "line1\r\nline2", "Completion": "plain", "extra": 3},
      {"Prompt": "caf\u00e9 \u2615", "Completion": "", "Seeds": null}
    ])");
    const auto result = exportDataset(requestFor(dataset, ExportFormat::Csv, dir / "out.csv"));
    ASSERT_EQ(result.error, "");
    EXPECT_EQ(result.files[0].rows, 3U);
    const auto text = readFile(dir / "out.csv");
    EXPECT_THAT(text, StartsWith("Seeds,Prompt,Completion,extra\r\nJoins,\"a, b\",\"say \"\"hi\"\"\",\r\n"));
    const auto records = parseCsv(text);
    ASSERT_EQ(records.size(), 4U);
    EXPECT_THAT(records[0], ElementsAre("Seeds", "Prompt", "Completion", "extra"));
    EXPECT_THAT(records[1], ElementsAre("Joins", "a, b", "say \"hi\"", ""));
    EXPECT_THAT(records[2], ElementsAre("Multi\nline", "line1\r\nline2", "plain", "3"));
    EXPECT_THAT(records[3], ElementsAre("", "caf\xC3\xA9 \xE2\x98\x95", "", ""));
}

TEST(DatasetExport, CsvFieldQuotingFollowsRfc4180) {
    EXPECT_EQ(csvField("plain text"), "plain text");
    EXPECT_EQ(csvField("a,b"), "\"a,b\"");
    EXPECT_EQ(csvField("say \"x\""), "\"say \"\"x\"\"\"");
    EXPECT_EQ(csvField("two\nlines"), "\"two\nlines\"");
    EXPECT_EQ(csvField("cr\r"), "\"cr\r\"");
    EXPECT_EQ(csvField(""), "");
}

TEST(DatasetExport, AlpacaHasInstructionInputOutput) {
    TempDir dir;
    const auto result =
        exportDataset(requestFor(dir.write("data.json", kMixedRows), ExportFormat::Alpaca, dir / "a.jsonl"));
    ASSERT_EQ(result.error, "");
    EXPECT_EQ(result.rowsSkipped, 2U);
    const auto lines = readJsonLines(dir / "a.jsonl");
    ASSERT_EQ(lines.size(), 2U);
    EXPECT_EQ(lines[0].dump(), R"({"instruction":"How do I join?","input":"","output":"SELECT 1;"})");
    EXPECT_EQ(lines[1]["output"], R"json({"sql":"SELECT COUNT(*)"})json");
}

TEST(DatasetExport, BedrockConversationFollowsTheSchema) {
    TempDir dir;
    const auto dataset = dir.write("data.json", kMixedRows);
    auto request = requestFor(dataset, ExportFormat::BedrockConversation, dir / "b.jsonl");
    auto result = exportDataset(request);
    ASSERT_EQ(result.error, "");
    auto lines = readJsonLines(dir / "b.jsonl");
    ASSERT_EQ(lines.size(), 2U);
    for (const auto& line : lines) {
        EXPECT_EQ(line["schemaVersion"], "bedrock-conversation-2024");
        EXPECT_FALSE(line.contains("system"));
        ASSERT_EQ(line["messages"].size(), 2U);
        EXPECT_EQ(line["messages"][0]["role"], "user");
        EXPECT_EQ(line["messages"][1]["role"], "assistant");
    }
    EXPECT_EQ(lines[0].dump(), R"({"schemaVersion":"bedrock-conversation-2024","messages":[)"
                               R"({"role":"user","content":[{"text":"How do I join?"}]},)"
                               R"({"role":"assistant","content":[{"text":"SELECT 1;"}]}]})");

    request.systemPrompt = "Be brief.";
    result = exportDataset(request);
    ASSERT_EQ(result.error, "");
    lines = readJsonLines(dir / "b.jsonl");
    ASSERT_EQ(lines.size(), 2U);
    EXPECT_EQ(lines[1]["system"].dump(), R"([{"text":"Be brief."}])");
    EXPECT_EQ(lines[1]["messages"][0]["content"][0]["text"], "Count, \"quoted\"\nrows");
}

std::set<std::string> userPrompts(const std::filesystem::path& file) {
    std::set<std::string> prompts;
    for (const auto& line : readJsonLines(file))
        prompts.insert(line["messages"][0]["content"].get<std::string>());
    return prompts;
}

TEST(DatasetExport, SplitsNinetyTenDeterministically) {
    TempDir dir;
    const auto dataset = writeRows(dir, 100);
    auto request = requestFor(dataset, ExportFormat::OpenAiChat, dir / "out" / "ft.jsonl");
    request.trainFraction = 0.9;
    const auto result = exportDataset(request);
    ASSERT_EQ(result.error, "");
    ASSERT_EQ(result.files.size(), 2U);
    EXPECT_EQ(result.files[0].path, dir / "out" / "ft_train.jsonl");
    EXPECT_EQ(result.files[0].part, "train");
    EXPECT_EQ(result.files[0].rows, 90U);
    EXPECT_EQ(result.files[1].path, dir / "out" / "ft_validation.jsonl");
    EXPECT_EQ(result.files[1].part, "validation");
    EXPECT_EQ(result.files[1].rows, 10U);
    EXPECT_EQ(filesIn(dir / "out"), (std::vector<std::string>{"ft_train.jsonl", "ft_validation.jsonl"}));

    const auto train = userPrompts(result.files[0].path);
    const auto validation = userPrompts(result.files[1].path);
    EXPECT_EQ(train.size(), 90U);
    EXPECT_EQ(validation.size(), 10U);
    std::set<std::string> all = train;
    all.insert(validation.begin(), validation.end());
    EXPECT_EQ(all.size(), 100U); // disjoint and complete

    const auto trainText = readFile(result.files[0].path);
    const auto validationText = readFile(result.files[1].path);
    ASSERT_EQ(exportDataset(request).error, "");
    EXPECT_EQ(readFile(result.files[0].path), trainText);
    EXPECT_EQ(readFile(result.files[1].path), validationText);

    request.randomSeed = 7;
    ASSERT_EQ(exportDataset(request).error, "");
    EXPECT_NE(userPrompts(result.files[1].path), validation);
}

TEST(DatasetExport, SplitKeepsAtLeastOneRowInEachPart) {
    TempDir dir;
    auto request = requestFor(writeRows(dir, 2), ExportFormat::Csv, dir / "small");
    request.trainFraction = 0.99;
    const auto result = exportDataset(request);
    ASSERT_EQ(result.error, "");
    ASSERT_EQ(result.files.size(), 2U);
    EXPECT_EQ(result.files[0].path, dir / "small_train.csv");
    EXPECT_EQ(result.files[0].rows, 1U);
    EXPECT_EQ(result.files[1].rows, 1U);
    EXPECT_EQ(parseCsv(readFile(result.files[1].path)).size(), 2U); // header + one row
}

TEST(DatasetExport, FilterByRowIndex) {
    TempDir dir;
    auto request = requestFor(writeRows(dir, 100), ExportFormat::Alpaca, dir / "even.jsonl");
    request.keep = [](std::size_t row) {
        return row % 2 == 0;
    };
    auto result = exportDataset(request);
    ASSERT_EQ(result.error, "");
    EXPECT_EQ(result.rowsRead, 100U);
    EXPECT_EQ(result.rowsDropped, 50U);
    EXPECT_EQ(result.files[0].rows, 50U);
    const auto lines = readJsonLines(dir / "even.jsonl");
    ASSERT_EQ(lines.size(), 50U);
    EXPECT_EQ(lines[0]["instruction"], "question 0");
    EXPECT_EQ(lines[1]["instruction"], "question 2");
    EXPECT_EQ(lines[49]["instruction"], "question 98");

    request.trainFraction = 0.9;
    result = exportDataset(request);
    ASSERT_EQ(result.error, "");
    EXPECT_EQ(result.files[0].rows, 45U);
    EXPECT_EQ(result.files[1].rows, 5U);
}

TEST(DatasetExport, ReadsJsonLinesDatasetsToo) {
    TempDir dir;
    const auto dataset = dir.write("rows.jsonl", "{\"Prompt\": \"p1\", \"Completion\": \"c1\"}\n\n"
                                                 "{\"Prompt\": \"p2\", \"Completion\": \"c2\"}\n");
    const auto result = exportDataset(requestFor(dataset, ExportFormat::Alpaca, dir / "a.jsonl"));
    ASSERT_EQ(result.error, "");
    EXPECT_EQ(result.files[0].rows, 2U);
}

TEST(DatasetExport, ValidateNamesTheField) {
    TempDir dir;
    const auto dataset = writeRows(dir, 3);
    auto request = requestFor(dataset, ExportFormat::OpenAiChat, dir / "out.jsonl");
    EXPECT_EQ(validate(request), "");

    auto bad = request;
    bad.dataset.clear();
    EXPECT_THAT(validate(bad), StartsWith("dataset: "));
    bad.dataset = dir / "missing.json";
    EXPECT_EQ(validate(bad), "dataset: " + (dir / "missing.json").string() + ": no such file");
    bad = request;
    bad.output.clear();
    EXPECT_THAT(validate(bad), StartsWith("output: "));
    bad.output = dir.path();
    EXPECT_THAT(validate(bad), StartsWith("output: "));
    bad = request;
    bad.output = dataset;
    EXPECT_THAT(validate(bad), StartsWith("output: " + dataset.string() + " is the dataset itself"));
    bad.output = dir / "." / "data.json";
    EXPECT_THAT(validate(bad), HasSubstr("is the dataset itself"));
    bad = request;
    bad.promptKey.clear();
    EXPECT_THAT(validate(bad), StartsWith("promptKey: "));
    bad.format = ExportFormat::HuggingFace; // needs no keys
    EXPECT_EQ(validate(bad), "");
    bad = request;
    bad.completionKey.clear();
    EXPECT_THAT(validate(bad), StartsWith("completionKey: "));
    for (const double fraction : {0.0, 1.0, -0.5, 1.5, std::nan("")}) {
        bad = request;
        bad.trainFraction = fraction;
        EXPECT_THAT(validate(bad), StartsWith("trainFraction: ")) << fraction;
    }
    bad = request;
    bad.trainFraction = 1.5;
    EXPECT_THAT(validate(bad), HasSubstr("got 1.5"));
    bad.trainFraction = 0.5;
    EXPECT_EQ(validate(bad), "");
}

TEST(DatasetExport, RefusesToOverwriteTheDataset) {
    TempDir dir;
    const auto dataset = writeRows(dir, 3);
    const auto before = readFile(dataset);
    auto request = requestFor(dataset, ExportFormat::HuggingFace, dataset);
    EXPECT_THAT(exportDataset(request).error, HasSubstr("is the dataset itself"));
    // A split whose train file would be the dataset.
    auto split = requestFor(dir.write("x_train.json", before), ExportFormat::Csv, dir / "x.json");
    split.trainFraction = 0.5;
    EXPECT_THAT(exportDataset(split).error, HasSubstr("is the dataset itself"));
    EXPECT_EQ(readFile(dataset), before);
}

TEST(DatasetExport, MalformedDatasetLeavesNoFiles) {
    TempDir dir;
    const auto dataset =
        dir.write("data.json", "[\n  {\"Prompt\": \"p\", \"Completion\": \"c\"}\n  {\"Prompt\": 1}\n]");
    auto request = requestFor(dataset, ExportFormat::OpenAiChat, dir / "out.jsonl");
    request.trainFraction = 0.5;
    const auto result = exportDataset(request);
    EXPECT_EQ(result.error, dataset.string() + ":3:3: expected ',' or ']' after an element");
    EXPECT_TRUE(result.files.empty());
    EXPECT_EQ(filesIn(dir.path()), std::vector<std::string>{"data.json"});
}

TEST(DatasetExport, NoExportableRowsIsAnErrorAndLeavesNoFiles) {
    TempDir dir;
    const auto dataset = dir.write("data.json", R"([{"Prompt": "p"}, {"Completion": "c"}])");
    const auto result =
        exportDataset(requestFor(dataset, ExportFormat::BedrockConversation, dir / "b.jsonl"));
    EXPECT_EQ(result.error,
              dataset.string() +
                  ": no rows to export (2 read, 0 left out by the filter, 2 not objects or without "
                  "\"Prompt\" or \"Completion\")");
    EXPECT_EQ(result.rowsSkipped, 2U);
    EXPECT_EQ(filesIn(dir.path()), std::vector<std::string>{"data.json"});
}

TEST(DatasetExport, ReplacesAnEarlierExportWithoutLeavingTemporaryFiles) {
    TempDir dir;
    const auto dataset = writeRows(dir, 5);
    dir.write("out.jsonl", "old content\n");
    const auto result = exportDataset(requestFor(dataset, ExportFormat::HuggingFace, dir / "out.jsonl"));
    ASSERT_EQ(result.error, "");
    EXPECT_EQ(readJsonLines(dir / "out.jsonl").size(), 5U);
    EXPECT_EQ(filesIn(dir.path()), (std::vector<std::string>{"data.json", "out.jsonl"}));
}

} // namespace
} // namespace sds::exporting
