#pragma once

#include "core/Cancellation.h"
#include "providers/Provider.h"
#include "providers/bedrock/BedrockProvider.h"
#include "providers/http/Http.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sds::providers::bedrock {

enum class NativeFamily { AnthropicClaude, AmazonNova, MetaLlama, Unsupported };
[[nodiscard]] NativeFamily nativeFamilyOf(std::string_view modelId);
// Empty when batch jobs can run the model; otherwise one line saying which models they can.
[[nodiscard]] std::string batchModelProblem(std::string_view modelId);

// The InvokeModel body of the model's own family (what a batch record's modelInput holds): the Anthropic
// Messages API for Claude (a forced tool for a JSON schema), messages-v1 for Nova, a Llama 3 prompt.
[[nodiscard]] nlohmann::json buildNativeBody(const ChatRequest& request);
// Reads a native answer (a batch record's modelOutput) the way parseConverseResponse reads Converse's;
// a one-line error when it has none of the expected content.
[[nodiscard]] ChatResult parseNativeResponse(const nlohmann::json& modelOutput, const ChatRequest& request);

// One line of the input file.
[[nodiscard]] std::string batchRecordLine(const std::string& recordId, const nlohmann::json& modelInput);

// One line of an output file: the answer, or why the record failed.
struct BatchOutputRecord {
    std::string recordId;
    std::optional<nlohmann::json> modelOutput;
    std::string error; // set when the record failed (the error's message and code)
};
// Lines that are not JSON objects with a recordId are counted in `unreadableLines`.
struct BatchOutput {
    std::vector<BatchOutputRecord> records;
    int unreadableLines = 0;
};
[[nodiscard]] BatchOutput parseBatchOutput(std::string_view jsonLines);

enum class BatchJobStatus {
    Submitted,
    Validating,
    Scheduled,
    InProgress,
    Completed,
    PartiallyCompleted,
    Failed,
    Stopping,
    Stopped,
    Expired,
    Unknown
};
[[nodiscard]] std::string toString(BatchJobStatus status);
[[nodiscard]] BatchJobStatus batchJobStatusFromString(std::string_view text);
// Completed and PartiallyCompleted have output to read; Failed, Stopped and Expired may have some.
[[nodiscard]] bool isFinished(BatchJobStatus status);

struct BatchJobInfo {
    std::string arn;
    BatchJobStatus status = BatchJobStatus::Unknown;
    std::string message; // why it failed, when it did
    std::optional<std::int64_t> totalRecords;
    std::optional<std::int64_t> processedRecords;
    std::optional<std::int64_t> successRecords;
    std::optional<std::int64_t> errorRecords;
};
[[nodiscard]] BatchJobInfo parseBatchJobInfo(const nlohmann::json& body);

struct BatchJobRequest {
    std::string jobName;
    std::string roleArn;
    std::string modelId;
    std::string inputS3Uri;         // the JSONL file
    std::string outputS3Uri;        // a prefix ending in '/'
    std::string clientRequestToken; // the same token never makes a second job
};
[[nodiscard]] nlohmann::json createJobBody(const BatchJobRequest& request);

// The Bedrock control plane's batch inference calls: CreateModelInvocationJob and GetModelInvocationJob,
// signed with SigV4 (service "bedrock").
class BatchJobClient {
public:
    BatchJobClient(Connection connection, http::Transport transport);

    // The new job's ARN. A repeated call with the same client request token makes no second job; when
    // Bedrock then answers without the ARN, the job is looked up by its name.
    [[nodiscard]] Result<std::string> create(const BatchJobRequest& request,
                                             const CancellationToken& cancel) const;
    // ListModelInvocationJobs by name: the ARN of the job named exactly `jobName`, empty when none is.
    [[nodiscard]] Result<std::string> findByName(const std::string& jobName,
                                                 const CancellationToken& cancel) const;
    [[nodiscard]] Result<BatchJobInfo> get(const std::string& jobArn, const CancellationToken& cancel) const;

private:
    [[nodiscard]] http::HttpResult send(const std::string& method, const std::string& url, std::string body,
                                        const CancellationToken& cancel) const;

    Connection m_connection;
    http::Transport m_transport;
};

} // namespace sds::providers::bedrock
