#include "providers/bedrock/BedrockProvider.h"

#include <algorithm>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <mutex>

namespace sds::providers::bedrock {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kRuntimeHost = "bedrock-runtime.us-east-1.amazonaws.com";
const std::string kHaikuProfile = "us.anthropic.claude-3-5-haiku-20241022-v1:0";
const aws::AwsCredentials kCredentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                       ""};

// Answers by URL substring; records every request it is given.
class CannedTransport {
public:
    void answer(const std::string& urlPart, http::HttpResult result) {
        m_answers.emplace_back(urlPart, std::move(result));
    }

    http::Transport transport() {
        return [this](const http::HttpRequest& request, const CancellationToken&) {
            std::lock_guard lock(m_mutex);
            requests.push_back(request);
            for (const auto& [urlPart, result] : m_answers)
                if (request.url.find(urlPart) != std::string::npos)
                    return result;
            http::HttpResult unreachable;
            unreachable.failure = http::TransportFailure::ConnectFailed;
            unreachable.error = "Could not resolve host";
            return unreachable;
        };
    }

    std::vector<http::HttpRequest> requests;

private:
    std::mutex m_mutex;
    std::vector<std::pair<std::string, http::HttpResult>> m_answers;
};

http::HttpResult response(int status, const std::string& body, http::Headers headers = {}) {
    http::HttpResult result;
    result.status = status;
    result.body = body;
    result.headers = std::move(headers);
    return result;
}

http::HttpResult transportFailure(http::TransportFailure failure, const std::string& error) {
    http::HttpResult result;
    result.failure = failure;
    result.error = error;
    return result;
}

Connection testConnection(aws::AwsCredentials credentials = kCredentials) {
    Connection connection;
    connection.credentials = std::move(credentials);
    connection.credentialSource = "AWS_ACCESS_KEY_ID";
    connection.region = "us-east-1";
    connection.endpoints = {"https://" + kRuntimeHost, "https://bedrock.us-east-1.amazonaws.com", ""};
    connection.clock = [] {
        return std::chrono::sys_days{std::chrono::year{2024} / 7 / 1} + 9h;
    };
    return connection;
}

std::string header(const http::Headers& headers, const std::string& name) {
    for (const auto& [key, value] : headers)
        if (key == name)
            return value;
    return {};
}

aws::VerificationResult verify(const http::HttpRequest& request, const std::string& region = "us-east-1") {
    const auto url = http::parseUrl(request.url);
    EXPECT_TRUE(url.has_value());
    const aws::SigningInput received{request.method, url->path, url->query, request.headers, request.body};
    return aws::verifySignature(
        received,
        [](const std::string& key) {
            return key == kCredentials.accessKeyId ? kCredentials.secretAccessKey : "";
        },
        region, "bedrock");
}

ChatRequest simpleRequest(const std::string& model = kHaikuProfile) {
    ChatRequest request;
    request.model = model;
    request.messages = {{ChatMessage::Role::System, "You write CSV rows."},
                        {ChatMessage::Role::User, "Give me three rows."}};
    return request;
}

const nlohmann::json kRowsSchema = {
    {"type", "object"},
    {"properties", {{"rows", {{"type", "array"}, {"items", {{"type", "string"}}}}}}},
    {"required", {"rows"}}};

const char* const kTextAnswer = R"({
  "output": {"message": {"role": "assistant", "content": [{"text": "a,b\n"}, {"text": "c,d"}]}},
  "stopReason": "end_turn",
  "usage": {"inputTokens": 21, "outputTokens": 7, "totalTokens": 28},
  "metrics": {"latencyMs": 412}
})";

const char* const kToolUseAnswer = R"({
  "output": {"message": {"role": "assistant", "content": [
    {"text": "Here are the rows."},
    {"toolUse": {"toolUseId": "tooluse_1", "name": "rows", "input": {"rows": ["x", "y"]}}}
  ]}},
  "stopReason": "tool_use",
  "usage": {"inputTokens": 50, "outputTokens": 12, "totalTokens": 62}
})";

ErrorContext chatContext(const std::string& model = kHaikuProfile) {
    return {kRuntimeHost, model, kCredentials.accessKeyId, "AWS_ACCESS_KEY_ID"};
}

// --- request building ---------------------------------------------------------------------------

TEST(BedrockConverse, UrlEncodesTheModelIdOnce) {
    EXPECT_EQ(converseUrl("https://" + kRuntimeHost, "anthropic.claude-3-5-sonnet-20240620-v1:0"),
              "https://" + kRuntimeHost + "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse");
    EXPECT_EQ(
        converseUrl("http://127.0.0.1:9000",
                    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0"),
        "http://127.0.0.1:9000/model/"
        "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.amazon.nova-lite-v1%3A0/"
        "converse");
}

TEST(BedrockConverse, BodyHasSystemMessagesAndInferenceConfig) {
    auto request = simpleRequest();
    request.messages.push_back({ChatMessage::Role::Assistant, "Sure."});
    request.messages.push_back({ChatMessage::Role::User, "More, please."});
    request.messages.push_back({ChatMessage::Role::User, "With headers."});
    request.temperature = 0.7;
    request.topP = 0.9;
    request.maxTokens = 1024;
    const auto body = buildConverseBody(request);
    EXPECT_EQ(body["system"], nlohmann::json::parse(R"([{"text": "You write CSV rows."}])"));
    EXPECT_EQ(body["messages"], nlohmann::json::parse(R"([
        {"role": "user", "content": [{"text": "Give me three rows."}]},
        {"role": "assistant", "content": [{"text": "Sure."}]},
        {"role": "user", "content": [{"text": "More, please."}, {"text": "With headers."}]}])"));
    EXPECT_EQ(body["inferenceConfig"],
              nlohmann::json::parse(R"({"maxTokens": 1024, "temperature": 0.7, "topP": 0.9})"));
    EXPECT_FALSE(body.contains("toolConfig"));
    EXPECT_FALSE(body.contains("additionalModelRequestFields"));
}

TEST(BedrockConverse, TemperatureIsClampedToOne) {
    auto request = simpleRequest();
    request.temperature = 1.7;
    EXPECT_EQ(buildConverseBody(request)["inferenceConfig"]["temperature"], 1.0);
}

TEST(BedrockConverse, TopKGoesOnlyToClaude) {
    auto request = simpleRequest();
    request.topK = 40;
    for (const std::string& claude : {kHaikuProfile, std::string("anthropic.claude-3-5-sonnet-20240620-v1:0"),
                                      std::string("eu.anthropic.claude-3-7-sonnet-20250219-v1:0")}) {
        request.model = claude;
        EXPECT_EQ(buildConverseBody(request)["additionalModelRequestFields"], nlohmann::json({{"top_k", 40}}))
            << claude;
    }
    for (const std::string other :
         {"amazon.nova-pro-v1:0", "us.meta.llama3-3-70b-instruct-v1:0", "mistral.mistral-large-2407-v1:0"}) {
        request.model = other;
        EXPECT_FALSE(buildConverseBody(request).contains("additionalModelRequestFields")) << other;
    }
}

TEST(BedrockConverse, JsonSchemaBecomesAForcedTool) {
    auto request = simpleRequest();
    request.jsonSchema = kRowsSchema;
    const auto body = buildConverseBody(request);
    ASSERT_TRUE(body.contains("toolConfig"));
    const auto& toolConfig = body["toolConfig"];
    ASSERT_EQ(toolConfig["tools"].size(), 1u);
    const auto& spec = toolConfig["tools"][0]["toolSpec"];
    EXPECT_EQ(spec["name"], "rows");
    EXPECT_TRUE(spec["description"].is_string());
    EXPECT_EQ(spec["inputSchema"]["json"], kRowsSchema);
    EXPECT_EQ(toolConfig["toolChoice"], nlohmann::json::parse(R"({"tool": {"name": "rows"}})"));
}

TEST(BedrockConverse, ToolNameIsSanitizedAndLlamaIsNotForced) {
    auto request = simpleRequest("us.meta.llama3-3-70b-instruct-v1:0");
    request.jsonSchema = kRowsSchema;
    request.schemaName = "customer rows!";
    const auto body = buildConverseBody(request);
    EXPECT_EQ(body["toolConfig"]["tools"][0]["toolSpec"]["name"], "customerrows");
    EXPECT_FALSE(body["toolConfig"].contains("toolChoice"));
}

// --- response parsing ---------------------------------------------------------------------------

TEST(BedrockConverse, ParsesTextBlocksUsageAndStopReason) {
    const auto result = parseConverseResponse(response(200, kTextAnswer), chatContext(), simpleRequest());
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result.value().text, "a,b\nc,d");
    EXPECT_FALSE(result.value().structured.has_value());
    EXPECT_EQ(result.value().usage.input, 21);
    EXPECT_EQ(result.value().usage.output, 7);
    EXPECT_EQ(result.value().stopReason, "end_turn");
}

TEST(BedrockConverse, ParsesToolUseInputAsStructuredOutput) {
    auto request = simpleRequest();
    request.jsonSchema = kRowsSchema;
    const auto result = parseConverseResponse(response(200, kToolUseAnswer), chatContext(), request);
    ASSERT_TRUE(result.ok()) << result.error().message;
    ASSERT_TRUE(result.value().structured.has_value());
    EXPECT_EQ(*result.value().structured, nlohmann::json::parse(R"({"rows": ["x", "y"]})"));
    EXPECT_EQ(result.value().text, R"({"rows":["x","y"]})");
    EXPECT_EQ(result.value().stopReason, "tool_use");
    EXPECT_EQ(result.value().usage.input, 50);
    EXPECT_EQ(result.value().usage.output, 12);
}

TEST(BedrockConverse, JsonTextCountsAsStructuredWhenNoToolWasUsed) {
    auto request = simpleRequest("us.meta.llama3-3-70b-instruct-v1:0");
    request.jsonSchema = kRowsSchema;
    const char* const answer =
        R"({"output": {"message": {"role": "assistant", "content": [{"text": "{\"rows\": [\"z\"]}"}]}},
                                   "stopReason": "end_turn", "usage": {"inputTokens": 1, "outputTokens": 1}})";
    const auto result = parseConverseResponse(response(200, answer), chatContext(), request);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(*result.value().structured, nlohmann::json::parse(R"({"rows": ["z"]})"));
}

TEST(BedrockConverse, MalformedAnswersAreReported) {
    const auto notJson =
        parseConverseResponse(response(200, "<html>proxy</html>"), chatContext(), simpleRequest());
    ASSERT_FALSE(notJson.ok());
    EXPECT_EQ(notJson.error().kind, ErrorKind::MalformedResponse);
    EXPECT_THAT(notJson.error().message, HasSubstr(kRuntimeHost));

    const auto noOutput =
        parseConverseResponse(response(200, R"({"usage": {}})"), chatContext(), simpleRequest());
    ASSERT_FALSE(noOutput.ok());
    EXPECT_THAT(noOutput.error().message, HasSubstr("output.message.content"));
}

// --- error mapping ------------------------------------------------------------------------------

ProviderError mapped(int status, const std::string& type, const std::string& message,
                     http::Headers extra = {}) {
    http::Headers headers = std::move(extra);
    if (!type.empty())
        headers.emplace_back("x-amzn-errortype",
                             type + ":http://internal.amazon.com/coral/com.amazon.bedrock/");
    return mapBedrockError(response(status, nlohmann::json({{"message", message}}).dump(), headers),
                           chatContext());
}

void expectOneLineNaming(const ProviderError& error) {
    EXPECT_EQ(error.message.find('\n'), std::string::npos) << error.message;
    EXPECT_THAT(error.message, HasSubstr(kRuntimeHost));
    EXPECT_THAT(error.message, HasSubstr(kHaikuProfile));
    EXPECT_THAT(error.message, Not(HasSubstr(kCredentials.secretAccessKey)));
    EXPECT_THAT(error.message, Not(HasSubstr(kCredentials.accessKeyId)));
}

TEST(BedrockErrors, ThrottlingIsRateLimitedWithRetryAfter) {
    const auto error = mapped(429, "ThrottlingException",
                              "Too many requests, please wait before trying again.", {{"retry-after", "3"}});
    EXPECT_EQ(error.kind, ErrorKind::RateLimited);
    EXPECT_EQ(error.retryAfter, std::chrono::milliseconds(3000));
    EXPECT_TRUE(error.retryable());
    EXPECT_EQ(error.httpStatus, 429);
    EXPECT_THAT(error.message, HasSubstr("throttling"));
    expectOneLineNaming(error);
}

TEST(BedrockErrors, ThrottlingTypeWithoutStatus429IsRateLimited) {
    EXPECT_EQ(mapped(400, "ThrottlingException", "Rate exceeded").kind, ErrorKind::RateLimited);
}

TEST(BedrockErrors, UnrecognizedClientNamesTheMaskedKey) {
    const auto error =
        mapped(403, "UnrecognizedClientException", "The security token included in the request is invalid.");
    EXPECT_EQ(error.kind, ErrorKind::Unauthorized);
    EXPECT_THAT(error.message, HasSubstr("AWS credentials (access key AKIA…MPLE from AWS_ACCESS_KEY_ID)"));
    EXPECT_THAT(error.message, HasSubstr("The security token included in the request is invalid."));
    expectOneLineNaming(error);
}

TEST(BedrockErrors, MissingAuthenticationTokenIsUnauthorized) {
    const auto error = mapped(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
    EXPECT_EQ(error.kind, ErrorKind::Unauthorized);
    expectOneLineNaming(error);
}

TEST(BedrockErrors, InvalidSignaturePointsAtTheSecret) {
    const auto error =
        mapped(403, "InvalidSignatureException", "The request signature we calculated does not match.");
    EXPECT_EQ(error.kind, ErrorKind::Unauthorized);
    EXPECT_THAT(error.message, HasSubstr("secret access key"));
    expectOneLineNaming(error);
}

TEST(BedrockErrors, AccessDeniedMentionsModelAccess) {
    const auto error = mapped(403, "AccessDeniedException",
                              "You don't have access to the model with the specified model ID.");
    EXPECT_EQ(error.kind, ErrorKind::Forbidden);
    EXPECT_THAT(error.message, HasSubstr("Model access"));
    EXPECT_THAT(error.message, HasSubstr("AKIA…MPLE"));
    EXPECT_FALSE(error.retryable());
    expectOneLineNaming(error);
}

TEST(BedrockErrors, InvalidModelIdentifierIsUnknownModel) {
    const auto error = mapped(400, "ValidationException", "The provided model identifier is invalid.");
    EXPECT_EQ(error.kind, ErrorKind::UnknownModel);
    EXPECT_THAT(error.message, HasSubstr("does not know model \"" + kHaikuProfile + "\""));
    expectOneLineNaming(error);
}

TEST(BedrockErrors, ResourceNotFoundIsUnknownModel) {
    const auto error = mapped(404, "ResourceNotFoundException", "Model not found.");
    EXPECT_EQ(error.kind, ErrorKind::UnknownModel);
    expectOneLineNaming(error);
}

TEST(BedrockErrors, OnDemandUnsupportedSuggestsAnInferenceProfile) {
    const auto error = mapBedrockError(
        response(
            400,
            R"({"message": "Invocation of model ID anthropic.claude-3-7-sonnet-20250219-v1:0 with on-demand throughput isn't supported."})",
            {{"x-amzn-errortype", "ValidationException"}}),
        chatContext("anthropic.claude-3-7-sonnet-20250219-v1:0"));
    EXPECT_EQ(error.kind, ErrorKind::BadRequest);
    EXPECT_THAT(error.message, HasSubstr("\"us.anthropic.claude-3-7-sonnet-20250219-v1:0\""));
}

TEST(BedrockErrors, OtherValidationErrorsAreBadRequests) {
    const auto error = mapped(400, "ValidationException", "messages: text field is blank\nsecond line");
    EXPECT_EQ(error.kind, ErrorKind::BadRequest);
    EXPECT_THAT(error.message, HasSubstr("text field is blank second line"));
    expectOneLineNaming(error);
}

TEST(BedrockErrors, ServerSideFailuresAreRetryableServerErrors) {
    for (const auto& [status, type] :
         std::vector<std::pair<int, std::string>>{{429, "ModelNotReadyException"},
                                                  {503, "ServiceUnavailableException"},
                                                  {500, "InternalServerException"},
                                                  {502, ""}}) {
        const auto error = mapped(status, type, "try later");
        EXPECT_EQ(error.kind, ErrorKind::ServerError) << status << " " << type;
        EXPECT_TRUE(error.retryable());
        expectOneLineNaming(error);
    }
}

TEST(BedrockErrors, ErrorTypeFromTheBodyWhenTheHeaderIsMissing) {
    const auto error = mapBedrockError(
        response(
            400,
            R"({"__type": "com.amazon.coral.service#UnrecognizedClientException", "Message": "bad key"})"),
        chatContext());
    EXPECT_EQ(error.kind, ErrorKind::Unauthorized);
    EXPECT_THAT(error.message, HasSubstr("UnrecognizedClientException"));
    EXPECT_THAT(error.message, HasSubstr("bad key"));
}

TEST(BedrockErrors, TransportFailuresKeepTheirKind) {
    const std::vector<std::pair<http::TransportFailure, ErrorKind>> cases = {
        {http::TransportFailure::ConnectFailed, ErrorKind::Unreachable},
        {http::TransportFailure::Timeout, ErrorKind::Timeout},
        {http::TransportFailure::ConnectionDropped, ErrorKind::ConnectionDropped},
        {http::TransportFailure::Cancelled, ErrorKind::Cancelled},
    };
    for (const auto& [failure, kind] : cases) {
        const auto error = mapBedrockError(transportFailure(failure, "boom"), chatContext());
        EXPECT_EQ(error.kind, kind);
        if (kind != ErrorKind::Cancelled)
            expectOneLineNaming(error);
    }
}

// --- the provider, through a canned transport ---------------------------------------------------

TEST(BedrockProvider, ChatSendsASignedConverseRequest) {
    CannedTransport canned;
    canned.answer("/converse", response(200, kTextAnswer));
    BedrockProvider provider(testConnection(), canned.transport());
    auto request = simpleRequest();
    request.topK = 5;
    const auto result = provider.chat(request, CancellationToken{});
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result.value().text, "a,b\nc,d");

    ASSERT_EQ(canned.requests.size(), 1u);
    const auto& sent = canned.requests[0];
    EXPECT_EQ(sent.method, "POST");
    EXPECT_EQ(sent.url,
              "https://" + kRuntimeHost + "/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse");
    EXPECT_EQ(header(sent.headers, "Content-Type"), "application/json");
    EXPECT_EQ(header(sent.headers, "Host"), kRuntimeHost);
    EXPECT_EQ(header(sent.headers, "X-Amz-Date"), "20240701T090000Z");
    EXPECT_EQ(header(sent.headers, "X-Amz-Content-Sha256"), aws::sha256Hex(sent.body));
    EXPECT_THAT(header(sent.headers, "Authorization"),
                HasSubstr("Credential=AKIAIOSFODNN7EXAMPLE/20240701/us-east-1/bedrock/aws4_request, "
                          "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature="));
    const auto verification = verify(sent);
    EXPECT_TRUE(verification.valid) << verification.reason;
    const auto body = nlohmann::json::parse(sent.body);
    EXPECT_EQ(body["additionalModelRequestFields"]["top_k"], 5);
}

TEST(BedrockProvider, SessionTokenIsSentAndSigned) {
    CannedTransport canned;
    canned.answer("/converse", response(200, kTextAnswer));
    auto credentials = kCredentials;
    credentials.sessionToken = "FwoGZXIvYXdzEXAMPLE";
    BedrockProvider provider(testConnection(credentials), canned.transport());
    ASSERT_TRUE(provider.chat(simpleRequest(), CancellationToken{}).ok());
    const auto& sent = canned.requests.at(0);
    EXPECT_EQ(header(sent.headers, "X-Amz-Security-Token"), "FwoGZXIvYXdzEXAMPLE");
    EXPECT_THAT(header(sent.headers, "Authorization"), HasSubstr(";x-amz-security-token, Signature="));
    EXPECT_TRUE(verify(sent).valid);
}

TEST(BedrockProvider, ChatReturnsMappedErrors) {
    CannedTransport canned;
    canned.answer("/converse", response(403, R"({"message": "You don't have access to the model."})",
                                        {{"x-amzn-errortype", "AccessDeniedException"}}));
    BedrockProvider provider(testConnection(), canned.transport());
    const auto result = provider.chat(simpleRequest(), CancellationToken{});
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::Forbidden);
    EXPECT_THAT(result.error().message, HasSubstr(kRuntimeHost));
}

TEST(BedrockProvider, ChatObservesCancellationBeforeSending) {
    CannedTransport canned;
    BedrockProvider provider(testConnection(), canned.transport());
    CancellationToken cancel;
    cancel.cancel();
    const auto result = provider.chat(simpleRequest(), cancel);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::Cancelled);
    EXPECT_TRUE(canned.requests.empty());
}

TEST(BedrockProvider, ChatSurvivesInvalidUtf8InTheConversation) {
    CannedTransport canned;
    canned.answer("/converse", response(200, kTextAnswer));
    BedrockProvider provider(testConnection(), canned.transport());
    auto request = simpleRequest();
    request.messages.back().content = "broken \xC3\x28 byte";
    EXPECT_TRUE(provider.chat(request, CancellationToken{}).ok());
}

TEST(BedrockProvider, ChatWithoutModelUsesTheDefault) {
    CannedTransport canned;
    canned.answer("/converse", response(200, kTextAnswer));
    BedrockProvider provider(testConnection(), canned.transport());
    ASSERT_TRUE(provider.chat(simpleRequest(""), CancellationToken{}).ok());
    EXPECT_THAT(canned.requests.at(0).url,
                HasSubstr("/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse"));
}

const char* const kFoundationModels = R"({"modelSummaries": [
  {"modelId": "anthropic.claude-3-5-haiku-20241022-v1:0", "modelName": "Claude 3.5 Haiku", "providerName": "Anthropic",
   "outputModalities": ["TEXT"], "inferenceTypesSupported": ["ON_DEMAND", "INFERENCE_PROFILE"]},
  {"modelId": "amazon.titan-embed-text-v2:0", "modelName": "Titan Text Embeddings V2", "providerName": "Amazon",
   "outputModalities": ["EMBEDDING"], "inferenceTypesSupported": ["ON_DEMAND"]},
  {"modelId": "anthropic.claude-3-7-sonnet-20250219-v1:0", "modelName": "Claude 3.7 Sonnet", "providerName": "Anthropic",
   "outputModalities": ["TEXT"], "inferenceTypesSupported": ["INFERENCE_PROFILE"]},
  {"modelId": "amazon.nova-micro-v1:0", "modelName": "Nova Micro", "providerName": "Amazon", "outputModalities": ["TEXT"]}
]})";

TEST(BedrockModels, FoundationModelsKeepOnDemandTextModels) {
    const auto models = parseFoundationModels(nlohmann::json::parse(kFoundationModels));
    ASSERT_EQ(models.size(), 2u);
    EXPECT_EQ(models[0].id, "anthropic.claude-3-5-haiku-20241022-v1:0");
    EXPECT_EQ(models[0].displayName, "Anthropic Claude 3.5 Haiku");
    EXPECT_EQ(models[1].id, "amazon.nova-micro-v1:0");
}

TEST(BedrockProvider, ListModelsCombinesFoundationModelsAndInferenceProfiles) {
    CannedTransport canned;
    canned.answer("/foundation-models", response(200, kFoundationModels));
    canned.answer("nextToken=page%2B2", response(200, R"({"inferenceProfileSummaries": [
                      {"inferenceProfileId": "eu.anthropic.claude-3-7-sonnet-20250219-v1:0"}]})"));
    canned.answer("/inference-profiles", response(200, R"({"inferenceProfileSummaries": [
                      {"inferenceProfileId": "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
                       "inferenceProfileName": "US Anthropic Claude 3.7 Sonnet"},
                      {"inferenceProfileId": "us.amazon.nova-micro-v1:0"}], "nextToken": "page+2"})"));
    BedrockProvider provider(testConnection(), canned.transport());
    const auto result = provider.listModels(CancellationToken{});
    ASSERT_TRUE(result.ok()) << result.error().message;
    std::vector<std::string> ids;
    for (const auto& model : result.value())
        ids.push_back(model.id);
    EXPECT_EQ(ids, (std::vector<std::string>{
                       "anthropic.claude-3-5-haiku-20241022-v1:0", "amazon.nova-micro-v1:0",
                       "us.anthropic.claude-3-7-sonnet-20250219-v1:0", "us.amazon.nova-micro-v1:0",
                       "eu.anthropic.claude-3-7-sonnet-20250219-v1:0"}));
    EXPECT_EQ(result.value()[2].displayName, "US Anthropic Claude 3.7 Sonnet");

    ASSERT_EQ(canned.requests.size(), 3u);
    EXPECT_EQ(canned.requests[0].url,
              "https://bedrock.us-east-1.amazonaws.com/foundation-models?byOutputModality=TEXT");
    EXPECT_EQ(canned.requests[1].url,
              "https://bedrock.us-east-1.amazonaws.com/inference-profiles?maxResults=1000");
    for (const auto& sent : canned.requests) {
        EXPECT_EQ(sent.method, "GET");
        EXPECT_EQ(header(sent.headers, "Host"), "bedrock.us-east-1.amazonaws.com");
        EXPECT_TRUE(header(sent.headers, "Content-Type").empty());
        EXPECT_THAT(header(sent.headers, "Authorization"),
                    HasSubstr("SignedHeaders=host;x-amz-content-sha256;x-amz-date,"));
        const auto verification = verify(sent);
        EXPECT_TRUE(verification.valid) << sent.url << ": " << verification.reason;
    }
}

TEST(BedrockProvider, ListModelsFallsBackToTheBuiltInListWhenUnreachable) {
    CannedTransport canned; // answers nothing: every request fails to connect
    BedrockProvider provider(testConnection(), canned.transport());
    const auto result = provider.listModels(CancellationToken{});
    ASSERT_TRUE(result.ok());
    const auto& models = result.value();
    const auto has = [&](const std::string& id) {
        return std::any_of(models.begin(), models.end(),
                           [&](const ModelInfo& model) { return model.id == id; });
    };
    for (const std::string id :
         {"anthropic.claude-3-5-sonnet-20240620-v1:0", "anthropic.claude-3-5-sonnet-20241022-v2:0",
          "us.anthropic.claude-3-5-haiku-20241022-v1:0", "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
          "us.anthropic.claude-sonnet-4-20250514-v1:0", "meta.llama3-1-70b-instruct-v1:0",
          "us.meta.llama3-3-70b-instruct-v1:0", "mistral.mistral-large-2407-v1:0", "us.amazon.nova-pro-v1:0",
          "amazon.nova-lite-v1:0", "us.amazon.nova-micro-v1:0"})
        EXPECT_TRUE(has(id)) << id;
    for (const auto& model : models)
        EXPECT_THAT(model.displayName, HasSubstr("(built-in list)"));
}

TEST(BedrockProvider, ListModelsReportsHttpErrorsAndCancellation) {
    CannedTransport denied;
    denied.answer("/foundation-models",
                  response(403, R"({"message": "not authorized to perform bedrock:ListFoundationModels"})",
                           {{"x-amzn-errortype", "AccessDeniedException"}}));
    BedrockProvider deniedProvider(testConnection(), denied.transport());
    const auto deniedResult = deniedProvider.listModels(CancellationToken{});
    ASSERT_FALSE(deniedResult.ok());
    EXPECT_EQ(deniedResult.error().kind, ErrorKind::Forbidden);
    EXPECT_THAT(deniedResult.error().message, HasSubstr("bedrock.us-east-1.amazonaws.com"));

    CannedTransport cancelled;
    cancelled.answer("/foundation-models", transportFailure(http::TransportFailure::Cancelled, "cancelled"));
    BedrockProvider cancelledProvider(testConnection(), cancelled.transport());
    const auto cancelledResult = cancelledProvider.listModels(CancellationToken{});
    ASSERT_FALSE(cancelledResult.ok());
    EXPECT_EQ(cancelledResult.error().kind, ErrorKind::Cancelled);
}

TEST(BedrockProvider, ListModelsKeepsFoundationModelsWhenProfilesAreDenied) {
    CannedTransport canned;
    canned.answer("/foundation-models", response(200, kFoundationModels));
    canned.answer("/inference-profiles", response(403, R"({"message": "denied"})"));
    BedrockProvider provider(testConnection(), canned.transport());
    const auto result = provider.listModels(CancellationToken{});
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.value().size(), 2u);
}

// --- construction from configuration ------------------------------------------------------------

TEST(BedrockProvider, CreateResolvesCredentialsRegionAndEndpoints) {
    FakeEnvironment environment;
    environment.variables = {{"AWS_ACCESS_KEY_ID", kCredentials.accessKeyId},
                             {"AWS_SECRET_ACCESS_KEY", kCredentials.secretAccessKey},
                             {"AWS_REGION", "eu-west-1"},
                             {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://127.0.0.1:8443/"}};
    CannedTransport canned;
    canned.answer("/converse", response(200, kTextAnswer));
    const auto created = BedrockProvider::create({}, environment, canned.transport());
    ASSERT_TRUE(created.ok()) << created.error().message;
    const auto& provider = created.value();
    EXPECT_EQ(provider->name(), "bedrock");
    EXPECT_EQ(provider->defaultModel(), "eu.anthropic.claude-3-haiku-20240307-v1:0");
    ASSERT_TRUE(provider->chat(simpleRequest("amazon.nova-lite-v1:0"), CancellationToken{}).ok());
    const auto& sent = canned.requests.at(0);
    EXPECT_EQ(sent.url, "http://127.0.0.1:8443/model/amazon.nova-lite-v1%3A0/converse");
    EXPECT_EQ(header(sent.headers, "Host"), "127.0.0.1:8443");
    EXPECT_TRUE(verify(sent, "eu-west-1").valid);
}

TEST(BedrockProvider, CreateFailsWithoutCredentialsOrRegion) {
    FakeEnvironment environment;
    const auto noCredentials = BedrockProvider::create({}, environment);
    ASSERT_FALSE(noCredentials.ok());
    EXPECT_EQ(noCredentials.error().kind, ErrorKind::MissingCredentials);

    environment.variables = {{"AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"},
                             {"AWS_SECRET_ACCESS_KEY", "secret"}};
    const auto noRegion = BedrockProvider::create({}, environment);
    ASSERT_FALSE(noRegion.ok());
    EXPECT_EQ(noRegion.error().kind, ErrorKind::BadRequest);
    EXPECT_THAT(noRegion.error().message, HasSubstr("region"));
}

TEST(BedrockModels, DefaultModelFollowsTheRegionsGeography) {
    EXPECT_EQ(defaultModelForRegion("us-west-2"), "us.anthropic.claude-3-5-haiku-20241022-v1:0");
    EXPECT_EQ(defaultModelForRegion("eu-central-1"), "eu.anthropic.claude-3-haiku-20240307-v1:0");
    EXPECT_EQ(defaultModelForRegion("ap-northeast-1"), "apac.anthropic.claude-3-haiku-20240307-v1:0");
}

} // namespace
} // namespace sds::providers::bedrock
