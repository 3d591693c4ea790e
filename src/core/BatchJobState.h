#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sds {

// A run's Bedrock batch inference job, kept in runs/<id>/batch.json beside its journal and updated at
// every status check, so that a resumed run re-attaches to the job instead of submitting another, and
// the Generations list and `sds show` can say how far it is.
struct BatchJobState {
    std::string inputUri;  // s3://bucket/prefix/<run id>/records.jsonl
    std::string outputUri; // s3://bucket/prefix/<run id>/output/
    std::string jobArn;    // empty until the job was created
    std::string status;    // as Bedrock says: Submitted, InProgress, Completed, Failed, Stopped, …
    std::string message;   // why the job failed, when it did
    std::int64_t records = 0;
    std::optional<std::int64_t> processedRecords;
    std::optional<std::int64_t> failedRecords;
    bool answersTaken = false; // the output was read into the journal: a resumed run asks on demand
    // 1 for the run's job; 2 for the follow-up job of the records the first one failed, whose answers are
    // read from both outputs.
    int round = 1;
    std::vector<std::string> earlierOutputUris;

    bool operator==(const BatchJobState&) const = default;
};

[[nodiscard]] std::filesystem::path batchJobStateFile(const std::filesystem::path& runDir);
// Nothing when the run has no batch job; an error naming the file when it is damaged.
[[nodiscard]] std::variant<std::optional<BatchJobState>, std::string>
loadBatchJobState(const std::filesystem::path& runDir);
[[nodiscard]] std::string saveBatchJobState(const std::filesystem::path& runDir, const BatchJobState& state);

// "InProgress, 40 of 120 records processed", "PartiallyCompleted, 120 of 120 records processed, 12 failed",
// "not submitted yet".
[[nodiscard]] std::string describeBatchJob(const BatchJobState& state);

} // namespace sds
