#pragma once

#include "providers/http/Http.h"

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace sds::aws {

struct AwsCredentials {
    std::string accessKeyId;
    std::string secretAccessKey;
    std::string sessionToken; // empty unless temporary credentials
};

// A request as it goes on the wire: `path` and `query` are exactly the bytes sent after the host
// (path already percent-encoded once, query without the leading '?').
struct SigningInput {
    std::string method;
    std::string path;
    std::string query;
    http::Headers headers; // must contain "host"
    std::string body;
};

struct SigningScope {
    std::string region;
    std::string service; // "bedrock" for both the runtime and the control plane, "s3" for S3
    std::chrono::system_clock::time_point time;
};

// S3 signs the wire path as it is; every other service normalizes it and encodes each segment again.
enum class PathEncoding { EncodeSegmentsAgain, AsSent };
[[nodiscard]] PathEncoding pathEncodingFor(std::string_view service);

// AWS Signature Version 4 for non-S3 services: each path segment of the wire path is URI-encoded
// again in the canonical request (so ':' in a model id, sent as %3A, signs as %253A).
[[nodiscard]] std::string canonicalRequest(const SigningInput& input, std::string_view signedHeaders,
                                           PathEncoding encoding = PathEncoding::EncodeSegmentsAgain);
[[nodiscard]] std::string stringToSign(std::string_view canonicalRequest, const SigningScope& scope);
[[nodiscard]] std::string signature(std::string_view stringToSign, const AwsCredentials& credentials,
                                    const SigningScope& scope);

// Headers to add to the request: Authorization, X-Amz-Date, X-Amz-Content-Sha256, and
// X-Amz-Security-Token when the credentials carry a session token.
[[nodiscard]] http::Headers signHeaders(const SigningInput& input, const AwsCredentials& credentials,
                                        const SigningScope& scope);

// Adds Host (when missing) and the signature headers to `request`, signing its method, URL, headers and
// body for `scope`. False when the URL is not an http(s) URL.
bool signRequest(http::HttpRequest& request, const AwsCredentials& credentials, const SigningScope& scope);

struct VerificationResult {
    bool valid = false;
    std::string reason; // why it failed, for the stand-in service's 403 message
    std::string accessKeyId;
};

// Recomputes the signature of a received request (used by the stand-in service). `lookupSecret`
// returns the secret for an access key id, empty if unknown.
[[nodiscard]] VerificationResult
verifySignature(const SigningInput& received,
                const std::function<std::string(const std::string& accessKeyId)>& lookupSecret,
                std::string_view expectedRegion, std::string_view expectedService);

[[nodiscard]] std::string sha256Hex(std::string_view data);
[[nodiscard]] std::string hmacSha256(std::string_view key, std::string_view data); // raw bytes
[[nodiscard]] std::string uriEncode(std::string_view text, bool encodeSlash);

// "AKIAIOSFODNN7EXAMPLE" -> "AKIA…MPLE": enough to tell keys apart in messages without showing one.
[[nodiscard]] std::string maskedAccessKeyId(std::string_view accessKeyId);

} // namespace sds::aws
