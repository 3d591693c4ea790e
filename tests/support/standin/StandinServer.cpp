#include "standin/StandinServer.h"

#include "core/Text.h"
#include "providers/bedrock/SigV4.h"
#include "standin/Generation.h"
#include "standin/HttpWire.h"

#include <arpa/inet.h>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <fcntl.h>
#include <list>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <random>
#include <stdexcept>
#include <sys/socket.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace sds::standin {
namespace {

constexpr int acceptPollIntervalMs = 200;
constexpr int listenBacklog = 1024;

enum class Fault {
    None,
    Status429,
    Status500,
    Status503,
    Drop,
    Malformed,
    Messy,
    MissingField,
    Duplicate,
    Degenerate,
    Count
};
enum class Dialect { OpenAi, Bedrock };

constexpr std::string_view bedrockValidationErrorType =
    "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/";

ContentFault contentFaultOf(Fault fault) {
    switch (fault) {
    case Fault::Malformed:
        return ContentFault::Malformed;
    case Fault::Messy:
        return ContentFault::Messy;
    case Fault::MissingField:
        return ContentFault::MissingField;
    case Fault::Duplicate:
        return ContentFault::Duplicate;
    case Fault::Degenerate:
        return ContentFault::Degenerate;
    default:
        return ContentFault::None;
    }
}

using text::percentDecode;

Reply jsonReply(int status, const Json& body, http::Headers headers = {}) {
    Reply reply;
    reply.status = status;
    reply.body = body.dump();
    reply.headers = std::move(headers);
    return reply;
}

Reply openAiError(int status, const std::string& message, const std::string& type, const Json& code,
                  http::Headers headers = {}) {
    return jsonReply(status,
                     {{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", code}}}},
                     std::move(headers));
}

Reply bedrockError(int status, std::string_view errorType, const std::string& message,
                   http::Headers headers = {}) {
    headers.emplace_back("x-amzn-ErrorType", std::string(errorType));
    return jsonReply(status, {{"message", message}}, std::move(headers));
}

http::Headers retryAfterHeader(const StandinOptions& options) {
    if (options.retryAfterSeconds < 0)
        return {};
    return {{"Retry-After", std::to_string(options.retryAfterSeconds)}};
}

// What a prompt is about: a curation prompt's input, else a generation prompt's topic.
std::string subjectOf(const PromptFacts& facts) {
    return facts.curationInput.value_or(facts.topic);
}

const Json* openAiSchema(const Json& body) {
    if (!body.contains("response_format") || !body["response_format"].is_object())
        return nullptr;
    const Json& format = body["response_format"];
    if (format.value("type", "") != "json_schema" || !format.contains("json_schema") ||
        !format["json_schema"].is_object() || !format["json_schema"].contains("schema"))
        return nullptr;
    return &format["json_schema"]["schema"];
}

struct ConverseTool {
    std::string name;
    const Json* schema = nullptr;
};

// The tool the request forces (toolChoice.tool.name), else its first tool; empty when no toolConfig.
std::optional<ConverseTool> converseTool(const Json& body) {
    if (!body.contains("toolConfig") || !body["toolConfig"].is_object())
        return std::nullopt;
    const Json& toolConfig = body["toolConfig"];
    if (!toolConfig.contains("tools") || !toolConfig["tools"].is_array() || toolConfig["tools"].empty())
        return std::nullopt;
    std::string chosenName;
    if (toolConfig.contains("toolChoice") && toolConfig["toolChoice"].is_object()) {
        const Json& choice = toolConfig["toolChoice"];
        if (choice.contains("tool") && choice["tool"].is_object())
            chosenName = choice["tool"].value("name", "");
    }
    std::optional<ConverseTool> chosen;
    for (const auto& tool : toolConfig["tools"]) {
        if (!tool.is_object() || !tool.contains("toolSpec") || !tool["toolSpec"].is_object())
            continue;
        const Json& spec = tool["toolSpec"];
        ConverseTool candidate{spec.value("name", "")};
        if (spec.contains("inputSchema") && spec["inputSchema"].is_object() &&
            spec["inputSchema"].contains("json"))
            candidate.schema = &spec["inputSchema"]["json"];
        if (!chosen || (!chosenName.empty() && candidate.name == chosenName && chosen->name != chosenName))
            chosen = candidate;
    }
    return chosen;
}

std::string providerPrefix(const std::string& modelId) {
    const auto dot = modelId.find('.');
    return dot == std::string::npos ? std::string() : modelId.substr(0, dot);
}

std::string capitalized(std::string text) {
    if (!text.empty())
        text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
    return text;
}

// Cross-region inference profiles ("us." + model id) for the models with a provider prefix.
std::vector<std::string> inferenceProfileIds(const std::vector<std::string>& models) {
    std::vector<std::string> ids;
    for (const auto& model : models)
        if (!providerPrefix(model).empty())
            ids.push_back("us." + model);
    return ids;
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

// "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/bedrock/aws4_request, ..." -> "AKID"
std::string accessKeyIdOf(std::string_view authorization) {
    constexpr std::string_view marker = "Credential=";
    const auto start = authorization.find(marker);
    if (start == std::string_view::npos)
        return {};
    const auto valueStart = start + marker.size();
    const auto end = authorization.find_first_of("/, ", valueStart);
    return std::string(
        authorization.substr(valueStart, end == std::string_view::npos ? end : end - valueStart));
}

} // namespace

std::vector<std::string> defaultModels() {
    return {"standin-model",
            "standin-small",
            "gpt-4o-mini",
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            "anthropic.claude-3-haiku-20240307-v1:0",
            "meta.llama3-1-8b-instruct-v1:0"};
}

class StandinServer::Impl {
public:
    explicit Impl(StandinOptions options)
        : m_options(std::make_shared<const StandinOptions>(std::move(options))),
          m_batch(m_itemWriter, m_options->awsRegion) {
        armFaults(*m_options);
        m_itemWriter.setQuestionVocabulary(m_options->questionVocabulary);
    }

    ~Impl() { stop(); }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    int start();
    void stop();

    int port() const {
        std::lock_guard lock(m_startStopMutex);
        return m_port;
    }

    void setOptions(StandinOptions options) {
        auto shared = std::make_shared<const StandinOptions>(std::move(options));
        armFaults(*shared);
        m_itemWriter.setQuestionVocabulary(shared->questionVocabulary);
        std::lock_guard lock(m_optionsMutex);
        m_options = std::move(shared);
    }

    std::shared_ptr<const StandinOptions> options() const {
        std::lock_guard lock(m_optionsMutex);
        return m_options;
    }

    StandinStats stats() const;
    std::vector<RecordedRequest> recordedRequests() const {
        std::lock_guard lock(m_recordMutex);
        return {m_recorded.begin(), m_recorded.end()};
    }
    void resetStats();
    std::optional<std::string> s3Object(const std::string& bucket, const std::string& key) const {
        return m_batch.object(bucket, key);
    }

private:
    struct Connection {
        std::thread thread;
        int socketFd = -1; // guarded by m_connectionsMutex; -1 once the connection thread closed it
        std::atomic<bool> finished{false};
    };

    struct ChatPlan {
        Fault fault = Fault::None;
        std::chrono::milliseconds delay{0};
    };

    // Decrements the in-flight count when a chat request is answered.
    class InFlight {
    public:
        explicit InFlight(Impl& impl) : m_impl(impl) {
            const int now = ++m_impl.m_chatInFlight;
            int seen = m_impl.m_maxChatInFlight.load();
            while (now > seen && !m_impl.m_maxChatInFlight.compare_exchange_weak(seen, now)) {
            }
        }
        ~InFlight() { --m_impl.m_chatInFlight; }
        InFlight(const InFlight&) = delete;
        InFlight& operator=(const InFlight&) = delete;

    private:
        Impl& m_impl;
    };

    void armFaults(const StandinOptions& options) {
        std::lock_guard lock(m_faultMutex);
        m_random.seed(options.seed);
        m_dropsLeft = options.dropFirst;
        m_429sLeft = options.fail429First;
        m_500sLeft = options.fail500First;
    }

    void acceptLoop();
    void acceptPending();
    void reapFinishedConnections();
    void serveConnection(Connection& connection);

    Reply handle(const ReceivedRequest& request);
    Reply chat(const ReceivedRequest& request, const StandinOptions& options, Dialect dialect,
               const std::string& bedrockModelId);
    // `body` is the request's body parsed once (discarded when it is not JSON).
    Reply openAiAnswer(const ReceivedRequest& request, const Json& body, const StandinOptions& options,
                       Fault fault);
    Reply converseAnswer(const ReceivedRequest& request, const Json& body, const StandinOptions& options,
                         Fault fault, const std::string& modelId);
    Reply openAiModels(const ReceivedRequest& request, const StandinOptions& options);
    Reply foundationModels(const ReceivedRequest& request, const StandinOptions& options);
    Reply inferenceProfiles(const ReceivedRequest& request, const StandinOptions& options);
    static std::optional<Reply> checkBearer(const ReceivedRequest& request, const StandinOptions& options);
    static std::optional<Reply> checkSignature(const ReceivedRequest& request, const StandinOptions& options,
                                               std::string_view service = "bedrock");
    static std::optional<Reply> modelsEndpointFailure(const StandinOptions& options, Dialect dialect);
    static Reply faultReply(Fault fault, const StandinOptions& options, Dialect dialect);

    ChatPlan planChat(const StandinOptions& options);
    void sleepUnlessStopping(std::chrono::milliseconds delay);
    void countFault(Fault fault) { ++m_faultCounts[static_cast<std::size_t>(fault)]; }
    void record(const ReceivedRequest& request, const Json& body);

    mutable std::mutex m_optionsMutex;
    std::shared_ptr<const StandinOptions> m_options;

    std::mutex m_faultMutex;
    std::mt19937_64 m_random;
    int m_dropsLeft = 0;
    int m_429sLeft = 0;
    int m_500sLeft = 0;

    mutable std::mutex m_startStopMutex; // serializes start() and stop(); guards m_port, m_running
    bool m_running = false;
    int m_port = 0;
    int m_listenFd = -1;
    std::array<int, 2> m_wakePipe{-1, -1};
    std::thread m_acceptThread;
    std::atomic<bool> m_stopping{false};

    std::mutex m_connectionsMutex;
    std::list<std::unique_ptr<Connection>> m_connections;

    std::mutex m_sleepMutex;
    std::condition_variable m_sleepWake;

    std::atomic<std::uint64_t> m_totalRequests{0};
    std::atomic<std::uint64_t> m_chatRequests{0};
    std::atomic<int> m_chatInFlight{0};
    std::atomic<int> m_maxChatInFlight{0};
    std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Fault::Count)> m_faultCounts{};
    std::atomic<std::uint64_t> m_answerNumber{0};

    mutable std::mutex m_recordMutex;
    std::deque<RecordedRequest> m_recorded;
    std::map<std::string, std::uint64_t> m_chatRequestsBySubject; // guarded by m_recordMutex

    ItemWriter m_itemWriter;
    BatchService m_batch;
};

int StandinServer::Impl::start() {
    std::lock_guard lock(m_startStopMutex);
    if (m_running)
        return m_port;
    const auto options = this->options();
    const auto fail = [&](const std::string& what) {
        const std::string reason = std::generic_category().message(errno);
        if (m_listenFd >= 0)
            ::close(m_listenFd);
        m_listenFd = -1;
        throw std::runtime_error("stand-in service: cannot " + what +
                                 " on 127.0.0.1:" + std::to_string(options->port) + ": " + reason);
    };
    m_listenFd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (m_listenFd < 0)
        fail("create a socket");
    const int enable = 1;
    ::setsockopt(m_listenFd, SOL_SOCKET, SO_REUSEADDR, &enable, sizeof enable);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(options->port));
    if (options->port < 0 || options->port > 65535) {
        errno = EINVAL;
        fail("bind");
    }
    if (::bind(m_listenFd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
        fail("bind");
    if (::listen(m_listenFd, listenBacklog) != 0)
        fail("listen");
    socklen_t addressLength = sizeof address;
    if (::getsockname(m_listenFd, reinterpret_cast<sockaddr*>(&address), &addressLength) != 0)
        fail("read the bound port");
    if (::pipe2(m_wakePipe.data(), O_CLOEXEC | O_NONBLOCK) != 0)
        fail("create a wake-up pipe");
    m_port = ntohs(address.sin_port);
    m_stopping = false;
    armFaults(*options);
    m_acceptThread = std::thread([this] { acceptLoop(); });
    m_running = true;
    return m_port;
}

void StandinServer::Impl::stop() {
    std::lock_guard lock(m_startStopMutex);
    if (!m_running)
        return;
    {
        std::lock_guard sleepLock(m_sleepMutex);
        m_stopping = true;
    }
    m_sleepWake.notify_all();
    [[maybe_unused]] const auto written = ::write(m_wakePipe[1], "x", 1);
    m_acceptThread.join();

    std::list<std::unique_ptr<Connection>> connections;
    {
        std::lock_guard connectionsLock(m_connectionsMutex);
        for (const auto& connection : m_connections)
            if (connection->socketFd >= 0)
                ::shutdown(connection->socketFd, SHUT_RDWR);
        connections = std::move(m_connections);
        m_connections.clear();
    }
    for (const auto& connection : connections)
        if (connection->thread.joinable())
            connection->thread.join();

    ::close(m_listenFd);
    ::close(m_wakePipe[0]);
    ::close(m_wakePipe[1]);
    m_listenFd = -1;
    m_wakePipe = {-1, -1};
    m_port = 0;
    m_running = false;
}

void StandinServer::Impl::acceptLoop() {
    while (!m_stopping) {
        std::array<pollfd, 2> watched{{{m_listenFd, POLLIN, 0}, {m_wakePipe[0], POLLIN, 0}}};
        const int ready = ::poll(watched.data(), watched.size(), acceptPollIntervalMs);
        reapFinishedConnections();
        if (m_stopping)
            break;
        if (ready > 0 && (watched[0].revents & POLLIN))
            acceptPending();
    }
}

void StandinServer::Impl::acceptPending() {
    while (!m_stopping) {
        const int socketFd = ::accept4(m_listenFd, nullptr, nullptr, SOCK_CLOEXEC);
        if (socketFd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                std::this_thread::sleep_for(std::chrono::milliseconds(10)); // let connections finish
            return;                                                         // EAGAIN: none pending
        }
        const int enable = 1;
        ::setsockopt(socketFd, IPPROTO_TCP, TCP_NODELAY, &enable, sizeof enable);
        auto connection = std::make_unique<Connection>();
        connection->socketFd = socketFd;
        Connection& added = *connection;
        {
            std::lock_guard lock(m_connectionsMutex);
            m_connections.push_back(std::move(connection));
        }
        try {
            added.thread = std::thread([this, &added] { serveConnection(added); });
        } catch (const std::system_error&) {
            std::lock_guard lock(m_connectionsMutex);
            ::close(added.socketFd);
            added.socketFd = -1;
            added.finished = true;
        }
    }
}

void StandinServer::Impl::reapFinishedConnections() {
    std::list<std::unique_ptr<Connection>> finished;
    {
        std::lock_guard lock(m_connectionsMutex);
        for (auto it = m_connections.begin(); it != m_connections.end();) {
            const auto current = it++;
            if ((*current)->finished)
                finished.splice(finished.end(), m_connections, current);
        }
    }
    for (const auto& connection : finished)
        if (connection->thread.joinable())
            connection->thread.join();
}

void StandinServer::Impl::serveConnection(Connection& connection) {
    int socketFd = -1;
    {
        std::lock_guard lock(m_connectionsMutex);
        socketFd = connection.socketFd;
    }
    RequestReader reader(socketFd, [this] { return m_stopping.load(std::memory_order_relaxed); });
    ReceivedRequest request;
    while (true) {
        const ReadOutcome outcome = reader.next(request);
        if (outcome == ReadOutcome::Closed)
            break;
        if (outcome == ReadOutcome::Malformed || outcome == ReadOutcome::TooLarge) {
            const int status = outcome == ReadOutcome::Malformed ? 400 : 413;
            const Reply reply =
                openAiError(status, std::string(reasonPhrase(status)), "invalid_request_error", nullptr);
            sendAll(socketFd, serializeReply(reply, false));
            break;
        }
        ++m_totalRequests;
        const Reply reply = handle(request);
        if (reply.dropConnection)
            break;
        const bool keepAlive = request.keepAlive && !m_stopping;
        if (!sendAll(socketFd, serializeReply(reply, keepAlive)) || !keepAlive)
            break;
    }
    {
        std::lock_guard lock(m_connectionsMutex);
        ::close(socketFd);
        connection.socketFd = -1;
    }
    connection.finished = true;
}

Reply StandinServer::Impl::handle(const ReceivedRequest& request) {
    const auto options = this->options();
    const std::string& path = request.path;
    const bool isGet = request.method == "GET";
    const bool isPost = request.method == "POST";

    if (isPost && (path == "/v1/chat/completions" || path == "/chat/completions"))
        return chat(request, *options, Dialect::OpenAi, {});
    if (isGet && (path == "/v1/models" || path == "/models"))
        return openAiModels(request, *options);

    constexpr std::string_view modelPrefix = "/model/";
    constexpr std::string_view conversePath = "/converse";
    if (isPost && path.starts_with(modelPrefix) && path.ends_with(conversePath) &&
        path.size() > modelPrefix.size() + conversePath.size()) {
        const std::string encodedId =
            path.substr(modelPrefix.size(), path.size() - modelPrefix.size() - conversePath.size());
        return chat(request, *options, Dialect::Bedrock, percentDecode(encodedId));
    }
    if (isGet && path == "/foundation-models")
        return foundationModels(request, *options);
    if (isGet && path == "/inference-profiles")
        return inferenceProfiles(request, *options);
    const auto checkSigned = [&options](const ReceivedRequest& received, std::string_view service) {
        return checkSignature(received, *options, service);
    };
    if (auto reply = m_batch.handle(request, options->batch, checkSigned))
        return *reply;

    return openAiError(404, "Unknown request URL: " + request.method + " " + path, "invalid_request_error",
                       "unknown_url");
}

std::optional<Reply> StandinServer::Impl::checkBearer(const ReceivedRequest& request,
                                                      const StandinOptions& options) {
    if (options.bearerToken.empty())
        return std::nullopt;
    const auto authorization = request.header("authorization");
    if (authorization && *authorization == "Bearer " + options.bearerToken)
        return std::nullopt;
    return openAiError(401, "Incorrect API key provided", "invalid_request_error", "invalid_api_key");
}

std::optional<Reply> StandinServer::Impl::checkSignature(const ReceivedRequest& request,
                                                         const StandinOptions& options,
                                                         std::string_view service) {
    if (options.awsCredentials.empty())
        return std::nullopt;
    const auto authorization = request.header("authorization");
    if (!authorization)
        return bedrockError(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
    const std::string accessKeyId = accessKeyIdOf(*authorization);
    if (!options.awsCredentials.contains(accessKeyId))
        return bedrockError(403, "UnrecognizedClientException",
                            "The security token included in the request is invalid.");
    const aws::SigningInput received{request.method, request.path, request.query, request.lowerCaseHeaders(),
                                     request.body};
    const auto lookupSecret = [&options](const std::string& keyId) {
        const auto found = options.awsCredentials.find(keyId);
        return found == options.awsCredentials.end() ? std::string() : found->second;
    };
    const aws::VerificationResult verification =
        aws::verifySignature(received, lookupSecret, options.awsRegion, service);
    if (verification.valid)
        return std::nullopt;
    return bedrockError(403, "InvalidSignatureException",
                        verification.reason.empty()
                            ? "The request signature we calculated does not match the "
                              "signature you provided."
                            : verification.reason);
}

std::optional<Reply> StandinServer::Impl::modelsEndpointFailure(const StandinOptions& options,
                                                                Dialect dialect) {
    const int status = options.modelsEndpointStatus;
    if (status == 200)
        return std::nullopt;
    const std::string message = "The model listing is unavailable (status " + std::to_string(status) + ").";
    if (dialect == Dialect::OpenAi)
        return openAiError(status, message, status >= 500 ? "server_error" : "invalid_request_error",
                           nullptr);
    return bedrockError(status, status == 503 ? "ServiceUnavailableException" : "InternalServerException",
                        message);
}

Reply StandinServer::Impl::faultReply(Fault fault, const StandinOptions& options, Dialect dialect) {
    const bool openAi = dialect == Dialect::OpenAi;
    switch (fault) {
    case Fault::Status429:
        return openAi ? openAiError(429, "Rate limit reached for requests. Please try again later.",
                                    "requests", "rate_limit_exceeded", retryAfterHeader(options))
                      : bedrockError(429, "ThrottlingException",
                                     "Too many requests, please wait before trying again.",
                                     retryAfterHeader(options));
    case Fault::Status500:
        return openAi ? openAiError(500, "The server had an error while processing your request.",
                                    "server_error", nullptr)
                      : bedrockError(500, "InternalServerException",
                                     "The server encountered an internal error.");
    case Fault::Status503:
        return openAi ? openAiError(503, "The engine is currently overloaded, please try again later.",
                                    "server_error", nullptr)
                      : bedrockError(503, "ServiceUnavailableException",
                                     "Bedrock is unable to process your request.");
    default: {
        Reply dropped;
        dropped.dropConnection = true;
        return dropped;
    }
    }
}

StandinServer::Impl::ChatPlan StandinServer::Impl::planChat(const StandinOptions& options) {
    ChatPlan plan;
    std::lock_guard lock(m_faultMutex);
    if (options.latencyJitter.count() > 0) {
        std::uniform_int_distribution<std::int64_t> jitter(0, options.latencyJitter.count());
        plan.delay = options.latency + std::chrono::milliseconds(jitter(m_random));
    } else {
        plan.delay = options.latency;
    }
    if (m_dropsLeft > 0) {
        --m_dropsLeft;
        plan.fault = Fault::Drop;
        return plan;
    }
    if (m_429sLeft > 0) {
        --m_429sLeft;
        plan.fault = Fault::Status429;
        return plan;
    }
    if (m_500sLeft > 0) {
        --m_500sLeft;
        plan.fault = Fault::Status500;
        return plan;
    }
    const double draw = std::uniform_real_distribution<double>(0.0, 1.0)(m_random);
    const std::array<std::pair<double, Fault>, 9> rates{{{options.rate429, Fault::Status429},
                                                         {options.rate500, Fault::Status500},
                                                         {options.rate503, Fault::Status503},
                                                         {options.rateDrop, Fault::Drop},
                                                         {options.rateMalformed, Fault::Malformed},
                                                         {options.rateMessy, Fault::Messy},
                                                         {options.rateMissingField, Fault::MissingField},
                                                         {options.rateDuplicate, Fault::Duplicate},
                                                         {options.rateDegenerate, Fault::Degenerate}}};
    double threshold = 0.0;
    for (const auto& [rate, fault] : rates) {
        threshold += std::max(rate, 0.0);
        if (draw < threshold) {
            plan.fault = fault;
            break;
        }
    }
    return plan;
}

void StandinServer::Impl::sleepUnlessStopping(std::chrono::milliseconds delay) {
    if (delay.count() <= 0)
        return;
    std::unique_lock lock(m_sleepMutex);
    m_sleepWake.wait_for(lock, delay, [this] { return m_stopping.load(); });
}

void StandinServer::Impl::record(const ReceivedRequest& request, const Json& body) {
    RecordedRequest recorded{request.method, request.target, request.headers, request.body};
    const std::string subject = body.is_object() ? subjectOf(readPrompt(userText(body))) : std::string();
    std::lock_guard lock(m_recordMutex);
    ++m_chatRequestsBySubject[subject];
    m_recorded.push_back(std::move(recorded));
    while (m_recorded.size() > maxRecordedRequests)
        m_recorded.pop_front();
}

Reply StandinServer::Impl::chat(const ReceivedRequest& request, const StandinOptions& options,
                                Dialect dialect, const std::string& bedrockModelId) {
    ++m_chatRequests;
    const Json body = Json::parse(request.body, nullptr, false);
    record(request, body);
    const InFlight inFlight(*this);

    const auto refusal =
        dialect == Dialect::OpenAi ? checkBearer(request, options) : checkSignature(request, options);
    if (refusal)
        return *refusal;

    const ChatPlan plan = planChat(options);
    sleepUnlessStopping(plan.delay);
    if (m_stopping) {
        Reply abandoned;
        abandoned.dropConnection = true;
        return abandoned;
    }
    switch (plan.fault) {
    case Fault::Status429:
    case Fault::Status500:
    case Fault::Status503:
    case Fault::Drop:
        countFault(plan.fault);
        return faultReply(plan.fault, options, dialect);
    default:
        break;
    }
    return dialect == Dialect::OpenAi ? openAiAnswer(request, body, options, plan.fault)
                                      : converseAnswer(request, body, options, plan.fault, bedrockModelId);
}

Reply StandinServer::Impl::openAiAnswer(const ReceivedRequest& request, const Json& body,
                                        const StandinOptions& options, Fault fault) {
    if (body.is_discarded() || !body.is_object())
        return openAiError(
            400,
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
            "using your HTTP library correctly.)",
            "invalid_request_error", nullptr);
    const std::string model = body.contains("model") && body["model"].is_string()
                                  ? body["model"].get<std::string>()
                                  : std::string();
    if (model.empty())
        return openAiError(400, "you must provide a model parameter", "invalid_request_error", nullptr);
    if (!contains(options.models, model))
        return openAiError(404, "The model `" + model + "` does not exist", "invalid_request_error",
                           "model_not_found");

    const std::string text = userText(body);
    const PromptFacts facts = readPrompt(text);
    const ItemShape shape = itemShapeFromSchema(openAiSchema(body));
    bool faultApplied = false;
    const std::optional<Json> object = objectAnswer(openAiSchema(body), text);
    const Json items =
        object ? *object : m_itemWriter.writeItems(facts, shape, contentFaultOf(fault), faultApplied);
    std::string content;
    if (contains(options.emptyAnswerSubjects, subjectOf(facts)))
        content.clear();
    else if (fault == Fault::Malformed)
        content = malformedAnswerText();
    else if (fault == Fault::Messy)
        content = messyAnswerText(items);
    else
        content = items.dump();
    if (fault == Fault::Malformed || fault == Fault::Messy || faultApplied)
        countFault(fault);

    const auto promptTokens = static_cast<std::int64_t>(request.body.size() / 4);
    const auto completionTokens = static_cast<std::int64_t>(content.size() / 4);
    const auto created =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    Json answer = {
        {"id", "chatcmpl-standin-" + std::to_string(++m_answerNumber)},
        {"object", "chat.completion"},
        {"created", created},
        {"model", model},
        {"choices", Json::array({{{"index", 0},
                                  {"message", {{"role", "assistant"}, {"content", std::move(content)}}},
                                  {"finish_reason", "stop"}}})},
        {"usage",
         {{"prompt_tokens", promptTokens},
          {"completion_tokens", completionTokens},
          {"total_tokens", promptTokens + completionTokens}}}};
    return jsonReply(200, answer);
}

Reply StandinServer::Impl::converseAnswer(const ReceivedRequest& request, const Json& body,
                                          const StandinOptions& options, Fault fault,
                                          const std::string& modelId) {
    if (!contains(options.models, modelId) && !contains(inferenceProfileIds(options.models), modelId))
        return bedrockError(400, bedrockValidationErrorType, "The provided model identifier is invalid.");
    if (body.is_discarded() || !body.is_object())
        return bedrockError(400, bedrockValidationErrorType,
                            "Malformed input request, please reformat your input "
                            "and try again.");

    const std::string text = userText(body);
    const PromptFacts facts = readPrompt(text);
    const std::optional<ConverseTool> tool = converseTool(body);
    const ItemShape shape = itemShapeFromSchema(tool ? tool->schema : nullptr);
    bool faultApplied = false;
    const std::optional<Json> object = objectAnswer(tool ? tool->schema : nullptr, text);
    Json items =
        object ? *object : m_itemWriter.writeItems(facts, shape, contentFaultOf(fault), faultApplied);
    if (fault == Fault::Malformed || fault == Fault::Messy || faultApplied)
        countFault(fault);

    Json content = Json::array();
    std::size_t answerBytes = 0;
    const bool emptyAnswer = contains(options.emptyAnswerSubjects, subjectOf(facts));
    const bool answerWithTool = tool && fault != Fault::Malformed && fault != Fault::Messy && !emptyAnswer;
    if (emptyAnswer) {
        content.push_back({{"text", ""}});
    } else if (answerWithTool) {
        answerBytes = items.dump().size();
        content.push_back(
            {{"toolUse", {{"toolUseId", "t1"}, {"name", tool->name}, {"input", std::move(items)}}}});
    } else {
        std::string answerText = fault == Fault::Malformed ? malformedAnswerText()
                                 : fault == Fault::Messy   ? messyAnswerText(items)
                                                           : items.dump();
        answerBytes = answerText.size();
        content.push_back({{"text", std::move(answerText)}});
    }
    const auto inputTokens = static_cast<std::int64_t>(request.body.size() / 4);
    const auto outputTokens = static_cast<std::int64_t>(answerBytes / 4);
    Json answer = {{"output", {{"message", {{"role", "assistant"}, {"content", std::move(content)}}}}},
                   {"stopReason", answerWithTool ? "tool_use" : "end_turn"},
                   {"usage",
                    {{"inputTokens", inputTokens},
                     {"outputTokens", outputTokens},
                     {"totalTokens", inputTokens + outputTokens}}},
                   {"metrics", {{"latencyMs", options.latency.count()}}}};
    return jsonReply(200, answer);
}

Reply StandinServer::Impl::openAiModels(const ReceivedRequest& request, const StandinOptions& options) {
    if (auto refusal = checkBearer(request, options))
        return *refusal;
    if (auto failure = modelsEndpointFailure(options, Dialect::OpenAi))
        return *failure;
    Json data = Json::array();
    for (const auto& model : options.models)
        data.push_back({{"id", model}, {"object", "model"}, {"created", 0}, {"owned_by", "standin"}});
    return jsonReply(200, {{"object", "list"}, {"data", std::move(data)}});
}

Reply StandinServer::Impl::foundationModels(const ReceivedRequest& request, const StandinOptions& options) {
    if (auto refusal = checkSignature(request, options))
        return *refusal;
    if (auto failure = modelsEndpointFailure(options, Dialect::Bedrock))
        return *failure;
    Json summaries = Json::array();
    for (const auto& model : options.models) {
        const std::string prefix = providerPrefix(model);
        summaries.push_back(
            {{"modelArn", "arn:aws:bedrock:" + options.awsRegion + "::foundation-model/" + model},
             {"modelId", model},
             {"modelName", prefix.empty() ? model : model.substr(prefix.size() + 1)},
             {"providerName", prefix.empty() ? std::string("Standin") : capitalized(prefix)},
             {"inputModalities", Json::array({"TEXT"})},
             {"outputModalities", Json::array({"TEXT"})},
             {"responseStreamingSupported", true},
             {"inferenceTypesSupported", Json::array({"ON_DEMAND"})},
             {"modelLifecycle", {{"status", "ACTIVE"}}}});
    }
    return jsonReply(200, {{"modelSummaries", std::move(summaries)}});
}

Reply StandinServer::Impl::inferenceProfiles(const ReceivedRequest& request, const StandinOptions& options) {
    if (auto refusal = checkSignature(request, options))
        return *refusal;
    if (auto failure = modelsEndpointFailure(options, Dialect::Bedrock))
        return *failure;
    Json summaries = Json::array();
    for (const auto& profileId : inferenceProfileIds(options.models)) {
        const std::string model = profileId.substr(3);
        summaries.push_back({{"inferenceProfileId", profileId},
                             {"inferenceProfileName", "US " + model.substr(providerPrefix(model).size() + 1)},
                             {"inferenceProfileArn", "arn:aws:bedrock:" + options.awsRegion +
                                                         ":000000000000:inference-profile/" + profileId},
                             {"models", Json::array({{{"modelArn", "arn:aws:bedrock:" + options.awsRegion +
                                                                       "::foundation-model/" + model}}})},
                             {"status", "ACTIVE"},
                             {"type", "SYSTEM_DEFINED"}});
    }
    return jsonReply(200, {{"inferenceProfileSummaries", std::move(summaries)}});
}

StandinStats StandinServer::Impl::stats() const {
    StandinStats stats;
    stats.totalRequests = m_totalRequests;
    stats.chatRequests = m_chatRequests;
    stats.maxConcurrentChatRequests = m_maxChatInFlight;
    const auto count = [this](Fault fault) {
        return m_faultCounts[static_cast<std::size_t>(fault)].load();
    };
    stats.faults.status429 = count(Fault::Status429);
    stats.faults.status500 = count(Fault::Status500);
    stats.faults.status503 = count(Fault::Status503);
    stats.faults.dropped = count(Fault::Drop);
    stats.faults.malformed = count(Fault::Malformed);
    stats.faults.messy = count(Fault::Messy);
    stats.faults.missingField = count(Fault::MissingField);
    stats.faults.duplicate = count(Fault::Duplicate);
    stats.faults.degenerate = count(Fault::Degenerate);
    stats.batch = m_batch.stats();
    std::lock_guard lock(m_recordMutex);
    stats.chatRequestsBySubject = m_chatRequestsBySubject;
    return stats;
}

void StandinServer::Impl::resetStats() {
    m_totalRequests = 0;
    m_chatRequests = 0;
    m_maxChatInFlight = m_chatInFlight.load();
    for (auto& counter : m_faultCounts)
        counter = 0;
    m_batch.resetStats();
    std::lock_guard lock(m_recordMutex);
    m_recorded.clear();
    m_chatRequestsBySubject.clear();
}

StandinServer::StandinServer(StandinOptions options) : m_impl(std::make_unique<Impl>(std::move(options))) {}

StandinServer::~StandinServer() = default;

int StandinServer::start() {
    return m_impl->start();
}

void StandinServer::stop() {
    m_impl->stop();
}

int StandinServer::port() const {
    return m_impl->port();
}

std::string StandinServer::baseUrl() const {
    return "http://127.0.0.1:" + std::to_string(port());
}

void StandinServer::setOptions(StandinOptions options) {
    m_impl->setOptions(std::move(options));
}

StandinOptions StandinServer::options() const {
    return *m_impl->options();
}

StandinStats StandinServer::stats() const {
    return m_impl->stats();
}

std::optional<std::string> StandinServer::s3Object(const std::string& bucket, const std::string& key) const {
    return m_impl->s3Object(bucket, key);
}

std::vector<RecordedRequest> StandinServer::recordedRequests() const {
    return m_impl->recordedRequests();
}

void StandinServer::resetStats() {
    m_impl->resetStats();
}

} // namespace sds::standin
