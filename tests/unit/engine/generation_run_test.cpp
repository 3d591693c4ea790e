#include "engine/GenerationRun.h"
#include "testsupport/EngineRuns.h"
#include "testsupport/ScriptedProvider.h"
#include "testsupport/TempDir.h"

#include <gtest/gtest.h>
#include <set>
#include <thread>

namespace sds::engine {
namespace {

using providers::ChatRequest;
using providers::ChatResult;
using providers::ErrorKind;
using providers::ProviderError;
using testing::ScriptedProvider;
using testing::TempDir;

JobSpec jobWith(int size, std::vector<std::string> seeds, int rowsPerRequest = 5, int concurrency = 16) {
    JobSpec job;
    job.prompt = "Write programming questions.";
    job.seeds = std::move(seeds);
    job.size = size;
    job.rowsPerRequest = rowsPerRequest;
    job.concurrency = concurrency;
    job.provider.model = "scripted-model";
    return job;
}

using testing::journalRows;

RunOptions fastOptions() {
    return testing::fastRunOptions(7);
}

TEST(GenerationRun, ProducesExactlyTheRequestedRowsSpreadOverSeeds) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    auto provider = std::make_shared<ScriptedProvider>();
    GenerationRun run(jobWith(23, {"A", "B", "C"}), provider, journal, fastOptions());
    int lastReported = -1;
    run.onProgress([&](const Progress& p) { lastReported = p.rowsDone; });
    const auto outcome = run.run(CancellationToken{});
    EXPECT_EQ(outcome.status, RunStatus::Completed) << outcome.error;
    EXPECT_EQ(outcome.progress.rowsDone, 23);
    EXPECT_EQ(lastReported, 23);
    const auto rows = journalRows(dir / "journal.jsonl");
    ASSERT_EQ(rows.size(), 23U);
    std::map<std::string, int> perSeed;
    std::set<std::string> questions;
    for (const auto& row : rows) {
        ++perSeed[row.seed];
        questions.insert(row.question);
        EXPECT_NE(row.question.find(row.seed), std::string::npos) << "row answered the wrong seed";
    }
    EXPECT_EQ(perSeed["A"], 8);
    EXPECT_EQ(perSeed["B"], 8);
    EXPECT_EQ(perSeed["C"], 7);
    EXPECT_EQ(questions.size(), 23U);
    EXPECT_GT(outcome.progress.tokens.output, 0);
}

TEST(GenerationRun, FillsConcurrencyEvenWithOneSeed) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    auto provider =
        std::make_shared<ScriptedProvider>(ScriptedProvider::Script{}, std::chrono::milliseconds(50));
    GenerationRun run(jobWith(200, {"Only seed"}, 5, 32), provider, journal, fastOptions());
    const auto outcome = run.run(CancellationToken{});
    EXPECT_EQ(outcome.status, RunStatus::Completed);
    EXPECT_EQ(provider->maxInFlight(), 32) << "requests inside one seed must not be serial";
}

TEST(GenerationRun, DuplicatesAreDroppedCountedAndReplaced) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    // Every odd call repeats the answer of call 0.
    auto provider = std::make_shared<ScriptedProvider>(
        [](int call, const ChatRequest& request) -> std::optional<ChatResult> {
            if (call % 2 == 1)
                return ChatResult(ScriptedProvider::answer(request, 0));
            return std::nullopt;
        });
    GenerationRun run(jobWith(20, {"S"}, 5, 1), provider, journal, fastOptions());
    const auto outcome = run.run(CancellationToken{});
    EXPECT_EQ(outcome.status, RunStatus::Completed) << outcome.error;
    EXPECT_EQ(outcome.progress.rowsDone, 20);
    EXPECT_GT(outcome.progress.duplicates, 0);
    std::set<std::string> questions;
    for (const auto& row : journalRows(dir / "journal.jsonl"))
        EXPECT_TRUE(questions.insert(row.question).second) << "duplicate kept: " << row.question;
}

TEST(GenerationRun, RowsCopyingAnExampleAreDropped) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    auto provider = std::make_shared<ScriptedProvider>(
        [](int call, const ChatRequest& request) -> std::optional<ChatResult> {
            auto response = ScriptedProvider::answer(request, call);
            if (call == 0)
                (*response.structured)["items"][0]["question"] = "How do you read a CSV file?";
            return ChatResult(response);
        });
    auto job = jobWith(4, {"S"}, 2, 1);
    job.examples = {{"How do you read a CSV file?", "pandas.read_csv"}};
    GenerationRun run(job, provider, journal, fastOptions());
    const auto outcome = run.run(CancellationToken{});
    EXPECT_EQ(outcome.status, RunStatus::Completed) << outcome.error;
    EXPECT_EQ(outcome.progress.duplicates, 1);
    for (const auto& row : journalRows(dir / "journal.jsonl"))
        EXPECT_NE(row.question, "How do you read a CSV file?");
}

TEST(GenerationRun, ItemsMissingAFieldAreReaskedNotKept) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    auto provider = std::make_shared<ScriptedProvider>(
        [](int call, const ChatRequest& request) -> std::optional<ChatResult> {
            auto response = ScriptedProvider::answer(request, call);
            (*response.structured)["items"][0].erase("solution");
            response.text = response.structured->dump();
            return ChatResult(response);
        });
    GenerationRun run(jobWith(6, {"S"}, 3, 1), provider, journal, fastOptions());
    const auto outcome = run.run(CancellationToken{});
    EXPECT_EQ(outcome.status, RunStatus::Completed) << outcome.error;
    EXPECT_EQ(outcome.progress.rowsDone, 6);
    EXPECT_GE(outcome.progress.invalidItems, 3);
    for (const auto& row : journalRows(dir / "journal.jsonl"))
        EXPECT_FALSE(row.solution.empty());
}

TEST(GenerationRun, FreeTextAnswersAreParsedWhenStructuredOutputIsMissing) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    auto provider = std::make_shared<ScriptedProvider>(
        [](int call, const ChatRequest& request) -> std::optional<ChatResult> {
            auto response = ScriptedProvider::answer(request, call);
            response.text = "Here you go:\n```json\n" + response.structured->dump(2) + "\n```\n";
            response.structured.reset();
            return ChatResult(response);
        });
    GenerationRun run(jobWith(4, {"S"}, 2, 2), provider, journal, fastOptions());
    const auto outcome = run.run(CancellationToken{});
    EXPECT_EQ(outcome.status, RunStatus::Completed) << outcome.error;
    EXPECT_EQ(journalRows(dir / "journal.jsonl").size(), 4U);
}

TEST(GenerationRun, RetriesRateLimitsAndServerErrorsThenSucceeds) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    auto provider =
        std::make_shared<ScriptedProvider>([](int call, const ChatRequest&) -> std::optional<ChatResult> {
            if (call < 3)
                return ChatResult(
                    ProviderError{ErrorKind::RateLimited, "429", 429, std::chrono::milliseconds(1)});
            if (call < 5)
                return ChatResult(ProviderError{ErrorKind::ServerError, "503", 503, std::nullopt});
            return std::nullopt;
        });
    GenerationRun run(jobWith(5, {"S"}, 5, 1), provider, journal, fastOptions());
    const auto outcome = run.run(CancellationToken{});
    EXPECT_EQ(outcome.status, RunStatus::Completed) << outcome.error;
    EXPECT_EQ(outcome.progress.retries, 5);
    EXPECT_EQ(outcome.progress.failedRequests, 0);
}

TEST(GenerationRun, GivesUpAfterBoundedRetriesAndReportsPartial) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    auto provider =
        std::make_shared<ScriptedProvider>([](int, const ChatRequest& request) -> std::optional<ChatResult> {
            if (ScriptedProvider::requestedTopic(request) == "Broken")
                return ChatResult(
                    ProviderError{ErrorKind::ServerError, "endpoint failed (HTTP 500)", 500, std::nullopt});
            return std::nullopt;
        });
    auto options = fastOptions();
    options.maxAttemptsPerRequest = 3;
    GenerationRun run(jobWith(10, {"Good", "Broken"}, 5, 2), provider, journal, options);
    const auto outcome = run.run(CancellationToken{});
    EXPECT_EQ(outcome.status, RunStatus::Partial);
    EXPECT_EQ(outcome.progress.rowsDone, 5);
    EXPECT_GT(outcome.progress.failedRequests, 0);
    EXPECT_NE(outcome.error.find("HTTP 500"), std::string::npos) << outcome.error;
}

TEST(GenerationRun, NonRetryableErrorFailsFastWithItsMessage) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    auto provider =
        std::make_shared<ScriptedProvider>([](int, const ChatRequest&) -> std::optional<ChatResult> {
            return ChatResult(ProviderError{ErrorKind::Unauthorized,
                                            "endpoint rejected the key from OPENAI_API_KEY (HTTP 401)", 401,
                                            std::nullopt});
        });
    GenerationRun run(jobWith(100, {"A", "B"}, 5, 8), provider, journal, fastOptions());
    const auto outcome = run.run(CancellationToken{});
    EXPECT_EQ(outcome.status, RunStatus::Failed);
    EXPECT_NE(outcome.error.find("OPENAI_API_KEY"), std::string::npos);
    EXPECT_LE(provider->calls(), 8) << "a fatal error stops new requests";
}

TEST(GenerationRun, CancelStopsWithinASecondAndKeepsRows) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    auto provider =
        std::make_shared<ScriptedProvider>(ScriptedProvider::Script{}, std::chrono::milliseconds(100));
    GenerationRun run(jobWith(10000, {"A", "B"}, 5, 8), provider, journal, fastOptions());
    CancellationToken cancel;
    std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(450));
        cancel.cancel();
    });
    const auto before = std::chrono::steady_clock::now();
    const auto outcome = run.run(cancel);
    const auto stoppedAfterCancel =
        std::chrono::steady_clock::now() - before - std::chrono::milliseconds(450);
    canceller.join();
    EXPECT_EQ(outcome.status, RunStatus::Cancelled);
    EXPECT_LT(stoppedAfterCancel, std::chrono::seconds(1));
    EXPECT_GT(outcome.progress.rowsDone, 0);
    EXPECT_EQ(journalRows(dir / "journal.jsonl").size(), static_cast<std::size_t>(outcome.progress.rowsDone));
}

TEST(GenerationRun, ResumeAsksOnlyForTheRemainderAndNeverRepeatsRows) {
    TempDir dir;
    const auto path = dir / "journal.jsonl";
    {
        Journal journal(path);
        ASSERT_EQ(journal.open(), "");
        for (int i = 0; i < 7; ++i)
            ASSERT_EQ(journal.append({0, "A", "Earlier question " + std::to_string(i), "S", nullptr}), "");
    }
    Journal journal(path);
    ASSERT_EQ(journal.open(), "");
    auto provider = std::make_shared<ScriptedProvider>();
    GenerationRun run(jobWith(20, {"A", "B"}, 5, 4), provider, journal, fastOptions());
    const auto outcome = run.run(CancellationToken{});
    EXPECT_EQ(outcome.status, RunStatus::Completed);
    EXPECT_EQ(outcome.progress.rowsResumed, 7);
    const auto rows = journalRows(path);
    ASSERT_EQ(rows.size(), 20U);
    std::map<std::string, int> perSeed;
    for (const auto& row : rows)
        ++perSeed[row.seed];
    EXPECT_EQ(perSeed["A"], 10);
    EXPECT_EQ(perSeed["B"], 10);
    int askedForA = 0;
    for (const auto& request : provider->requests())
        if (ScriptedProvider::requestedTopic(request) == "A") {
            askedForA += ScriptedProvider::requestedCount(request);
            EXPECT_NE(request.messages.back().content.find("Earlier question 6"), std::string::npos)
                << "journaled questions go into the do-not-repeat list";
        }
    EXPECT_EQ(askedForA, 3);
}

TEST(GenerationRun, RateLimitsLowerTheConcurrencyLimit) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    auto provider = std::make_shared<ScriptedProvider>(
        [](int call, const ChatRequest&) -> std::optional<ChatResult> {
            if (call < 40)
                return ChatResult(ProviderError{ErrorKind::RateLimited, "429", 429, std::nullopt});
            return std::nullopt;
        },
        std::chrono::milliseconds(5));
    int lowestLimit = 1000;
    GenerationRun run(jobWith(50, {"A"}, 5, 32), provider, journal, fastOptions());
    run.onProgress([&](const Progress& p) { lowestLimit = std::min(lowestLimit, p.concurrencyLimit); });
    const auto outcome = run.run(CancellationToken{});
    EXPECT_EQ(outcome.status, RunStatus::Completed) << outcome.error;
    EXPECT_LT(lowestLimit, 32);
}

} // namespace
} // namespace sds::engine
