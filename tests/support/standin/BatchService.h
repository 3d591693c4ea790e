#pragma once

// The stand-in's Amazon S3 (path-style: PUT, multipart upload, GET, ListObjectsV2) and the Bedrock control
// plane's batch inference calls (CreateModelInvocationJob, GetModelInvocationJob). A job runs its input
// records through the stand-in's generator when it is polled past its InProgress phase.

#include "standin/Generation.h"
#include "standin/HttpWire.h"

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace sds::standin {

struct BatchScenario {
    // GetModelInvocationJob answers Submitted, then InProgress, this many times before the job ends.
    int pollsUntilDone = 2;
    // Every n-th input record (1-based) fails with an "error" instead of a modelOutput; 0: none fail.
    int failEveryNthRecord = 0;
    // The output leaves out this many of the last records altogether (a job stopped or expired midway).
    int omitLastRecords = 0;
    // A CreateModelInvocationJob repeating an earlier client request token is answered without the
    // jobArn (Bedrock documents only that it "ignores the request"), so the caller has to look it up.
    bool repeatedTokenGetsNoArn = false;
    // The job ends Failed (with a message) and writes no output.
    bool failJob = false;
};

struct BatchStats {
    std::uint64_t s3Requests = 0;
    std::uint64_t multipartUploadsCompleted = 0;
    std::uint64_t jobsCreated = 0; // CreateModelInvocationJob calls that made a new job
    std::uint64_t statusPolls = 0;
};

class BatchService {
public:
    // Refuses a request (a reply) or lets it through (nothing) after checking its SigV4 signature for
    // the service, "s3" or "bedrock".
    using SignatureCheck =
        std::function<std::optional<Reply>(const ReceivedRequest&, std::string_view service)>;

    BatchService(ItemWriter& itemWriter, std::string region);

    // The reply when the request is for S3 or a batch job; nothing for any other request.
    std::optional<Reply> handle(const ReceivedRequest& request, const BatchScenario& scenario,
                                const SignatureCheck& checkSignature);

    [[nodiscard]] BatchStats stats() const;
    void resetStats();
    // The stored object, for tests; nothing when there is none.
    [[nodiscard]] std::optional<std::string> object(const std::string& bucket, const std::string& key) const;

private:
    struct Upload {
        std::string bucket;
        std::string key;
        std::map<int, std::string> parts;
    };
    struct Job {
        std::string arn;
        std::string id;
        std::string name;
        std::string modelId;
        std::string inputUri;
        std::string outputUri;
        int polls = 0;
        int totalRecords = 0;
        std::string finalStatus; // empty while running
        std::string message;
        int errorRecords = 0;
    };

    Reply s3(const ReceivedRequest& request);
    Reply createJob(const ReceivedRequest& request, const BatchScenario& scenario);
    Reply listJobs(const ReceivedRequest& request);
    Reply getJob(const std::string& arn, const BatchScenario& scenario);
    void finish(Job& job, const BatchScenario& scenario); // under m_mutex
    [[nodiscard]] std::string answerLine(const std::string& modelId, const nlohmann::json& record, bool fail);

    ItemWriter& m_itemWriter;
    std::string m_region;
    mutable std::mutex m_mutex;
    std::map<std::string, std::map<std::string, std::string>> m_buckets; // bucket -> key -> bytes
    std::map<std::string, Upload> m_uploads;
    std::map<std::string, Job> m_jobs;                // by ARN
    std::map<std::string, std::string> m_jobsByToken; // clientRequestToken -> ARN
    std::uint64_t m_nextNumber = 1;
    BatchStats m_stats;
};

} // namespace sds::standin
