#pragma once

#include "core/Cancellation.h"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sds::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
    std::string method = "GET";
    std::string url;
    Headers headers;
    std::string body;
    std::chrono::milliseconds timeout{std::chrono::minutes(5)};
    std::chrono::milliseconds connectTimeout{std::chrono::seconds(10)};
    std::string caBundlePath; // empty: the system's CA store
};

enum class TransportFailure { None, ConnectFailed, Timeout, ConnectionDropped, Cancelled, Other };

struct HttpResult {
    std::optional<int> status; // empty when no HTTP response arrived
    std::string body;
    Headers headers; // names lower-cased
    TransportFailure failure = TransportFailure::None;
    std::string error; // transport error, formatted for people; empty when a response arrived

    [[nodiscard]] bool ok() const { return status && *status >= 200 && *status < 300; }
    [[nodiscard]] std::optional<std::string> header(std::string_view lowerCaseName) const;
};

// Blocking HTTP over libcurl. Safe to use from many threads at once: each thread keeps its own
// connection cache. Cancellation is observed within ~100 ms while waiting.
class HttpClient {
public:
    [[nodiscard]] HttpResult perform(const HttpRequest& request, const CancellationToken& cancel) const;
};

// The seam every provider sends through: HttpClient::perform in the product, canned answers in tests.
using Transport = std::function<HttpResult(const HttpRequest&, const CancellationToken&)>;
[[nodiscard]] Transport defaultTransport();

// Replaces the values of Authorization, X-Amz-Security-Token and similar headers for logging.
[[nodiscard]] Headers redactedHeaders(const Headers& headers);

// Splits "https://host:port/path?query" into its parts; empty optional when not a URL.
struct UrlParts {
    std::string scheme;
    std::string host; // without port
    std::optional<int> port;
    std::string path;                             // starts with '/'
    std::string query;                            // without '?'
    [[nodiscard]] std::string hostHeader() const; // host[:port] as sent in the Host header
};
[[nodiscard]] std::optional<UrlParts> parseUrl(std::string_view url);

} // namespace sds::http
