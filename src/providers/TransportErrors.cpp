#include "providers/TransportErrors.h"

#include <charconv>
#include <ctime>

namespace sds::providers {

ProviderError transportError(const http::HttpResult& result, std::string_view target) {
    ProviderError error;
    const std::string where(target);
    switch (result.failure) {
    case http::TransportFailure::ConnectFailed:
        error.kind = ErrorKind::Unreachable;
        error.message = "cannot reach " + where + ": " + oneLine(result.error);
        break;
    case http::TransportFailure::Timeout:
        error.kind = ErrorKind::Timeout;
        error.message = "timed out waiting for " + where + ": " + oneLine(result.error);
        break;
    case http::TransportFailure::ConnectionDropped:
        error.kind = ErrorKind::ConnectionDropped;
        error.message = "connection to " + where + " dropped: " + oneLine(result.error);
        break;
    case http::TransportFailure::Cancelled:
        error.kind = ErrorKind::Cancelled;
        error.message = "cancelled";
        break;
    default:
        error.kind = ErrorKind::Unreachable;
        error.message = "request to " + where + " failed: " + oneLine(result.error);
        break;
    }
    return error;
}

std::optional<std::chrono::milliseconds> parseRetryAfter(const http::HttpResult& result) {
    const auto value = result.header("retry-after");
    if (!value || value->empty())
        return std::nullopt;
    double seconds = 0;
    const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), seconds);
    if (ec == std::errc{} && end == value->data() + value->size() && seconds >= 0)
        return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    std::tm when{};
    if (strptime(value->c_str(), "%a, %d %b %Y %H:%M:%S GMT", &when)) {
        const auto target = std::chrono::system_clock::from_time_t(timegm(&when));
        const auto wait =
            std::chrono::duration_cast<std::chrono::milliseconds>(target - std::chrono::system_clock::now());
        return wait.count() > 0 ? wait : std::chrono::milliseconds(0);
    }
    return std::nullopt;
}

std::string oneLine(std::string_view text, std::size_t maxLength) {
    std::string line;
    for (char c : text) {
        if (c == '\n' || c == '\r') {
            if (!line.empty() && line.back() != ' ')
                line += ' ';
            continue;
        }
        line += c;
    }
    while (!line.empty() && line.back() == ' ')
        line.pop_back();
    if (line.size() > maxLength)
        line = line.substr(0, maxLength) + "…";
    return line;
}

} // namespace sds::providers
