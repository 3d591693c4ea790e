#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sds::quality {

// The verdict of a check on one row. Unjudged: the checker cannot tell (another SQL dialect, a language it
// has no checker for, no python3); NotApplicable: the row was not checked at all.
enum class ValidationStatus { Passed, Failed, Unjudged, NotApplicable };

[[nodiscard]] std::string
toString(ValidationStatus status); // "passed", "failed", "unjudged", "not_applicable"
[[nodiscard]] std::optional<ValidationStatus> validationStatusFromString(std::string_view text);

struct ValidationResult {
    ValidationStatus status = ValidationStatus::NotApplicable;
    std::string message; // one line; empty when passed
    int line = 0;        // 1-based within the checked code block, 0 when unknown
};

struct CodeBlock {
    std::string language; // the info string's first word, lower-case; "" when unlabelled
    std::string code;     // without the fences; a fence's indentation is removed from its lines
    int startLine = 0;    // 1-based line of the answer where the code starts (the line after the fence)
};

// The fenced blocks (``` or ~~~, three or more, indented or not) of a Markdown text, in order. A block left
// open runs to the end of the text, as in CommonMark.
[[nodiscard]] std::vector<CodeBlock> extractCodeBlocks(std::string_view markdown);

enum class ValidatorKind { None, Sql, Code };

[[nodiscard]] std::string toString(ValidatorKind kind); // "none", "sql", "code"
[[nodiscard]] std::optional<ValidatorKind> validatorKindFromString(std::string_view text);

} // namespace sds::quality
