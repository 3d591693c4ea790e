#include "core/RowParsing.h"
#include "core/quality/RowQualityGate.h"
#include "providers/bedrock/SigV4.h"
#include "providers/http/Http.h"
#include "standin/Generation.h"
#include "standin/StandinServer.h"

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <gtest/gtest.h>
#include <memory>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace sds::standin {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct RawResponse {
    int status = 0;
    http::Headers headers; // names lower-cased
    std::string body;

    [[nodiscard]] std::optional<std::string> header(const std::string& lowerCaseName) const {
        for (const auto& [name, value] : headers)
            if (name == lowerCaseName)
                return value;
        return std::nullopt;
    }
    [[nodiscard]] json jsonBody() const { return json::parse(body); }
};

// A minimal HTTP/1.1 client over one keep-alive TCP connection.
class RawClient {
public:
    explicit RawClient(int port) : m_socketFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        if (m_socketFd < 0)
            throw std::runtime_error("socket() failed");
        timeval timeout{10, 0};
        ::setsockopt(m_socketFd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        const int enable = 1;
        ::setsockopt(m_socketFd, IPPROTO_TCP, TCP_NODELAY, &enable, sizeof enable);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        if (::connect(m_socketFd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
            ::close(m_socketFd);
            throw std::runtime_error("connect() failed");
        }
    }
    ~RawClient() { ::close(m_socketFd); }
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    bool sendRaw(std::string_view data) {
        while (!data.empty()) {
            const ssize_t sent = ::send(m_socketFd, data.data(), data.size(), MSG_NOSIGNAL);
            if (sent <= 0)
                return false;
            data.remove_prefix(static_cast<std::size_t>(sent));
        }
        return true;
    }

    // The next response (an interim 1xx one too when `skipInterim` is false); empty when the connection
    // closed before a response arrived.
    std::optional<RawResponse> readResponse(bool skipInterim = true) {
        while (true) {
            std::size_t headEnd = std::string::npos;
            while ((headEnd = m_buffer.find("\r\n\r\n")) == std::string::npos)
                if (!receiveMore())
                    return std::nullopt;
            RawResponse response;
            const std::string head = m_buffer.substr(0, headEnd);
            m_buffer.erase(0, headEnd + 4);
            response.status = std::stoi(head.substr(9, 3));
            std::size_t lineStart = head.find("\r\n");
            while (lineStart != std::string::npos) {
                lineStart += 2;
                const auto lineEnd = head.find("\r\n", lineStart);
                const std::string line = head.substr(lineStart, lineEnd - lineStart);
                const auto colon = line.find(':');
                if (colon != std::string::npos) {
                    std::string name = line.substr(0, colon);
                    for (auto& c : name)
                        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                    response.headers.emplace_back(name, line.substr(line.find_first_not_of(' ', colon + 1)));
                }
                lineStart = lineEnd;
            }
            if (response.status >= 100 && response.status < 200) {
                if (skipInterim)
                    continue;
                return response;
            }
            const std::size_t length = std::stoul(response.header("content-length").value_or("0"));
            while (m_buffer.size() < length)
                if (!receiveMore())
                    return std::nullopt;
            response.body = m_buffer.substr(0, length);
            m_buffer.erase(0, length);
            return response;
        }
    }

    std::optional<RawResponse> request(const std::string& method, const std::string& target,
                                       const std::string& body = {}, const http::Headers& headers = {}) {
        std::string wire = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
        for (const auto& [name, value] : headers)
            wire += name + ": " + value + "\r\n";
        if (!body.empty() || method == "POST")
            wire +=
                "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
        wire += "\r\n" + body;
        if (!sendRaw(wire))
            return std::nullopt;
        return readResponse();
    }

private:
    bool receiveMore() {
        char chunk[16384];
        const ssize_t received = ::recv(m_socketFd, chunk, sizeof chunk, 0);
        if (received <= 0)
            return false;
        m_buffer.append(chunk, static_cast<std::size_t>(received));
        return true;
    }

    int m_socketFd;
    std::string m_buffer;
};

std::string generationPrompt(int count, const std::string& topic) {
    return "Create " + std::to_string(count) + " distinct question and answer items about the topic \"" +
           topic + "\".\n\nReturn a JSON object of the form {\"items\": [...]}.";
}

json openAiChatBody(const std::string& prompt, const std::string& model = "standin-model") {
    return {{"model", model},
            {"messages", json::array({{{"role", "system"}, {"content", "You write training data."}},
                                      {{"role", "user"}, {"content", prompt}}})}};
}

http::Headers bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
}

std::vector<json> itemsOfOpenAiAnswer(const RawResponse& response) {
    const json answer = response.jsonBody();
    const json content = json::parse(answer["choices"][0]["message"]["content"].get<std::string>());
    return content["items"].get<std::vector<json>>();
}

class StandinServerTest : public ::testing::Test {
protected:
    void startWith(StandinOptions options) {
        server = std::make_unique<StandinServer>(std::move(options));
        port = server->start();
    }

    std::unique_ptr<StandinServer> server;
    int port = 0;
};

TEST_F(StandinServerTest, StartsOnAFreePortAndStopsIdempotently) {
    startWith({});
    EXPECT_GT(port, 0);
    EXPECT_EQ(server->baseUrl(), "http://127.0.0.1:" + std::to_string(port));
    server->stop();
    server->stop();
    EXPECT_EQ(server->port(), 0);
}

TEST_F(StandinServerTest, BindFailureThrowsWithThePort) {
    startWith({});
    StandinOptions clashing;
    clashing.port = port;
    StandinServer second(clashing);
    try {
        second.start();
        FAIL() << "expected start() to throw";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find(std::to_string(port)), std::string::npos) << error.what();
    }
}

TEST_F(StandinServerTest, OpenAiAnswerHasTheRequestedNumberOfUniqueItems) {
    StandinOptions options;
    options.bearerToken = "sk-standin";
    startWith(options);
    RawClient client(port);
    std::set<std::string> questions;
    for (int round = 0; round < 2; ++round) {
        const auto response =
            client.request("POST", "/v1/chat/completions",
                           openAiChatBody(generationPrompt(3, "Flask")).dump(), bearer("sk-standin"));
        ASSERT_TRUE(response);
        ASSERT_EQ(response->status, 200) << response->body;
        const json answer = response->jsonBody();
        EXPECT_EQ(answer["object"], "chat.completion");
        EXPECT_EQ(answer["model"], "standin-model");
        EXPECT_EQ(answer["choices"][0]["finish_reason"], "stop");
        EXPECT_GT(answer["usage"]["prompt_tokens"].get<int>(), 0);
        EXPECT_GT(answer["usage"]["completion_tokens"].get<int>(), 0);
        const auto items = itemsOfOpenAiAnswer(*response);
        ASSERT_EQ(items.size(), 3u);
        for (const auto& item : items) {
            const auto question = item.at("question").get<std::string>();
            EXPECT_NE(question.find("Flask"), std::string::npos);
            EXPECT_NE(item.at("solution").get<std::string>().find("```python"), std::string::npos);
            questions.insert(question);
        }
    }
    EXPECT_EQ(questions.size(), 6u) << "questions repeat across answers";
    const auto stats = server->stats();
    EXPECT_EQ(stats.chatRequests, 2u);
    ASSERT_EQ(server->recordedRequests().size(), 2u);
    EXPECT_EQ(server->recordedRequests()[0].path, "/v1/chat/completions");
}

TEST_F(StandinServerTest, CurationPromptGetsOneItem) {
    startWith({});
    RawClient client(port);
    const auto response = client.request(
        "POST", "/chat/completions",
        openAiChatBody("Create 5 items about the topic \"SQL\".\nInput: How do I join two tables?\n").dump());
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200) << response->body;
    const auto items = itemsOfOpenAiAnswer(*response);
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0]["question"], "How do I join two tables?");
}

TEST_F(StandinServerTest, JsonSchemaFieldNamesShapeTheItems) {
    startWith({});
    json body = openAiChatBody(generationPrompt(2, "Pandas"));
    const json item = {
        {"type", "object"},
        {"properties", {{"prompt", {{"type", "string"}}}, {"completion", {{"type", "string"}}}}}};
    body["response_format"] = {
        {"type", "json_schema"},
        {"json_schema",
         {{"name", "rows"},
          {"schema",
           {{"type", "object"}, {"properties", {{"items", {{"type", "array"}, {"items", item}}}}}}}}}};
    RawClient client(port);
    const auto response = client.request("POST", "/v1/chat/completions", body.dump());
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200) << response->body;
    const auto items = itemsOfOpenAiAnswer(*response);
    ASSERT_EQ(items.size(), 2u);
    EXPECT_TRUE(items[0].contains("prompt"));
    EXPECT_TRUE(items[0].contains("completion"));
    EXPECT_FALSE(items[0].contains("question"));
}

TEST_F(StandinServerTest, WrongBearerTokenGets401) {
    StandinOptions options;
    options.bearerToken = "sk-right";
    startWith(options);
    RawClient client(port);
    for (const auto& headers : {bearer("sk-wrong"), http::Headers{}}) {
        const auto response = client.request("POST", "/v1/chat/completions",
                                             openAiChatBody(generationPrompt(1, "x")).dump(), headers);
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 401);
        EXPECT_EQ(response->jsonBody()["error"]["code"], "invalid_api_key");
        EXPECT_EQ(response->jsonBody()["error"]["message"], "Incorrect API key provided");
    }
    const auto models = client.request("GET", "/v1/models", {}, bearer("sk-wrong"));
    ASSERT_TRUE(models);
    EXPECT_EQ(models->status, 401);
}

TEST_F(StandinServerTest, UnknownModelAndUnknownRoute) {
    startWith({});
    RawClient client(port);
    const auto unknownModel = client.request("POST", "/v1/chat/completions",
                                             openAiChatBody(generationPrompt(1, "x"), "gpt-9").dump());
    ASSERT_TRUE(unknownModel);
    EXPECT_EQ(unknownModel->status, 404);
    EXPECT_EQ(unknownModel->jsonBody()["error"]["code"], "model_not_found");
    EXPECT_EQ(unknownModel->jsonBody()["error"]["message"], "The model `gpt-9` does not exist");

    const auto unknownRoute = client.request("GET", "/v2/anything");
    ASSERT_TRUE(unknownRoute);
    EXPECT_EQ(unknownRoute->status, 404);
    EXPECT_TRUE(unknownRoute->jsonBody().contains("error"));
}

TEST_F(StandinServerTest, ModelsEndpointListsModelsOrFailsWithTheConfiguredStatus) {
    startWith({});
    RawClient client(port);
    const auto models = client.request("GET", "/v1/models");
    ASSERT_TRUE(models);
    ASSERT_EQ(models->status, 200);
    EXPECT_EQ(models->jsonBody()["object"], "list");
    std::set<std::string> ids;
    const json listing = models->jsonBody();
    for (const auto& model : listing["data"])
        ids.insert(model["id"].get<std::string>());
    EXPECT_TRUE(ids.contains("standin-model"));
    EXPECT_TRUE(ids.contains("anthropic.claude-3-5-sonnet-20240620-v1:0"));

    auto options = server->options();
    options.modelsEndpointStatus = 503;
    server->setOptions(options);
    const auto scaledDown = client.request("GET", "/v1/models");
    ASSERT_TRUE(scaledDown);
    EXPECT_EQ(scaledDown->status, 503);
}

TEST_F(StandinServerTest, Fail429FirstAnswers429WithRetryAfterThenSucceeds) {
    StandinOptions options;
    options.fail429First = 2;
    options.retryAfterSeconds = 7;
    startWith(options);
    RawClient client(port);
    const std::string body = openAiChatBody(generationPrompt(1, "Go")).dump();
    for (int attempt = 0; attempt < 2; ++attempt) {
        const auto throttled = client.request("POST", "/v1/chat/completions", body);
        ASSERT_TRUE(throttled);
        EXPECT_EQ(throttled->status, 429);
        EXPECT_EQ(throttled->header("retry-after"), "7");
        EXPECT_EQ(throttled->jsonBody()["error"]["code"], "rate_limit_exceeded");
    }
    const auto accepted = client.request("POST", "/v1/chat/completions", body);
    ASSERT_TRUE(accepted);
    EXPECT_EQ(accepted->status, 200);
    EXPECT_EQ(server->stats().faults.status429, 2u);

    options.fail429First = 1;
    options.retryAfterSeconds = -1;
    server->setOptions(options); // re-arms the counter
    const auto withoutHeader = client.request("POST", "/v1/chat/completions", body);
    ASSERT_TRUE(withoutHeader);
    EXPECT_EQ(withoutHeader->status, 429);
    EXPECT_FALSE(withoutHeader->header("retry-after"));
}

TEST_F(StandinServerTest, Fail500FirstAnswers500) {
    StandinOptions options;
    options.fail500First = 1;
    startWith(options);
    RawClient client(port);
    const std::string body = openAiChatBody(generationPrompt(1, "Go")).dump();
    EXPECT_EQ(client.request("POST", "/v1/chat/completions", body)->status, 500);
    EXPECT_EQ(client.request("POST", "/v1/chat/completions", body)->status, 200);
    EXPECT_EQ(server->stats().faults.status500, 1u);
}

TEST_F(StandinServerTest, DropFirstClosesTheConnectionWithoutAnAnswer) {
    StandinOptions options;
    options.dropFirst = 1;
    startWith(options);
    const std::string body = openAiChatBody(generationPrompt(1, "Rust")).dump();
    {
        RawClient client(port);
        EXPECT_FALSE(client.request("POST", "/v1/chat/completions", body));
    }
    RawClient client(port);
    const auto response = client.request("POST", "/v1/chat/completions", body);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(server->stats().faults.dropped, 1u);
}

TEST_F(StandinServerTest, ContentFaultsAreWhatTheEngineMustCopeWith) {
    StandinOptions options;
    startWith(options);
    RawClient client(port);
    const std::string body = openAiChatBody(generationPrompt(3, "Django")).dump();
    const auto contentOf = [&] {
        const auto response = client.request("POST", "/v1/chat/completions", body);
        EXPECT_TRUE(response && response->status == 200);
        return response ? response->jsonBody()["choices"][0]["message"]["content"].get<std::string>() : "";
    };
    const std::string clean = contentOf();
    const auto earlier = parseItems(clean);
    ASSERT_EQ(earlier.items.size(), 3u);

    options.rateDuplicate = 1.0;
    server->setOptions(options);
    const auto duplicated = parseItems(contentOf());
    ASSERT_EQ(duplicated.items.size(), 3u);
    EXPECT_EQ(duplicated.items.back().question, earlier.items.back().question);
    EXPECT_NE(duplicated.items.front().question, earlier.items.front().question);

    options.rateDuplicate = 0.0;
    options.rateMessy = 1.0;
    server->setOptions(options);
    const std::string messy = contentOf();
    EXPECT_FALSE(json::accept(messy));
    EXPECT_NE(messy.find("```json"), std::string::npos);
    EXPECT_EQ(parseItems(messy).items.size(), 3u) << messy;

    options.rateMessy = 0.0;
    options.rateMalformed = 1.0;
    server->setOptions(options);
    const auto malformed = parseItems(contentOf());
    EXPECT_FALSE(malformed.error.empty());

    options.rateMalformed = 0.0;
    options.rateMissingField = 1.0;
    server->setOptions(options);
    const auto missing = parseItems(contentOf());
    EXPECT_EQ(missing.items.size(), 2u);
    EXPECT_EQ(missing.invalidItems, 1);

    const auto faults = server->stats().faults;
    EXPECT_EQ(faults.messy, 1u);
    EXPECT_EQ(faults.malformed, 1u);
    EXPECT_EQ(faults.missingField, 1u);
    EXPECT_EQ(faults.duplicate, 1u);
}

TEST_F(StandinServerTest, DegenerateItemsAreWhatTheRowQualityGateTurnsAway) {
    StandinOptions options;
    options.rateDegenerate = 1.0;
    startWith(options);
    RawClient client(port);
    const quality::RowQualityGate gate(quality::ValidatorKind::Code, {});
    quality::RejectionCounts rejected;
    for (int i = 0; i < 4; ++i) {
        const auto response = client.request("POST", "/v1/chat/completions",
                                             openAiChatBody(generationPrompt(3, "Django")).dump());
        ASSERT_TRUE(response && response->status == 200);
        const auto parsed =
            parseItems(response->jsonBody()["choices"][0]["message"]["content"].get<std::string>());
        ASSERT_EQ(parsed.items.size(), 3u);
        for (std::size_t k = 0; k < parsed.items.size(); ++k) {
            const auto reason = gate.check(parsed.items[k].question, parsed.items[k].solution);
            EXPECT_EQ(reason != quality::RejectionReason::None, k == 2) << "only the last item is degenerate";
            if (reason != quality::RejectionReason::None)
                rejected.add(reason);
        }
    }
    EXPECT_EQ(rejected[quality::RejectionReason::Looping], 2);
    EXPECT_EQ(rejected[quality::RejectionReason::Repetition], 2);
    EXPECT_EQ(server->stats().faults.degenerate, 4u);
}

// The false-positive check of the gate on the stand-in's own rows: none of its questions and answers, code
// or SQL, wrong on purpose or not, is degenerate.
TEST(StandinRows, EveryOrdinaryRowPassesTheRowQualityGate) {
    ItemWriter writer;
    const ItemShape shape;
    int checked = 0;
    for (const bool sql : {false, true}) {
        const quality::RowQualityGate gate(sql ? quality::ValidatorKind::Sql : quality::ValidatorKind::Code,
                                           {});
        for (const std::string topic :
             {"Python Basics", "Joins", "Window Functions", "Web Development with Flask"}) {
            PromptFacts facts;
            facts.count = 500;
            facts.topic = topic;
            facts.sql = sql;
            bool faultApplied = false;
            const Json answer = writer.writeItems(facts, shape, ContentFault::None, faultApplied);
            for (const auto& item : answer["items"]) {
                const auto question = item["question"].get<std::string>();
                const auto solution = item["solution"].get<std::string>();
                EXPECT_EQ(gate.check(question, solution), quality::RejectionReason::None) << question << "\n"
                                                                                          << solution;
                ++checked;
            }
        }
    }
    EXPECT_EQ(checked, 4000);
}

TEST_F(StandinServerTest, RandomFaultsFollowTheSeed) {
    StandinOptions options;
    options.rate429 = 0.3;
    options.rate500 = 0.2;
    options.seed = 42;
    const auto statusSequence = [&] {
        StandinServer local(options);
        RawClient client(local.start());
        std::vector<int> statuses;
        for (int i = 0; i < 40; ++i)
            statuses.push_back(
                client
                    .request("POST", "/v1/chat/completions", openAiChatBody(generationPrompt(1, "x")).dump())
                    ->status);
        return statuses;
    };
    const auto first = statusSequence();
    EXPECT_EQ(first, statusSequence());
    const auto count = [&](int status) {
        return std::count(first.begin(), first.end(), status);
    };
    EXPECT_GT(count(429), 3);
    EXPECT_GT(count(500), 1);
    EXPECT_GT(count(200), 10);
}

TEST_F(StandinServerTest, ChunkedBodyWithExpectContinue) {
    startWith({});
    RawClient client(port);
    const std::string body = openAiChatBody(generationPrompt(2, "Chunks")).dump();
    const std::string head = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                             "application/json\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n";
    ASSERT_TRUE(client.sendRaw(head));
    const auto interim = client.readResponse(false);
    ASSERT_TRUE(interim);
    EXPECT_EQ(interim->status, 100);
    const std::size_t half = body.size() / 2;
    const auto chunk = [](std::string_view data) {
        char size[32];
        std::snprintf(size, sizeof size, "%zx", data.size());
        return std::string(size) + "\r\n" + std::string(data) + "\r\n";
    };
    ASSERT_TRUE(client.sendRaw(chunk(std::string_view(body).substr(0, half)) +
                               chunk(std::string_view(body).substr(half)) + "0\r\n\r\n"));
    const auto response = client.readResponse();
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200) << response->body;
    EXPECT_EQ(itemsOfOpenAiAnswer(*response).size(), 2u);
    EXPECT_EQ(server->recordedRequests().back().body, body);
}

TEST_F(StandinServerTest, LibcurlClientWithLargeBody) {
    startWith({});
    http::HttpRequest request;
    request.method = "POST";
    request.url = server->baseUrl() + "/v1/chat/completions";
    request.headers = {{"Content-Type", "application/json"}};
    json body = openAiChatBody(generationPrompt(4, "Big") + "\n" + std::string(3 * 1024 * 1024, 'x'));
    request.body = body.dump();
    request.timeout = std::chrono::seconds(20);
    const http::HttpClient client;
    for (int round = 0; round < 3; ++round) {
        const auto result = client.perform(request, CancellationToken{});
        ASSERT_TRUE(result.ok()) << result.error << " " << result.body;
        const json answer = json::parse(result.body);
        EXPECT_EQ(json::parse(answer["choices"][0]["message"]["content"].get<std::string>())["items"].size(),
                  4u);
    }
}

TEST_F(StandinServerTest, CountsConcurrentChatRequests) {
    StandinOptions options;
    options.latency = std::chrono::milliseconds(300);
    startWith(options);
    std::vector<std::thread> clients;
    std::atomic<int> succeeded{0};
    for (int i = 0; i < 8; ++i)
        clients.emplace_back([&] {
            RawClient client(port);
            const auto response = client.request("POST", "/v1/chat/completions",
                                                 openAiChatBody(generationPrompt(1, "c")).dump());
            if (response && response->status == 200)
                ++succeeded;
        });
    for (auto& client : clients)
        client.join();
    EXPECT_EQ(succeeded, 8);
    EXPECT_GE(server->stats().maxConcurrentChatRequests, 2);
    EXPECT_LE(server->stats().maxConcurrentChatRequests, 8);
}

TEST_F(StandinServerTest, HandlesManyKeepAliveConnectionsAndStopsPromptly) {
    StandinOptions options;
    startWith(options);
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < 300; ++i)
        clients.push_back(std::make_unique<RawClient>(port));
    for (auto& client : clients) {
        const auto response = client->request("GET", "/v1/models");
        ASSERT_TRUE(response);
        ASSERT_EQ(response->status, 200);
    }

    // One more request sleeps in the server for a long time while stop() runs.
    options.latency = std::chrono::seconds(30);
    server->setOptions(options);
    std::optional<RawResponse> sleepingAnswer;
    std::thread sleeper([&] {
        RawClient client(port);
        sleepingAnswer =
            client.request("POST", "/v1/chat/completions", openAiChatBody(generationPrompt(1, "s")).dump());
    });
    while (server->stats().chatRequests == 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));

    const auto stopStarted = Clock::now();
    server->stop();
    const auto stopTook = Clock::now() - stopStarted;
    sleeper.join();
    EXPECT_LT(stopTook, std::chrono::seconds(1));
    EXPECT_FALSE(sleepingAnswer && sleepingAnswer->status == 200);
    EXPECT_FALSE(clients.front()->request("GET", "/v1/models")) << "connections stay open after stop()";
}

TEST_F(StandinServerTest, SustainsManySmallRequests) {
    startWith({});
    constexpr int connections = 4;
    constexpr int requestsPerConnection = 500;
    std::atomic<int> succeeded{0};
    const auto started = Clock::now();
    std::vector<std::thread> clients;
    for (int c = 0; c < connections; ++c)
        clients.emplace_back([&] {
            RawClient client(port);
            const std::string body = openAiChatBody(generationPrompt(1, "tiny")).dump();
            for (int i = 0; i < requestsPerConnection; ++i) {
                const auto response = client.request("POST", "/v1/chat/completions", body);
                if (response && response->status == 200)
                    ++succeeded;
            }
        });
    for (auto& client : clients)
        client.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    EXPECT_EQ(succeeded, connections * requestsPerConnection);
    std::cout << "[ standin  ] " << succeeded << " chat requests in " << seconds << " s ("
              << static_cast<int>(succeeded / seconds) << " requests/s)\n";
}

class BedrockStandinTest : public StandinServerTest {
protected:
    static constexpr const char* accessKeyId = "AKIDSTANDINEXAMPLE";
    static constexpr const char* secretKey = "standin-secret-key";
    static constexpr const char* modelPath = "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse";

    void SetUp() override {
        StandinOptions options;
        options.awsCredentials = {{accessKeyId, secretKey}};
        options.awsRegion = "us-west-2";
        startWith(options);
    }

    // The wire headers of a request signed for `path` and `body`.
    http::Headers signedHeaders(const std::string& method, const std::string& path, const std::string& body,
                                const std::string& keyId = accessKeyId,
                                const std::string& secret = secretKey) {
        const std::string host = "127.0.0.1:" + std::to_string(port);
        aws::SigningInput input{
            method, path, "", {{"host", host}, {"content-type", "application/json"}}, body};
        const aws::SigningScope scope{"us-west-2", "bedrock", std::chrono::system_clock::now()};
        return aws::signHeaders(input, {keyId, secret, ""}, scope);
    }

    std::optional<RawResponse> send(RawClient& client, const std::string& method, const std::string& path,
                                    const std::string& body, const http::Headers& headers) {
        std::string wire =
            method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
            "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
        for (const auto& [name, value] : headers)
            wire += name + ": " + value + "\r\n";
        wire += "\r\n" + body;
        if (!client.sendRaw(wire))
            return std::nullopt;
        return client.readResponse();
    }

    static json converseBody(bool withTool) {
        json body = {
            {"messages",
             json::array({{{"role", "user"},
                           {"content", json::array({{{"text", generationPrompt(2, "Bedrock")}}})}}})},
            {"inferenceConfig", {{"maxTokens", 4096}}}};
        if (withTool)
            body["toolConfig"] = {
                {"tools", json::array({{{"toolSpec",
                                         {{"name", "rows"},
                                          {"inputSchema",
                                           {{"json",
                                             {{"type", "object"},
                                              {"properties",
                                               {{"items",
                                                 {{"type", "array"},
                                                  {"items",
                                                   {{"type", "object"},
                                                    {"properties",
                                                     {{"question", {{"type", "string"}}},
                                                      {"solution", {{"type", "string"}}}}}}}}}}}}}}}}}}})},
                {"toolChoice", {{"tool", {{"name", "rows"}}}}}};
        return body;
    }
};

TEST_F(BedrockStandinTest, SignedConverseWithToolGetsToolUse) {
    RawClient client(port);
    const std::string body = converseBody(true).dump();
    const auto response = send(client, "POST", modelPath, body, signedHeaders("POST", modelPath, body));
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200) << response->body;
    const json answer = response->jsonBody();
    EXPECT_EQ(answer["stopReason"], "tool_use");
    const json& toolUse = answer["output"]["message"]["content"][0]["toolUse"];
    EXPECT_EQ(toolUse["name"], "rows");
    EXPECT_EQ(toolUse["input"]["items"].size(), 2u);
    EXPECT_GT(answer["usage"]["inputTokens"].get<int>(), 0);
    EXPECT_EQ(answer["usage"]["totalTokens"].get<int>(),
              answer["usage"]["inputTokens"].get<int>() + answer["usage"]["outputTokens"].get<int>());
}

TEST_F(BedrockStandinTest, SignedConverseWithoutToolGetsText) {
    RawClient client(port);
    const std::string body = converseBody(false).dump();
    const auto response = send(client, "POST", modelPath, body, signedHeaders("POST", modelPath, body));
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200) << response->body;
    const json answer = response->jsonBody();
    EXPECT_EQ(answer["stopReason"], "end_turn");
    EXPECT_EQ(parseItems(answer["output"]["message"]["content"][0]["text"].get<std::string>()).items.size(),
              2u);
}

TEST_F(BedrockStandinTest, TamperedOrForeignSignaturesGet403) {
    RawClient client(port);
    const std::string body = converseBody(true).dump();
    const auto headers = signedHeaders("POST", modelPath, body);
    const auto tampered = send(client, "POST", modelPath, body + " ", headers);
    ASSERT_TRUE(tampered);
    EXPECT_EQ(tampered->status, 403);
    EXPECT_EQ(tampered->header("x-amzn-errortype"), "InvalidSignatureException");
    EXPECT_FALSE(tampered->jsonBody()["message"].get<std::string>().empty());

    const auto wrongSecret = send(client, "POST", modelPath, body,
                                  signedHeaders("POST", modelPath, body, accessKeyId, "other-secret"));
    ASSERT_TRUE(wrongSecret);
    EXPECT_EQ(wrongSecret->status, 403);
    EXPECT_EQ(wrongSecret->header("x-amzn-errortype"), "InvalidSignatureException");

    const auto unknownKey = send(client, "POST", modelPath, body,
                                 signedHeaders("POST", modelPath, body, "AKIDUNKNOWN", secretKey));
    ASSERT_TRUE(unknownKey);
    EXPECT_EQ(unknownKey->status, 403);
    EXPECT_EQ(unknownKey->header("x-amzn-errortype"), "UnrecognizedClientException");
    EXPECT_EQ(unknownKey->jsonBody()["message"], "The security token included in the request is invalid.");
}

TEST_F(BedrockStandinTest, UnknownModelAndThrottling) {
    RawClient client(port);
    const std::string body = converseBody(true).dump();
    const std::string unknownPath = "/model/anthropic.claude-unknown%3A0/converse";
    const auto unknown = send(client, "POST", unknownPath, body, signedHeaders("POST", unknownPath, body));
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->status, 400);
    EXPECT_EQ(unknown->header("x-amzn-errortype"),
              "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/");
    EXPECT_EQ(unknown->jsonBody()["message"], "The provided model identifier is invalid.");

    auto options = server->options();
    options.fail429First = 1;
    server->setOptions(options);
    const auto throttled = send(client, "POST", modelPath, body, signedHeaders("POST", modelPath, body));
    ASSERT_TRUE(throttled);
    EXPECT_EQ(throttled->status, 429);
    EXPECT_EQ(throttled->header("x-amzn-errortype"), "ThrottlingException");
    EXPECT_EQ(throttled->jsonBody()["message"], "Too many requests, please wait before trying again.");
}

TEST_F(BedrockStandinTest, ControlPlaneListsModelsAndProfiles) {
    RawClient client(port);
    const auto models =
        send(client, "GET", "/foundation-models", "", signedHeaders("GET", "/foundation-models", ""));
    ASSERT_TRUE(models);
    ASSERT_EQ(models->status, 200) << models->body;
    bool listed = false;
    const json listing = models->jsonBody();
    for (const auto& summary : listing["modelSummaries"])
        listed = listed || summary["modelId"] == "anthropic.claude-3-5-sonnet-20240620-v1:0";
    EXPECT_TRUE(listed);

    const auto profiles =
        send(client, "GET", "/inference-profiles", "", signedHeaders("GET", "/inference-profiles", ""));
    ASSERT_TRUE(profiles);
    ASSERT_EQ(profiles->status, 200) << profiles->body;
    ASSERT_FALSE(profiles->jsonBody()["inferenceProfileSummaries"].empty());
    EXPECT_EQ(profiles->jsonBody()["inferenceProfileSummaries"][0]["status"], "ACTIVE");

    const auto unsigned_ = send(client, "GET", "/foundation-models", "", {});
    ASSERT_TRUE(unsigned_);
    EXPECT_EQ(unsigned_->status, 403);
}

} // namespace
} // namespace sds::standin
