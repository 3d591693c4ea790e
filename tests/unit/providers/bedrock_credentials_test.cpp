#include "providers/bedrock/AwsCredentials.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sds::providers::bedrock {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kCredentialsPath = "/home/test/.aws/credentials";
const std::string kConfigPath = "/home/test/.aws/config";

TEST(AwsCredentialChain, EnvironmentVariablesComeFirst) {
    FakeEnvironment environment;
    environment.variables = {{"AWS_ACCESS_KEY_ID", "AKIAENVIRONMENTKEY01"},
                             {"AWS_SECRET_ACCESS_KEY", "env-secret"},
                             {"AWS_SESSION_TOKEN", "env-token"}};
    environment.files[kCredentialsPath] = "[default]\naws_access_key_id = AKIAFILEKEY000000001\n"
                                          "aws_secret_access_key = file-secret\n";
    const auto resolved = resolveCredentials({}, environment);
    ASSERT_TRUE(resolved.ok()) << resolved.error().message;
    EXPECT_EQ(resolved.value().credentials.accessKeyId, "AKIAENVIRONMENTKEY01");
    EXPECT_EQ(resolved.value().credentials.secretAccessKey, "env-secret");
    EXPECT_EQ(resolved.value().credentials.sessionToken, "env-token");
    EXPECT_EQ(resolved.value().source, "AWS_ACCESS_KEY_ID");
}

TEST(AwsCredentialChain, DefaultProfileFromTheSharedCredentialsFile) {
    FakeEnvironment environment;
    environment.files[kCredentialsPath] =
        "# keys\n[default]\naws_access_key_id = AKIAFILEKEY000000001\n"
        "aws_secret_access_key = file-secret\n\n[other]\naws_access_key_id = X\n";
    const auto resolved = resolveCredentials({}, environment);
    ASSERT_TRUE(resolved.ok()) << resolved.error().message;
    EXPECT_EQ(resolved.value().credentials.accessKeyId, "AKIAFILEKEY000000001");
    EXPECT_EQ(resolved.value().credentials.secretAccessKey, "file-secret");
    EXPECT_TRUE(resolved.value().credentials.sessionToken.empty());
    EXPECT_EQ(resolved.value().source, "profile \"default\" in " + kCredentialsPath);
}

TEST(AwsCredentialChain, AwsProfileAndFileOverrideSelectTheSection) {
    FakeEnvironment environment;
    environment.variables = {{"AWS_PROFILE", "dev"}, {"AWS_SHARED_CREDENTIALS_FILE", "/etc/aws/keys"}};
    environment.files["/etc/aws/keys"] =
        "[default]\naws_access_key_id = AKIADEFAULT000000001\n"
        "aws_secret_access_key = default-secret\n"
        "[dev]\naws_access_key_id=AKIADEV0000000000001\naws_secret_access_key=dev-secret\n"
        "aws_session_token = dev-token\n";
    const auto resolved = resolveCredentials({}, environment);
    ASSERT_TRUE(resolved.ok()) << resolved.error().message;
    EXPECT_EQ(resolved.value().credentials.accessKeyId, "AKIADEV0000000000001");
    EXPECT_EQ(resolved.value().credentials.sessionToken, "dev-token");
    EXPECT_EQ(resolved.value().source, "profile \"dev\" in /etc/aws/keys");
}

TEST(AwsCredentialChain, ExplicitProfileWinsOverEnvironmentKeys) {
    FakeEnvironment environment;
    environment.variables = {{"AWS_ACCESS_KEY_ID", "AKIAENVIRONMENTKEY01"},
                             {"AWS_SECRET_ACCESS_KEY", "env-secret"}};
    environment.files[kCredentialsPath] = "[team]\naws_access_key_id = AKIATEAM000000000001\n"
                                          "aws_secret_access_key = team-secret\n";
    ProviderConfig config;
    config.profile = "team";
    const auto resolved = resolveCredentials(config, environment);
    ASSERT_TRUE(resolved.ok()) << resolved.error().message;
    EXPECT_EQ(resolved.value().credentials.accessKeyId, "AKIATEAM000000000001");
}

TEST(AwsCredentialChain, KeysInTheConfigFileProfileSection) {
    FakeEnvironment environment;
    environment.variables = {{"AWS_CONFIG_FILE", "/srv/aws-config"}};
    environment.files["/srv/aws-config"] =
        "[default]\nregion = us-west-2\n[profile  research ]\nregion = eu-west-1\n"
        "aws_access_key_id = AKIARESEARCH00000001\n"
        "aws_secret_access_key = research-secret\n";
    ProviderConfig config;
    config.profile = "research";
    const auto resolved = resolveCredentials(config, environment);
    ASSERT_TRUE(resolved.ok()) << resolved.error().message;
    EXPECT_EQ(resolved.value().credentials.accessKeyId, "AKIARESEARCH00000001");
    EXPECT_EQ(resolved.value().source, "profile \"research\" in /srv/aws-config");
}

TEST(AwsCredentialChain, MissingCredentialsNameEverySourceTried) {
    FakeEnvironment environment;
    const auto resolved = resolveCredentials({}, environment);
    ASSERT_FALSE(resolved.ok());
    EXPECT_EQ(resolved.error().kind, ErrorKind::MissingCredentials);
    EXPECT_EQ(resolved.error().message,
              "no AWS credentials found for profile \"default\"; tried "
              "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (not "
              "set), /home/test/.aws/credentials (not found) and /home/test/.aws/config (not found)");
    EXPECT_FALSE(resolved.error().retryable());
}

TEST(AwsCredentialChain, MissingCredentialsNeverShowASecret) {
    FakeEnvironment environment;
    environment.variables = {{"AWS_SECRET_ACCESS_KEY", "very-secret-value"}, {"AWS_PROFILE", "half"}};
    environment.files[kCredentialsPath] = "[half]\naws_secret_access_key = another-secret\n";
    environment.files[kConfigPath] = "[profile other]\nregion = us-east-1\n";
    const auto resolved = resolveCredentials({}, environment);
    ASSERT_FALSE(resolved.ok());
    const std::string& message = resolved.error().message;
    EXPECT_THAT(message, HasSubstr("AWS_SECRET_ACCESS_KEY (set, but AWS_ACCESS_KEY_ID is not)"));
    EXPECT_THAT(message, HasSubstr("profile \"half\" has no aws_access_key_id"));
    EXPECT_THAT(message, HasSubstr("/home/test/.aws/config (no profile \"half\")"));
    EXPECT_THAT(message, Not(HasSubstr("very-secret-value")));
    EXPECT_THAT(message, Not(HasSubstr("another-secret")));
    EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(AwsCredentialChain, SsoProfileExplainsWhatToDo) {
    FakeEnvironment environment;
    environment.files[kConfigPath] = "[profile sso-dev]\nsso_session = corp\nsso_account_id = 123456789012\n";
    ProviderConfig config;
    config.profile = "sso-dev";
    const auto resolved = resolveCredentials(config, environment);
    ASSERT_FALSE(resolved.ok());
    EXPECT_THAT(resolved.error().message, HasSubstr("uses sso_session, which is not supported"));
    EXPECT_THAT(resolved.error().message, HasSubstr("aws configure export-credentials --profile sso-dev"));
    EXPECT_THAT(resolved.error().message, Not(HasSubstr("AWS_ACCESS_KEY_ID")));
}

TEST(AwsRegion, ResolutionOrder) {
    FakeEnvironment environment;
    environment.files[kConfigPath] =
        "[default]\nregion = ap-southeast-2\n[profile dev]\nregion = eu-central-1\n";
    EXPECT_EQ(resolveRegion({}, environment).value(), "ap-southeast-2");

    environment.variables["AWS_PROFILE"] = "dev";
    EXPECT_EQ(resolveRegion({}, environment).value(), "eu-central-1");

    environment.variables["AWS_DEFAULT_REGION"] = "us-west-1";
    EXPECT_EQ(resolveRegion({}, environment).value(), "us-west-1");

    environment.variables["AWS_REGION"] = "us-west-2";
    EXPECT_EQ(resolveRegion({}, environment).value(), "us-west-2");

    ProviderConfig config;
    config.region = "us-east-2";
    EXPECT_EQ(resolveRegion(config, environment).value(), "us-east-2");
}

TEST(AwsRegion, MissingRegionSaysWhereToSetIt) {
    FakeEnvironment environment;
    const auto region = resolveRegion({}, environment);
    ASSERT_FALSE(region.ok());
    EXPECT_EQ(region.error().kind, ErrorKind::BadRequest);
    EXPECT_THAT(region.error().message, HasSubstr("AWS_REGION"));
    EXPECT_THAT(region.error().message, HasSubstr("profile \"default\" in /home/test/.aws/config"));
}

TEST(BedrockEndpoints, PublicRegionalEndpointsByDefault) {
    FakeEnvironment environment;
    const auto endpoints = resolveEndpoints({}, environment, "eu-west-3");
    EXPECT_EQ(endpoints.runtime, "https://bedrock-runtime.eu-west-3.amazonaws.com");
    EXPECT_EQ(endpoints.control, "https://bedrock.eu-west-3.amazonaws.com");
}

TEST(BedrockEndpoints, EnvironmentOverrides) {
    FakeEnvironment environment;
    environment.variables = {{"AWS_ENDPOINT_URL", "http://localhost:4566/"}};
    auto endpoints = resolveEndpoints({}, environment, "us-east-1");
    EXPECT_EQ(endpoints.runtime, "http://localhost:4566");
    EXPECT_EQ(endpoints.control, "http://localhost:4566");

    environment.variables["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] = "https://vpce-runtime.example";
    environment.variables["AWS_ENDPOINT_URL_BEDROCK"] = "https://vpce-control.example";
    endpoints = resolveEndpoints({}, environment, "us-east-1");
    EXPECT_EQ(endpoints.runtime, "https://vpce-runtime.example");
    EXPECT_EQ(endpoints.control, "https://vpce-control.example");

    ProviderConfig config;
    config.endpoint = "http://127.0.0.1:9000//";
    endpoints = resolveEndpoints(config, environment, "us-east-1");
    EXPECT_EQ(endpoints.runtime, "http://127.0.0.1:9000");
    EXPECT_EQ(endpoints.control, "http://127.0.0.1:9000");
}

TEST(IniParsing, CommentsNestedBlocksAndSpacing) {
    const auto sections = parseIni("; comment\n[profile  a ]\nREGION = us-east-1 \n"
                                   "s3 =\n  max_concurrent_requests = 10\nregion_after = yes\n"
                                   "# comment\n[b]\r\nkey=value\r\n");
    ASSERT_TRUE(sections.contains("profile a"));
    EXPECT_EQ(sections.at("profile a").at("region"), "us-east-1");
    EXPECT_FALSE(sections.at("profile a").contains("max_concurrent_requests"));
    EXPECT_EQ(sections.at("profile a").at("region_after"), "yes");
    EXPECT_EQ(sections.at("b").at("key"), "value");
}

} // namespace
} // namespace sds::providers::bedrock
