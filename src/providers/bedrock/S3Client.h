#pragma once

#include "core/Cancellation.h"
#include "core/S3Location.h"
#include "providers/Provider.h"
#include "providers/bedrock/SigV4.h"
#include "providers/http/Http.h"

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sds::providers::bedrock {

using sds::parseS3Uri;
using sds::S3Location;

struct S3Connection {
    aws::AwsCredentials credentials;
    std::string region;
    // Empty: https://<bucket>.s3.<region>.amazonaws.com (virtual-hosted style). Otherwise the
    // AWS_ENDPOINT_URL_S3-style override, addressed path-style: <endpoint>/<bucket>/<key>.
    std::string endpoint;
    std::string caBundlePath;
    std::chrono::milliseconds timeout{std::chrono::minutes(5)};
    // Files larger than this go up in parts of `partSize` bytes (S3 wants at least 5 MiB but the last).
    std::size_t multipartThreshold = 64ull * 1024 * 1024;
    std::size_t partSize = 16ull * 1024 * 1024;
    std::function<std::chrono::system_clock::time_point()> clock = [] {
        return std::chrono::system_clock::now();
    };
};

// The few S3 calls a batch job needs, each signed with SigV4 (service "s3"). Errors are one line naming
// the bucket and key; never a secret.
class S3Client {
public:
    S3Client(S3Connection connection, http::Transport transport);

    // One PUT, or CreateMultipartUpload / UploadPart / CompleteMultipartUpload above the threshold
    // (aborted when a part fails). Nothing on success.
    [[nodiscard]] std::optional<ProviderError> putObject(const S3Location& object, const std::string& body,
                                                         const CancellationToken& cancel) const;
    [[nodiscard]] Result<std::string> getObject(const S3Location& object,
                                                const CancellationToken& cancel) const;
    // ListObjectsV2 under `prefix.key`, every page.
    [[nodiscard]] Result<std::vector<std::string>> listKeys(const S3Location& prefix,
                                                            const CancellationToken& cancel) const;

    [[nodiscard]] std::string objectUrl(const S3Location& object) const;
    [[nodiscard]] std::string bucketUrl(const std::string& bucket) const;

private:
    [[nodiscard]] http::HttpResult send(const std::string& method, const std::string& url, std::string body,
                                        const CancellationToken& cancel) const;
    [[nodiscard]] std::optional<ProviderError> putInParts(const S3Location& object, const std::string& body,
                                                          const CancellationToken& cancel) const;
    [[nodiscard]] ProviderError error(const http::HttpResult& result, const std::string& what,
                                      const S3Location& object) const;

    S3Connection m_connection;
    http::Transport m_transport;
};

// The text of every <name>…</name> element in `xml`, entities decoded (enough for S3's answers).
[[nodiscard]] std::vector<std::string> xmlElementTexts(std::string_view xml, std::string_view name);

} // namespace sds::providers::bedrock
