#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sds {

// "s3://bucket/some/prefix/" -> {"bucket", "some/prefix/"}.
struct S3Location {
    std::string bucket;
    std::string key; // an object key, or a prefix ending in '/' (may be empty)
    [[nodiscard]] std::string uri() const { return "s3://" + bucket + "/" + key; }
    bool operator==(const S3Location&) const = default;
};

// Nothing when `uri` is not s3://bucket[/key] with a valid bucket name (3 to 63 characters of a-z, 0-9,
// '.' and '-').
[[nodiscard]] std::optional<S3Location> parseS3Uri(std::string_view uri);

} // namespace sds
