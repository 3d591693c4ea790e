#pragma once

#include "providers/Provider.h"
#include "providers/ProviderConfig.h"
#include "providers/bedrock/SigV4.h"

#include <map>
#include <string>
#include <string_view>

namespace sds::providers::bedrock {

struct ResolvedCredentials {
    aws::AwsCredentials credentials;
    std::string source; // e.g. "AWS_ACCESS_KEY_ID", "profile \"dev\" in /home/me/.aws/credentials"
};

// The standard chain, reading only through `environment`:
//  1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), unless config.profile names a
//     profile explicitly (as `aws --profile` does);
//  2. the profile (config.profile, else AWS_PROFILE, else "default") in the shared credentials file
//     (~/.aws/credentials, AWS_SHARED_CREDENTIALS_FILE) and then the config file (~/.aws/config,
//     AWS_CONFIG_FILE, sections "[profile name]").
// Fails with MissingCredentials naming every source tried; never includes a secret.
[[nodiscard]] Result<ResolvedCredentials> resolveCredentials(const ProviderConfig& config,
                                                             const Environment& environment);

// config.region, AWS_REGION, AWS_DEFAULT_REGION, then `region` of the profile in the config file.
[[nodiscard]] Result<std::string> resolveRegion(const ProviderConfig& config, const Environment& environment);

struct BedrockEndpoints {
    std::string runtime; // Converse: https://bedrock-runtime.{region}.amazonaws.com
    std::string control; // model listing, batch jobs: https://bedrock.{region}.amazonaws.com
    std::string s3;      // batch records: empty for the public S3 endpoints
};

// config.endpoint serves runtime and control; otherwise AWS_ENDPOINT_URL_BEDROCK_RUNTIME /
// AWS_ENDPOINT_URL_BEDROCK, then AWS_ENDPOINT_URL, then the public regional endpoints. S3 is
// AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL, else the public endpoints. No trailing '/'.
[[nodiscard]] BedrockEndpoints resolveEndpoints(const ProviderConfig& config, const Environment& environment,
                                                const std::string& region);

[[nodiscard]] std::string profileName(const ProviderConfig& config, const Environment& environment);

// Section name -> key -> value, as in the AWS shared files: keys lower-cased, values trimmed,
// ';' and '#' start comments, indented lines (nested settings) are ignored.
using IniSections = std::map<std::string, std::map<std::string, std::string>>;
[[nodiscard]] IniSections parseIni(std::string_view text);

} // namespace sds::providers::bedrock
