#pragma once

#include "core/Cancellation.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sds::providers {

struct ChatMessage {
    enum class Role { System, User, Assistant };
    Role role = Role::User;
    std::string content;
};

struct ChatRequest {
    std::string model;
    std::vector<ChatMessage> messages;
    std::optional<double> temperature;
    std::optional<double> topP;
    std::optional<int> topK;
    int maxTokens = 4096;
    // When set, the provider asks for output that conforms to this JSON schema (an object schema).
    std::optional<nlohmann::json> jsonSchema;
    std::string schemaName = "rows";
};

struct TokenUsage {
    std::int64_t input = 0;
    std::int64_t output = 0;
    TokenUsage& operator+=(const TokenUsage& other) {
        input += other.input;
        output += other.output;
        return *this;
    }
};

struct ChatResponse {
    std::string text;                         // the model's text (also set for structured output)
    std::optional<nlohmann::json> structured; // set when the provider returned schema-constrained JSON
    TokenUsage usage;
    std::string stopReason;
};

enum class ErrorKind {
    MissingCredentials,
    Unauthorized, // 401
    Forbidden,    // 403
    UnknownModel, // 404 or the provider's "model not found"
    BadRequest,   // 400 other than the above
    RateLimited,  // 429, ThrottlingException
    ServerError,  // 5xx
    Unreachable,  // connection refused, DNS
    Timeout,
    ConnectionDropped,
    Cancelled,
    MalformedResponse,
    Other,
};

struct ProviderError {
    ErrorKind kind = ErrorKind::Other;
    std::string message; // one line, names what failed; never contains a secret
    std::optional<int> httpStatus;
    std::optional<std::chrono::milliseconds> retryAfter;

    [[nodiscard]] bool retryable() const;
};

[[nodiscard]] std::string toString(ErrorKind kind);

template <typename T> class Result {
public:
    Result(T value) : m_value(std::move(value)) {}             // NOLINT(google-explicit-constructor)
    Result(ProviderError error) : m_value(std::move(error)) {} // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool ok() const { return std::holds_alternative<T>(m_value); }
    [[nodiscard]] const T& value() const { return std::get<T>(m_value); }
    [[nodiscard]] T& value() { return std::get<T>(m_value); }
    [[nodiscard]] const ProviderError& error() const { return std::get<ProviderError>(m_value); }

private:
    std::variant<T, ProviderError> m_value;
};

using ChatResult = Result<ChatResponse>;

struct ModelInfo {
    std::string id;
    std::string displayName;
};
using ModelListResult = Result<std::vector<ModelInfo>>;

// The one narrow interface every provider implements. Implementations are thread-safe:
// the engine calls chat() from many threads at once.
class Provider {
public:
    virtual ~Provider() = default;
    [[nodiscard]] virtual std::string name() const = 0;
    [[nodiscard]] virtual ChatResult chat(const ChatRequest& request, const CancellationToken& cancel) = 0;
    [[nodiscard]] virtual ModelListResult listModels(const CancellationToken& cancel) = 0;
    // A model suggested when the user names none.
    [[nodiscard]] virtual std::string defaultModel() const = 0;
    // How many tokens the model's own tokenizer makes of `text`, when the provider can ask it without a
    // paid request; none otherwise.
    [[nodiscard]] virtual std::optional<std::int64_t> countTokens(const std::string& /*text*/,
                                                                  const CancellationToken& /*cancel*/) {
        return std::nullopt;
    }
};

} // namespace sds::providers
