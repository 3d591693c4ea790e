#include "providers/Provider.h"

namespace sds::providers {

bool ProviderError::retryable() const {
    switch (kind) {
    case ErrorKind::RateLimited:
    case ErrorKind::ServerError:
    case ErrorKind::Timeout:
    case ErrorKind::ConnectionDropped:
    case ErrorKind::MalformedResponse:
        return true;
    default:
        return false;
    }
}

std::string toString(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::MissingCredentials:
        return "missing credentials";
    case ErrorKind::Unauthorized:
        return "unauthorized";
    case ErrorKind::Forbidden:
        return "forbidden";
    case ErrorKind::UnknownModel:
        return "unknown model";
    case ErrorKind::BadRequest:
        return "bad request";
    case ErrorKind::RateLimited:
        return "rate limited";
    case ErrorKind::ServerError:
        return "server error";
    case ErrorKind::Unreachable:
        return "unreachable";
    case ErrorKind::Timeout:
        return "timeout";
    case ErrorKind::ConnectionDropped:
        return "connection dropped";
    case ErrorKind::Cancelled:
        return "cancelled";
    case ErrorKind::MalformedResponse:
        return "malformed response";
    case ErrorKind::Other:
        return "error";
    }
    return "error";
}

} // namespace sds::providers
