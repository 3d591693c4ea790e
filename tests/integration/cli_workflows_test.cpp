// End to end through the `sds` binary: the documents workflow (questions grounded in PDF/DOCX excerpts),
// custom data curation (a JSON array or JSON Lines file, one model call per element, resumable), and the
// prompt and seed suggestions, all against the in-process stand-in provider service.

#include "CliProcess.h"
#include "core/Journal.h"
#include "core/JsonFile.h"
#include "standin/StandinServer.h"
#include "testsupport/TempDir.h"

#include <algorithm>
#include <csignal>
#include <gtest/gtest.h>
#include <set>
#include <sstream>
#include <thread>

namespace sds::testing {
namespace {

using standin::StandinOptions;
using standin::StandinServer;

const std::filesystem::path kDocuments = std::filesystem::path(SDS_TEST_DATA_DIR) / "documents";

std::string document(const std::string& name) {
    return (kDocuments / name).string();
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> result;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        if (!line.empty())
            result.push_back(line);
    return result;
}

class CliWorkflowTest : public ::testing::Test {
protected:
    std::map<std::string, std::string> env() const {
        return {{"SDS_PROJECT_DIR", m_project.path().string()},
                {"SDS_CACHE_DIR", (m_project / "cache").string()}};
    }
    std::vector<std::string> provider(const StandinServer& server) const {
        return {"--provider", "openai", "--endpoint", server.baseUrl() + "/v1", "--model", "standin-model"};
    }
    ProcessResult sds(std::vector<std::string> arguments, const StandinServer* server = nullptr) const {
        if (server)
            for (auto& argument : provider(*server))
                arguments.push_back(std::move(argument));
        return CliProcess::run(std::move(arguments), env());
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
        return nlohmann::json::parse(result.out, nullptr, false);
    }
    // The only dataset, with the keys of each row in the file's order.
    nlohmann::ordered_json onlyDataset() const {
        const auto files = datasets();
        EXPECT_EQ(files.size(), 1U);
        if (files.size() != 1)
            return nlohmann::ordered_json::array();
        const auto text = readTextFile(files[0]);
        EXPECT_TRUE(text);
        return nlohmann::ordered_json::parse(text.value_or("[]"));
    }
    // What `sds preview FILE --max-chars 0` prints as the file's text.
    std::string previewText(const std::string& file) const {
        const auto result = sds({"preview", file, "--max-chars", "0"});
        EXPECT_EQ(result.exitCode, 0) << result.err;
        const auto firstLineEnd = result.out.find('\n');
        EXPECT_EQ(result.out.rfind("== " + file + ":", 0), 0U) << result.out;
        std::string text = firstLineEnd == std::string::npos ? "" : result.out.substr(firstLineEnd + 1);
        if (!text.empty() && text.back() == '\n')
            text.pop_back();
        return text;
    }

    TempDir m_project;
};

// ---------------------------------------------------------------- documents

TEST_F(CliWorkflowTest, DocumentsGroundQuestionsInExcerptsOfEveryFile) {
    StandinServer server;
    server.start();
    const std::string pdf = document("two_pages.pdf");
    const std::string docx = document("paragraphs_list_table.docx");
    const std::string pdfText = previewText(pdf);
    const std::string docxText = previewText(docx);
    ASSERT_NE(pdfText.find("Revenue grew by ten percent"), std::string::npos) << pdfText;
    ASSERT_NE(docxText.find("Closing paragraph."), std::string::npos) << docxText;

    const auto result = sds({"generate", "--input", pdf, "--input", docx, "--size", "12"}, &server);
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_NE(result.err.find("2 documents"), std::string::npos) << result.err;
    const auto rows = onlyDataset();
    ASSERT_EQ(rows.size(), 12U);
    std::set<std::string> origins;
    for (const auto& row : rows) {
        ASSERT_TRUE(row.contains("Generated_From")) << row.dump();
        EXPECT_FALSE(row.contains("Seeds")) << row.dump();
        EXPECT_FALSE(row.value("Prompt", "").empty()) << row.dump();
        EXPECT_FALSE(row.value("Completion", "").empty()) << row.dump();
        const auto origin = row["Generated_From"].get<std::string>();
        ASSERT_FALSE(origin.empty());
        EXPECT_TRUE(pdfText.find(origin) != std::string::npos || docxText.find(origin) != std::string::npos)
            << "not an excerpt of either file: " << origin;
        origins.insert(pdfText.find(origin) != std::string::npos ? pdf : docx);
    }
    EXPECT_EQ(origins.size(), 2U) << "both documents give rows";

    bool pdfSent = false;
    bool docxSent = false;
    for (const auto& request : server.recordedRequests()) {
        pdfSent = pdfSent || request.body.find("Revenue grew by ten percent") != std::string::npos;
        docxSent = docxSent || request.body.find("Closing paragraph.") != std::string::npos;
    }
    EXPECT_TRUE(pdfSent) << "the PDF's excerpt goes into a prompt";
    EXPECT_TRUE(docxSent) << "the DOCX's excerpt goes into a prompt";

    const auto list = runs();
    ASSERT_EQ(list.size(), 1U);
    EXPECT_EQ(list[0]["status"], "completed");
    EXPECT_EQ(list[0]["completed_rows"], 12);
}

TEST_F(CliWorkflowTest, ABrokenDocumentIsAWarningWhenAnotherHasText) {
    StandinServer server;
    server.start();
    const std::string pdf = document("two_pages.pdf");
    const std::string pdfText = previewText(pdf);
    const auto result =
        sds({"generate", "--input", document("broken_zip.docx"), "--input", pdf, "--size", "6"}, &server);
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_TRUE(result.errorLines().empty()) << result.err;
    bool warned = false;
    for (const auto& line : result.errLines())
        warned = warned ||
                 (line.rfind("sds: warning: ", 0) == 0 && line.find("broken_zip.docx") != std::string::npos);
    EXPECT_TRUE(warned) << result.err;
    const auto rows = onlyDataset();
    ASSERT_EQ(rows.size(), 6U);
    for (const auto& row : rows)
        EXPECT_NE(pdfText.find(row.value("Generated_From", std::string("?"))), std::string::npos)
            << row.dump();
}

TEST_F(CliWorkflowTest, NoUsableDocumentIsOneErrorNamingEachFileAndNoRun) {
    StandinServer server;
    server.start();
    const auto result = sds({"generate", "--input", document("broken_zip.docx"), "--input",
                             document("scanned.pdf"), "--input", document("encrypted.pdf"), "--size", "6"},
                            &server);
    expectBadInput(result, {"broken_zip.docx", "scanned.pdf", "no text layer", "encrypted.pdf", "encrypted"});
    EXPECT_TRUE(datasets().empty());
    EXPECT_TRUE(runs().empty());
    EXPECT_EQ(server.stats().chatRequests, 0U) << "nothing is sent";
}

TEST_F(CliWorkflowTest, PreviewPrintsTextOrOneErrorNamingTheFile) {
    const auto pdf = sds({"preview", document("two_pages.pdf"), "--max-chars", "0"});
    ASSERT_EQ(pdf.exitCode, 0) << pdf.err;
    for (const char* words : {"Quarterly report", "Revenue grew by ten percent in the third quarter.",
                              "The caf\u00e9 opened a second site.", "Costs stayed flat."})
        EXPECT_NE(pdf.out.find(words), std::string::npos) << words << " in " << pdf.out;
    EXPECT_LT(pdf.out.find("Quarterly report"), pdf.out.find("Costs stayed flat.")) << "pages in order";

    const auto docx = sds({"preview", document("paragraphs_list_table.docx"), "--max-chars", "0"});
    ASSERT_EQ(docx.exitCode, 0) << docx.err;
    for (const char* words : {"Project notes", "The first paragraph is split into runs.", "Caf\u00e9",
                              "First item", "Second item", "Closing paragraph."})
        EXPECT_NE(docx.out.find(words), std::string::npos) << words << " in " << docx.out;
    EXPECT_EQ(docx.out.find("GONE"), std::string::npos) << "deleted text stays out";
    bool tableRow = false;
    for (const auto& line : lines(docx.out)) {
        const auto one = line.find('1');
        const auto two = line.find('2');
        const auto three = line.find('3');
        tableRow = tableRow || (line.size() < 20 && one != std::string::npos && two != std::string::npos &&
                                three != std::string::npos && one < two && two < three);
    }
    EXPECT_TRUE(tableRow) << "the table's second row is one line: " << docx.out;

    const auto cut = sds({"preview", document("two_pages.pdf"), "--max-chars", "20"});
    ASSERT_EQ(cut.exitCode, 0) << cut.err;
    EXPECT_EQ(cut.out.find("Costs stayed flat."), std::string::npos) << cut.out;

    struct Broken {
        std::string file;
        std::string problem;
    };
    for (const Broken& broken : {Broken{"scanned.pdf", "no text layer"}, Broken{"encrypted.pdf", "encrypted"},
                                 Broken{"broken_zip.docx", "DOCX"}, Broken{"corrupt.pdf", "damaged"}}) {
        const auto result = sds({"preview", document(broken.file)});
        expectBadInput(result, {document(broken.file), broken.problem});
        EXPECT_TRUE(result.out.empty()) << result.out;
    }

    // Latin-1 bytes are not UTF-8: either decoded, or refused in one line that says so.
    const auto latin1 = sds({"preview", document("latin1.txt")});
    if (latin1.exitCode == 0) {
        EXPECT_NE(latin1.out.find("Caf\u00e9 au lait."), std::string::npos) << latin1.out;
    } else {
        expectBadInput(latin1, {document("latin1.txt"), "UTF-8"});
    }

    const auto mixed = sds({"preview", document("two_pages.pdf"), document("scanned.pdf")});
    EXPECT_EQ(mixed.exitCode, 3) << "some files have text, some do not";
    EXPECT_NE(mixed.out.find("Costs stayed flat."), std::string::npos);
    EXPECT_EQ(mixed.errorLines().size(), 1U) << mixed.err;
}

TEST_F(CliWorkflowTest, ADocumentsRunIsJudgedWithOneSummaryLinePerExcerpt) {
    StandinServer server;
    server.start();
    const auto generated = sds({"generate", "--input", document("two_pages.pdf"), "--input",
                                document("paragraphs_list_table.docx"), "--size", "8"},
                               &server);
    ASSERT_EQ(generated.exitCode, 0) << generated.err;
    const std::string id = runs()[0]["id"].get<std::string>();
    const auto evaluate = sds({"evaluate", id}, &server);
    ASSERT_EQ(evaluate.exitCode, 0) << evaluate.err;
    const auto printed = lines(evaluate.out);
    ASSERT_FALSE(printed.empty());
    EXPECT_EQ(printed[0].rfind("Evaluation of run " + id, 0), 0U) << evaluate.out;
    std::size_t perExcerpt = 0;
    for (std::size_t i = 1; i < printed.size(); ++i) {
        EXPECT_EQ(printed[i].rfind("  ", 0), 0U) << "a line of the summary table is cut by the excerpt's "
                                                    "line breaks: \""
                                                 << printed[i] << "\"";
        perExcerpt += printed[i].find(" rows ") != std::string::npos ? 1 : 0;
    }
    EXPECT_EQ(perExcerpt, 2U) << "one line per excerpt: " << evaluate.out;
    EXPECT_EQ(evaluate.out.find("\n\n"), std::string::npos) << "no blank lines: " << evaluate.out;
}

// ---------------------------------------------------------------- curation

TEST_F(CliWorkflowTest, CurationAddsTheOutputToEachElementInOrderAndSaysWhatItSkipped) {
    StandinServer server;
    server.start();
    nlohmann::ordered_json elements = nlohmann::ordered_json::array();
    const std::set<std::size_t> without = {3, 250, 251, 700, 1004};
    for (std::size_t i = 0, id = 0; i < 1005; ++i) {
        if (without.count(i)) {
            elements.push_back({{"note", "no instruction here"}, {"position", i}});
            continue;
        }
        elements.push_back({{"instruction", "Explain item #" + std::to_string(id)}, {"id", id}});
        ++id;
    }
    const auto input = m_project.write("elements.json", elements.dump(1));
    const auto result =
        sds({"generate", "--workflow", "curation", "--input", input.string(), "--input-key", "instruction",
             "--output-key", "response", "--prompt", "Answer the instruction."},
            &server);
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_NE(result.out.find("skipped:  5 elements without the field \"instruction\""), std::string::npos)
        << result.out;
    bool warned = false;
    for (const auto& line : result.errLines())
        warned = warned || (line.rfind("sds: warning: 5 of 1005 elements", 0) == 0 &&
                            line.find("#4, #251, #252, #701, #1005") != std::string::npos);
    EXPECT_TRUE(warned) << "the warning names the skipped elements (1-based): " << result.err;

    const auto rows = onlyDataset();
    ASSERT_EQ(rows.size(), 1000U);
    for (std::size_t id = 0; id < rows.size(); ++id) {
        const auto& row = rows[id];
        ASSERT_TRUE(row.is_object());
        std::vector<std::string> keys;
        for (const auto& [key, value] : row.items())
            keys.push_back(key);
        ASSERT_EQ(keys, (std::vector<std::string>{"instruction", "id", "response"})) << row.dump();
        EXPECT_EQ(row["id"], id) << "input order";
        EXPECT_EQ(row["instruction"], "Explain item #" + std::to_string(id));
        ASSERT_TRUE(row["response"].is_string());
        EXPECT_NE(row["response"].get<std::string>().find("Explain item #" + std::to_string(id)),
                  std::string::npos)
            << "the stand-in echoes the input it was given: " << row.dump();
    }
    EXPECT_EQ(server.stats().chatRequests, 1000U) << "one request per element with the field";
    const auto recorded = server.recordedRequests();
    ASSERT_FALSE(recorded.empty());
    EXPECT_NE(recorded[0].body.find("Answer the instruction."), std::string::npos) << recorded[0].body;

    const auto list = runs();
    ASSERT_EQ(list.size(), 1U);
    EXPECT_EQ(list[0]["workflow"], "curation");
    EXPECT_EQ(list[0]["status"], "completed");
    EXPECT_EQ(list[0]["completed_rows"], 1000);
}

TEST_F(CliWorkflowTest, CurationReadsJsonLinesAndStringElements) {
    StandinServer server;
    server.start();
    const auto jsonl = m_project.write(
        "input.jsonl",
        "{\"q\": \"first\", \"k\": 1}\n\n{\"k\": 2}\n{\"q\": \"third\", \"k\": 3, \"tags\": [\"x\"]}\n"
        "{\"q\": \"fourth\"}\n");
    const auto lineRun = sds({"generate", "--workflow", "curation", "--input", jsonl.string(), "--input-key",
                              "q", "--output-key", "out", "--prompt", "Rewrite it."},
                             &server);
    ASSERT_EQ(lineRun.exitCode, 0) << lineRun.err;
    EXPECT_NE(lineRun.out.find("skipped:  1 element without"), std::string::npos) << lineRun.out;
    auto rows = onlyDataset();
    ASSERT_EQ(rows.size(), 3U);
    EXPECT_EQ(rows[0]["q"], "first");
    EXPECT_EQ(rows[0]["k"], 1);
    EXPECT_EQ(rows[1]["q"], "third");
    EXPECT_EQ(rows[1]["tags"], nlohmann::ordered_json::array({"x"}));
    EXPECT_EQ(rows[2]["q"], "fourth");
    EXPECT_EQ(rows[2].size(), 2U) << rows[2].dump();
    for (const auto& row : rows)
        EXPECT_NE(row.value("out", std::string()).find(row["q"].get<std::string>()), std::string::npos)
            << row.dump();
    for (const auto& file : datasets())
        std::filesystem::remove(file);

    const auto strings = m_project.write("strings.json", R"(["alpha", "beta", "gamma \"quoted\""])");
    const auto stringRun = sds({"generate", "--workflow", "curation", "--input", strings.string(),
                                "--input-key", "text", "--output-key", "answer", "--prompt", "Define it."},
                               &server);
    ASSERT_EQ(stringRun.exitCode, 0) << stringRun.err;
    rows = onlyDataset();
    ASSERT_EQ(rows.size(), 3U);
    const std::vector<std::string> expected = {"alpha", "beta", "gamma \"quoted\""};
    for (std::size_t i = 0; i < rows.size(); ++i) {
        ASSERT_TRUE(rows[i].is_object()) << rows[i].dump();
        EXPECT_EQ(rows[i].size(), 2U) << rows[i].dump();
        EXPECT_EQ(rows[i]["text"], expected[i]);
        EXPECT_TRUE(rows[i].contains("answer") && rows[i]["answer"].is_string()) << rows[i].dump();
        auto it = rows[i].begin();
        EXPECT_EQ(it.key(), "text") << "input key first";
    }
}

TEST_F(CliWorkflowTest, ACurationRunIsJudgedAndExportedByItsKeysButNotValidated) {
    StandinServer server;
    server.start();
    const auto input = m_project.write(
        "mixed.json", R"([{"task": "Say hello", "n": 1}, {"task": {"nested": true}}, "a plain string"])");
    const auto generated = sds({"generate", "--workflow", "curation", "--input", input.string(),
                                "--input-key", "task", "--output-key", "result", "--prompt", "Do the task."},
                               &server);
    ASSERT_EQ(generated.exitCode, 0) << generated.err;
    const auto rows = onlyDataset();
    ASSERT_EQ(rows.size(), 3U);
    EXPECT_EQ(rows[1]["task"], nlohmann::ordered_json({{"nested", true}})) << "a non-string field stays JSON";
    EXPECT_EQ(rows[2]["task"], "a plain string");
    const std::string id = runs()[0]["id"].get<std::string>();

    const auto evaluate = sds({"evaluate", id}, &server);
    ASSERT_EQ(evaluate.exitCode, 0) << evaluate.err;
    EXPECT_TRUE(runs()[0]["score"].is_number()) << runs()[0].dump(2);
    bool instructionShown = false;
    for (const auto& request : server.recordedRequests())
        instructionShown = instructionShown || (request.body.find("Do the task.") != std::string::npos &&
                                                request.body.find("Now judge this one") != std::string::npos);
    EXPECT_TRUE(instructionShown) << "the judge sees the curation instruction";

    const auto output = m_project / "curated.jsonl";
    const auto exported = sds({"export", id, "--format", "openai", "--output", output.string()});
    ASSERT_EQ(exported.exitCode, 0) << exported.err;
    const auto text = readTextFile(output);
    ASSERT_TRUE(text);
    const auto exportedLines = lines(*text);
    ASSERT_EQ(exportedLines.size(), 3U);
    for (std::size_t i = 0; i < exportedLines.size(); ++i) {
        const auto line = nlohmann::json::parse(exportedLines[i]);
        const auto& task = rows[i]["task"];
        EXPECT_EQ(line["messages"][0]["content"], task.is_string() ? task.get<std::string>() : task.dump());
        EXPECT_EQ(line["messages"][1]["content"], rows[i]["result"]);
    }

    // Curation has no validator whatever the template: the message must not claim the template lacks one.
    for (const auto& command :
         {std::vector<std::string>{"validate", id}, std::vector<std::string>{"filter", id, "--valid-only"}}) {
        const auto result = sds(command);
        expectBadInput(result, {"curation"});
        EXPECT_EQ(result.err.find("its template (code_generation) has no validator"), std::string::npos)
            << "code_generation has a validator: " << result.err;
    }
}

TEST_F(CliWorkflowTest, MalformedCurationInputOrNoPromptIsOneErrorAndNoRun) {
    StandinServer server;
    server.start();
    const auto bad = m_project.write("bad.json", "[\n  {\"q\": \"a\"},\n  {\"q\": \"b\",}\n]\n");
    const auto result = sds({"generate", "--workflow", "curation", "--input", bad.string(), "--input-key",
                             "q", "--output-key", "out", "--prompt", "Answer."},
                            &server);
    expectBadInput(result, {bad.string() + ":3:13: "});

    const auto good = m_project.write("good.json", R"([{"q": "a"}])");
    const auto noPrompt = sds({"generate", "--workflow", "curation", "--input", good.string(), "--input-key",
                               "q", "--output-key", "out"},
                              &server);
    expectBadInput(noPrompt, {"--prompt"});

    const auto noField = sds({"generate", "--workflow", "curation", "--input", good.string(), "--input-key",
                              "missing", "--output-key", "out", "--prompt", "Answer."},
                             &server);
    expectBadInput(noField, {"missing", "--input-key"});

    const auto noInput = sds({"generate", "--workflow", "curation", "--prompt", "Answer."}, &server);
    expectBadInput(noInput, {"--input"});

    EXPECT_TRUE(datasets().empty());
    EXPECT_TRUE(runs().empty()) << runs().dump();
    EXPECT_EQ(server.stats().chatRequests, 0U);
}

TEST_F(CliWorkflowTest, ACurationRunWhoseInputChangedIsNotResumed) {
    StandinOptions slow;
    slow.latency = std::chrono::milliseconds(30);
    StandinServer server(slow);
    server.start();
    nlohmann::ordered_json elements = nlohmann::ordered_json::array();
    for (int i = 0; i < 200; ++i)
        elements.push_back({{"Prompt", "Summarize record " + std::to_string(i)}});
    const auto input = m_project.write("records.json", elements.dump());
    std::vector<std::string> arguments = {"generate", "--workflow",   "curation",
                                          "--input",  input.string(), "--concurrency",
                                          "2",        "--prompt",     "Summarize it."};
    for (auto& argument : provider(server))
        arguments.push_back(argument);
    CliProcess first(arguments, env());
    first.start();
    const auto journal = waitForJournalRows(m_project / "runs", 10).journal;
    first.signal(SIGKILL);
    first.wait();
    ASSERT_FALSE(journal.empty());

    elements.erase(elements.begin()); // every element moves up by one
    m_project.write("records.json", elements.dump());
    const std::string runId = journal.parent_path().filename().string();
    const auto before = Journal::read(journal, [](JournalRow&&) {}).rows;
    const auto resumed = CliProcess::run({"generate", "--resume", runId}, env());
    EXPECT_EQ(resumed.exitCode, 2);
    EXPECT_NE(resumed.err.find("records.json changed since the run started (200 elements then, 199 now)"),
              std::string::npos)
        << resumed.err;
    EXPECT_EQ(Journal::read(journal, [](JournalRow&&) {}).rows, before)
        << "the rows already curated are kept";
}

TEST_F(CliWorkflowTest, KilledCurationResumesWithoutAskingForDoneElementsAgain) {
    StandinOptions slow;
    slow.latency = std::chrono::milliseconds(30);
    StandinServer server(slow);
    server.start();
    constexpr std::size_t kElements = 300;
    constexpr int kConcurrency = 4;
    nlohmann::ordered_json elements = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < kElements; ++i)
        elements.push_back({{"Prompt", "Summarize record " + std::to_string(i)}, {"n", i}});
    const auto input = m_project.write("records.json", elements.dump());

    std::vector<std::string> arguments = {"generate",
                                          "--workflow",
                                          "curation",
                                          "--input",
                                          input.string(),
                                          "--concurrency",
                                          std::to_string(kConcurrency),
                                          "--prompt",
                                          "Summarize it."};
    for (auto& argument : provider(server))
        arguments.push_back(argument);
    CliProcess first(arguments, env());
    first.start();
    const auto [journal, rowsBeforeKill] = waitForJournalRows(m_project / "runs", 40);
    first.signal(SIGKILL);
    const auto killed = first.wait();
    EXPECT_EQ(killed.exitCode, 128 + SIGKILL);
    ASSERT_GE(rowsBeforeKill, 40U);
    std::set<int> journaled;
    Journal::read(journal, [&](JournalRow&& row) { journaled.insert(row.seedIndex); });
    ASSERT_LT(journaled.size(), kElements) << "killed before the end";
    const auto requestsBeforeResume = server.stats().chatRequests;
    EXPECT_LE(requestsBeforeResume, journaled.size() + kConcurrency);

    const std::string runId = journal.parent_path().filename().string();
    EXPECT_EQ(runs()[0]["status"], "interrupted") << "no process holds it any more";
    const auto resumed = CliProcess::run({"generate", "--resume", runId}, env());
    ASSERT_EQ(resumed.exitCode, 0) << resumed.err;
    EXPECT_NE(resumed.out.find("from before the resume"), std::string::npos) << resumed.out;

    const auto rows = onlyDataset();
    ASSERT_EQ(rows.size(), kElements);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        EXPECT_EQ(rows[i]["n"], i) << "each element once, in input order";
        EXPECT_EQ(rows[i]["Prompt"], "Summarize record " + std::to_string(i));
        EXPECT_TRUE(rows[i].contains("Completion")) << rows[i].dump();
    }
    const auto total = server.stats().chatRequests;
    EXPECT_GE(total, kElements);
    EXPECT_LE(total, kElements + kConcurrency) << "elements journaled before the kill were asked again";
    std::size_t askedAgain = 0;
    const auto recorded = server.recordedRequests();
    for (std::size_t i = static_cast<std::size_t>(requestsBeforeResume); i < recorded.size(); ++i)
        for (const int element : journaled)
            if (recorded[i].body.find("Summarize record " + std::to_string(element) + "\\n") !=
                std::string::npos)
                ++askedAgain;
    EXPECT_EQ(askedAgain, 0U) << "the resumed session asked for journaled elements";
    EXPECT_EQ(runs()[0]["status"], "completed");
    EXPECT_EQ(runs()[0]["completed_rows"], static_cast<int>(kElements));
}

// ---------------------------------------------------------------- suggestions

TEST_F(CliWorkflowTest, PromptAndSeedSuggestionsPrintWhatTheModelWrote) {
    StandinServer server;
    server.start();
    const std::string useCase = "SQL questions about an HR database for analysts";
    const auto prompt = sds({"prompt", "suggest", "--use-case", useCase}, &server);
    ASSERT_EQ(prompt.exitCode, 0) << prompt.err;
    EXPECT_FALSE(lines(prompt.out).empty()) << "a prompt is printed";
    ASSERT_FALSE(server.recordedRequests().empty());
    EXPECT_NE(server.recordedRequests().back().body.find("HR database"), std::string::npos)
        << "the use case goes to the model";

    const auto promptJson = sds({"prompt", "suggest", "--use-case", useCase, "--json"}, &server);
    ASSERT_EQ(promptJson.exitCode, 0) << promptJson.err;
    const auto parsedPrompt = nlohmann::json::parse(promptJson.out, nullptr, false);
    ASSERT_TRUE(parsedPrompt.is_object()) << promptJson.out;
    ASSERT_TRUE(parsedPrompt.contains("prompt") && parsedPrompt["prompt"].is_string()) << promptJson.out;
    EXPECT_FALSE(parsedPrompt["prompt"].get<std::string>().empty());

    const auto seeds =
        sds({"seeds", "suggest", "--use-case", useCase, "--count", "5", "--seed", "Joins"}, &server);
    ASSERT_EQ(seeds.exitCode, 0) << seeds.err;
    const auto seedLines = lines(seeds.out);
    ASSERT_EQ(seedLines.size(), 5U) << seeds.out;
    for (const auto& seed : seedLines)
        EXPECT_NE(seed, "Joins");
    EXPECT_EQ(std::set<std::string>(seedLines.begin(), seedLines.end()).size(), 5U) << "distinct seeds";

    const auto seedsJson = sds(
        {"seeds", "suggest", "--use-case", useCase, "--count", "5", "--seed", "Joins", "--json"}, &server);
    ASSERT_EQ(seedsJson.exitCode, 0) << seedsJson.err;
    const auto parsedSeeds = nlohmann::json::parse(seedsJson.out, nullptr, false);
    ASSERT_TRUE(parsedSeeds.is_object()) << seedsJson.out;
    ASSERT_TRUE(parsedSeeds.contains("seeds") && parsedSeeds["seeds"].is_array()) << seedsJson.out;
    EXPECT_EQ(parsedSeeds["seeds"].size(), 5U);
    for (const auto& seed : parsedSeeds["seeds"]) {
        ASSERT_TRUE(seed.is_string());
        EXPECT_NE(seed.get<std::string>(), "Joins");
    }

    expectBadInput(sds({"seeds", "suggest", "--count", "5"}, &server), {"--use-case"});
    expectBadInput(sds({"seeds", "suggest", "--use-case", useCase, "--count", "0"}, &server), {"--count"});
    EXPECT_TRUE(runs().empty()) << "suggestions are not runs";
}

} // namespace
} // namespace sds::testing
