#include "core/S3Location.h"

#include <algorithm>
#include <cctype>

namespace sds {
namespace {

bool validBucketName(std::string_view name) {
    if (name.size() < 3 || name.size() > 63)
        return false;
    return std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::islower(c) || std::isdigit(c) || c == '.' || c == '-';
    });
}

} // namespace

std::optional<S3Location> parseS3Uri(std::string_view uri) {
    constexpr std::string_view scheme = "s3://";
    if (!uri.starts_with(scheme))
        return std::nullopt;
    uri.remove_prefix(scheme.size());
    const auto slash = uri.find('/');
    S3Location location;
    location.bucket = std::string(uri.substr(0, slash));
    if (slash != std::string_view::npos)
        location.key = std::string(uri.substr(slash + 1));
    if (!validBucketName(location.bucket))
        return std::nullopt;
    return location;
}

} // namespace sds
