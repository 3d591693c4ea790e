#pragma once

#include "providers/Provider.h"
#include "providers/http/Http.h"

#include <string_view>

namespace sds::providers {

// The error for a request that got no HTTP response. `target` names what was called, e.g.
// "OpenAI-compatible endpoint http://127.0.0.1:8080/v1".
[[nodiscard]] ProviderError transportError(const http::HttpResult& result, std::string_view target);

// Retry-After as seconds or an HTTP date; empty when absent or unreadable.
[[nodiscard]] std::optional<std::chrono::milliseconds> parseRetryAfter(const http::HttpResult& result);

// The first line of a message, shortened, so that a provider's HTML error page stays one line.
[[nodiscard]] std::string oneLine(std::string_view text, std::size_t maxLength = 300);

} // namespace sds::providers
