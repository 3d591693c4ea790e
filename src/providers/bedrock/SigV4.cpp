#include "providers/bedrock/SigV4.h"

#include "core/Text.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <optional>
#include <variant>
#include <vector>

namespace sds::aws {
namespace {

using text::toLower;
using text::trim;

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        const auto end = text.find(separator, start);
        parts.push_back(
            text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos)
            return parts;
        start = end + 1;
    }
}

std::string toHex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(bytes.size() * 2);
    for (unsigned char byte : bytes) {
        hex += digits[byte >> 4];
        hex += digits[byte & 0x0f];
    }
    return hex;
}

using text::percentDecode;

std::optional<std::string> findHeader(const http::Headers& headers, std::string_view lowerCaseName) {
    for (const auto& [name, value] : headers)
        if (toLower(name) == lowerCaseName)
            return value;
    return std::nullopt;
}

std::string amzDate(std::chrono::system_clock::time_point time) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    std::array<char, 17> text{};
    std::strftime(text.data(), text.size(), "%Y%m%dT%H%M%SZ", &utc);
    return text.data();
}

std::optional<std::chrono::system_clock::time_point> parseAmzDate(const std::string& text) {
    std::tm utc{};
    const char* end = strptime(text.c_str(), "%Y%m%dT%H%M%SZ", &utc);
    if (!end || *end != '\0')
        return std::nullopt;
    return std::chrono::system_clock::from_time_t(timegm(&utc));
}

std::string credentialScope(const SigningScope& scope) {
    return amzDate(scope.time).substr(0, 8) + "/" + scope.region + "/" + scope.service + "/aws4_request";
}

// Non-S3 services normalize the path (no empty, "." or ".." segments) before encoding it.
std::string canonicalUri(std::string_view wirePath) {
    std::vector<std::string_view> segments;
    for (const auto segment : split(wirePath, '/')) {
        if (segment.empty() || segment == ".")
            continue;
        if (segment == "..") {
            if (!segments.empty())
                segments.pop_back();
            continue;
        }
        segments.push_back(segment);
    }
    std::string uri;
    for (const auto segment : segments)
        uri += "/" + uriEncode(segment, true);
    if (uri.empty())
        return "/";
    if (wirePath.ends_with('/'))
        uri += '/';
    return uri;
}

std::string canonicalQuery(std::string_view wireQuery) {
    std::vector<std::pair<std::string, std::string>> parameters;
    for (const auto pair : split(wireQuery, '&')) {
        if (pair.empty())
            continue;
        const auto equals = pair.find('=');
        const auto name = pair.substr(0, equals);
        const auto value = equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1);
        parameters.emplace_back(uriEncode(percentDecode(name), true), uriEncode(percentDecode(value), true));
    }
    std::sort(parameters.begin(), parameters.end());
    std::string query;
    for (const auto& [name, value] : parameters) {
        if (!query.empty())
            query += '&';
        query += name + "=" + value;
    }
    return query;
}

std::string canonicalHeaderValue(const http::Headers& headers, std::string_view lowerCaseName) {
    std::string joined;
    bool first = true;
    for (const auto& [name, value] : headers) {
        if (toLower(name) != lowerCaseName)
            continue;
        if (!first)
            joined += ',';
        first = false;
        bool previousWasSpace = false;
        for (char c : trim(value)) {
            const bool isSpace = c == ' ' || c == '\t';
            if (isSpace && previousWasSpace)
                continue;
            joined += isSpace ? ' ' : c;
            previousWasSpace = isSpace;
        }
    }
    return joined;
}

struct ParsedAuthorization {
    std::string accessKeyId;
    std::string date;
    std::string region;
    std::string service;
    std::string signedHeaders;
    std::string signature;
};

// Returns the reason when the header cannot be read.
std::variant<ParsedAuthorization, std::string> parseAuthorization(std::string_view header) {
    header = trim(header);
    if (!header.starts_with(kAlgorithm) || header.size() == kAlgorithm.size() ||
        !std::isspace(static_cast<unsigned char>(header[kAlgorithm.size()])))
        return std::string("the Authorization header is not AWS4-HMAC-SHA256");
    ParsedAuthorization parsed;
    std::optional<std::string> credential;
    std::optional<std::string> signedHeaders;
    std::optional<std::string> signatureValue;
    for (const auto part : split(header.substr(kAlgorithm.size()), ',')) {
        const auto field = trim(part);
        const auto equals = field.find('=');
        if (equals == std::string_view::npos)
            continue;
        const auto name = field.substr(0, equals);
        const std::string value(trim(field.substr(equals + 1)));
        if (name == "Credential")
            credential = value;
        else if (name == "SignedHeaders")
            signedHeaders = value;
        else if (name == "Signature")
            signatureValue = value;
    }
    if (!credential)
        return std::string("the Authorization header has no Credential");
    if (!signedHeaders || signedHeaders->empty())
        return std::string("the Authorization header has no SignedHeaders");
    if (!signatureValue || signatureValue->empty())
        return std::string("the Authorization header has no Signature");
    const auto scopeParts = split(*credential, '/');
    if (scopeParts.size() != 5 || scopeParts[4] != "aws4_request" || scopeParts[0].empty())
        return std::string("the Authorization Credential is not AKID/date/region/service/aws4_request");
    parsed.accessKeyId = std::string(scopeParts[0]);
    parsed.date = std::string(scopeParts[1]);
    parsed.region = std::string(scopeParts[2]);
    parsed.service = std::string(scopeParts[3]);
    parsed.signedHeaders = *signedHeaders;
    parsed.signature = toLower(*signatureValue);
    return parsed;
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace

std::string sha256Hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1)
        return {};
    return toHex(std::string_view(reinterpret_cast<const char*>(digest.data()), length));
}

std::string hmacSha256(std::string_view key, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int length = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &length))
        return {};
    return std::string(reinterpret_cast<const char*>(mac.data()), length);
}

std::string uriEncode(std::string_view text, bool encodeSlash) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string encoded;
    encoded.reserve(text.size());
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash)) {
            encoded += static_cast<char>(c);
        } else {
            encoded += '%';
            encoded += digits[c >> 4];
            encoded += digits[c & 0x0f];
        }
    }
    return encoded;
}

std::string maskedAccessKeyId(std::string_view accessKeyId) {
    if (accessKeyId.size() < 12)
        return accessKeyId.empty() ? "(none)" : std::string(accessKeyId.substr(0, 4)) + "…";
    return std::string(accessKeyId.substr(0, 4)) + "…" +
           std::string(accessKeyId.substr(accessKeyId.size() - 4));
}

PathEncoding pathEncodingFor(std::string_view service) {
    return service == "s3" ? PathEncoding::AsSent : PathEncoding::EncodeSegmentsAgain;
}

std::string canonicalRequest(const SigningInput& input, std::string_view signedHeaders,
                             PathEncoding encoding) {
    const std::string uri =
        encoding == PathEncoding::AsSent ? (input.path.empty() ? "/" : input.path) : canonicalUri(input.path);
    std::string request = input.method + "\n" + uri + "\n" + canonicalQuery(input.query) + "\n";
    for (const auto name : split(signedHeaders, ';'))
        request += std::string(name) + ":" + canonicalHeaderValue(input.headers, name) + "\n";
    request += "\n";
    request += std::string(signedHeaders) + "\n";
    request += sha256Hex(input.body);
    return request;
}

std::string stringToSign(std::string_view canonicalRequest, const SigningScope& scope) {
    return std::string(kAlgorithm) + "\n" + amzDate(scope.time) + "\n" + credentialScope(scope) + "\n" +
           sha256Hex(canonicalRequest);
}

std::string signature(std::string_view stringToSign, const AwsCredentials& credentials,
                      const SigningScope& scope) {
    const std::string dateKey =
        hmacSha256("AWS4" + credentials.secretAccessKey, amzDate(scope.time).substr(0, 8));
    const std::string regionKey = hmacSha256(dateKey, scope.region);
    const std::string serviceKey = hmacSha256(regionKey, scope.service);
    const std::string signingKey = hmacSha256(serviceKey, "aws4_request");
    return toHex(hmacSha256(signingKey, stringToSign));
}

http::Headers signHeaders(const SigningInput& input, const AwsCredentials& credentials,
                          const SigningScope& scope) {
    SigningInput signing = input;
    std::erase_if(signing.headers, [](const auto& header) {
        const std::string name = toLower(header.first);
        return name == "authorization" || name == "x-amz-date" || name == "x-amz-content-sha256" ||
               name == "x-amz-security-token";
    });
    http::Headers added;
    added.emplace_back("X-Amz-Date", amzDate(scope.time));
    added.emplace_back("X-Amz-Content-Sha256", sha256Hex(input.body));
    if (!credentials.sessionToken.empty())
        added.emplace_back("X-Amz-Security-Token", credentials.sessionToken);
    signing.headers.insert(signing.headers.end(), added.begin(), added.end());

    std::string signedHeaders;
    for (const std::string name :
         {"content-type", "host", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"}) {
        if (!findHeader(signing.headers, name))
            continue;
        if (!signedHeaders.empty())
            signedHeaders += ';';
        signedHeaders += name;
    }
    const std::string toSign =
        stringToSign(canonicalRequest(signing, signedHeaders, pathEncodingFor(scope.service)), scope);
    const std::string authorization = std::string(kAlgorithm) + " Credential=" + credentials.accessKeyId +
                                      "/" + credentialScope(scope) + ", SignedHeaders=" + signedHeaders +
                                      ", Signature=" + signature(toSign, credentials, scope);
    http::Headers headers{{"Authorization", authorization}};
    headers.insert(headers.end(), added.begin(), added.end());
    return headers;
}

bool signRequest(http::HttpRequest& request, const AwsCredentials& credentials, const SigningScope& scope) {
    const auto parts = http::parseUrl(request.url);
    if (!parts)
        return false;
    if (!findHeader(request.headers, "host"))
        request.headers.emplace_back("Host", parts->hostHeader());
    const SigningInput input{request.method, parts->path, parts->query, request.headers, request.body};
    const auto added = signHeaders(input, credentials, scope);
    request.headers.insert(request.headers.end(), added.begin(), added.end());
    return true;
}

VerificationResult
verifySignature(const SigningInput& received,
                const std::function<std::string(const std::string& accessKeyId)>& lookupSecret,
                std::string_view expectedRegion, std::string_view expectedService) {
    VerificationResult result;
    const auto fail = [&result](std::string reason) {
        result.valid = false;
        result.reason = std::move(reason);
        return result;
    };
    const auto authorizationHeader = findHeader(received.headers, "authorization");
    if (!authorizationHeader)
        return fail("the request is not signed: there is no Authorization header");
    auto parsedOrReason = parseAuthorization(*authorizationHeader);
    if (const auto* reason = std::get_if<std::string>(&parsedOrReason))
        return fail(*reason);
    const auto& parsed = std::get<ParsedAuthorization>(parsedOrReason);
    result.accessKeyId = parsed.accessKeyId;

    const std::string secret = lookupSecret ? lookupSecret(parsed.accessKeyId) : std::string{};
    if (secret.empty())
        return fail("the access key " + maskedAccessKeyId(parsed.accessKeyId) + " is not known");
    if (parsed.region != expectedRegion)
        return fail("the request was signed for region \"" + parsed.region + "\" but this endpoint is in \"" +
                    std::string(expectedRegion) + "\"");
    if (parsed.service != expectedService)
        return fail("the request was signed for service \"" + parsed.service + "\" but this is \"" +
                    std::string(expectedService) + "\"");

    const auto signedNames = split(parsed.signedHeaders, ';');
    for (const auto name : signedNames) {
        if (name != toLower(name))
            return fail("SignedHeaders must be lower case, got \"" + std::string(name) + "\"");
        if (!findHeader(received.headers, name))
            return fail("the signed header \"" + std::string(name) + "\" is missing from the request");
    }
    if (std::find(signedNames.begin(), signedNames.end(), "host") == signedNames.end())
        return fail("the Host header is not signed");
    const auto dateHeader = findHeader(received.headers, "x-amz-date");
    if (!dateHeader)
        return fail("the X-Amz-Date header is missing");
    const auto signedAt = parseAmzDate(std::string(trim(*dateHeader)));
    if (!signedAt)
        return fail("the X-Amz-Date header \"" + *dateHeader + "\" is not YYYYMMDDTHHMMSSZ");
    if (std::string(trim(*dateHeader)).substr(0, 8) != parsed.date)
        return fail("the credential date " + parsed.date + " does not match X-Amz-Date " + *dateHeader);
    if (const auto declaredHash = findHeader(received.headers, "x-amz-content-sha256");
        declaredHash && toLower(trim(*declaredHash)) != sha256Hex(received.body))
        return fail("the body does not match its X-Amz-Content-Sha256 (it was changed after signing)");

    const SigningScope scope{parsed.region, parsed.service, *signedAt};
    const std::string expected = signature(
        stringToSign(canonicalRequest(received, parsed.signedHeaders, pathEncodingFor(parsed.service)),
                     scope),
        {"", secret, ""}, scope);
    if (!constantTimeEquals(expected, parsed.signature))
        return fail(
            "the request signature we calculated does not match the signature you provided; check the "
            "secret access key and the signing method");
    result.valid = true;
    return result;
}

} // namespace sds::aws
