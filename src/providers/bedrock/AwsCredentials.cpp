#include "providers/bedrock/AwsCredentials.h"

#include "core/Text.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

namespace sds::providers::bedrock {
namespace {

using text::toLower;
using text::trim;

std::string withoutTrailingSlashes(std::string url) {
    while (!url.empty() && url.back() == '/')
        url.pop_back();
    return url;
}

std::string credentialsFilePath(const Environment& environment) {
    return environment.get("AWS_SHARED_CREDENTIALS_FILE")
        .value_or(environment.homeDir() + "/.aws/credentials");
}

std::string configFilePath(const Environment& environment) {
    return environment.get("AWS_CONFIG_FILE").value_or(environment.homeDir() + "/.aws/config");
}

using IniSection = std::map<std::string, std::string>;

std::optional<IniSection> credentialsFileProfile(const IniSections& sections, const std::string& profile) {
    const auto it = sections.find(profile);
    if (it == sections.end())
        return std::nullopt;
    return it->second;
}

// The config file names profiles "[profile name]", except that "[default]" is also accepted.
std::optional<IniSection> configFileProfile(const IniSections& sections, const std::string& profile) {
    if (const auto it = sections.find("profile " + profile); it != sections.end())
        return it->second;
    if (profile == "default")
        if (const auto it = sections.find("default"); it != sections.end())
            return it->second;
    return std::nullopt;
}

std::string valueOf(const IniSection& section, const std::string& key) {
    const auto it = section.find(key);
    return it == section.end() ? std::string{} : it->second;
}

// Describes what a profile without static keys uses instead, so the message can say why it was not enough.
std::string unsupportedMechanism(const IniSection& section) {
    for (const std::string key :
         {"sso_session", "sso_start_url", "credential_process", "role_arn", "web_identity_token_file"})
        if (section.contains(key))
            return key;
    return {};
}

struct ProfileLookup {
    std::optional<aws::AwsCredentials> credentials;
    std::string source;
    std::string whatWasFound; // for the error message when nothing usable was found
};

ProfileLookup lookUpProfileFile(const Environment& environment, const std::string& path,
                                const std::string& profile, bool isConfigFile) {
    ProfileLookup lookup;
    const auto text = environment.readFile(path);
    if (!text) {
        lookup.whatWasFound = path + " (not found)";
        return lookup;
    }
    const auto sections = parseIni(*text);
    const auto section =
        isConfigFile ? configFileProfile(sections, profile) : credentialsFileProfile(sections, profile);
    if (!section) {
        lookup.whatWasFound = path + " (no profile \"" + profile + "\")";
        return lookup;
    }
    const std::string keyId = valueOf(*section, "aws_access_key_id");
    const std::string secret = valueOf(*section, "aws_secret_access_key");
    if (!keyId.empty() && !secret.empty()) {
        lookup.credentials = aws::AwsCredentials{keyId, secret, valueOf(*section, "aws_session_token")};
        lookup.source = "profile \"" + profile + "\" in " + path;
        return lookup;
    }
    if (const std::string mechanism = unsupportedMechanism(*section); !mechanism.empty()) {
        lookup.whatWasFound =
            path + " (profile \"" + profile + "\" uses " + mechanism +
            ", which is not supported here; export keys with `aws configure export-credentials "
            "--profile " +
            profile + " --format env`)";
        return lookup;
    }
    lookup.whatWasFound =
        path + " (profile \"" + profile + "\" has no aws_access_key_id/aws_secret_access_key)";
    return lookup;
}

} // namespace

IniSections parseIni(std::string_view text) {
    IniSections sections;
    std::string currentSection;
    bool haveSection = false;
    bool inNestedBlock = false;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto end = text.find('\n', start);
        const std::string_view rawLine =
            text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        start = end == std::string_view::npos ? text.size() + 1 : end + 1;

        const bool indented = !rawLine.empty() && (rawLine.front() == ' ' || rawLine.front() == '\t');
        const std::string_view line = trim(rawLine);
        if (line.empty() || line.front() == '#' || line.front() == ';')
            continue;
        if (line.front() == '[') {
            const auto close = line.find(']');
            if (close == std::string_view::npos)
                continue;
            std::string name(trim(line.substr(1, close - 1)));
            if (name.starts_with("profile ") || name.starts_with("profile\t"))
                name = "profile " + std::string(trim(std::string_view(name).substr(8)));
            currentSection = name;
            haveSection = true;
            inNestedBlock = false;
            sections[currentSection];
            continue;
        }
        if (indented && inNestedBlock)
            continue;
        inNestedBlock = false;
        const auto equals = line.find('=');
        if (!haveSection || equals == std::string_view::npos)
            continue;
        const std::string key = toLower(trim(line.substr(0, equals)));
        const std::string value(trim(line.substr(equals + 1)));
        if (value.empty()) {
            inNestedBlock = true;
            continue;
        }
        sections[currentSection][key] = value;
    }
    return sections;
}

std::string profileName(const ProviderConfig& config, const Environment& environment) {
    if (!config.profile.empty())
        return config.profile;
    return environment.get("AWS_PROFILE").value_or("default");
}

Result<ResolvedCredentials> resolveCredentials(const ProviderConfig& config, const Environment& environment) {
    std::vector<std::string> tried;
    if (config.profile.empty()) {
        const auto keyId = environment.get("AWS_ACCESS_KEY_ID");
        const auto secret = environment.get("AWS_SECRET_ACCESS_KEY");
        if (keyId && secret)
            return ResolvedCredentials{{*keyId, *secret, environment.get("AWS_SESSION_TOKEN").value_or("")},
                                       "AWS_ACCESS_KEY_ID"};
        if (keyId)
            tried.emplace_back("AWS_ACCESS_KEY_ID (set, but AWS_SECRET_ACCESS_KEY is not)");
        else if (secret)
            tried.emplace_back("AWS_SECRET_ACCESS_KEY (set, but AWS_ACCESS_KEY_ID is not)");
        else
            tried.emplace_back("AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (not set)");
    }

    const std::string profile = profileName(config, environment);
    for (const bool isConfigFile : {false, true}) {
        const std::string path =
            isConfigFile ? configFilePath(environment) : credentialsFilePath(environment);
        auto lookup = lookUpProfileFile(environment, path, profile, isConfigFile);
        if (lookup.credentials)
            return ResolvedCredentials{std::move(*lookup.credentials), std::move(lookup.source)};
        tried.push_back(std::move(lookup.whatWasFound));
    }

    std::string message = "no AWS credentials found for profile \"" + profile + "\"; tried ";
    for (std::size_t i = 0; i < tried.size(); ++i)
        message += (i == 0 ? "" : (i + 1 == tried.size() ? " and " : ", ")) + tried[i];
    return ProviderError{ErrorKind::MissingCredentials, message, std::nullopt, std::nullopt};
}

Result<std::string> resolveRegion(const ProviderConfig& config, const Environment& environment) {
    if (!config.region.empty())
        return config.region;
    for (const std::string variable : {"AWS_REGION", "AWS_DEFAULT_REGION"})
        if (auto region = environment.get(variable))
            return *region;
    const std::string profile = profileName(config, environment);
    const std::string path = configFilePath(environment);
    if (const auto text = environment.readFile(path)) {
        if (const auto section = configFileProfile(parseIni(*text), profile)) {
            if (std::string region = valueOf(*section, "region"); !region.empty())
                return region;
        }
    }
    return ProviderError{ErrorKind::BadRequest,
                         "no AWS region set: choose one in the provider settings, set AWS_REGION or "
                         "AWS_DEFAULT_REGION, or add `region` to profile \"" +
                             profile + "\" in " + path,
                         std::nullopt, std::nullopt};
}

BedrockEndpoints resolveEndpoints(const ProviderConfig& config, const Environment& environment,
                                  const std::string& region) {
    const auto shared = environment.get("AWS_ENDPOINT_URL");
    std::string s3;
    if (auto specific = environment.get("AWS_ENDPOINT_URL_S3"))
        s3 = withoutTrailingSlashes(*specific);
    else if (shared)
        s3 = withoutTrailingSlashes(*shared);
    if (!config.endpoint.empty()) {
        const std::string endpoint = withoutTrailingSlashes(config.endpoint);
        return {endpoint, endpoint, s3};
    }
    const auto pick = [&](const char* serviceVariable, const std::string& publicEndpoint) {
        if (auto specific = environment.get(serviceVariable))
            return withoutTrailingSlashes(*specific);
        if (shared)
            return withoutTrailingSlashes(*shared);
        return publicEndpoint;
    };
    const std::string domain = region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com";
    return {pick("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "https://bedrock-runtime." + region + domain),
            pick("AWS_ENDPOINT_URL_BEDROCK", "https://bedrock." + region + domain), s3};
}

} // namespace sds::providers::bedrock
