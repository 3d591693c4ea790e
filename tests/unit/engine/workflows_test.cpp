#include "core/JsonFile.h"
#include "core/RowScores.h"
#include "core/quality/RougeL.h"
#include "engine/CurationRun.h"
#include "engine/Evaluation.h"
#include "engine/GenerationRun.h"
#include "engine/RequestPool.h"
#include "engine/Suggestions.h"
#include "testsupport/EngineRuns.h"
#include "testsupport/ScriptedProvider.h"
#include "testsupport/TempDir.h"

#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <regex>
#include <set>

namespace sds::engine {
namespace {

using providers::ChatRequest;
using providers::ChatResponse;
using providers::ChatResult;
using testing::ScriptedProvider;
using testing::TempDir;

using testing::journalRows;
using testing::structured;

RunOptions fastOptions() {
    return testing::fastRunOptions(11);
}

JobSpec sftJob(int size, int rowsPerRequest = 2, int concurrency = 4) {
    JobSpec job;
    job.prompt = "Write questions.";
    job.seeds = {"unused seed"};
    job.size = size;
    job.rowsPerRequest = rowsPerRequest;
    job.concurrency = concurrency;
    job.provider.model = "scripted-model";
    return job;
}

TEST(DocumentGrounding, EveryRowRecordsItsExcerptAndTheExcerptReachesTheModel) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    auto provider = std::make_shared<ScriptedProvider>();
    const std::vector<GroundingChunk> chunks = {
        {"guide.pdf", "Lighthouses use Fresnel lenses to focus their beams over long distances."},
        {"guide.pdf", "A keeper trimmed the wick and wound the clockwork every four hours."},
        {"notes.docx", "Automation removed the last keepers from most lighthouses by 1990."}};
    auto job = sftJob(7);
    job.inputFiles = {"guide.pdf", "notes.docx"};
    GenerationRun run(job, provider, journal, fastOptions());
    run.groundIn(chunks);
    const auto outcome = run.run(CancellationToken{});
    ASSERT_EQ(outcome.status, RunStatus::Completed) << outcome.error;

    std::map<std::string, int> perChunk;
    for (const auto& row : journalRows(dir / "journal.jsonl"))
        ++perChunk[row.seed];
    ASSERT_EQ(perChunk.size(), 3U);
    EXPECT_EQ(perChunk[chunks[0].text] + perChunk[chunks[1].text] + perChunk[chunks[2].text], 7);
    for (const auto& chunk : chunks)
        EXPECT_GE(perChunk[chunk.text], 2) << "7 rows spread over 3 excerpts: 2 or 3 each";
    for (const auto& request : provider->requests()) {
        const std::string& user = request.messages.back().content;
        const bool carriesAnExcerpt = std::any_of(chunks.begin(), chunks.end(), [&](const GroundingChunk& c) {
            return user.find(c.text) != std::string::npos;
        });
        EXPECT_TRUE(carriesAnExcerpt) << user;
        EXPECT_EQ(user.find("unused seed"), std::string::npos) << "seeds are not used with documents";
    }
    ASSERT_EQ(outcome.seeds.size(), 3U);
    EXPECT_EQ(outcome.seeds[2].seed, "notes.docx");
}

TEST(DocumentGrounding, MoreExcerptsThanRowsAreSampledEvenly) {
    EXPECT_EQ(spreadEvenly(3, 9), (std::vector<int>{0, 0, 1, 0, 0, 1, 0, 0, 1}));
    EXPECT_EQ(spreadEvenly(7, 3), (std::vector<int>{2, 2, 3}));
    EXPECT_EQ(spreadEvenly(0, 2), (std::vector<int>{0, 0}));

    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    auto provider = std::make_shared<ScriptedProvider>();
    std::vector<GroundingChunk> chunks;
    for (int i = 0; i < 10; ++i)
        chunks.push_back({"book.txt", "Chapter " + std::to_string(i) + " tells its own story."});
    GenerationRun run(sftJob(4), provider, journal, fastOptions());
    run.groundIn(chunks);
    const auto outcome = run.run(CancellationToken{});
    ASSERT_EQ(outcome.status, RunStatus::Completed) << outcome.error;
    std::set<std::string> used;
    for (const auto& row : journalRows(dir / "journal.jsonl"))
        used.insert(row.seed);
    EXPECT_EQ(used.size(), 4U) << "one row from each of 4 evenly spaced excerpts";
    EXPECT_TRUE(used.count(chunks[9].text)) << "the last excerpt is not starved";
}

TEST(NearDuplicates, CloseQuestionsAreRejectedCountedPerSeedAndReplaced) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    // Every other answer rewords the first question a little: ROUGE-L F1 well above 0.7.
    auto provider = std::make_shared<ScriptedProvider>(
        [](int call, const ChatRequest& request) -> std::optional<ChatResult> {
            if (call % 2 == 0 || call < 2)
                return std::nullopt;
            const std::string topic = ScriptedProvider::requestedTopic(request);
            nlohmann::json items = nlohmann::json::array();
            for (int i = 0; i < ScriptedProvider::requestedCount(request); ++i)
                items.push_back({{"question", "How do you merge two sorted lists of numbers in " + topic +
                                                  " code " + std::to_string(i) + "?"},
                                 {"solution", "Walk both lists."}});
            return structured({{"items", items}});
        });
    auto job = sftJob(12, 2, 1);
    job.seeds = {"Python", "Rust"};
    GenerationRun run(job, provider, journal, fastOptions());
    const auto outcome = run.run(CancellationToken{});
    ASSERT_EQ(outcome.status, RunStatus::Completed) << outcome.error;
    EXPECT_EQ(outcome.progress.rowsDone, 12);
    EXPECT_GT(outcome.progress.nearDuplicates, 0);
    int perSeedTotal = 0;
    for (const auto& seed : outcome.seeds)
        perSeedTotal += seed.nearDuplicates;
    EXPECT_EQ(perSeedTotal, outcome.progress.nearDuplicates);
    const auto rows = journalRows(dir / "journal.jsonl");
    int merges = 0;
    for (const auto& row : rows)
        merges += row.question.find("merge two sorted lists") != std::string::npos ? 1 : 0;
    EXPECT_LE(merges, 2) << "at most one of the reworded questions per seed is kept";
}

// Runs `size` rows with 16 workers whose answers mix questions of their own words with rewordings of 8
// fixed questions, and checks that exactly one rewording of each is kept. Returns the run's folder entries.
std::vector<std::string> judgeRewordingsWithWorkers(int size, const RunOptions& options) {
    // 16 workers; every answer mixes questions of their own words with rewordings of 8 fixed questions
    // (one of 16 words replaced, so two rewordings of one question have F1 >= 0.875, and different ones
    // share no word). However the workers' searches and inserts interleave, at most one rewording of each
    // is kept and no two kept questions are near-duplicates.
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    EXPECT_EQ(journal.open(), "");
    const auto reworded = [](int question, const std::string& replacement, int position) {
        std::string text;
        for (int w = 0; w < 16; ++w)
            text += (w == position ? replacement : "k" + std::to_string(question) + "w" + std::to_string(w)) +
                    " ";
        return text + "?";
    };
    auto provider = std::make_shared<ScriptedProvider>(
        [&](int call, const ChatRequest& request) -> std::optional<ChatResult> {
            nlohmann::json items = nlohmann::json::array();
            for (int i = 0; i < ScriptedProvider::requestedCount(request); ++i) {
                const std::string own = "c" + std::to_string(call) + "i" + std::to_string(i);
                const std::string question =
                    (call + i) % 2 == 0 ? own + "a " + own + "b " + own + "c " + own + "d " + own + "e?"
                                        : reworded((call * 7 + i) % 8, own, (call + i) % 16);
                items.push_back({{"question", question}, {"solution", "An answer."}});
            }
            return structured({{"items", items}});
        },
        std::chrono::milliseconds(2));
    auto job = sftJob(size, 3, 16);
    job.seeds = {"A", "B", "C"};
    GenerationRun run(job, provider, journal, options);
    const auto outcome = run.run(CancellationToken{});
    EXPECT_EQ(outcome.status, RunStatus::Completed) << outcome.error;
    EXPECT_EQ(outcome.progress.rowsDone, size);
    EXPECT_GT(outcome.progress.nearDuplicates, 0);
    const auto rows = journalRows(dir / "journal.jsonl");
    EXPECT_EQ(rows.size(), static_cast<std::size_t>(size));
    std::map<std::string, int> keptPerQuestion;
    for (const auto& row : rows)
        if (row.question.rfind('k', 0) == 0)
            ++keptPerQuestion[row.question.substr(0, row.question.find('w'))];
    EXPECT_FALSE(keptPerQuestion.empty());
    for (const auto& [question, kept] : keptPerQuestion)
        EXPECT_EQ(kept, 1) << "rewordings of " << question << " kept";
    for (std::size_t a = 0; a < rows.size(); ++a)
        for (std::size_t b = a + 1; b < rows.size(); ++b)
            EXPECT_LE(quality::rougeLF1(rows[a].question, rows[b].question), 0.7)
                << rows[a].question << " / " << rows[b].question;
    std::vector<std::string> entries;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
        entries.push_back(entry.path().filename().string());
    return entries;
}

TEST(NearDuplicates, WorkersJudgingAtOnceNeverKeepTwoCloseQuestions) {
    judgeRewordingsWithWorkers(60, fastOptions());
}

TEST(NearDuplicates, ALongRunKeepsOlderQuestionsInAFileAndStillFindsTheirRewordings) {
    // 8 questions in memory, the rest in files in the run's folder that are merged as the run goes: the
    // rewordings of the 8 fixed questions are still caught long after those went to a file, and nothing is
    // left in the folder but the journal.
    auto options = fastOptions();
    options.nearDuplicateQuestionsInMemory = 8;
    options.nearDuplicateAllInMemoryUpToRows = 0;
    EXPECT_EQ(judgeRewordingsWithWorkers(300, options), std::vector<std::string>{"journal.jsonl"});
}

TEST(NearDuplicates, ThresholdOneTurnsTheFilterOff) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    auto provider =
        std::make_shared<ScriptedProvider>([](int call, const ChatRequest&) -> std::optional<ChatResult> {
            return structured(
                {{"items",
                  {{{"question", "How do you merge two sorted lists, variant " + std::to_string(call) + "?"},
                    {"solution", "Walk both lists."}}}}});
        });
    auto job = sftJob(5, 1, 1);
    job.similarityThreshold = 1.0;
    GenerationRun run(job, provider, journal, fastOptions());
    const auto outcome = run.run(CancellationToken{});
    ASSERT_EQ(outcome.status, RunStatus::Completed) << outcome.error;
    EXPECT_EQ(outcome.progress.nearDuplicates, 0);
    EXPECT_EQ(provider->calls(), 5);
}

TEST(NearDuplicates, ASeedStuckOnRepeatsIsAskedAgainHotter) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    // The first four answers repeat one question; then the model moves on.
    auto provider = std::make_shared<ScriptedProvider>(
        [](int call, const ChatRequest& request) -> std::optional<ChatResult> {
            if (call < 4)
                return structured(
                    {{"items", {{{"question", "How do you reverse a string?"}, {"solution", "s[::-1]"}}}}});
            return ChatResult(ScriptedProvider::answer(request, call));
        });
    auto job = sftJob(3, 1, 1);
    job.parameters.temperature = 0.7;
    GenerationRun run(job, provider, journal, fastOptions());
    const auto outcome = run.run(CancellationToken{});
    ASSERT_EQ(outcome.status, RunStatus::Completed) << outcome.error;
    const auto requests = provider->requests();
    ASSERT_GE(requests.size(), 6U);
    EXPECT_DOUBLE_EQ(*requests[0].temperature, 0.7);
    EXPECT_DOUBLE_EQ(*requests[1].temperature, 0.7) << "the first answer was new";
    EXPECT_NEAR(*requests[2].temperature, 0.8, 1e-9) << "one short answer";
    EXPECT_NEAR(*requests[3].temperature, 0.9, 1e-9);
    EXPECT_LE(*requests.back().temperature, 0.7 + 0.5 + 1e-9) << "the boost is capped";
}

// A curation model: echoes the input it was given, found on the "Input: " line.
std::shared_ptr<ScriptedProvider> echoingCurator(std::chrono::milliseconds latency = {}) {
    return std::make_shared<ScriptedProvider>(
        [](int, const ChatRequest& request) -> std::optional<ChatResult> {
            const std::string& user = request.messages.back().content;
            const auto at = user.rfind("Input: ");
            std::string input = user.substr(at + 7);
            input.erase(input.find_last_not_of('\n') + 1);
            return structured({{"output", "OUT(" + input + ")"}});
        },
        latency);
}

std::filesystem::path writeCurationInput(const TempDir& dir, int count, const std::set<int>& withoutField) {
    nlohmann::ordered_json array = nlohmann::ordered_json::array();
    for (int i = 0; i < count; ++i) {
        if (i % 10 == 3) {
            array.push_back("plain string " + std::to_string(i));
            continue;
        }
        nlohmann::ordered_json element;
        element["id"] = i;
        if (!withoutField.count(i))
            element["instruction"] = "Do task " + std::to_string(i);
        array.push_back(element);
    }
    return dir.write("input.json", array.dump(1));
}

JobSpec curationJob(const std::filesystem::path& input) {
    JobSpec job;
    job.workflow = Workflow::CustomDataCuration;
    job.prompt = "Answer the instruction.";
    job.inputFiles = {input.string()};
    job.inputKey = "instruction";
    job.outputKeys.completion = "response";
    job.concurrency = 8;
    job.provider.model = "scripted-model";
    return job;
}

TEST(Curation, EveryElementWithTheFieldIsCuratedOnceAndKeptInOrder) {
    TempDir dir;
    const auto input = writeCurationInput(dir, 1000, {5, 17, 500});
    const auto check = checkCurationInput(input, "instruction");
    ASSERT_EQ(check.error, "");
    EXPECT_EQ(check.elements, 1000U);
    EXPECT_EQ(check.missingField, (std::vector<std::size_t>{5, 17, 500}));
    EXPECT_EQ(describeSkipped(check, "instruction"),
              "3 of 1000 elements have no field \"instruction\" and are skipped: #6, #18, #501");

    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    auto provider = echoingCurator();
    CurationRun run(curationJob(input), input, provider, journal, fastOptions());
    const auto outcome = run.run(CancellationToken{});
    journal.close();
    ASSERT_EQ(outcome.status, RunStatus::Completed) << outcome.error;
    EXPECT_EQ(outcome.progress.rowsDone, 997);
    EXPECT_EQ(outcome.progress.skippedInputs, 3);
    EXPECT_EQ(provider->calls(), 997);

    const auto written = writeCurationDatasetFromJournal(dir / "journal.jsonl", dir / "dataset.json",
                                                         "instruction", "response");
    ASSERT_EQ(written.error, "");
    EXPECT_EQ(written.rows, 997U);
    const auto dataset = readJsonFile(dir / "dataset.json");
    ASSERT_TRUE(dataset.ok()) << dataset.error;
    int expected = 0;
    for (const auto& row : *dataset.json) {
        while (expected == 5 || expected == 17 || expected == 500)
            ++expected;
        if (expected % 10 == 3) {
            EXPECT_EQ(row["instruction"], "plain string " + std::to_string(expected));
            EXPECT_EQ(row["response"], "OUT(plain string " + std::to_string(expected) + ")");
        } else {
            EXPECT_EQ(row["id"], expected) << "rows are in the input's order";
            EXPECT_EQ(row["instruction"], "Do task " + std::to_string(expected));
            EXPECT_EQ(row["response"], "OUT(Do task " + std::to_string(expected) + ")");
        }
        ++expected;
    }
}

TEST(Curation, AResumedRunDoesNotAskAgainForElementsAlreadyDone) {
    TempDir dir;
    const auto input = writeCurationInput(dir, 200, {});
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    CancellationToken firstCancel;
    {
        auto provider = echoingCurator(std::chrono::milliseconds(5));
        CurationRun run(curationJob(input), input, provider, journal, fastOptions());
        run.onProgress([&](const Progress& p) {
            if (p.rowsDone >= 60)
                firstCancel.cancel();
        });
        const auto outcome = run.run(firstCancel);
        EXPECT_EQ(outcome.status, RunStatus::Cancelled);
    }
    const auto before = journalRows(dir / "journal.jsonl").size();
    ASSERT_GE(before, 60U);
    ASSERT_LT(before, 200U);

    auto provider = echoingCurator();
    CurationRun again(curationJob(input), input, provider, journal, fastOptions());
    const auto outcome = again.run(CancellationToken{});
    ASSERT_EQ(outcome.status, RunStatus::Completed) << outcome.error;
    EXPECT_EQ(outcome.progress.rowsResumed, static_cast<int>(before));
    EXPECT_EQ(provider->calls(), static_cast<int>(200 - before)) << "only the elements not yet done are sent";
    std::set<int> elements;
    for (const auto& row : journalRows(dir / "journal.jsonl"))
        EXPECT_TRUE(elements.insert(row.seedIndex).second) << "element " << row.seedIndex << " curated twice";
    EXPECT_EQ(elements.size(), 200U);
}

TEST(Curation, AMalformedInputStopsBeforeAnyRequest) {
    TempDir dir;
    const auto input =
        dir.write("broken.json", "[\n  {\"instruction\": \"a\"},\n  {\"instruction\": \"b\"\n]\n");
    const auto check = checkCurationInput(input, "instruction");
    EXPECT_NE(check.error.find("broken.json:4:1"), std::string::npos) << check.error;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    auto provider = echoingCurator();
    CurationRun run(curationJob(input), input, provider, journal, fastOptions());
    const auto outcome = run.run(CancellationToken{});
    EXPECT_EQ(outcome.status, RunStatus::Failed);
    EXPECT_NE(outcome.error.find("broken.json"), std::string::npos);
    EXPECT_EQ(provider->calls(), 0);
}

TEST(Suggestions, SeedsTooCloseToListedOnesAreLeftOut) {
    auto provider = std::make_shared<ScriptedProvider>(
        [](int call, const ChatRequest& request) -> std::optional<ChatResult> {
            EXPECT_NE(request.messages.back().content.find("- Window Functions"), std::string::npos)
                << "the listed seeds are shown to the model";
            if (call == 0)
                return structured(
                    {{"seeds",
                      {"window functions", "Recursive CTEs", "Using Window Functions", "Pivot tables"}}});
            return structured({{"seeds", {"Date arithmetic", "Pivot tables", "JSON columns"}}});
        });
    SuggestionContext context;
    context.useCase = "SQL practice for analysts";
    context.job.seeds = {"Joins", "Window Functions"};
    const auto suggestions = suggestSeeds(provider, context, 4, {}, CancellationToken{});
    EXPECT_EQ(suggestions.error, "");
    EXPECT_EQ(suggestions.seeds, (std::vector<std::string>{"Recursive CTEs", "Pivot tables",
                                                           "Date arithmetic", "JSON columns"}));
    EXPECT_EQ(suggestions.rejected,
              (std::vector<std::string>{"window functions", "Using Window Functions", "Pivot tables"}));
    EXPECT_EQ(provider->calls(), 2) << "asked again for the two that were missing";
    EXPECT_TRUE(similarSeeds("Joins", "joins!"));
    EXPECT_FALSE(similarSeeds("Joins", "Self Joins on the Management Chain"));
}

TEST(Suggestions, APromptComesBackForTheUserToEdit) {
    auto provider =
        std::make_shared<ScriptedProvider>([](int, const ChatRequest& request) -> std::optional<ChatResult> {
            EXPECT_NE(request.messages.back().content.find("Use case: tax questions"), std::string::npos);
            EXPECT_EQ(request.jsonSchema->at("required"), nlohmann::json::array({"prompt"}));
            return structured(
                {{"prompt", "Write questions a taxpayer would ask, with answers citing the rule."}});
        });
    SuggestionContext context;
    context.useCase = "tax questions";
    const auto suggestion = suggestPrompt(provider, context, {}, CancellationToken{});
    EXPECT_EQ(suggestion.error, "");
    EXPECT_EQ(suggestion.prompt, "Write questions a taxpayer would ask, with answers citing the rule.");

    auto silent =
        std::make_shared<ScriptedProvider>([](int, const ChatRequest&) -> std::optional<ChatResult> {
            return structured({{"other", 1}});
        });
    EXPECT_NE(suggestPrompt(silent, context, {}, CancellationToken{}).error.find("no prompt"),
              std::string::npos);
}

TEST(RequestPool, OneRequestIsRetriedLikeARunsRequests) {
    auto provider =
        std::make_shared<ScriptedProvider>([](int call, const ChatRequest&) -> std::optional<ChatResult> {
            if (call < 2)
                return ChatResult(
                    providers::ProviderError{providers::ErrorKind::RateLimited, "429 slow down", 429, {}});
            return structured({{"ok", true}});
        });
    RetryPolicy policy;
    policy.backoffBase = std::chrono::milliseconds(1);
    policy.backoffCap = std::chrono::milliseconds(2);
    const auto result = askWithRetries(provider, ChatRequest{}, policy, CancellationToken{});
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(provider->calls(), 3);

    auto denied =
        std::make_shared<ScriptedProvider>([](int, const ChatRequest&) -> std::optional<ChatResult> {
            return ChatResult(
                providers::ProviderError{providers::ErrorKind::Unauthorized, "401: bad key", 401, {}});
        });
    const auto failed = askWithRetries(denied, ChatRequest{}, policy, CancellationToken{});
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().message, "401: bad key");
    EXPECT_EQ(denied->calls(), 1) << "not retried";
}

TEST(RequestPool, AnExceptionInAWorkerFailsTheRunInsteadOfTheProcess) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    auto provider =
        std::make_shared<ScriptedProvider>([](int call, const ChatRequest&) -> std::optional<ChatResult> {
            if (call == 2)
                throw std::runtime_error("provider bug");
            return std::nullopt;
        });
    GenerationRun run(sftJob(20, 2, 2), provider, journal, fastOptions());
    const auto outcome = run.run(CancellationToken{});
    EXPECT_EQ(outcome.status, RunStatus::Failed);
    EXPECT_EQ(outcome.error, "internal error: provider bug");
    EXPECT_EQ(outcome.progress.inFlight, 0);
    EXPECT_GE(journalRows(dir / "journal.jsonl").size(), 2U) << "rows that arrived before stay";
}

TEST(Curation, ANullElementCountsAsLackingTheInputField) {
    TempDir dir;
    const auto input = dir.write("input.json", R"([{"instruction": "a"}, null, "b"])");
    const auto check = checkCurationInput(input, "instruction");
    EXPECT_EQ(check.elements, 3U);
    EXPECT_EQ(check.missingField, (std::vector<std::size_t>{1}));
}

// A judge that gives row N (found as "Question N" in the prompt) the score N % 5 + 1.
std::shared_ptr<ScriptedProvider> numberJudge() {
    return std::make_shared<ScriptedProvider>(
        [](int, const ChatRequest& request) -> std::optional<ChatResult> {
            static const std::regex number(R"(Question (\d+) about)");
            std::smatch match;
            const std::string& user = request.messages.back().content;
            EXPECT_TRUE(std::regex_search(user, match, number)) << user;
            const int n = std::stoi(match[1]);
            return structured({{"score", n % 5 + 1}, {"justification", "row " + std::to_string(n)}});
        });
}

TEST(Evaluation, EveryRowIsScoredSummarisedAndAResumeAsksOnlyForTheRest) {
    TempDir dir;
    nlohmann::ordered_json dataset = nlohmann::ordered_json::array();
    for (int i = 0; i < 30; ++i)
        dataset.push_back({{"Seeds", i < 20 ? "Joins" : "Subqueries"},
                           {"Prompt", "Question " + std::to_string(i) + " about SQL?"},
                           {"Completion", "SELECT 1;"}});
    const auto datasetPath = dir.write("qa.json", dataset.dump(1));
    const auto original = readTextFile(datasetPath);
    JobSpec job;
    job.templateId = "text_to_sql";
    EvaluationSpec spec;
    spec.judge.name = "openai";
    spec.judge.model = "judge-model";
    const auto files = evaluationFiles(dir.path(), datasetPath);

    // A first pass of the same judge on the same dataset that already scored rows 0..9.
    ASSERT_EQ(writeFileAtomically(files.context, evaluationContext(datasetPath, spec).dump()), "");
    for (int i = 0; i < 10; ++i)
        ASSERT_EQ(appendJsonLine(files.results,
                                 toJson(RowEvaluation{static_cast<std::size_t>(i),
                                                      static_cast<double>(i % 5 + 1), "earlier", "Joins"})),
                  "");
    auto judge = numberJudge();
    const auto report =
        evaluateDataset(job, datasetPath, files, spec, judge, fastOptions(), {}, CancellationToken{});
    ASSERT_EQ(report.outcome.status, RunStatus::Completed) << report.outcome.error;
    EXPECT_EQ(judge->calls(), 20);
    EXPECT_EQ(report.outcome.progress.rowsResumed, 10);
    EXPECT_EQ(report.summary.overall.count, 30U);
    EXPECT_DOUBLE_EQ(report.summary.overall.mean, 3.0) << "scores 1..5 six times each";
    EXPECT_EQ(report.summary.histogram.at(1), 6U);
    ASSERT_EQ(report.summary.perSeed.size(), 2U);
    EXPECT_EQ(report.summary.perSeed[1].first, "Subqueries");
    EXPECT_EQ(report.summary.perSeed[1].second.count, 10U);
    EXPECT_EQ(readTextFile(datasetPath), original) << "the dataset is never written";

    const auto summary = readJsonFile(files.summary);
    ASSERT_TRUE(summary.ok()) << summary.error;
    EXPECT_EQ((*summary.json)["rows"].size(), 30U);
    EXPECT_EQ((*summary.json)["judge"]["model"], "judge-model");
    for (const auto& request : judge->requests())
        EXPECT_EQ(request.jsonSchema->at("properties").at("score").at("maximum"), 5);
}

TEST(Evaluation, ResultsOfAnotherJudgeOrAnEarlierDatasetAreSetAsideNotResumed) {
    TempDir dir;
    nlohmann::ordered_json dataset = nlohmann::ordered_json::array();
    for (int i = 0; i < 6; ++i)
        dataset.push_back(
            {{"Seeds", "S"}, {"Prompt", "Question " + std::to_string(i) + " about x?"}, {"Completion", "y"}});
    const auto datasetPath = dir.write("qa.json", dataset.dump(1));
    JobSpec job;
    EvaluationSpec spec;
    spec.judge.name = "openai";
    spec.judge.model = "judge-a";
    const auto files = evaluationFiles(dir.path(), datasetPath);
    auto first = numberJudge();
    ASSERT_EQ(evaluateDataset(job, datasetPath, files, spec, first, fastOptions(), {}, CancellationToken{})
                  .outcome.status,
              RunStatus::Completed);
    EXPECT_EQ(first->calls(), 6);

    spec.judge.model = "judge-b";
    auto second = numberJudge();
    const auto again =
        evaluateDataset(job, datasetPath, files, spec, second, fastOptions(), {}, CancellationToken{});
    EXPECT_EQ(second->calls(), 6) << "another judge scores every row again";
    EXPECT_EQ(again.restartedBecause, "the judge, model or rubric changed");
    EXPECT_TRUE(std::filesystem::exists(files.results.string() + ".previous"));
    EXPECT_EQ(staleEvaluationReason(files, datasetPath), "");

    dataset.push_back({{"Seeds", "S"}, {"Prompt", "Question 6 about x?"}, {"Completion", "y"}});
    dir.write("qa.json", dataset.dump(1));
    EXPECT_NE(staleEvaluationReason(files, datasetPath).find("changed since it was evaluated"),
              std::string::npos);
    auto third = numberJudge();
    const auto rewritten =
        evaluateDataset(job, datasetPath, files, spec, third, fastOptions(), {}, CancellationToken{});
    EXPECT_EQ(third->calls(), 7);
    EXPECT_EQ(rewritten.restartedBecause, "the dataset changed since the earlier evaluation");
    EXPECT_EQ(rewritten.summary.overall.count, 7U);
}

TEST(Evaluation, AnswersOffTheScaleAreNotCounted) {
    TempDir dir;
    const auto datasetPath =
        dir.write("qa.json", R"([{"Seeds":"S","Prompt":"Question 1 about x?","Completion":"y"}])");
    auto judge = std::make_shared<ScriptedProvider>([](int, const ChatRequest&) -> std::optional<ChatResult> {
        return structured({{"score", 9}, {"justification", "?"}});
    });
    JobSpec job;
    const auto report = evaluateDataset(job, datasetPath, evaluationFiles(dir.path(), datasetPath),
                                        EvaluationSpec{}, judge, fastOptions(), {}, CancellationToken{});
    EXPECT_EQ(report.outcome.status, RunStatus::Partial);
    EXPECT_EQ(report.summary.overall.count, 0U);
    EXPECT_EQ(report.outcome.progress.invalidItems, 1);
}

} // namespace
} // namespace sds::engine
