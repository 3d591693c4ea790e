#include "core/JsonFile.h"
#include "core/Project.h"
#include "engine/CostEstimate.h"
#include "engine/CurationRun.h"
#include "engine/GenerationRun.h"
#include "engine/JobSetup.h"
#include "engine/RunService.h"
#include "engine/Spending.h"
#include "providers/ProviderFactory.h"
#include "standin/StandinServer.h"
#include "testsupport/EngineRuns.h"
#include "testsupport/ScriptedProvider.h"
#include "testsupport/TempDir.h"

#include <gtest/gtest.h>

namespace sds::engine {
namespace {

using testing::ScriptedProvider;
using testing::TempDir;

RunOptions fastOptions() {
    return testing::fastRunOptions(3);
}

JobSpec scriptedJob(int size, int concurrency) {
    JobSpec job;
    job.prompt = "Write programming questions.";
    job.seeds = {"Sorting"};
    job.size = size;
    job.rowsPerRequest = 5;
    job.concurrency = concurrency;
    job.provider.model = "scripted-model";
    job.parameters.maxTokens = 1000;
    return job;
}

int journalLines(const std::filesystem::path& path) {
    int rows = 0;
    Journal::read(path, [&](JournalRow&&) { ++rows; });
    return rows;
}

// ScriptedProvider reports 50 output tokens per row asked for: 250 for a request of 5 rows, which costs
// $0.00025 at $1 per 1M output tokens (input is free here, so the prompt's length does not matter). A
// request is counted at its upper bound, max_tokens 1000 = $0.001, while in flight. One request at a
// time, request k+1 is sent only if 0.00025·k + 0.001 ≤ cap: a cap of $0.0019 covers exactly 4.
TEST(Budget, TheRunStopsAtTheRequestThatCouldPassTheCapKeepsItsRowsAndResumes) {
    TempDir dir;
    const TokenPrice price{0.0, 1.0};
    auto provider = std::make_shared<ScriptedProvider>();
    RunOutcome stopped;
    {
        Journal journal(dir / "journal.jsonl");
        ASSERT_EQ(journal.open(), "");
        RunOptions options = fastOptions();
        options.spending = {price, 0.0019, 0.0};
        GenerationRun run(scriptedJob(50, 1), provider, journal, options);
        stopped = run.run(CancellationToken{});
    }
    EXPECT_EQ(stopped.status, RunStatus::StoppedAtBudget) << stopped.error;
    EXPECT_EQ(provider->calls(), 4);
    EXPECT_EQ(stopped.progress.requestsDone, 4);
    EXPECT_EQ(stopped.progress.rowsDone, 20);
    EXPECT_EQ(journalLines(dir / "journal.jsonl"), 20) << "the rows that arrived are kept";
    ASSERT_TRUE(stopped.progress.costUsd);
    EXPECT_DOUBLE_EQ(*stopped.progress.costUsd, 0.001);
    EXPECT_NE(stopped.error.find("stopped at the budget of $0.0019 (spent $0.001)"), std::string::npos)
        << stopped.error;

    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    RunOptions options = fastOptions();
    options.spending = {price, 1.0, *stopped.progress.costUsd};
    GenerationRun resumed(scriptedJob(50, 1), provider, journal, options);
    const auto finished = resumed.run(CancellationToken{});
    EXPECT_EQ(finished.status, RunStatus::Completed) << finished.error;
    EXPECT_EQ(finished.progress.rowsResumed, 20);
    EXPECT_EQ(provider->calls(), 10) << "the resume asks only for the 30 missing rows";
    EXPECT_DOUBLE_EQ(*finished.progress.costUsd, 0.0025) << "the cost counts every session";
    EXPECT_EQ(journalLines(dir / "journal.jsonl"), 50);
}

// With many requests in flight, and input priced too, the cost never passes the cap: each request in
// flight holds its upper bound until its answer's reported usage replaces it.
TEST(Budget, ConcurrentRequestsNeverTakeTheCostPastTheCap) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    auto provider =
        std::make_shared<ScriptedProvider>(ScriptedProvider::Script{}, std::chrono::milliseconds(5));
    RunOptions options = fastOptions();
    const double cap = 0.02;
    options.spending = {TokenPrice{2.0, 4.0}, cap, 0.0};
    GenerationRun run(scriptedJob(500, 8), provider, journal, options);
    double highestSeen = 0;
    run.onProgress([&](const Progress& p) { highestSeen = std::max(highestSeen, p.costUsd.value_or(0)); });
    const auto outcome = run.run(CancellationToken{});
    EXPECT_EQ(outcome.status, RunStatus::StoppedAtBudget) << outcome.error;
    ASSERT_TRUE(outcome.progress.costUsd);
    EXPECT_LE(*outcome.progress.costUsd, cap);
    EXPECT_LE(highestSeen, cap);
    // Each answer costs 100·2 + 250·4 per 1M = $0.0012, its bound at most $0.0042 or so: the run stops
    // within a few requests of the cap, not long before it.
    EXPECT_GT(*outcome.progress.costUsd, cap - 8 * 0.0042 - 0.0012);
    EXPECT_EQ(outcome.progress.rowsDone, journalLines(dir / "journal.jsonl"));
    EXPECT_GT(outcome.progress.rowsDone, 0);
}

TEST(Budget, WithoutAPriceNothingIsCountedAndNothingStops) {
    TempDir dir;
    Journal journal(dir / "journal.jsonl");
    ASSERT_EQ(journal.open(), "");
    RunOptions options = fastOptions();
    options.spending.capUsd = 0.000001;
    GenerationRun run(scriptedJob(20, 2), std::make_shared<ScriptedProvider>(), journal, options);
    const auto outcome = run.run(CancellationToken{});
    EXPECT_EQ(outcome.status, RunStatus::Completed);
    EXPECT_FALSE(outcome.progress.costUsd);
}

TEST(Budget, TheRunServiceRecordsCostStatusAndResumesWithAHigherCap) {
    TempDir dir;
    const Project project(dir / "project");
    RunHistory history;
    ASSERT_EQ(history.open(project.historyDatabase()), "");
    RunService service(project, history);
    JobSpec job = scriptedJob(50, 1);
    job.price = TokenPrice{0.0, 1.0};
    job.maxCostUsd = 0.0019;
    auto prepared = service.prepare(job);
    ASSERT_TRUE(std::holds_alternative<PreparedRun>(prepared)) << std::get<std::string>(prepared);
    auto& run = std::get<PreparedRun>(prepared);
    auto provider = std::make_shared<ScriptedProvider>();
    const auto report = service.execute(run, provider, fastOptions(), {}, CancellationToken{});
    EXPECT_EQ(report.outcome.status, RunStatus::StoppedAtBudget);
    EXPECT_EQ(report.datasetRows, 20U) << "the rows are written to the dataset";
    auto record = history.find(run.id);
    ASSERT_TRUE(record);
    EXPECT_EQ(record->status, RunStatus::StoppedAtBudget);
    EXPECT_DOUBLE_EQ(*record->costUsd, 0.001);
    EXPECT_DOUBLE_EQ(*record->maxCostUsd, 0.0019);
    EXPECT_EQ(record->requestsDone, 4);
    EXPECT_EQ(record->requestsPlanned, 10);
    const auto metadata = readJsonFile(run.runDir / "metadata.json");
    ASSERT_TRUE(metadata.ok());
    EXPECT_EQ((*metadata.json)["status"], "stopped_at_budget");
    EXPECT_DOUBLE_EQ((*metadata.json)["cost"]["usd"].get<double>(), 0.001);
    EXPECT_DOUBLE_EQ((*metadata.json)["cost"]["price"]["output_per_million"].get<double>(), 1.0);
    EXPECT_EQ((*metadata.json)["cost"]["price"]["source"], "the job");

    run.lock.reset(); // the first session is over: its run is no longer held
    auto sameCap = service.prepareResume(run.id);
    ASSERT_TRUE(std::holds_alternative<PreparedRun>(sameCap)) << std::get<std::string>(sameCap);
    const auto again =
        service.execute(std::get<PreparedRun>(sameCap), provider, fastOptions(), {}, CancellationToken{});
    EXPECT_EQ(again.outcome.status, RunStatus::StoppedAtBudget) << "the spent budget does not come back";
    EXPECT_EQ(provider->calls(), 4);

    std::get<PreparedRun>(sameCap).lock.reset();
    EXPECT_NE(std::get<std::string>(service.prepareResume(run.id, ResumeScope::Everything, -1.0))
                  .find("max_cost_usd must be a positive"),
              std::string::npos);
    auto raised = service.prepareResume(run.id, ResumeScope::Everything, 0.01);
    ASSERT_TRUE(std::holds_alternative<PreparedRun>(raised)) << std::get<std::string>(raised);
    EXPECT_EQ(*std::get<PreparedRun>(raised).job.maxCostUsd, 0.01);
    const auto finished =
        service.execute(std::get<PreparedRun>(raised), provider, fastOptions(), {}, CancellationToken{});
    EXPECT_EQ(finished.outcome.status, RunStatus::Completed) << finished.outcome.error;
    EXPECT_EQ(finished.datasetRows, 50U);
    record = history.find(run.id);
    EXPECT_DOUBLE_EQ(*record->costUsd, 0.0025);
    EXPECT_DOUBLE_EQ(*record->maxCostUsd, 0.01);
    EXPECT_EQ(record->requestsDone, 10);
    const auto savedJob = readJsonFile(run.runDir / "job.json");
    EXPECT_EQ((*savedJob.json)["max_cost_usd"], 0.01) << "the new cap is the run's from now on";
}

TEST(Budget, ACapWithoutAKnownPriceIsRefusedBeforeAnythingIsWritten) {
    TempDir dir;
    const Project project(dir / "project");
    RunHistory history;
    ASSERT_EQ(history.open(dir / "h.sqlite"), "");
    RunService service(project, history);
    JobSpec job = scriptedJob(10, 1);
    job.provider.name = "openai";
    job.maxCostUsd = 1.0;
    const auto prepared = service.prepare(job);
    ASSERT_TRUE(std::holds_alternative<std::string>(prepared));
    EXPECT_NE(std::get<std::string>(prepared).find("needs the price of openai / scripted-model"),
              std::string::npos)
        << std::get<std::string>(prepared);
    EXPECT_TRUE(history.list().empty());
    std::error_code ec;
    EXPECT_TRUE(std::filesystem::is_empty(project.runsDir(), ec));
}

TEST(CostEstimate, TheRequestsAreTheEnginesAndTheDoNotRepeatListGrows) {
    JobSpec job = scriptedJob(20, 4);
    job.provider.name = "openai";
    job.examples = {{"How do you sort a list?", "Use sorted()."}};
    const auto estimated = estimateCost(job, {}, {}, FoundPrice{{1.0, 2.0}, "test"});
    ASSERT_TRUE(std::holds_alternative<CostEstimate>(estimated)) << std::get<std::string>(estimated);
    const auto& e = std::get<CostEstimate>(estimated);
    EXPECT_EQ(e.plannedRequests, 4);
    BatchRequestInput first;
    first.seed = "Sorting";
    first.count = 5;
    const auto firstRequest = buildChatRequest(job, first, runOptionsFor(job));
    EXPECT_EQ(e.firstRequestInputTokens, tokensFromCharacters(requestCharacters(firstRequest)));
    BatchRequestInput last = first;
    last.doNotRepeat.assign(15, std::string(characterCount(job.examples[0].question), 'x'));
    const auto lastRequest = buildChatRequest(job, last, runOptionsFor(job));
    EXPECT_EQ(e.largestRequestInputTokens, tokensFromCharacters(requestCharacters(lastRequest)));
    EXPECT_DOUBLE_EQ(e.requestMargin, kAssumedRequestMargin) << "no earlier runs";
    EXPECT_EQ(e.requestsHigh, 5);
    EXPECT_GT(e.inputTokens.high, e.inputTokens.low);
    EXPECT_DOUBLE_EQ(*e.costLowUsd, (e.inputTokens.low * 1.0 + e.outputTokens.low * 2.0) / 1e6);
    EXPECT_DOUBLE_EQ(*e.worstCaseUsd, (e.inputTokens.high * 1.0 + 5 * 1000 * 2.0) / 1e6);
    JobSpec local = job;
    local.provider.name = "local";
    BatchRequestInput firstLocal = first;
    auto localRequest = buildChatRequest(local, firstLocal, runOptionsFor(local));
    ASSERT_TRUE(localRequest.jsonSchema);
    localRequest.jsonSchema.reset();
    EXPECT_EQ(std::get<CostEstimate>(estimateCost(local, {}, {}, std::nullopt)).firstRequestInputTokens,
              tokensFromCharacters(requestCharacters(localRequest)))
        << "the embedded server makes a grammar of the schema: the model does not read it";
    const auto unpriced = std::get<CostEstimate>(estimateCost(job, {}, {}, std::nullopt));
    EXPECT_FALSE(unpriced.costLowUsd);
    bool saysUnknown = false;
    for (const auto& line : describeEstimate(unpriced, job))
        saysUnknown = saysUnknown || line.find("unknown price") != std::string::npos;
    EXPECT_TRUE(saysUnknown);
}

TEST(CostEstimate, CurationAsksOncePerElementWithTheFieldAndDocumentsOncePerExcerptBatch) {
    TempDir dir;
    JobSpec curation;
    curation.workflow = Workflow::CustomDataCuration;
    curation.provider.name = "openai";
    curation.prompt = "Answer in one sentence.";
    curation.inputKey = "Prompt";
    curation.inputFiles = {dir.write("input.jsonl",
                                     "{\"Prompt\": \"What is a list?\"}\n{\"Other\": 1}\n"
                                     "{\"Prompt\": \"What is a tuple, and when is it better?\"}\n")
                               .string()};
    const auto estimated = estimateRun(curation, PriceTable{}, {});
    ASSERT_TRUE(std::holds_alternative<CostEstimate>(estimated)) << std::get<std::string>(estimated);
    const auto& e = std::get<CostEstimate>(estimated);
    EXPECT_EQ(e.plannedRequests, 2) << "the element without the field is skipped, as the run skips it";
    const auto longer = buildCurationRequest(curation, "What is a tuple, and when is it better?", true);
    EXPECT_EQ(e.largestRequestInputTokens, tokensFromCharacters(requestCharacters(longer)));

    JobSpec documents = scriptedJob(6, 1);
    documents.provider.name = "openai";
    documents.rowsPerRequest = 2;
    documents.chunkSize = 400;
    documents.chunkOverlap = 40;
    documents.inputFiles = {std::string(SDS_TEST_DATA_DIR) + "/documents/guide.md"};
    std::vector<std::string> notices;
    const auto excerpts = std::get<std::vector<GroundingChunk>>(documentExcerpts(documents, notices));
    const auto grounded = std::get<CostEstimate>(estimateRun(documents, PriceTable{}, {}));
    int planned = 0;
    for (const int rows : spreadEvenly(documents.size, excerpts.size()))
        planned += (rows + 1) / 2;
    EXPECT_EQ(grounded.plannedRequests, planned);
    EXPECT_GT(grounded.largestRequestInputTokens, tokensFromCharacters(characterCount(excerpts.front().text)))
        << "each request carries its excerpt";

    curation.inputFiles = {dir.write("broken.json", "[{\"Prompt\": 1,,]").string()};
    const auto broken = estimateRun(curation, PriceTable{}, {});
    ASSERT_TRUE(std::holds_alternative<std::string>(broken));
    EXPECT_NE(std::get<std::string>(broken).find("broken.json:1:"), std::string::npos)
        << std::get<std::string>(broken);
}

TEST(CostEstimate, ARealTokenizerSetsTheCharactersPerToken) {
    JobSpec job = scriptedJob(10, 1);
    TokenCounter counter;
    counter.tokenizerName = "a tokenizer";
    std::size_t asked = 0;
    counter.tokenize = [&](const std::string& text) -> std::optional<std::int64_t> {
        asked = characterCount(text);
        return static_cast<std::int64_t>(asked / 2);
    };
    const auto e = std::get<CostEstimate>(estimateCost(job, {}, {}, std::nullopt, counter));
    EXPECT_GT(asked, 0U);
    EXPECT_NEAR(e.charactersPerToken, 2.0, 0.01);
    EXPECT_NE(e.tokenCounting.find("a tokenizer (2.00 characters per token)"), std::string::npos)
        << e.tokenCounting;
}

TEST(CostEstimate, EarlierRunsOfTheTemplateGiveTheMarginAndRowSize) {
    JobSpec job = scriptedJob(10, 1);
    job.templateId = "code_generation";
    job.provider.name = "openai";
    RunRecord other;
    other.templateId = "code_generation";
    other.workflow = "sft";
    other.provider = "bedrock";
    other.model = "x";
    other.status = RunStatus::Completed;
    other.completedRows = 100;
    other.requestsPlanned = 20;
    other.requestsDone = 30;
    other.outputTokens = 15000;
    RunRecord same = other;
    same.provider = "openai";
    same.model = "scripted-model";
    same.requestsDone = 22;
    same.outputTokens = 11000;
    RunRecord unfinished = same;
    unfinished.status = RunStatus::Partial;
    unfinished.requestsDone = 200;
    auto earlier = earlierRunsOf({unfinished, other, same}, job);
    EXPECT_EQ(earlier.runs, 1) << "runs of the same model first; unfinished runs say nothing";
    EXPECT_TRUE(earlier.sameModel);
    EXPECT_DOUBLE_EQ(earlier.highestRequestRatio, 1.1);
    EXPECT_DOUBLE_EQ(*earlier.outputTokensPerRow, 11000 / (100 * 1.1));
    earlier = earlierRunsOf({other}, job);
    EXPECT_FALSE(earlier.sameModel);
    EXPECT_DOUBLE_EQ(earlier.highestRequestRatio, 1.5);
    job.templateId = "text_to_sql";
    EXPECT_EQ(earlierRunsOf({other, same}, job).runs, 0);
}

// Input tokens of the requests the stand-in received, counted as the estimate counts them: the messages and
// the schema at kCharactersPerToken characters per token.
std::int64_t inputTokensByTheEstimatesRule(const standin::StandinServer& server) {
    std::int64_t tokens = 0;
    for (const auto& request : server.recordedRequests()) {
        const auto body = nlohmann::json::parse(request.body);
        std::size_t characters = characterCount(body["response_format"]["json_schema"]["schema"].dump());
        for (const auto& message : body["messages"])
            characters += characterCount(message["content"].get<std::string>());
        tokens += tokensFromCharacters(characters);
    }
    return tokens;
}

// The stand-in reports usage as it counts it: prompt_tokens = the whole HTTP body's bytes / 4 (the
// messages, but also the JSON keys, the schema, the sampling parameters and the escapes of newlines and
// quotes), completion_tokens = the answer's bytes / 4. The estimate counts the messages and the schema at 4
// characters per token. So the comparison is made in two steps: the estimate against the same rule applied
// to the requests really sent (how well the plan and the prompts were predicted), and the stand-in's own
// count against that (its JSON overhead, not the estimate's error). The first run's output can only be
// estimated from the template's examples; the second run's comes from the first run's recorded sizes.
TEST(CostEstimate, EstimateAgainstTheStandInsReportedUsage) {
    TempDir dir;
    standin::StandinServer server;
    server.start();
    providers::ProviderConfig config;
    config.provider = "openai";
    config.endpoint = server.baseUrl() + "/v1";
    auto made = providers::makeProvider(config, providers::FakeEnvironment{});
    ASSERT_TRUE(made.ok()) << made.error().message;
    const auto templates = Project(dir.path()).loadTemplates();
    const Template* code = templates.find("code_generation");
    ASSERT_NE(code, nullptr);
    JobSpec job;
    job.templateId = code->id;
    job.provider.name = "openai";
    job.provider.model = "standin-model";
    job.parameters = code->parameters;
    job.size = 120;
    job.rowsPerRequest = 5;
    job.concurrency = 4;
    job.fillFromTemplate(*code);

    struct Measured {
        double inputPlan = 0;   // our rule on the requests sent / the estimate's input
        double standinRule = 0; // the stand-in's input count / our rule on the same requests
        double input = 0;       // the stand-in's input count / the estimate's
        double output = 0;      // the stand-in's output count / the estimate's
    };
    const auto runAndMeasure = [&](const CostEstimate& estimate, const std::string& name) {
        server.resetStats();
        Journal journal(dir / name);
        EXPECT_EQ(journal.open(), "");
        RunOptions options = runOptionsFor(job);
        options.progressInterval = std::chrono::milliseconds(20);
        GenerationRun run(job, made.value(), journal, options);
        const auto outcome = run.run(CancellationToken{});
        EXPECT_EQ(outcome.status, RunStatus::Completed) << outcome.error;
        EXPECT_EQ(outcome.progress.requestsDone, estimate.plannedRequests) << "the stand-in needs no re-ask";
        const auto ours = static_cast<double>(inputTokensByTheEstimatesRule(server));
        const auto input = static_cast<double>(outcome.progress.tokens.input);
        Measured measured{ours / static_cast<double>(estimate.inputTokens.low), input / ours,
                          input / static_cast<double>(estimate.inputTokens.low),
                          static_cast<double>(outcome.progress.tokens.output) /
                              static_cast<double>(estimate.outputTokens.low)};
        std::cout << name << ": input sent/estimated " << measured.inputPlan << ", stand-in's count/ours "
                  << measured.standinRule << ", input reported/estimated " << measured.input
                  << ", output reported/estimated " << measured.output << "\n";
        return std::pair{outcome, measured};
    };

    const auto first = std::get<CostEstimate>(estimateCost(job, {}, {}, std::nullopt));
    const auto [firstRun, firstMeasured] = runAndMeasure(first, "first.jsonl");
    // Measured 1.09: the stand-in's questions, which fill the "do not repeat" lists, are longer than the
    // template's example questions the estimate assumes.
    EXPECT_NEAR(firstMeasured.inputPlan, 1.0, 0.15);
    // Measured 1.13.
    EXPECT_GT(firstMeasured.standinRule, 1.0);
    EXPECT_LT(firstMeasured.standinRule, 1.2);
    EXPECT_NEAR(firstMeasured.input, 1.0, 0.3);
    EXPECT_NEAR(firstMeasured.output, 1.0, 0.3);

    RunRecord record;
    record.templateId = job.templateId;
    record.workflow = "sft";
    record.provider = job.provider.name;
    record.model = job.provider.model;
    record.status = RunStatus::Completed;
    record.completedRows = firstRun.progress.rowsDone;
    record.requestsDone = firstRun.progress.requestsDone;
    record.requestsPlanned = firstRun.progress.requestsPlanned;
    record.outputTokens = firstRun.progress.tokens.output;
    const auto second =
        std::get<CostEstimate>(estimateCost(job, {}, earlierRunsOf({record}, job), std::nullopt));
    EXPECT_DOUBLE_EQ(second.requestMargin, 1.0);
    const auto [secondRun, secondMeasured] = runAndMeasure(second, "second.jsonl");
    EXPECT_NEAR(secondMeasured.inputPlan, 1.0, 0.15);
    EXPECT_NEAR(secondMeasured.input, 1.0, 0.3);
    // Measured 0.998: the row size recorded by the first run.
    EXPECT_NEAR(secondMeasured.output, 1.0, 0.05);
}

} // namespace
} // namespace sds::engine
