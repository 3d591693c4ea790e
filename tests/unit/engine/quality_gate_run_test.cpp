#include "engine/CurationRun.h"
#include "engine/GenerationRun.h"
#include "standin/Generation.h"
#include "testsupport/EngineRuns.h"
#include "testsupport/ScriptedProvider.h"
#include "testsupport/TempDir.h"
#include "testsupport/TextFixtures.h"

#include <gtest/gtest.h>
#include <map>
#include <set>

namespace sds::engine {
namespace {

using providers::ChatRequest;
using providers::ChatResult;
using quality::RejectionReason;
using testing::ScriptedProvider;
using testing::TempDir;

using testing::journalRows;
using testing::repeated;
using testing::structured;

RunOptions fastOptions() {
    return testing::fastRunOptions(5);
}

nlohmann::json codeItem(const std::string& topic, int caseNumber) {
    return {{"question", standin::questionText(topic, static_cast<std::uint64_t>(caseNumber))},
            {"solution", "Call it:\n```python\nprint(solve(" + std::to_string(caseNumber) + "))\n```"}};
}

// What a small model wrote in the demo, one shape per reason the gate knows (but copying an example).
const std::vector<std::pair<RejectionReason, nlohmann::json>>& degenerateItems() {
    static const std::vector<std::pair<RejectionReason, nlohmann::json>> items = {
        {RejectionReason::Repetition,
         {{"question",
           "How long did you study? 3 hours or less.}}],}]}]]})}}}]}})" + repeated("}}]", 30) + "?"},
          {"solution", "```python\nprint(3)\n```"}}},
        {RejectionReason::NoCode,
         {{"question", "How do you check that an answer is valid?"}, {"solution", "is_valid_answer()"}}},
        {RejectionReason::Looping,
         {{"question", "Which algorithm is more efficient for this problem?"},
          {"solution",
           "```python\n" + repeated("solution = int(input()) # number in the set\n", 9) + "```"}}},
        {RejectionReason::Punctuation,
         {{"question", "What?! ;; ,, ?! ::: ?! ;; ,, !! ?? ;; ,, ?"},
          {"solution", "```python\nprint(2)\n```"}}},
        {RejectionReason::Echo,
         {{"question", "Flask is a lightweight web framework written in Python."},
          {"solution", "Flask is a lightweight web framework written in Python."}}},
    };
    return items;
}

JobSpec codeJob(int size, std::vector<std::string> seeds) {
    JobSpec job;
    job.prompt = "Write programming questions with code.";
    job.seeds = std::move(seeds);
    job.validator = "code";
    job.size = size;
    job.rowsPerRequest = 2;
    job.concurrency = 1;
    job.provider.model = "scripted-model";
    return job;
}

TEST(RowQualityGateInRuns, DegenerateRowsAreReaskedCountedPerReasonAndNeverKept) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    // The first answers each carry one degenerate item next to a good one; then the model behaves.
    auto provider = std::make_shared<ScriptedProvider>(
        [](int call, const ChatRequest& request) -> std::optional<ChatResult> {
            const std::string topic = ScriptedProvider::requestedTopic(request);
            nlohmann::json items = nlohmann::json::array();
            const auto& degenerate = degenerateItems();
            if (static_cast<std::size_t>(call) < degenerate.size())
                items.push_back(degenerate[static_cast<std::size_t>(call)].second);
            while (static_cast<int>(items.size()) < ScriptedProvider::requestedCount(request))
                items.push_back(codeItem(topic, call * 10 + static_cast<int>(items.size())));
            return structured({{"items", items}});
        });
    GenerationRun run(codeJob(8, {"Python Basics", "Flask"}), provider, journal, fastOptions());
    const auto outcome = run.run(CancellationToken{});
    journal.close();
    ASSERT_EQ(outcome.status, RunStatus::Completed) << outcome.error;

    EXPECT_EQ(outcome.progress.rowsDone, 8);
    const auto rows = journalRows(dir / "journal.jsonl");
    ASSERT_EQ(rows.size(), 8U) << "exactly the requested rows, all of them good";
    const quality::RowQualityGate gate(quality::ValidatorKind::Code, {});
    for (const auto& row : rows)
        EXPECT_EQ(gate.check(row.question, row.solution), RejectionReason::None) << row.question;

    const auto& rejected = outcome.progress.lowQuality;
    EXPECT_EQ(rejected.total(), static_cast<int>(degenerateItems().size()));
    for (const auto& [reason, item] : degenerateItems())
        EXPECT_EQ(rejected[reason], 1) << quality::reasonName(reason);
    quality::RejectionCounts perSeed;
    for (const auto& seed : outcome.seeds)
        perSeed += seed.lowQuality;
    EXPECT_EQ(perSeed, rejected) << "the seeds' counts add up to the run's";
    EXPECT_GE(provider->calls(), 4 + 2) << "4 requests plan the 8 rows; the rejected rows were asked again";
}

TEST(RowQualityGateInRuns, ARejectedQuestionDoesNotBlockALaterOneAsItsNearDuplicate) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    const std::string question =
        "How do you sort a list of numbers in Python from the largest to the smallest?";
    auto provider =
        std::make_shared<ScriptedProvider>([&](int call, const ChatRequest&) -> std::optional<ChatResult> {
            // First without code, then the same question answered properly.
            const std::string solution =
                call == 0 ? "sorted(numbers, reverse=True)" : "```python\nsorted(numbers, reverse=True)\n```";
            const nlohmann::json item = {{"question", question}, {"solution", solution}};
            return structured({{"items", nlohmann::json::array({item})}});
        });
    auto job = codeJob(1, {"Python Basics"});
    job.rowsPerRequest = 1;
    GenerationRun run(job, provider, journal, fastOptions());
    const auto outcome = run.run(CancellationToken{});
    ASSERT_EQ(outcome.status, RunStatus::Completed) << outcome.error;
    EXPECT_EQ(outcome.progress.lowQuality[RejectionReason::NoCode], 1);
    EXPECT_EQ(outcome.progress.duplicates, 0);
    EXPECT_EQ(outcome.progress.nearDuplicates, 0);
    EXPECT_EQ(provider->calls(), 2);
}

TEST(RowQualityGateInRuns, ASeedThatOnlyGetsDegenerateRowsEndsPartialWithinItsBudget) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    auto provider = std::make_shared<ScriptedProvider>([](int,
                                                          const ChatRequest&) -> std::optional<ChatResult> {
        return structured(
            {{"items", {{{"question", "How do you check an answer?"}, {"solution", "is_valid_answer()"}}}}});
    });
    auto job = codeJob(2, {"Python Basics"});
    auto options = fastOptions();
    options.refillFactor = 2.0;
    GenerationRun run(job, provider, journal, options);
    const auto outcome = run.run(CancellationToken{});
    EXPECT_EQ(outcome.status, RunStatus::Partial);
    EXPECT_EQ(outcome.progress.rowsDone, 0);
    EXPECT_EQ(provider->calls(), 1 + 2 + 2) << "the planned request plus its refills, then it stops";
    EXPECT_EQ(outcome.progress.lowQuality[RejectionReason::NoCode], provider->calls());
}

TEST(RowQualityGateInRuns, ADegenerateCurationOutputIsAskedAgainAndLeftOutWhenItStaysDegenerate) {
    TempDir dir;
    nlohmann::ordered_json input = nlohmann::ordered_json::array();
    for (int i = 0; i < 4; ++i)
        input.push_back({{"instruction", "Task " + std::to_string(i)}});
    const auto inputFile = dir.write("input.json", input.dump());
    std::map<std::string, int> asked;
    std::mutex askedMutex;
    // Task 1 loops on its first answer; task 3 never stops looping.
    auto provider = std::make_shared<ScriptedProvider>([&](int, const ChatRequest& request)
                                                           -> std::optional<ChatResult> {
        const std::string& user = request.messages.back().content;
        const std::string task = user.substr(user.rfind("Input: ") + 7, 6);
        int attempt = 0;
        {
            std::lock_guard lock(askedMutex);
            attempt = asked[task]++;
        }
        const bool loops = (task == "Task 1" && attempt == 0) || task == "Task 3";
        return structured({{"output", loops ? repeated("the output is ", 20) : "Done with " + task + "."}});
    });
    JobSpec job;
    job.workflow = Workflow::CustomDataCuration;
    job.prompt = "Do the task.";
    job.inputFiles = {inputFile.string()};
    job.inputKey = "instruction";
    job.concurrency = 2;
    job.provider.model = "scripted-model";
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    CurationRun run(job, inputFile, provider, journal, fastOptions());
    const auto outcome = run.run(CancellationToken{});
    journal.close();

    EXPECT_EQ(outcome.status, RunStatus::Partial) << "task 3 is missing";
    EXPECT_EQ(outcome.progress.rowsDone, 3);
    EXPECT_EQ(asked["Task 1"], 2);
    EXPECT_EQ(asked["Task 3"], 3) << "asked twice again, then left out";
    EXPECT_EQ(outcome.progress.lowQuality[RejectionReason::Looping], 1 + 3);
    std::set<std::string> outputs;
    for (const auto& row : journalRows(dir / "journal.jsonl"))
        outputs.insert(row.solution);
    EXPECT_EQ(outputs,
              (std::set<std::string>{"Done with Task 0.", "Done with Task 1.", "Done with Task 2."}));
    ASSERT_FALSE(outcome.problems.empty());
    EXPECT_NE(outcome.problems.back().find("element 4 left out"), std::string::npos)
        << outcome.problems.back();
}

} // namespace
} // namespace sds::engine
