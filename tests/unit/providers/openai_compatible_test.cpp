#include "providers/TransportErrors.h"
#include "providers/caii/CaiiProvider.h"
#include "providers/openai/OpenAiProvider.h"

#include <gtest/gtest.h>

namespace sds::providers {
namespace {

http::HttpResult response(int status, std::string body, http::Headers headers = {}) {
    http::HttpResult result;
    result.status = status;
    result.body = std::move(body);
    result.headers = std::move(headers);
    return result;
}

struct Recorder {
    std::vector<http::HttpRequest> requests;
    http::HttpResult next =
        response(200, R"({"choices":[{"message":{"content":"{\"items\":[]}"},"finish_reason":"stop"}],
                                             "usage":{"prompt_tokens":11,"completion_tokens":7}})");
    http::Transport transport() {
        return [this](const http::HttpRequest& request, const CancellationToken&) {
            requests.push_back(request);
            return next;
        };
    }
};

ChatRequest sampleRequest() {
    ChatRequest request;
    request.model = "m";
    request.messages = {{ChatMessage::Role::System, "sys"}, {ChatMessage::Role::User, "user"}};
    request.temperature = 0.5;
    request.topP = 0.9;
    request.topK = 40;
    request.maxTokens = 100;
    request.jsonSchema = nlohmann::json{{"type", "object"}};
    return request;
}

TEST(OpenAiCompatible, BaseUrlDropsTheChatCompletionsSuffix) {
    EXPECT_EQ(openai::normalizeBaseUrl("https://h/v1/chat/completions/"), "https://h/v1");
    EXPECT_EQ(openai::normalizeBaseUrl("https://h/v1/"), "https://h/v1");
}

TEST(OpenAiCompatible, BodyCarriesParametersAndJsonSchema) {
    const auto body = openai::buildChatBody(sampleRequest(), true);
    EXPECT_EQ(body["messages"][0]["role"], "system");
    EXPECT_EQ(body["messages"][1]["content"], "user");
    EXPECT_EQ(body["temperature"], 0.5);
    EXPECT_EQ(body["top_p"], 0.9);
    EXPECT_EQ(body["top_k"], 40);
    EXPECT_EQ(body["max_tokens"], 100);
    EXPECT_EQ(body["response_format"]["type"], "json_schema");
    EXPECT_EQ(body["response_format"]["json_schema"]["strict"], true);
    EXPECT_FALSE(openai::buildChatBody(sampleRequest(), false).contains("top_k"));
}

TEST(OpenAiProvider, SendsBearerKeyAndParsesStructuredAnswerAndUsage) {
    Recorder recorder;
    FakeEnvironment environment;
    environment.variables["OPENAI_API_KEY"] = "sk-abc";
    ProviderConfig config;
    config.endpoint = "http://127.0.0.1:9/v1";
    openai::OpenAiProvider provider(config, environment, recorder.transport());
    const auto result = provider.chat(sampleRequest(), CancellationToken{});
    ASSERT_TRUE(result.ok()) << result.error().message;
    ASSERT_EQ(recorder.requests.size(), 1U);
    EXPECT_EQ(recorder.requests[0].url, "http://127.0.0.1:9/v1/chat/completions");
    const auto auth = std::find_if(recorder.requests[0].headers.begin(), recorder.requests[0].headers.end(),
                                   [](const auto& h) { return h.first == "Authorization"; });
    ASSERT_NE(auth, recorder.requests[0].headers.end());
    EXPECT_EQ(auth->second, "Bearer sk-abc");
    EXPECT_TRUE(result.value().structured);
    EXPECT_EQ(result.value().usage.input, 11);
    EXPECT_EQ(result.value().usage.output, 7);
}

TEST(OpenAiProvider, ErrorsNameWhatFailedWithoutTheSecret) {
    Recorder recorder;
    FakeEnvironment environment;
    environment.variables["OPENAI_API_KEY"] = "sk-secret";
    ProviderConfig config;
    config.endpoint = "http://h/v1";
    openai::OpenAiProvider provider(config, environment, recorder.transport());

    recorder.next = response(401, R"({"error":{"message":"Incorrect API key provided"}})");
    auto result = provider.chat(sampleRequest(), CancellationToken{});
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::Unauthorized);
    EXPECT_NE(result.error().message.find("OPENAI_API_KEY"), std::string::npos);
    EXPECT_EQ(result.error().message.find("sk-secret"), std::string::npos);

    recorder.next =
        response(404, R"({"error":{"message":"The model `m` does not exist","code":"model_not_found"}})");
    result = provider.chat(sampleRequest(), CancellationToken{});
    EXPECT_EQ(result.error().kind, ErrorKind::UnknownModel);
    EXPECT_NE(result.error().message.find("\"m\""), std::string::npos);

    recorder.next = response(429, "{}", {{"retry-after", "3"}});
    result = provider.chat(sampleRequest(), CancellationToken{});
    EXPECT_EQ(result.error().kind, ErrorKind::RateLimited);
    ASSERT_TRUE(result.error().retryAfter);
    EXPECT_EQ(*result.error().retryAfter, std::chrono::seconds(3));
    EXPECT_TRUE(result.error().retryable());

    recorder.next = response(503, "<html>\nService Unavailable\n</html>");
    result = provider.chat(sampleRequest(), CancellationToken{});
    EXPECT_EQ(result.error().kind, ErrorKind::ServerError);
    EXPECT_EQ(result.error().message.find('\n'), std::string::npos) << "one line";

    recorder.next = response(200, "not json");
    result = provider.chat(sampleRequest(), CancellationToken{});
    EXPECT_EQ(result.error().kind, ErrorKind::MalformedResponse);

    http::HttpResult timeout;
    timeout.failure = http::TransportFailure::Timeout;
    timeout.error = "Operation timed out after 5000 milliseconds";
    recorder.next = timeout;
    result = provider.chat(sampleRequest(), CancellationToken{});
    EXPECT_EQ(result.error().kind, ErrorKind::Timeout);
    EXPECT_NE(result.error().message.find("http://h/v1"), std::string::npos);
}

TEST(CaiiProvider, TokenFromEnvironmentThenJwtFileElseClearError) {
    FakeEnvironment environment;
    ProviderConfig config;
    config.provider = "caii";
    config.endpoint = "https://caii.example/namespaces/serving/endpoints/llama/v1";
    auto missing = caii::resolveToken(config, environment);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().kind, ErrorKind::MissingCredentials);
    EXPECT_NE(missing.error().message.find("CDP_TOKEN"), std::string::npos);
    EXPECT_NE(missing.error().message.find("/tmp/jwt"), std::string::npos);

    environment.files["/tmp/jwt"] = R"({"access_token": "from-file"})";
    auto fromFile = caii::resolveToken(config, environment);
    ASSERT_TRUE(fromFile.ok());
    EXPECT_EQ(fromFile.value().token, "from-file");
    EXPECT_EQ(fromFile.value().from, "/tmp/jwt");

    environment.variables["CDP_TOKEN"] = "from-env";
    EXPECT_EQ(caii::resolveToken(config, environment).value().token, "from-env");

    environment.variables.clear();
    environment.files["/tmp/jwt"] = R"({"token": "x"})";
    auto wrongShape = caii::resolveToken(config, environment);
    ASSERT_FALSE(wrongShape.ok());
    EXPECT_NE(wrongShape.error().message.find("access_token"), std::string::npos);
}

TEST(CaiiProvider, ScaledDownEndpointIsNamedOnModelCheck) {
    Recorder recorder;
    recorder.next = response(503, "upstream connect error");
    FakeEnvironment environment;
    environment.variables["CDP_TOKEN"] = "t";
    ProviderConfig config;
    config.provider = "caii";
    config.endpoint = "https://caii.example/v1";
    auto provider = caii::CaiiProvider::create(config, environment, recorder.transport());
    ASSERT_TRUE(provider.ok());
    const auto models = provider.value()->listModels(CancellationToken{});
    ASSERT_FALSE(models.ok());
    EXPECT_NE(models.error().message.find("scaled down"), std::string::npos);
    EXPECT_EQ(recorder.requests.back().url, "https://caii.example/v1/models");
    EXPECT_LE(recorder.requests.back().timeout, std::chrono::seconds(3));

    ProviderConfig noEndpoint;
    noEndpoint.provider = "caii";
    EXPECT_FALSE(caii::CaiiProvider::create(noEndpoint, environment, recorder.transport()).ok());
}

TEST(TransportErrors, RetryAfterAsHttpDate) {
    http::HttpResult result;
    result.headers = {{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}};
    const auto wait = parseRetryAfter(result);
    ASSERT_TRUE(wait);
    EXPECT_EQ(wait->count(), 0); // in the past: retry now
}

TEST(HttpRedaction, SecretsAreHiddenInLoggedHeaders) {
    const auto redacted = http::redactedHeaders(
        {{"Authorization", "Bearer x"}, {"X-Amz-Security-Token", "y"}, {"Content-Type", "application/json"}});
    EXPECT_EQ(redacted[0].second, "[redacted]");
    EXPECT_EQ(redacted[1].second, "[redacted]");
    EXPECT_EQ(redacted[2].second, "application/json");
}

TEST(Url, ParsedIntoParts) {
    const auto url =
        http::parseUrl("https://bedrock-runtime.us-east-1.amazonaws.com:8443/model/a%3A0/converse?x=1");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->host, "bedrock-runtime.us-east-1.amazonaws.com");
    EXPECT_EQ(*url->port, 8443);
    EXPECT_EQ(url->path, "/model/a%3A0/converse");
    EXPECT_EQ(url->query, "x=1");
    EXPECT_EQ(url->hostHeader(), "bedrock-runtime.us-east-1.amazonaws.com:8443");
    EXPECT_FALSE(http::parseUrl("ftp://x"));
    EXPECT_FALSE(http::parseUrl("not a url"));
}

} // namespace
} // namespace sds::providers
