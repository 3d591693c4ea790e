#pragma once

// Internal to core/documents: one reader per format, each filling `text` (not yet normalised) or
// `error` of a document whose bytes have already been read.

#include "core/documents/DocumentText.h"

#include <cstddef>
#include <string>
#include <string_view>

namespace sds::documents::detail {

void extractPdf(const std::string& bytes, ExtractedDocument& document);
void extractDocx(const std::string& bytes, ExtractedDocument& document);
void extractPlainText(const std::string& bytes, ExtractedDocument& document);

// Byte offset of the first malformed UTF-8 sequence (overlong forms, surrogates and code points
// above U+10FFFF included), or std::string_view::npos when the whole text is well formed.
[[nodiscard]] std::size_t firstInvalidUtf8(std::string_view text);

// "\r\n" and "\r" to "\n", form feeds to blank lines, other control characters dropped, trailing
// blanks of each line removed, runs of blank lines reduced to one, the whole trimmed.
[[nodiscard]] std::string normaliseText(std::string_view text);

} // namespace sds::documents::detail
