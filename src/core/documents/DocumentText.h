#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace sds::documents {

// The plain text of one document, or the one-line reason it cannot be used.
struct ExtractedDocument {
    std::filesystem::path path;
    std::string text;                  // UTF-8, paragraphs separated by a blank line ("\n\n")
    std::string error;                 // non-empty = unusable; one line that names the file
    std::vector<std::string> warnings; // usable but incomplete: "report.pdf: page 3 has no text layer"
    [[nodiscard]] bool ok() const { return error.empty(); }
};

// PDF (text layer, page by page in reading order), DOCX (paragraphs, lists as "- ", tables as
// "a | b | c" rows), TXT and Markdown (UTF-8, or UTF-16 with a byte order mark). Line ends become
// "\n", trailing spaces and runs of blank lines are removed. Never throws.
[[nodiscard]] ExtractedDocument extractText(const std::filesystem::path& path);

// .pdf .docx .txt .md .markdown, in any letter case.
[[nodiscard]] bool isSupportedDocument(const std::filesystem::path& path);

} // namespace sds::documents
