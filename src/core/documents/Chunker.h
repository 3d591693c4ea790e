#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sds::documents {

// Sizes count Unicode code points of UTF-8 text, not bytes.
struct ChunkOptions {
    std::size_t size = 1000;
    std::size_t overlap = 100;
};

// Cuts text into pieces of at most `options.size` code points, preferring to end a piece at a
// paragraph end, then a sentence end (. ! ? before a space or line end), then between words, and only
// as a last resort inside a word (never inside a code point). Each piece after the first repeats
// about `options.overlap` code points of the previous one, starting at a sentence or word start.
// Pieces are trimmed and never empty; the same input always gives the same pieces. Options that fail
// validate() are clamped to something workable.
[[nodiscard]] std::vector<std::string> chunkText(std::string_view text, const ChunkOptions& options);

// One-line reason the options are unusable, empty when they are fine.
[[nodiscard]] std::string validate(const ChunkOptions& options);

} // namespace sds::documents
