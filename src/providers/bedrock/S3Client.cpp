#include "providers/bedrock/S3Client.h"

#include "providers/TransportErrors.h"

#include <algorithm>
#include <cctype>

namespace sds::providers::bedrock {
namespace {

std::string decodeXmlEntities(std::string_view text) {
    static const std::pair<std::string_view, char> entities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    std::string decoded;
    for (std::size_t i = 0; i < text.size();) {
        bool replaced = false;
        if (text[i] == '&') {
            for (const auto& [entity, character] : entities) {
                if (text.substr(i, entity.size()) == entity) {
                    decoded += character;
                    i += entity.size();
                    replaced = true;
                    break;
                }
            }
        }
        if (!replaced)
            decoded += text[i++];
    }
    return decoded;
}

std::string xmlEscape(std::string_view text) {
    std::string escaped;
    for (char c : text) {
        if (c == '&')
            escaped += "&amp;";
        else if (c == '<')
            escaped += "&lt;";
        else if (c == '>')
            escaped += "&gt;";
        else if (c == '"')
            escaped += "&quot;";
        else
            escaped += c;
    }
    return escaped;
}

ProviderError cancelled() {
    return {ErrorKind::Cancelled, "cancelled", std::nullopt, std::nullopt};
}

} // namespace

std::vector<std::string> xmlElementTexts(std::string_view xml, std::string_view name) {
    std::vector<std::string> texts;
    const std::string open = "<" + std::string(name) + ">";
    const std::string close = "</" + std::string(name) + ">";
    std::size_t position = 0;
    while (true) {
        const auto start = xml.find(open, position);
        if (start == std::string_view::npos)
            return texts;
        const auto contentStart = start + open.size();
        const auto end = xml.find(close, contentStart);
        if (end == std::string_view::npos)
            return texts;
        texts.push_back(decodeXmlEntities(xml.substr(contentStart, end - contentStart)));
        position = end + close.size();
    }
}

S3Client::S3Client(S3Connection connection, http::Transport transport)
    : m_connection(std::move(connection)), m_transport(std::move(transport)) {}

// Virtual-hosted ("https://bucket.s3.region.amazonaws.com/") unless an endpoint is set or the bucket's
// name has a dot, which the *.s3 wildcard certificate does not cover: then path-style
// ("https://s3.region.amazonaws.com/bucket/").
std::string S3Client::bucketUrl(const std::string& bucket) const {
    if (!m_connection.endpoint.empty())
        return m_connection.endpoint + "/" + bucket + "/";
    const std::string domain =
        m_connection.region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com";
    if (bucket.find('.') != std::string::npos)
        return "https://s3." + m_connection.region + domain + "/" + bucket + "/";
    return "https://" + bucket + ".s3." + m_connection.region + domain + "/";
}

std::string S3Client::objectUrl(const S3Location& object) const {
    return bucketUrl(object.bucket) + aws::uriEncode(object.key, false);
}

http::HttpResult S3Client::send(const std::string& method, const std::string& url, std::string body,
                                const CancellationToken& cancel) const {
    http::HttpRequest request;
    request.method = method;
    request.url = url;
    request.timeout = m_connection.timeout;
    request.caBundlePath = m_connection.caBundlePath;
    if (method != "GET")
        request.headers.emplace_back("Content-Type", "application/octet-stream");
    request.body = std::move(body);
    if (!aws::signRequest(request, m_connection.credentials,
                          {m_connection.region, "s3", m_connection.clock()})) {
        http::HttpResult invalid;
        invalid.failure = http::TransportFailure::Other;
        invalid.error = "\"" + url + "\" is not an http(s) URL";
        return invalid;
    }
    return m_transport(request, cancel);
}

ProviderError S3Client::error(const http::HttpResult& result, const std::string& what,
                              const S3Location& object) const {
    const std::string target = "S3 " + what + " " + object.uri();
    if (!result.status)
        return transportError(result, target);
    const auto codes = xmlElementTexts(result.body, "Code");
    const auto messages = xmlElementTexts(result.body, "Message");
    const std::string code = codes.empty() ? "" : codes.front();
    std::string detail = code.empty() ? "HTTP " + std::to_string(*result.status) : code;
    if (!messages.empty())
        detail += ": " + oneLine(messages.front(), 200);
    ProviderError failure{ErrorKind::Other, target + " failed (" + detail + ")", result.status, std::nullopt};
    const int status = *result.status;
    if (status == 403 || code == "AccessDenied" || code == "SignatureDoesNotMatch") {
        failure.kind = ErrorKind::Forbidden;
        failure.message += "; check the credentials and that they may use the bucket";
    } else if (status == 404 || code == "NoSuchBucket" || code == "NoSuchKey")
        failure.kind = ErrorKind::BadRequest;
    else if (status == 429 || code == "SlowDown")
        failure.kind = ErrorKind::RateLimited;
    else if (status >= 500)
        failure.kind = ErrorKind::ServerError;
    else
        failure.kind = ErrorKind::BadRequest;
    return failure;
}

std::optional<ProviderError> S3Client::putObject(const S3Location& object, const std::string& body,
                                                 const CancellationToken& cancel) const {
    if (cancel.isCancelled())
        return cancelled();
    if (body.size() > m_connection.multipartThreshold)
        return putInParts(object, body, cancel);
    const auto result = send("PUT", objectUrl(object), body, cancel);
    if (!result.ok())
        return error(result, "upload to", object);
    return std::nullopt;
}

std::optional<ProviderError> S3Client::putInParts(const S3Location& object, const std::string& body,
                                                  const CancellationToken& cancel) const {
    const std::string url = objectUrl(object);
    const auto created = send("POST", url + "?uploads", "", cancel);
    if (!created.ok())
        return error(created, "CreateMultipartUpload for", object);
    const auto uploadIds = xmlElementTexts(created.body, "UploadId");
    if (uploadIds.empty() || uploadIds.front().empty())
        return ProviderError{ErrorKind::MalformedResponse,
                             "S3 CreateMultipartUpload for " + object.uri() + " returned no UploadId",
                             created.status, std::nullopt};
    const std::string uploadId = aws::uriEncode(uploadIds.front(), true);
    const auto abortWith = [&](ProviderError failure) -> std::optional<ProviderError> {
        (void)send("DELETE", url + "?uploadId=" + uploadId, "", CancellationToken{});
        return failure;
    };

    const std::size_t partSize = std::max<std::size_t>(1, m_connection.partSize);
    std::string completion = "<CompleteMultipartUpload>";
    int partNumber = 0;
    for (std::size_t offset = 0; offset < body.size(); offset += partSize) {
        if (cancel.isCancelled())
            return abortWith(cancelled());
        ++partNumber;
        const auto part =
            send("PUT", url + "?partNumber=" + std::to_string(partNumber) + "&uploadId=" + uploadId,
                 body.substr(offset, partSize), cancel);
        if (!part.ok())
            return abortWith(error(part, "UploadPart " + std::to_string(partNumber) + " of", object));
        const auto etag = part.header("etag");
        if (!etag)
            return abortWith(ProviderError{ErrorKind::MalformedResponse,
                                           "S3 UploadPart " + std::to_string(partNumber) + " of " +
                                               object.uri() + " returned no ETag",
                                           part.status, std::nullopt});
        completion += "<Part><PartNumber>" + std::to_string(partNumber) + "</PartNumber><ETag>" +
                      xmlEscape(*etag) + "</ETag></Part>";
    }
    completion += "</CompleteMultipartUpload>";
    const auto completed = send("POST", url + "?uploadId=" + uploadId, completion, cancel);
    // S3 can answer 200 with an <Error> body when the completion fails late.
    if (!completed.ok() || completed.body.find("<Error>") != std::string::npos)
        return abortWith(error(completed, "CompleteMultipartUpload for", object));
    return std::nullopt;
}

Result<std::string> S3Client::getObject(const S3Location& object, const CancellationToken& cancel) const {
    if (cancel.isCancelled())
        return cancelled();
    auto result = send("GET", objectUrl(object), "", cancel);
    if (!result.ok())
        return error(result, "download of", object);
    return std::move(result.body);
}

Result<std::vector<std::string>> S3Client::listKeys(const S3Location& prefix,
                                                    const CancellationToken& cancel) const {
    std::vector<std::string> keys;
    std::string continuation;
    std::string listUrl = bucketUrl(prefix.bucket);
    if (listUrl.ends_with("/" + prefix.bucket + "/"))
        listUrl.pop_back(); // path-style lists at "/bucket", as S3 documents it
    while (true) {
        if (cancel.isCancelled())
            return cancelled();
        std::string url = listUrl + "?list-type=2&prefix=" + aws::uriEncode(prefix.key, true);
        if (!continuation.empty())
            url += "&continuation-token=" + aws::uriEncode(continuation, true);
        const auto result = send("GET", url, "", cancel);
        if (!result.ok())
            return error(result, "listing of", prefix);
        for (auto& key : xmlElementTexts(result.body, "Key"))
            keys.push_back(std::move(key));
        const auto truncated = xmlElementTexts(result.body, "IsTruncated");
        const auto next = xmlElementTexts(result.body, "NextContinuationToken");
        if (truncated.empty() || truncated.front() != "true" || next.empty() || next.front().empty())
            return keys;
        continuation = next.front();
    }
}

} // namespace sds::providers::bedrock
