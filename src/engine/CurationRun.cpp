#include "engine/CurationRun.h"

#include "core/JsonStream.h"
#include "core/RowParsing.h"
#include "core/quality/RowQualityGate.h"
#include "engine/ElementStream.h"
#include "engine/RequestPool.h"

#include <algorithm>
#include <deque>

namespace sds::engine {
namespace {

using Clock = std::chrono::steady_clock;

// An element whose output is degenerate is asked again this many times, then left out (a resume asks
// for it once more).
constexpr int kMaxReasksPerElement = 2;

struct Element {
    std::size_t index = 0;
    nlohmann::ordered_json value;
    std::string text;
    int reasks = 0;
};

nlohmann::json outputSchema() {
    return {{"type", "object"},
            {"properties", {{"output", {{"type", "string"}}}}},
            {"required", {"output"}},
            {"additionalProperties", false}};
}

// The model's output from a structured answer ({"output": …}), a JSON object in text, or plain text.
std::optional<std::string> outputOf(const providers::ChatResponse& response) {
    const auto fromJson = [](const nlohmann::json& json) -> std::optional<std::string> {
        if (json.is_object() && json.contains("output")) {
            const auto& output = json["output"];
            return output.is_string() ? output.get<std::string>() : output.dump();
        }
        return std::nullopt;
    };
    if (response.structured)
        if (auto output = fromJson(*response.structured))
            return output;
    if (auto json = extractJson(response.text))
        if (auto output = fromJson(*json))
            return output;
    std::string text = response.text;
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos)
        return std::nullopt;
    text.erase(0, first);
    text.erase(text.find_last_not_of(" \t\r\n") + 1);
    return text;
}

} // namespace

std::optional<std::string> curationInputText(const nlohmann::ordered_json& element,
                                             const std::string& inputKey) {
    if (element.is_null())
        return std::nullopt; // nothing to curate, and a null input could not be told from a missing one
    if (element.is_string())
        return element.get<std::string>();
    if (element.is_object()) {
        const auto field = element.find(inputKey);
        if (field == element.end() || field->is_null())
            return std::nullopt;
        return field->is_string() ? field->get<std::string>() : field->dump();
    }
    return element.dump();
}

CurationInputCheck checkCurationInput(const std::filesystem::path& input, const std::string& inputKey) {
    CurationInputCheck check;
    check.error = checkJsonElements(input, [&](const JsonElement& element) {
        ++check.elements;
        if (!curationInputText(element.value, inputKey))
            check.missingField.push_back(element.index);
    });
    if (check.error.empty() && check.elements == 0)
        check.error = input.filename().string() + ": no elements to curate";
    return check;
}

std::string describeSkipped(const CurationInputCheck& check, const std::string& inputKey) {
    if (check.missingField.empty())
        return {};
    std::string text = std::to_string(check.missingField.size()) + " of " + std::to_string(check.elements) +
                       " elements have no field \"" + inputKey + "\" and are skipped:";
    const std::size_t shown = std::min<std::size_t>(check.missingField.size(), 10);
    for (std::size_t i = 0; i < shown; ++i)
        text += (i == 0 ? " #" : ", #") + std::to_string(check.missingField[i] + 1);
    if (shown < check.missingField.size())
        text += ", …";
    return text;
}

providers::ChatRequest buildCurationRequest(const JobSpec& job, const std::string& inputText,
                                            bool structuredOutput) {
    std::string user = "Instruction:\n" + job.prompt + "\n\n";
    if (!job.examples.empty()) {
        user += "Examples of inputs and the outputs wanted:\n\n";
        for (const auto& example : job.examples)
            user += "Example input:\n" + example.question + "\nExample output:\n" + example.solution + "\n\n";
    }
    user += "Follow the instruction for this input and give the output only";
    user += structuredOutput ? ", as a JSON object {\"output\": string}.\n\n" : ".\n\n";
    user += "Input: " + inputText + "\n";
    return chatRequest(
        job.provider.model,
        "You curate data for fine-tuning language models: you apply an instruction to one input at "
        "a time and write the output.",
        std::move(user), job.parameters,
        structuredOutput ? std::optional<nlohmann::json>(outputSchema()) : std::nullopt, "curated_output");
}

struct CurationRun::State : WorkSource<Element> {
    JobSpec job;
    std::filesystem::path input;
    Journal& journal;
    RunOptions options;
    RequestPool<Element> pool;
    std::function<void(const Progress&)> progressCallback;
    std::function<void(const JournalRow&)> rowCallback;
    FailedWork earlierFailures;
    ResumeScope resumeScope = ResumeScope::Everything;

    // Guarded by pool.mutex().
    ElementStream elements;    // elements already in the journal (or out of scope) are marked done
    std::vector<bool> curated; // by element index: in the journal
    std::vector<std::size_t> failedElements;
    std::deque<Element> reasks;
    Progress progress;
    int rowsThisSession = 0;
    Clock::time_point started;

    State(JobSpec jobSpec, std::filesystem::path inputPath, std::shared_ptr<providers::Provider> provider,
          Journal& j, RunOptions o)
        : job(std::move(jobSpec)), input(std::move(inputPath)), journal(j), options(std::move(o)),
          pool(*this, std::move(provider), job.concurrency, options.retryPolicy()), elements(input) {
        pool.limitSpending(options.spending);
    }

    [[nodiscard]] bool finished() const override { return elements.finished() && reasks.empty(); }

    std::optional<Element> take() override {
        if (!reasks.empty()) {
            Element element = std::move(reasks.front());
            reasks.pop_front();
            return element;
        }
        while (auto next = elements.next()) {
            auto text = curationInputText(next->value, job.inputKey);
            if (!text)
                continue; // counted by the first pass
            return Element{next->index, std::move(next->value), std::move(*text)};
        }
        if (!elements.error().empty())
            pool.fail(elements.error());
        return std::nullopt;
    }

    void abandon(const Element&) override {}

    void failed(const Element& element) override { failedElements.push_back(element.index); }

    providers::ChatRequest request(const Element& element) override {
        return buildCurationRequest(job, element.text, options.structuredOutput);
    }

    std::string describe(const Element& element) const override {
        return "element " + std::to_string(element.index + 1);
    }

    void complete(Element& element, providers::ChatResponse&& response) override {
        auto output = outputOf(response);
        if (!output) {
            std::lock_guard lock(pool.mutex());
            ++progress.invalidItems;
            failedElements.push_back(element.index);
            pool.noteProblem("empty answer for element " + std::to_string(element.index + 1));
            return;
        }
        if (const auto reason = quality::degenerateTextReason(*output);
            reason != quality::RejectionReason::None) {
            std::lock_guard lock(pool.mutex());
            progress.lowQuality.add(reason);
            if (element.reasks < kMaxReasksPerElement) {
                ++element.reasks;
                reasks.push_back(std::move(element));
            } else {
                pool.noteProblem("element " + std::to_string(element.index + 1) + " left out after " +
                                 std::to_string(kMaxReasksPerElement + 1) + " degenerate outputs (last: " +
                                 std::string(quality::reasonName(reason)) + ")");
            }
            return;
        }
        JournalRow row{static_cast<int>(element.index), {}, {}, std::move(*output), std::move(element.value)};
        if (auto error = journal.append(row); !error.empty()) {
            std::lock_guard lock(pool.mutex());
            pool.fail(error);
            return;
        }
        {
            std::lock_guard lock(pool.mutex());
            ++progress.rowsDone;
            ++rowsThisSession;
            curated[element.index] = true;
        }
        if (rowCallback)
            rowCallback(row);
    }

    // Only the elements that failed before and still have no output are sent; the others count as done.
    // Returns how many will be sent.
    int narrowToEarlierFailures() {
        int toSend = 0;
        for (std::size_t index = 0; index < curated.size(); ++index) {
            if (!earlierFailures.hasElement(index))
                elements.markDone(index);
            else if (!curated[index])
                ++toSend;
        }
        return toSend;
    }

    // Elements that failed now, and those that failed before and still have no output.
    [[nodiscard]] std::vector<std::size_t> stillFailed() const {
        std::vector<std::size_t> failed = failedElements;
        for (const std::size_t index : earlierFailures.elements)
            if (index < curated.size() && !curated[index])
                failed.push_back(index);
        std::sort(failed.begin(), failed.end());
        failed.erase(std::unique(failed.begin(), failed.end()), failed.end());
        return failed;
    }

    Progress snapshot() { return withCounters(progress, pool.counters(), started, rowsThisSession); }
};

CurationRun::CurationRun(JobSpec job, std::filesystem::path input,
                         std::shared_ptr<providers::Provider> provider, Journal& journal, RunOptions options)
    : m_state(std::make_unique<State>(std::move(job), std::move(input), std::move(provider), journal,
                                      std::move(options))) {}

CurationRun::~CurationRun() = default;

void CurationRun::onProgress(std::function<void(const Progress&)> callback) {
    m_state->progressCallback = std::move(callback);
}

void CurationRun::onRow(std::function<void(const JournalRow&)> callback) {
    m_state->rowCallback = std::move(callback);
}

void CurationRun::resumeFrom(FailedWork earlier, ResumeScope scope) {
    m_state->earlierFailures = std::move(earlier);
    m_state->resumeScope = scope;
}

RunOutcome CurationRun::run(const CancellationToken& cancel) {
    State& s = *m_state;
    RunOutcome outcome;
    const CurationInputCheck check = checkCurationInput(s.input, s.job.inputKey);
    if (!check.error.empty()) {
        outcome.status = RunStatus::Failed;
        outcome.error = check.error;
        return outcome;
    }
    s.progress = {};
    s.progress.rowsRequested = static_cast<int>(check.usable());
    s.progress.requestsPlanned = static_cast<int>(check.usable());
    s.progress.skippedInputs = static_cast<int>(check.missingField.size());
    s.progress.maxCostUsd = s.options.spending.capUsd;
    s.elements.resize(check.elements);
    s.curated.assign(check.elements, false);
    Journal::read(s.journal.path(), [&](JournalRow&& row) {
        if (row.seedIndex >= 0 && s.elements.markDone(static_cast<std::size_t>(row.seedIndex))) {
            s.curated[static_cast<std::size_t>(row.seedIndex)] = true;
            ++s.progress.rowsDone;
        }
    });
    s.progress.rowsResumed = s.progress.rowsDone;
    int requestsToSend = s.progress.requestsPlanned - s.progress.rowsDone;
    if (s.resumeScope == ResumeScope::FailedOnly)
        requestsToSend = s.narrowToEarlierFailures();
    if (auto error = s.elements.open(); !error.empty()) {
        outcome.status = RunStatus::Failed;
        outcome.error = error;
        return outcome;
    }
    s.started = Clock::now();

    runReportingProgress(s.pool, cancel, requestsToSend, &s.journal, s.options.journalSyncInterval,
                         s.progressCallback, [&] { return s.snapshot(); });

    outcome.progress = s.snapshot();
    outcome.problems = s.pool.problems();
    outcome.failed.elements = s.stillFailed();
    settle(outcome, s.pool.fatalError(), cancel, s.pool.stoppedAtBudget());
    if (s.progressCallback)
        s.progressCallback(outcome.progress);
    return outcome;
}

} // namespace sds::engine
