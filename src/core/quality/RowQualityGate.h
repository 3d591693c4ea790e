#pragma once

#include "core/Template.h"
#include "core/quality/Validation.h"

#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace sds::quality {

// Why a generated row is turned away before it is kept. Each check is cheap and sure enough that asking
// the model again is better than keeping the row.
enum class RejectionReason {
    None,
    Repetition,  // a long run of one character, or of brackets with nothing between them
    Looping,     // a word or a short phrase repeated over and over, or one word making up most of the text
    Punctuation, // hardly any letters or digits
    NoCode,      // the template needs code (validator "code") and the answer has no fenced code block
    NoSql,       // the template needs SQL (validator "sql") and the answer has no SQL statement
    Echo,        // the answer only repeats the question
    Example,     // the answer copies one of the template's few-shot examples
    Garbled,     // control characters, or the text of a model's special token such as "<start_of_image>"
};

inline constexpr std::size_t kRejectionReasonCount = 9;

// One word: "repetition", "looping", "punctuation", "nocode", "nosql", "echo", "example", "garbled"
// ("none").
[[nodiscard]] std::string_view reasonName(RejectionReason reason);

// Rows turned away, per reason.
class RejectionCounts {
public:
    void add(RejectionReason reason, int count = 1) { m_counts[static_cast<std::size_t>(reason)] += count; }
    [[nodiscard]] int operator[](RejectionReason reason) const {
        return m_counts[static_cast<std::size_t>(reason)];
    }
    [[nodiscard]] int total() const;
    RejectionCounts& operator+=(const RejectionCounts& other);
    bool operator==(const RejectionCounts&) const = default;

    // {"repetition": 0, "looping": 2, ...}: every reason, in the enum's order.
    [[nodiscard]] nlohmann::json toJson() const;
    // Back from toJson(); names it does not know and values that are not counts are left out.
    [[nodiscard]] static RejectionCounts fromJson(const nlohmann::json& json);
    // "2 looping, 1 nocode": the reasons that happened, most frequent first; "" when none did.
    [[nodiscard]] std::string describe() const;

private:
    std::array<int, kRejectionReasonCount> m_counts{};
};

// The degenerate-text checks alone (garbled, repetition, looping, punctuation): for any text a model wrote.
[[nodiscard]] RejectionReason degenerateTextReason(std::string_view text);

// The checks a generated row must pass before it is kept. Thread-safe (const after construction).
class RowQualityGate {
public:
    RowQualityGate(ValidatorKind validator, const std::vector<Example>& examples);
    // From the job's validator name ("code", "sql", "" or anything else: none).
    RowQualityGate(std::string_view validator, const std::vector<Example>& examples);

    // The first problem found, or None: degenerate question or answer, an answer that echoes the question
    // or copies an example, then code or SQL missing where the template needs it.
    [[nodiscard]] RejectionReason check(std::string_view question, std::string_view answer) const;

private:
    ValidatorKind m_validator;
    std::vector<std::vector<std::string>> m_exampleAnswerWords;
};

} // namespace sds::quality
