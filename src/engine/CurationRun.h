#pragma once

#include "core/Cancellation.h"
#include "core/Job.h"
#include "core/Journal.h"
#include "engine/GenerationRun.h"
#include "providers/Provider.h"

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sds::engine {

// What a first pass over a curation input found: nothing is sent before the whole file parses.
struct CurationInputCheck {
    std::size_t elements = 0;
    std::vector<std::size_t> missingField; // indices of elements without the input field
    std::string error;                     // "<file>:<line>:<col>: …" for the first malformed spot
    [[nodiscard]] std::size_t usable() const { return elements - missingField.size(); }
};
[[nodiscard]] CurationInputCheck checkCurationInput(const std::filesystem::path& input,
                                                    const std::string& inputKey);
// "3 of 1000 elements have no field "Prompt" and are skipped: #4, #17, #90"
[[nodiscard]] std::string describeSkipped(const CurationInputCheck& check, const std::string& inputKey);

// The text an element gives the model: the element itself when it is a string, else its input field
// (a string as is, anything else as JSON). Empty when an object lacks the field.
[[nodiscard]] std::optional<std::string> curationInputText(const nlohmann::ordered_json& element,
                                                           const std::string& inputKey);

[[nodiscard]] providers::ChatRequest buildCurationRequest(const JobSpec& job, const std::string& inputText,
                                                          bool structuredOutput);

// Custom data curation: every element of the input, streamed from the file, is sent with the job's
// instruction and examples, and the row keeps the element plus the model's output. Elements already in
// the journal (a resumed run) are not sent again.
class CurationRun {
public:
    CurationRun(JobSpec job, std::filesystem::path input, std::shared_ptr<providers::Provider> provider,
                Journal& journal, RunOptions options = {});
    ~CurationRun();
    CurationRun(const CurationRun&) = delete;
    CurationRun& operator=(const CurationRun&) = delete;

    void onProgress(std::function<void(const Progress&)> callback);
    void onRow(std::function<void(const JournalRow&)> callback);
    // A resumed run: elements that failed in earlier sessions stay failed until they get an output; with
    // ResumeScope::FailedOnly, only they are sent.
    void resumeFrom(FailedWork earlier, ResumeScope scope);
    RunOutcome run(const CancellationToken& cancel);

private:
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace sds::engine
