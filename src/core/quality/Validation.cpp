#include "core/quality/Validation.h"

#include "core/Text.h"

#include <cctype>

namespace sds::quality {
namespace {

struct Fence {
    char marker = 0;
    std::size_t length = 0;
    std::size_t indent = 0;
    std::string_view info;
};

std::size_t leadingSpaces(std::string_view line) {
    std::size_t n = 0;
    while (n < line.size() && (line[n] == ' ' || line[n] == '\t'))
        ++n;
    return n;
}

std::optional<Fence> openingFence(std::string_view line) {
    Fence fence;
    fence.indent = leadingSpaces(line);
    line.remove_prefix(fence.indent);
    if (line.empty() || (line.front() != '`' && line.front() != '~'))
        return std::nullopt;
    fence.marker = line.front();
    while (fence.length < line.size() && line[fence.length] == fence.marker)
        ++fence.length;
    if (fence.length < 3)
        return std::nullopt;
    fence.info = text::trim(line.substr(fence.length));
    if (fence.marker == '`' && fence.info.find('`') != std::string_view::npos)
        return std::nullopt; // an inline code span, not a fence
    return fence;
}

bool closesFence(std::string_view line, const Fence& fence) {
    line = text::trim(line);
    std::size_t n = 0;
    while (n < line.size() && line[n] == fence.marker)
        ++n;
    return n >= fence.length && n == line.size();
}

// "python", "{python}", ".py title=x" -> "python", "python", "py".
std::string languageOf(std::string_view info) {
    while (!info.empty() && (info.front() == '{' || info.front() == '.'))
        info.remove_prefix(1);
    std::size_t end = 0;
    while (end < info.size() && !std::isspace(static_cast<unsigned char>(info[end])) && info[end] != '}' &&
           info[end] != ',')
        ++end;
    return text::toLower(info.substr(0, end));
}

std::string_view withoutIndent(std::string_view line, std::size_t indent) {
    std::size_t n = 0;
    while (n < indent && n < line.size() && (line[n] == ' ' || line[n] == '\t'))
        ++n;
    return line.substr(n);
}

} // namespace

std::string toString(ValidationStatus status) {
    switch (status) {
    case ValidationStatus::Passed:
        return "passed";
    case ValidationStatus::Failed:
        return "failed";
    case ValidationStatus::Unjudged:
        return "unjudged";
    case ValidationStatus::NotApplicable:
        return "not_applicable";
    }
    return "not_applicable";
}

std::optional<ValidationStatus> validationStatusFromString(std::string_view text) {
    for (const auto status : {ValidationStatus::Passed, ValidationStatus::Failed, ValidationStatus::Unjudged,
                              ValidationStatus::NotApplicable})
        if (text == toString(status))
            return status;
    return std::nullopt;
}

std::string toString(ValidatorKind kind) {
    switch (kind) {
    case ValidatorKind::None:
        return "none";
    case ValidatorKind::Sql:
        return "sql";
    case ValidatorKind::Code:
        return "code";
    }
    return "none";
}

std::optional<ValidatorKind> validatorKindFromString(std::string_view text) {
    for (const auto kind : {ValidatorKind::None, ValidatorKind::Sql, ValidatorKind::Code})
        if (text == toString(kind))
            return kind;
    return std::nullopt;
}

std::vector<CodeBlock> extractCodeBlocks(std::string_view markdown) {
    std::vector<CodeBlock> blocks;
    std::optional<Fence> open;
    CodeBlock current;
    int lineNumber = 0;
    std::size_t position = 0;
    while (position < markdown.size()) {
        const auto newline = markdown.find('\n', position);
        const auto end = newline == std::string_view::npos ? markdown.size() : newline;
        std::string_view line = markdown.substr(position, end - position);
        position = end + 1;
        ++lineNumber;
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (!open) {
            if ((open = openingFence(line))) {
                current = CodeBlock{languageOf(open->info), {}, lineNumber + 1};
            }
            continue;
        }
        if (closesFence(line, *open)) {
            blocks.push_back(std::move(current));
            open.reset();
            continue;
        }
        current.code.append(withoutIndent(line, open->indent));
        current.code += '\n';
    }
    if (open)
        blocks.push_back(std::move(current));
    return blocks;
}

} // namespace sds::quality
