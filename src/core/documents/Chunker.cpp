#include "core/documents/Chunker.h"

#include <algorithm>

namespace sds::documents {
namespace {

constexpr std::size_t kMinimumSize = 100;
constexpr std::size_t kMaximumSize = 1'000'000;

bool isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool isContinuationByte(char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U;
}

// Byte positions here always sit on a code point boundary. Malformed UTF-8 cannot make the walk stall:
// a stray continuation byte is passed over together with the byte before it.
class Cursor {
public:
    explicit Cursor(std::string_view text) : m_text(text) {}

    [[nodiscard]] std::size_t forward(std::size_t pos, std::size_t codePoints) const {
        while (codePoints > 0 && pos < m_text.size()) {
            ++pos;
            while (pos < m_text.size() && isContinuationByte(m_text[pos]))
                ++pos;
            --codePoints;
        }
        return pos;
    }
    [[nodiscard]] std::size_t backward(std::size_t pos, std::size_t codePoints) const {
        while (codePoints > 0 && pos > 0) {
            --pos;
            while (pos > 0 && isContinuationByte(m_text[pos]))
                --pos;
            --codePoints;
        }
        return pos;
    }
    [[nodiscard]] std::size_t skipSpace(std::size_t pos) const {
        while (pos < m_text.size() && isSpace(m_text[pos]))
            ++pos;
        return pos;
    }
    [[nodiscard]] std::size_t skipSpaceBackward(std::size_t pos) const {
        while (pos > 0 && isSpace(m_text[pos - 1]))
            --pos;
        return pos;
    }

    // A word ends at `pos`: text before it, white space (or the end) after it.
    [[nodiscard]] bool isWordEnd(std::size_t pos) const {
        return pos > 0 && !isSpace(m_text[pos - 1]) && (pos == m_text.size() || isSpace(m_text[pos]));
    }
    // A word starts at `pos`: white space (or the beginning) before it.
    [[nodiscard]] bool isWordStart(std::size_t pos) const {
        return pos < m_text.size() && !isSpace(m_text[pos]) && (pos == 0 || isSpace(m_text[pos - 1]));
    }
    // At a word end: the word closes a sentence ("end." "end?!" "end.)" "end.\""), unless the next word
    // starts in lower case ("e.g. this").
    [[nodiscard]] bool isSentenceEnd(std::size_t pos) const {
        const std::size_t next = skipSpace(pos);
        if (next < m_text.size() && m_text[next] >= 'a' && m_text[next] <= 'z')
            return false;
        while (pos > 0 && (m_text[pos - 1] == '"' || m_text[pos - 1] == '\'' || m_text[pos - 1] == ')' ||
                           m_text[pos - 1] == ']'))
            --pos;
        return pos > 0 && (m_text[pos - 1] == '.' || m_text[pos - 1] == '!' || m_text[pos - 1] == '?');
    }
    // At a word end: a blank line (or the end of the text) follows.
    [[nodiscard]] bool isParagraphEnd(std::size_t pos) const {
        int newlines = 0;
        for (; pos < m_text.size() && isSpace(m_text[pos]); ++pos)
            if (m_text[pos] == '\n')
                ++newlines;
        return newlines >= 2 || pos == m_text.size();
    }
    // At a word start: the previous word closed a sentence or a paragraph (or there is none).
    [[nodiscard]] bool isSentenceStart(std::size_t pos) const {
        const std::size_t previousEnd = skipSpaceBackward(pos);
        return previousEnd == 0 || isSentenceEnd(previousEnd) || isParagraphEnd(previousEnd);
    }

private:
    std::string_view m_text;
};

struct Limits {
    std::size_t size;
    std::size_t overlap;
};

Limits clamp(const ChunkOptions& options) {
    Limits limits{std::max<std::size_t>(options.size, 1), options.overlap};
    if (limits.overlap * 2 >= limits.size)
        limits.overlap = (limits.size - 1) / 2;
    return limits;
}

// Where the piece that starts at `start` ends: the last paragraph end, else sentence end, else word end
// up to `limit` (paragraph and sentence ends only if the piece is at least a third of `size`), else
// `limit` itself. The end always lies beyond `previousEnd`, so every piece adds new text.
std::size_t pieceEnd(const Cursor& cursor, std::size_t start, std::size_t limit, std::size_t previousEnd,
                     std::size_t size) {
    const std::size_t fullEnough = std::max(cursor.forward(start, size / 3), previousEnd + 1);
    const std::size_t anyEnd = std::max(start, previousEnd) + 1;
    std::size_t sentenceEnd = 0;
    std::size_t wordEnd = 0;
    for (std::size_t pos = limit; pos >= anyEnd; --pos) {
        if (!cursor.isWordEnd(pos))
            continue;
        if (pos >= fullEnough && cursor.isParagraphEnd(pos))
            return pos;
        if (sentenceEnd == 0 && pos >= fullEnough && cursor.isSentenceEnd(pos))
            sentenceEnd = pos;
        if (wordEnd == 0)
            wordEnd = pos;
    }
    if (sentenceEnd != 0)
        return sentenceEnd;
    if (wordEnd != 0)
        return wordEnd;
    return limit;
}

// Where the next piece starts so that it repeats the tail of [start, end): the earliest sentence start
// in the last `overlap` code points, else the earliest word start there, else `overlap` code points back.
std::size_t nextStart(const Cursor& cursor, std::size_t start, std::size_t end, std::size_t overlap) {
    if (overlap == 0)
        return cursor.skipSpace(end);
    const std::size_t from = std::max(cursor.backward(end, overlap), cursor.forward(start, 1));
    if (from >= end)
        return cursor.skipSpace(end);
    std::size_t firstWord = end;
    for (std::size_t pos = from; pos < end; ++pos) {
        if (!cursor.isWordStart(pos))
            continue;
        if (cursor.isSentenceStart(pos))
            return pos;
        firstWord = std::min(firstWord, pos);
    }
    if (firstWord != end)
        return firstWord;
    return from;
}

} // namespace

std::vector<std::string> chunkText(std::string_view text, const ChunkOptions& options) {
    const Limits limits = clamp(options);
    const Cursor cursor(text);
    std::vector<std::string> chunks;
    std::size_t start = cursor.skipSpace(0);
    std::size_t previousEnd = 0;
    while (start < text.size()) {
        const std::size_t limit = cursor.forward(start, limits.size);
        if (limit >= text.size()) {
            chunks.emplace_back(text.substr(start, cursor.skipSpaceBackward(text.size()) - start));
            break;
        }
        const std::size_t end = pieceEnd(cursor, start, limit, previousEnd, limits.size);
        chunks.emplace_back(text.substr(start, cursor.skipSpaceBackward(end) - start));
        if (cursor.skipSpace(end) >= text.size())
            break;
        const std::size_t next = nextStart(cursor, start, end, limits.overlap);
        previousEnd = end;
        start = next;
    }
    return chunks;
}

std::string validate(const ChunkOptions& options) {
    if (options.size < kMinimumSize)
        return "chunk size must be at least " + std::to_string(kMinimumSize) + " characters (got " +
               std::to_string(options.size) + ")";
    if (options.size > kMaximumSize)
        return "chunk size must be at most " + std::to_string(kMaximumSize) + " characters (got " +
               std::to_string(options.size) + ")";
    if (options.overlap * 2 >= options.size)
        return "chunk overlap must be less than half the chunk size (got " + std::to_string(options.overlap) +
               " for a size of " + std::to_string(options.size) + ")";
    return {};
}

} // namespace sds::documents
