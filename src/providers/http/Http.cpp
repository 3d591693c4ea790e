#include "providers/http/Http.h"

#include "core/Text.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <curl/curl.h>
#include <mutex>

namespace sds::http {
namespace {

using text::toLower;
using text::trim;

void initCurlOnce() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One easy handle per thread keeps connections alive between requests of that thread.
class ThreadCurlHandle {
public:
    ThreadCurlHandle() : m_handle(curl_easy_init()) {}
    ~ThreadCurlHandle() {
        if (m_handle)
            curl_easy_cleanup(m_handle);
    }
    ThreadCurlHandle(const ThreadCurlHandle&) = delete;
    ThreadCurlHandle& operator=(const ThreadCurlHandle&) = delete;
    CURL* get() const { return m_handle; }

private:
    CURL* m_handle;
};

size_t appendBody(char* data, size_t size, size_t count, void* userData) {
    static_cast<std::string*>(userData)->append(data, size * count);
    return size * count;
}

size_t appendHeader(char* data, size_t size, size_t count, void* userData) {
    auto* headers = static_cast<Headers*>(userData);
    std::string_view line(data, size * count);
    if (line.starts_with("HTTP/")) {
        headers->clear(); // a new response (after 100 Continue or a redirect)
        return size * count;
    }
    const auto colon = line.find(':');
    if (colon != std::string_view::npos)
        headers->emplace_back(toLower(trim(line.substr(0, colon))),
                              std::string(trim(line.substr(colon + 1))));
    return size * count;
}

int onProgress(void* userData, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    const auto* cancel = static_cast<const CancellationToken*>(userData);
    return cancel->isCancelled() ? 1 : 0;
}

TransportFailure classify(CURLcode code) {
    switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SSL_CONNECT_ERROR:
        return TransportFailure::ConnectFailed;
    case CURLE_OPERATION_TIMEDOUT:
        return TransportFailure::Timeout;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
        return TransportFailure::ConnectionDropped;
    case CURLE_ABORTED_BY_CALLBACK:
        return TransportFailure::Cancelled;
    default:
        return TransportFailure::Other;
    }
}

} // namespace

std::optional<std::string> HttpResult::header(std::string_view lowerCaseName) const {
    for (const auto& [name, value] : headers)
        if (name == lowerCaseName)
            return value;
    return std::nullopt;
}

HttpResult HttpClient::perform(const HttpRequest& request, const CancellationToken& cancel) const {
    initCurlOnce();
    thread_local ThreadCurlHandle threadHandle;
    CURL* curl = threadHandle.get();
    HttpResult result;
    if (!curl) {
        result.failure = TransportFailure::Other;
        result.error = "could not create an HTTP handle";
        return result;
    }
    if (cancel.isCancelled()) {
        result.failure = TransportFailure::Cancelled;
        result.error = "cancelled";
        return result;
    }
    curl_easy_reset(curl);
    char errorBuffer[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errorBuffer);
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connectTimeout.count()));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, appendBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, appendHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result.headers);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, onProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &cancel);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    if (!request.caBundlePath.empty())
        curl_easy_setopt(curl, CURLOPT_CAINFO, request.caBundlePath.c_str());

    if (request.method == "GET") {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }

    curl_slist* headerList = nullptr;
    headerList = curl_slist_append(headerList, "Expect:"); // no 100-continue round trip
    for (const auto& [name, value] : request.headers) {
        const std::string line = name + ": " + value;
        headerList = curl_slist_append(headerList, line.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headerList);

    const CURLcode code = curl_easy_perform(curl);
    curl_slist_free_all(headerList);
    if (code != CURLE_OK) {
        result.failure = classify(code);
        result.status.reset();
        result.body.clear();
        result.error = errorBuffer[0] ? std::string(errorBuffer) : std::string(curl_easy_strerror(code));
        if (result.failure == TransportFailure::Cancelled)
            result.error = "cancelled";
        return result;
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    result.status = static_cast<int>(status);
    return result;
}

Transport defaultTransport() {
    return [client = HttpClient{}](const HttpRequest& request, const CancellationToken& cancel) {
        return client.perform(request, cancel);
    };
}

Headers redactedHeaders(const Headers& headers) {
    Headers redacted = headers;
    for (auto& [name, value] : redacted) {
        const std::string lower = toLower(name);
        if (lower == "authorization" || lower == "x-amz-security-token" || lower == "api-key" ||
            lower == "x-api-key" || lower == "cookie")
            value = "[redacted]";
    }
    return redacted;
}

std::string UrlParts::hostHeader() const {
    const bool defaultPort =
        !port || (scheme == "https" && *port == 443) || (scheme == "http" && *port == 80);
    return defaultPort ? host : host + ":" + std::to_string(*port);
}

std::optional<UrlParts> parseUrl(std::string_view url) {
    UrlParts parts;
    const auto schemeEnd = url.find("://");
    if (schemeEnd == std::string_view::npos || schemeEnd == 0)
        return std::nullopt;
    parts.scheme = toLower(url.substr(0, schemeEnd));
    if (parts.scheme != "http" && parts.scheme != "https")
        return std::nullopt;
    std::string_view rest = url.substr(schemeEnd + 3);
    const auto pathStart = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, pathStart);
    rest = pathStart == std::string_view::npos ? std::string_view{} : rest.substr(pathStart);
    if (const auto at = authority.rfind('@'); at != std::string_view::npos)
        authority.remove_prefix(at + 1);
    if (authority.empty())
        return std::nullopt;
    const auto colon = authority.rfind(':');
    if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
        int port = 0;
        const auto portText = authority.substr(colon + 1);
        const auto [end, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
        if (ec != std::errc{} || end != portText.data() + portText.size() || port <= 0 || port > 65535)
            return std::nullopt;
        parts.port = port;
        authority = authority.substr(0, colon);
    }
    parts.host = std::string(authority);
    if (const auto hash = rest.find('#'); hash != std::string_view::npos)
        rest = rest.substr(0, hash);
    const auto question = rest.find('?');
    parts.path = std::string(rest.substr(0, question));
    if (parts.path.empty())
        parts.path = "/";
    if (question != std::string_view::npos)
        parts.query = std::string(rest.substr(question + 1));
    return parts;
}

} // namespace sds::http
