#include "providers/bedrock/BatchInference.h"
#include "providers/bedrock/S3Client.h"
#include "standin/StandinServer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sds::providers::bedrock {
namespace {

using ::testing::HasSubstr;

const std::string kAccessKey = "AKIDBATCHTEST0001";
const std::string kSecret = "batch-test-secret";
const std::string kClaude = "anthropic.claude-3-5-sonnet-20240620-v1:0";

ChatRequest generationRequest(const std::string& model, bool withSchema) {
    ChatRequest request;
    request.model = model;
    request.messages = {{ChatMessage::Role::System, "You write questions."},
                        {ChatMessage::Role::User, "Create 2 questions about the topic \"Joins\"."}};
    request.temperature = 1.5;
    request.topK = 40;
    request.maxTokens = 1000;
    if (withSchema)
        request.jsonSchema = nlohmann::json{{"type", "object"}};
    request.schemaName = "generated_items";
    return request;
}

class BatchAgainstStandin : public ::testing::Test {
protected:
    void SetUp() override {
        standin::StandinOptions options;
        options.awsCredentials = {{kAccessKey, kSecret}};
        options.batch.pollsUntilDone = 2;
        options.batch.failEveryNthRecord = 10;
        server = std::make_unique<standin::StandinServer>(options);
        server->start();
    }

    S3Connection s3Connection(std::string secret = kSecret) const {
        S3Connection connection;
        connection.credentials = {kAccessKey, std::move(secret), ""};
        connection.region = "us-east-1";
        connection.endpoint = server->baseUrl();
        return connection;
    }

    Connection controlConnection() const {
        Connection connection;
        connection.credentials = {kAccessKey, kSecret, ""};
        connection.region = "us-east-1";
        connection.endpoints = {server->baseUrl(), server->baseUrl(), server->baseUrl()};
        return connection;
    }

    // Every request the stand-in saw carried a SigV4 Authorization header for `service`.
    void expectSignedFor(const std::vector<http::HttpRequest>& requests, const std::string& service) const {
        ASSERT_FALSE(requests.empty());
        for (const auto& request : requests) {
            const auto authorization =
                std::find_if(request.headers.begin(), request.headers.end(),
                             [](const auto& header) { return header.first == "Authorization"; });
            ASSERT_NE(authorization, request.headers.end()) << request.url;
            EXPECT_THAT(authorization->second, HasSubstr("/us-east-1/" + service + "/aws4_request"));
        }
    }

    // The default transport, remembering each request.
    http::Transport recording(std::vector<http::HttpRequest>& requests) const {
        return [&requests](const http::HttpRequest& request, const CancellationToken& cancel) {
            requests.push_back(request);
            return http::defaultTransport()(request, cancel);
        };
    }

    std::unique_ptr<standin::StandinServer> server;
};

TEST(S3Uri, ParsesBucketAndPrefixAndRefusesOthers) {
    EXPECT_EQ(parseS3Uri("s3://my-bucket/sds/batch/"), (S3Location{"my-bucket", "sds/batch/"}));
    EXPECT_EQ(parseS3Uri("s3://my-bucket"), (S3Location{"my-bucket", ""}));
    EXPECT_EQ(parseS3Uri("s3://my-bucket/a.jsonl")->uri(), "s3://my-bucket/a.jsonl");
    EXPECT_FALSE(parseS3Uri("https://my-bucket/x"));
    EXPECT_FALSE(parseS3Uri("s3://My_Bucket/x"));
    EXPECT_FALSE(parseS3Uri("s3://ab/x"));
}

TEST(S3Client, UsesVirtualHostedUrlsOnAwsAndPathStyleOnAnOverride) {
    S3Connection aws;
    aws.region = "eu-west-1";
    EXPECT_EQ(S3Client(aws, {}).objectUrl({"bucket-1", "run 1/records.jsonl"}),
              "https://bucket-1.s3.eu-west-1.amazonaws.com/run%201/records.jsonl");
    aws.endpoint = "http://127.0.0.1:9000";
    EXPECT_EQ(S3Client(aws, {}).objectUrl({"bucket-1", "a/b.jsonl"}),
              "http://127.0.0.1:9000/bucket-1/a/b.jsonl");
}

TEST(S3Client, DottedBucketsArePathStyleAndChinaRegionsUseTheirDomain) {
    S3Connection aws;
    aws.region = "eu-west-1";
    EXPECT_EQ(S3Client(aws, {}).objectUrl({"data.example.com", "x.jsonl"}),
              "https://s3.eu-west-1.amazonaws.com/data.example.com/x.jsonl")
        << "the *.s3 certificate does not cover a dotted bucket name";
    aws.region = "cn-north-1";
    EXPECT_EQ(S3Client(aws, {}).objectUrl({"bucket-1", "x.jsonl"}),
              "https://bucket-1.s3.cn-north-1.amazonaws.com.cn/x.jsonl");
}

TEST(Xml, ElementTextsAreDecoded) {
    EXPECT_EQ(xmlElementTexts("<a><Key>x&amp;y</Key><Key>z</Key></a>", "Key"),
              (std::vector<std::string>{"x&y", "z"}));
    EXPECT_TRUE(xmlElementTexts("<a><Key>unclosed</a>", "Key").empty());
}

TEST_F(BatchAgainstStandin, SinglePutGetAndListAreSignedForS3) {
    std::vector<http::HttpRequest> requests;
    const S3Client s3(s3Connection(), recording(requests));
    const CancellationToken cancel;
    const S3Location object{"sds-bucket", "runs/r1/records.jsonl"};
    ASSERT_FALSE(s3.putObject(object, "{\"recordId\":\"a\"}\n", cancel));
    const auto read = s3.getObject(object, cancel);
    ASSERT_TRUE(read.ok()) << read.error().message;
    EXPECT_EQ(read.value(), "{\"recordId\":\"a\"}\n");
    const auto keys = s3.listKeys({"sds-bucket", "runs/"}, cancel);
    ASSERT_TRUE(keys.ok()) << keys.error().message;
    EXPECT_EQ(keys.value(), std::vector<std::string>{"runs/r1/records.jsonl"});
    EXPECT_EQ(server->stats().batch.multipartUploadsCompleted, 0U);
    expectSignedFor(requests, "s3");
}

TEST_F(BatchAgainstStandin, LargeFilesGoUpInPartsAndArriveWhole) {
    std::vector<http::HttpRequest> requests;
    auto connection = s3Connection();
    connection.multipartThreshold = 1000;
    connection.partSize = 400;
    const S3Client s3(connection, recording(requests));
    std::string body;
    for (int i = 0; body.size() < 2500; ++i)
        body += "{\"recordId\":\"r" + std::to_string(i) + "\"}\n";
    const CancellationToken cancel;
    ASSERT_FALSE(s3.putObject({"sds-bucket", "big.jsonl"}, body, cancel));
    EXPECT_EQ(server->stats().batch.multipartUploadsCompleted, 1U);
    EXPECT_EQ(server->s3Object("sds-bucket", "big.jsonl"), body);
    // Create, 7 parts of at most 400 bytes, complete.
    EXPECT_EQ(requests.size(), 2 + (body.size() + 399) / 400);
    expectSignedFor(requests, "s3");
}

TEST_F(BatchAgainstStandin, AWrongSecretIsRefusedNamingTheBucket) {
    const S3Client s3(s3Connection("not-the-secret"), http::defaultTransport());
    const auto failure = s3.putObject({"sds-bucket", "x.jsonl"}, "x", CancellationToken{});
    ASSERT_TRUE(failure);
    EXPECT_EQ(failure->kind, ErrorKind::Forbidden);
    EXPECT_THAT(failure->message, HasSubstr("s3://sds-bucket/x.jsonl"));
    EXPECT_THAT(failure->message, ::testing::Not(HasSubstr("not-the-secret")));
}

TEST_F(BatchAgainstStandin, AJobIsCreatedOncePolledToTheEndAndItsOutputRead) {
    const CancellationToken cancel;
    const S3Client s3(s3Connection(), http::defaultTransport());
    std::string records;
    for (int i = 0; i < 100; ++i)
        records += batchRecordLine("s0-b" + std::to_string(i) + "-n2",
                                   buildNativeBody(generationRequest(kClaude, true))) +
                   "\n";
    ASSERT_FALSE(s3.putObject({"sds-bucket", "run/records.jsonl"}, records, cancel));

    std::vector<http::HttpRequest> requests;
    const BatchJobClient jobs(controlConnection(), recording(requests));
    BatchJobRequest request{"sds-run",
                            "arn:aws:iam::123456789012:role/BedrockBatch",
                            kClaude,
                            "s3://sds-bucket/run/records.jsonl",
                            "s3://sds-bucket/run/output/",
                            "token-1"};
    const auto arn = jobs.create(request, cancel);
    ASSERT_TRUE(arn.ok()) << arn.error().message;
    EXPECT_THAT(arn.value(), HasSubstr(":model-invocation-job/"));
    const auto again = jobs.create(request, cancel);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again.value(), arn.value()) << "the same client request token makes no second job";
    EXPECT_EQ(server->stats().batch.jobsCreated, 1U);

    std::vector<BatchJobStatus> seen;
    BatchJobInfo info;
    do {
        const auto polled = jobs.get(arn.value(), cancel);
        ASSERT_TRUE(polled.ok()) << polled.error().message;
        info = polled.value();
        seen.push_back(info.status);
    } while (!isFinished(info.status) && seen.size() < 10);
    EXPECT_EQ(seen, (std::vector<BatchJobStatus>{BatchJobStatus::Submitted, BatchJobStatus::InProgress,
                                                 BatchJobStatus::PartiallyCompleted}));
    EXPECT_EQ(info.totalRecords, 100);
    EXPECT_EQ(info.errorRecords, 10);
    expectSignedFor(requests, "bedrock");

    const auto keys = s3.listKeys({"sds-bucket", "run/output/"}, cancel);
    ASSERT_TRUE(keys.ok());
    const auto outputKey = std::find_if(keys.value().begin(), keys.value().end(), [](const std::string& key) {
        return key.ends_with("records.jsonl.out");
    });
    ASSERT_NE(outputKey, keys.value().end());
    const auto output = parseBatchOutput(s3.getObject({"sds-bucket", *outputKey}, cancel).value());
    ASSERT_EQ(output.records.size(), 100U);
    int failed = 0;
    for (const auto& record : output.records) {
        if (!record.modelOutput) {
            ++failed;
            continue;
        }
        const auto parsed = parseNativeResponse(*record.modelOutput, generationRequest(kClaude, true));
        ASSERT_TRUE(parsed.ok()) << parsed.error().message;
        ASSERT_TRUE(parsed.value().structured);
        EXPECT_EQ((*parsed.value().structured)["items"].size(), 2U);
        EXPECT_GT(parsed.value().usage.output, 0);
    }
    EXPECT_EQ(failed, 10);
}

TEST_F(BatchAgainstStandin, ARepeatedCreateAnsweredWithoutTheArnFindsTheJobByName) {
    auto options = server->options();
    options.batch.repeatedTokenGetsNoArn = true;
    server->setOptions(options);
    const CancellationToken cancel;
    const S3Client s3(s3Connection(), http::defaultTransport());
    std::string records;
    for (int i = 0; i < 100; ++i)
        records += batchRecordLine("s0-b" + std::to_string(i) + "-n2",
                                   buildNativeBody(generationRequest(kClaude, true))) +
                   "\n";
    ASSERT_FALSE(s3.putObject({"sds-bucket", "run/records.jsonl"}, records, cancel));
    const BatchJobClient jobs(controlConnection(), http::defaultTransport());
    const BatchJobRequest request{"sds-run-7",
                                  "arn:aws:iam::123456789012:role/BedrockBatch",
                                  kClaude,
                                  "s3://sds-bucket/run/records.jsonl",
                                  "s3://sds-bucket/run/output/",
                                  "sds-run-7"};
    const auto arn = jobs.create(request, cancel);
    ASSERT_TRUE(arn.ok()) << arn.error().message;
    const auto again = jobs.create(request, cancel);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again.value(), arn.value());
    EXPECT_EQ(server->stats().batch.jobsCreated, 1U);
    const auto none = jobs.findByName("sds-run-8", cancel);
    ASSERT_TRUE(none.ok()) << none.error().message;
    EXPECT_EQ(none.value(), "");
}

TEST_F(BatchAgainstStandin, AJobWithABadRoleOrTooFewRecordsIsRefused) {
    const CancellationToken cancel;
    const S3Client s3(s3Connection(), http::defaultTransport());
    ASSERT_FALSE(
        s3.putObject({"sds-bucket", "few.jsonl"}, "{\"recordId\":\"s0-b0-n1\",\"modelInput\":{}}\n", cancel));
    const BatchJobClient jobs(controlConnection(), http::defaultTransport());
    const auto badRole = jobs.create(
        {"sds-run", "BedrockBatch", kClaude, "s3://sds-bucket/few.jsonl", "s3://sds-bucket/out/", ""},
        cancel);
    ASSERT_FALSE(badRole.ok());
    EXPECT_EQ(badRole.error().kind, ErrorKind::BadRequest);
    EXPECT_THAT(badRole.error().message, HasSubstr("CreateModelInvocationJob"));
    const auto tooFew = jobs.create({"sds-run", "arn:aws:iam::123456789012:role/R", kClaude,
                                     "s3://sds-bucket/few.jsonl", "s3://sds-bucket/out/", ""},
                                    cancel);
    ASSERT_FALSE(tooFew.ok());
    EXPECT_THAT(tooFew.error().message, HasSubstr("at least 100"));
    EXPECT_EQ(server->stats().batch.jobsCreated, 0U);
}

TEST(NativeBodies, ClaudeGetsTheMessagesApiWithAForcedTool) {
    const auto body = buildNativeBody(generationRequest(kClaude, true));
    EXPECT_EQ(body["anthropic_version"], "bedrock-2023-05-31");
    EXPECT_EQ(body["max_tokens"], 1000);
    EXPECT_EQ(body["system"], "You write questions.");
    EXPECT_EQ(body["messages"][0]["role"], "user");
    EXPECT_EQ(body["messages"][0]["content"][0]["type"], "text");
    EXPECT_EQ(body["temperature"], 1.0);
    EXPECT_EQ(body["top_k"], 40);
    EXPECT_EQ(body["tools"][0]["name"], "generated_items");
    EXPECT_EQ(body["tool_choice"], (nlohmann::json{{"type", "tool"}, {"name", "generated_items"}}));
}

TEST(NativeBodies, NovaGetsMessagesV1AndLlamaAPrompt) {
    const auto nova = buildNativeBody(generationRequest("us.amazon.nova-lite-v1:0", true));
    EXPECT_EQ(nova["schemaVersion"], "messages-v1");
    EXPECT_EQ(nova["inferenceConfig"]["topK"], 40);
    EXPECT_TRUE(nova.contains("toolConfig"));
    EXPECT_FALSE(nova.contains("additionalModelRequestFields"));
    const auto llama = buildNativeBody(generationRequest("meta.llama3-1-8b-instruct-v1:0", true));
    EXPECT_THAT(llama["prompt"].get<std::string>(), HasSubstr("<|start_header_id|>user<|end_header_id|>"));
    EXPECT_THAT(llama["prompt"].get<std::string>(), HasSubstr("conforms to this JSON schema"));
    EXPECT_EQ(llama["max_gen_len"], 1000);
}

TEST(NativeBodies, UnsupportedFamiliesAreNamed) {
    EXPECT_EQ(batchModelProblem(kClaude), "");
    EXPECT_THAT(batchModelProblem("mistral.mistral-large-2407-v1:0"),
                HasSubstr("\"mistral.mistral-large-2407-v1:0\""));
}

TEST(NativeAnswers, ClaudeNovaAndLlamaAnswersAreRead) {
    const nlohmann::json claude = {
        {"content", {{{"type", "tool_use"}, {"name", "generated_items"}, {"input", {{"items", {1, 2}}}}}}},
        {"stop_reason", "tool_use"},
        {"usage", {{"input_tokens", 11}, {"output_tokens", 7}}}};
    const auto fromClaude = parseNativeResponse(claude, generationRequest(kClaude, true));
    ASSERT_TRUE(fromClaude.ok());
    EXPECT_EQ((*fromClaude.value().structured)["items"].size(), 2U);
    EXPECT_EQ(fromClaude.value().usage.input, 11);
    EXPECT_EQ(fromClaude.value().usage.output, 7);

    const nlohmann::json nova = {{"output", {{"message", {{"content", {{{"text", "{\"items\": []}"}}}}}}}},
                                 {"usage", {{"inputTokens", 3}, {"outputTokens", 4}}}};
    const auto fromNova = parseNativeResponse(nova, generationRequest("amazon.nova-pro-v1:0", true));
    ASSERT_TRUE(fromNova.ok()) << fromNova.error().message;
    EXPECT_TRUE(fromNova.value().structured);
    EXPECT_EQ(fromNova.value().usage.output, 4);

    const nlohmann::json llama = {{"generation", "Here: {\"items\": []}"}, {"prompt_token_count", 5}};
    const auto fromLlama =
        parseNativeResponse(llama, generationRequest("meta.llama3-1-8b-instruct-v1:0", true));
    ASSERT_TRUE(fromLlama.ok());
    EXPECT_EQ(fromLlama.value().text, "Here: {\"items\": []}");
    EXPECT_EQ(fromLlama.value().usage.input, 5);

    const auto broken = parseNativeResponse(nlohmann::json{{"nothing", 1}}, generationRequest(kClaude, true));
    ASSERT_FALSE(broken.ok());
    EXPECT_EQ(broken.error().kind, ErrorKind::MalformedResponse);
}

TEST(BatchOutput, RecordsAnswersErrorsAndUnreadableLines) {
    const auto output =
        parseBatchOutput("{\"recordId\":\"a\",\"modelInput\":{},\"modelOutput\":{\"content\":[]}}\n"
                         "{\"recordId\":\"b\",\"modelInput\":{},\"error\":{\"errorCode\":400,"
                         "\"errorMessage\":\"bad input\"}}\n"
                         "not json\n\n");
    ASSERT_EQ(output.records.size(), 2U);
    EXPECT_TRUE(output.records[0].modelOutput);
    EXPECT_FALSE(output.records[1].modelOutput);
    EXPECT_EQ(output.records[1].error, "bad input (code 400)");
    EXPECT_EQ(output.unreadableLines, 1);
}

TEST(BatchJobInfo, StatusesAndCountsAreRead) {
    const auto info = parseBatchJobInfo({{"jobArn", "arn:x"},
                                         {"status", "InProgress"},
                                         {"totalRecordCount", 120},
                                         {"processedRecordCount", 40}});
    EXPECT_EQ(info.status, BatchJobStatus::InProgress);
    EXPECT_EQ(info.processedRecords, 40);
    EXPECT_FALSE(info.errorRecords);
    EXPECT_FALSE(isFinished(info.status));
    EXPECT_TRUE(isFinished(BatchJobStatus::Expired));
    EXPECT_EQ(batchJobStatusFromString("Nonsense"), BatchJobStatus::Unknown);
    for (const auto status : {BatchJobStatus::Submitted, BatchJobStatus::Validating,
                              BatchJobStatus::Scheduled, BatchJobStatus::Stopping, BatchJobStatus::Stopped})
        EXPECT_EQ(batchJobStatusFromString(toString(status)), status);
}

} // namespace
} // namespace sds::providers::bedrock
