#pragma once

// A local stand-in for the LLM services the product talks to (OpenAI-compatible chat completions and
// AWS Bedrock Converse), for tests and benchmarks. Listens on 127.0.0.1 only, answers generation prompts
// with unique items and injects faults on demand.

#include "providers/http/Http.h"
#include "standin/BatchService.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sds::standin {

// "standin-model", "standin-small", "anthropic.claude-3-5-sonnet-20240620-v1:0", ...
[[nodiscard]] std::vector<std::string> defaultModels();

struct StandinOptions {
    int port = 0; // 0: any free port

    // Each chat request sleeps latency + a uniform 0..latencyJitter before answering.
    std::chrono::milliseconds latency{0};
    std::chrono::milliseconds latencyJitter{0};

    // When non-empty, the OpenAI-style endpoints require "Authorization: Bearer <bearerToken>".
    std::string bearerToken;

    // Access key id -> secret. When non-empty, the Bedrock endpoints require a valid SigV4 signature
    // for `awsRegion` and service "bedrock"; when empty they accept unsigned requests.
    std::map<std::string, std::string> awsCredentials;
    std::string awsRegion = "us-east-1";

    std::vector<std::string> models = defaultModels();

    // Probabilities per chat request; one draw of the seeded generator picks at most one fault
    // (in this order when the rates add up to more than 1).
    double rate429 = 0.0;
    double rate500 = 0.0;
    double rate503 = 0.0;
    double rateDrop = 0.0;         // close the connection without an answer
    double rateMalformed = 0.0;    // an answer that is not JSON
    double rateMessy = 0.0;        // prose + ```json fence + trailing commas: recoverable
    double rateMissingField = 0.0; // one item lacks "solution"
    double rateDuplicate = 0.0;    // one item repeats an earlier question of the same topic
    double rateDegenerate = 0.0;   // one item loops or trails off into brackets (a small model's failure)
    std::uint64_t seed = 1;
    // Words the questions are drawn from (Generation.h: questionText).
    std::size_t questionVocabulary = kDefaultQuestionVocabulary;

    int retryAfterSeconds = 0; // Retry-After header of 429 answers; negative: no header

    // The first N chat requests after start() or setOptions() fail this way (drops first, then 429s,
    // then 500s), before any random fault.
    int dropFirst = 0;
    int fail429First = 0;
    int fail500First = 0;

    // Generation prompts about these topics, and curation prompts with these inputs, are answered with empty
    // content (status 200): a seed that gets no rows, an element without an output.
    std::vector<std::string> emptyAnswerSubjects;

    // Status of the model-listing endpoints (/v1/models, /foundation-models, /inference-profiles);
    // anything but 200 answers that status, e.g. 503 for a scaled-down endpoint.
    int modelsEndpointStatus = 200;

    // S3 and the Bedrock batch inference jobs (signed for "s3" and "bedrock" when awsCredentials is set).
    BatchScenario batch;
};

struct FaultCounts {
    std::uint64_t status429 = 0;
    std::uint64_t status500 = 0;
    std::uint64_t status503 = 0;
    std::uint64_t dropped = 0;
    std::uint64_t malformed = 0;
    std::uint64_t messy = 0;
    std::uint64_t missingField = 0;
    std::uint64_t duplicate = 0;
    std::uint64_t degenerate = 0;

    [[nodiscard]] std::uint64_t total() const {
        return status429 + status500 + status503 + dropped + malformed + messy + missingField + duplicate +
               degenerate;
    }
};

struct StandinStats {
    std::uint64_t totalRequests = 0; // every parsed request, any endpoint
    std::uint64_t chatRequests = 0;  // chat completions and Converse requests
    int maxConcurrentChatRequests = 0;
    FaultCounts faults;
    // Chat requests by subject: the topic of a generation prompt, the input of a curation prompt.
    std::map<std::string, std::uint64_t> chatRequestsBySubject;
    BatchStats batch;
};

struct RecordedRequest {
    std::string method;
    std::string path;      // the request target as sent (percent-encoded, with "?query" if any)
    http::Headers headers; // names as sent
    std::string body;
};

class StandinServer {
public:
    static constexpr std::size_t maxRecordedRequests = 10000;

    explicit StandinServer(StandinOptions options = {});
    ~StandinServer(); // stops
    StandinServer(const StandinServer&) = delete;
    StandinServer& operator=(const StandinServer&) = delete;

    // Binds 127.0.0.1:options().port and starts serving; returns the port. Throws std::runtime_error
    // when the port cannot be bound. Calling it while running returns the current port.
    int start();
    // Closes the listener and every connection and joins all threads; returns within a few hundred
    // milliseconds even with idle keep-alive connections or sleeping requests.
    void stop();

    [[nodiscard]] int port() const;            // 0 when not running
    [[nodiscard]] std::string baseUrl() const; // "http://127.0.0.1:PORT"

    // Thread-safe at any time. Re-arms the dropFirst/fail429First/fail500First counters and reseeds the
    // fault generator. The port only matters for the next start().
    void setOptions(StandinOptions options);
    [[nodiscard]] StandinOptions options() const;

    [[nodiscard]] StandinStats stats() const;
    // An object the stand-in's S3 holds; nothing when there is none.
    [[nodiscard]] std::optional<std::string> s3Object(const std::string& bucket,
                                                      const std::string& key) const;
    // The last maxRecordedRequests chat requests, oldest first.
    [[nodiscard]] std::vector<RecordedRequest> recordedRequests() const;
    void resetStats(); // zeroes the statistics and forgets the recorded requests

private:
    class Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace sds::standin
