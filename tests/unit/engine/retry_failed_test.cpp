// What a run counts as failed, and what ResumeScope::FailedOnly asks for again.

#include "engine/CurationRun.h"
#include "engine/FailedWork.h"
#include "engine/GenerationRun.h"
#include "testsupport/ScriptedProvider.h"
#include "testsupport/TempDir.h"

#include <atomic>
#include <gtest/gtest.h>
#include <map>
#include <mutex>

namespace sds::engine {
namespace {

using providers::ChatRequest;
using providers::ChatResponse;
using providers::ChatResult;
using providers::ErrorKind;
using providers::ProviderError;
using testing::ScriptedProvider;
using testing::TempDir;

RunOptions fastOptions() {
    RunOptions options;
    options.maxAttemptsPerRequest = 3;
    options.backoffBase = std::chrono::milliseconds(1);
    options.backoffCap = std::chrono::milliseconds(2);
    options.progressInterval = std::chrono::milliseconds(20);
    options.randomSeed = 5;
    return options;
}

JobSpec seedsJob(std::vector<std::string> seeds, int size) {
    JobSpec job;
    job.prompt = "Write questions.";
    job.seeds = std::move(seeds);
    job.size = size;
    job.rowsPerRequest = 2;
    job.concurrency = 4;
    job.provider.model = "scripted-model";
    return job;
}

std::string curationInputOf(const ChatRequest& request) {
    const std::string& user = request.messages.back().content;
    std::string input = user.substr(user.rfind("Input: ") + 7);
    input.erase(input.find_last_not_of('\n') + 1);
    return input;
}

enum class Failure { ServerError, EmptyAnswer };

// Answers like a model, except for the subjects (seed topics or curation inputs) in `failing`: a 500 for
// each of their requests (given up after the retries) or an empty answer. Counts requests per subject.
// Each instance writes questions of its own, so a later session's never repeat an earlier one's.
class FlakyModel {
public:
    FlakyModel(std::map<std::string, Failure> failing, bool curation)
        : m_failing(std::move(failing)), m_curation(curation) {}

    std::shared_ptr<ScriptedProvider> provider() {
        return std::make_shared<ScriptedProvider>([this](int call, const ChatRequest& request)
                                                      -> std::optional<ChatResult> {
            const std::string subject =
                m_curation ? curationInputOf(request) : ScriptedProvider::requestedTopic(request);
            {
                std::lock_guard lock(m_mutex);
                ++m_requests[subject];
            }
            if (const auto failure = m_failing.find(subject); failure != m_failing.end()) {
                if (failure->second == Failure::ServerError)
                    return ChatResult(ProviderError{ErrorKind::ServerError, "HTTP 500", 500, std::nullopt});
                ChatResponse empty;
                return ChatResult(empty);
            }
            if (!m_curation)
                return ChatResult(ScriptedProvider::answer(request, m_firstCase + call));
            ChatResponse response;
            response.text = nlohmann::json{{"output", "OUT(" + subject + ") " + std::to_string(call)}}.dump();
            response.structured = nlohmann::json::parse(response.text);
            return ChatResult(response);
        });
    }
    std::map<std::string, int> requests() const {
        std::lock_guard lock(m_mutex);
        return m_requests;
    }

private:
    std::map<std::string, Failure> m_failing;
    bool m_curation;
    int m_firstCase = 1000 * ++s_instances;
    static inline std::atomic<int> s_instances{0};
    mutable std::mutex m_mutex;
    std::map<std::string, int> m_requests;
};

int journaledRows(const std::filesystem::path& journal, std::map<int, int>* perSeed = nullptr) {
    int rows = 0;
    Journal::read(journal, [&](JournalRow&& row) {
        ++rows;
        if (perSeed)
            ++(*perSeed)[row.seedIndex];
    });
    return rows;
}

TEST(RetryFailed, SeedsWhoseRequestsFailedAreRecordedAndOnlyTheyAreAskedAgain) {
    TempDir dir;
    const auto job = seedsJob({"Joins", "Indexes", "Window functions", "Views"}, 16);
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    RunOutcome first;
    {
        FlakyModel model({{"Indexes", Failure::ServerError}, {"Views", Failure::ServerError}}, false);
        GenerationRun run(job, model.provider(), journal, fastOptions());
        first = run.run(CancellationToken{});
    }
    EXPECT_EQ(first.status, RunStatus::Partial) << first.error;
    EXPECT_EQ(first.failed.seeds, (std::vector<std::size_t>{1, 3}));
    EXPECT_TRUE(first.failed.elements.empty());
    EXPECT_EQ(first.progress.rowsDone, 8);

    FlakyModel healthy({}, false);
    GenerationRun retry(job, healthy.provider(), journal, fastOptions());
    retry.resumeFrom(first.failed, ResumeScope::FailedOnly);
    const auto second = retry.run(CancellationToken{});
    EXPECT_EQ(second.status, RunStatus::Completed) << second.error;
    EXPECT_TRUE(second.failed.empty());
    const auto asked = healthy.requests();
    EXPECT_EQ(asked.count("Joins"), 0U);
    EXPECT_EQ(asked.count("Window functions"), 0U);
    EXPECT_EQ(asked.at("Indexes"), 2) << "4 rows, 2 per request";
    EXPECT_EQ(asked.at("Views"), 2);
    journal.close();
    std::map<int, int> perSeed;
    EXPECT_EQ(journaledRows(dir / "journal.jsonl", &perSeed), 16);
    EXPECT_EQ(perSeed, (std::map<int, int>{{0, 4}, {1, 4}, {2, 4}, {3, 4}}));
}

TEST(RetryFailed, SeedsNeverAskedAreLeftForResumeAndFailuresStayUntilMadeGood) {
    TempDir dir;
    const auto job = seedsJob({"Joins", "Indexes", "Window functions"}, 12);
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    // An earlier session got Joins done, failed Indexes and never reached Window functions.
    for (int i = 0; i < 4; ++i)
        ASSERT_EQ(journal.append({0, "Joins", "Joins question " + std::to_string(i), "answer", nullptr}), "");
    const FailedWork earlier{{1}, {}};

    {
        // Cancelled before anything was sent: the earlier failure is still a failure.
        FlakyModel model({}, false);
        GenerationRun run(job, model.provider(), journal, fastOptions());
        run.resumeFrom(earlier, ResumeScope::Everything);
        CancellationToken cancelled;
        cancelled.cancel();
        const auto outcome = run.run(cancelled);
        EXPECT_EQ(outcome.status, RunStatus::Cancelled);
        EXPECT_EQ(outcome.failed, earlier);
    }

    FlakyModel model({}, false);
    GenerationRun retry(job, model.provider(), journal, fastOptions());
    retry.resumeFrom(earlier, ResumeScope::FailedOnly);
    const auto outcome = retry.run(CancellationToken{});
    EXPECT_EQ(outcome.status, RunStatus::Partial) << "Window functions was never asked";
    EXPECT_TRUE(outcome.failed.empty()) << "a seed never asked has not failed";
    EXPECT_EQ(outcome.progress.rowsDone, 8);
    const auto asked = model.requests();
    EXPECT_EQ(asked.size(), 1U);
    EXPECT_EQ(asked.at("Indexes"), 2);
}

TEST(RetryFailed, ASeedWhoseAnswersAreUnusableFailsWhenItsRequestsRunOut) {
    TempDir dir;
    const auto job = seedsJob({"Joins", "Indexes"}, 4);
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    FlakyModel model({{"Indexes", Failure::EmptyAnswer}}, false);
    GenerationRun run(job, model.provider(), journal, fastOptions());
    const auto outcome = run.run(CancellationToken{});
    EXPECT_EQ(outcome.status, RunStatus::Partial);
    EXPECT_EQ(outcome.failed.seeds, (std::vector<std::size_t>{1}));
    EXPECT_GT(model.requests().at("Indexes"), 1) << "re-asked within its budget before giving up";
}

TEST(RetryFailed, CurationElementsThatErroredOrCameBackEmptyAreRetriedAndNothingElse) {
    TempDir dir;
    nlohmann::ordered_json input = nlohmann::ordered_json::array();
    for (int i = 0; i < 8; ++i)
        input.push_back({{"instruction", "task " + std::to_string(i)}});
    const auto inputFile = dir.write("input.json", input.dump());
    JobSpec job;
    job.workflow = Workflow::CustomDataCuration;
    job.prompt = "Do it.";
    job.inputFiles = {inputFile.string()};
    job.inputKey = "instruction";
    job.concurrency = 3;
    job.provider.model = "scripted-model";
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");

    RunOutcome first;
    {
        FlakyModel model({{"task 2", Failure::ServerError}, {"task 5", Failure::EmptyAnswer}}, true);
        CurationRun run(job, inputFile, model.provider(), journal, fastOptions());
        first = run.run(CancellationToken{});
        EXPECT_EQ(model.requests().at("task 2"), 3) << "given up after its attempts";
        EXPECT_EQ(model.requests().at("task 5"), 1) << "an empty answer is not retried in the session";
    }
    EXPECT_EQ(first.status, RunStatus::Partial) << first.error;
    EXPECT_EQ(first.failed.elements, (std::vector<std::size_t>{2, 5}));
    EXPECT_EQ(first.progress.rowsDone, 6);

    FlakyModel healthy({}, true);
    CurationRun retry(job, inputFile, healthy.provider(), journal, fastOptions());
    retry.resumeFrom(first.failed, ResumeScope::FailedOnly);
    const auto second = retry.run(CancellationToken{});
    EXPECT_EQ(second.status, RunStatus::Completed) << second.error;
    EXPECT_TRUE(second.failed.empty());
    EXPECT_EQ(healthy.requests(), (std::map<std::string, int>{{"task 2", 1}, {"task 5", 1}}));
    journal.close();
    EXPECT_EQ(journaledRows(dir / "journal.jsonl"), 8);
}

TEST(RetryFailed, TheFailedWorkFileRoundTripsAndIsEmptyWhenMissing) {
    TempDir dir;
    const auto missing = loadFailedWork(dir.path());
    ASSERT_TRUE(std::holds_alternative<FailedWork>(missing));
    EXPECT_TRUE(std::get<FailedWork>(missing).empty());
    const FailedWork failed{{0, 3}, {7}};
    ASSERT_EQ(saveFailedWork(dir.path(), failed), "");
    const auto loaded = loadFailedWork(dir.path());
    ASSERT_TRUE(std::holds_alternative<FailedWork>(loaded));
    EXPECT_EQ(std::get<FailedWork>(loaded), failed);
    EXPECT_TRUE(failed.hasSeed(3));
    EXPECT_FALSE(failed.hasSeed(1));
    dir.write("failed.json", R"({"seeds": "all"})");
    const auto damaged = loadFailedWork(dir.path());
    ASSERT_TRUE(std::holds_alternative<std::string>(damaged));
    EXPECT_NE(std::get<std::string>(damaged).find("failed.json"), std::string::npos);
}

} // namespace
} // namespace sds::engine
