#include "core/quality/RougeL.h"

#include <algorithm>
#include <bit>
#include <functional>

namespace sds::quality {
namespace {

bool isAsciiWordByte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Unicode separators and punctuation that must not glue words together.
bool isSeparatorCodePoint(char32_t c) {
    return (c >= 0xA0 && c <= 0xBF) || c == 0xD7 || c == 0xF7 || (c >= 0x2000 && c <= 0x206F) ||
           (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFF0F) || c == 0xFEFF;
}

constexpr char32_t kMalformed = 0xFFFD; // counts as a letter

// Decodes the UTF-8 sequence at text[i]; sets `length` (1 for a malformed byte, which counts as a letter).
char32_t decodeAt(std::string_view text, std::size_t i, std::size_t& length) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    char32_t value = 0;
    if (lead >= 0xF8) {
        length = 1;
        return kMalformed;
    }
    if (lead >= 0xF0) {
        extra = 3;
        value = lead & 0x07U;
    } else if (lead >= 0xE0) {
        extra = 2;
        value = lead & 0x0FU;
    } else if (lead >= 0xC0) {
        extra = 1;
        value = lead & 0x1FU;
    } else {
        length = 1;
        return lead < 0x80 ? lead : kMalformed;
    }
    if (i + extra >= text.size()) {
        length = 1;
        return kMalformed;
    }
    for (std::size_t k = 1; k <= extra; ++k) {
        const auto next = static_cast<unsigned char>(text[i + k]);
        if ((next & 0xC0U) != 0x80U) {
            length = 1;
            return kMalformed;
        }
        value = (value << 6U) | (next & 0x3FU);
    }
    length = extra + 1;
    return value;
}

void appendLowerLatin1(std::string& token, std::string_view sequence, char32_t c) {
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) {
        const char32_t lower = c + 0x20;
        token += static_cast<char>(0xC0U | (lower >> 6U));
        token += static_cast<char>(0x80U | (lower & 0x3FU));
        return;
    }
    token.append(sequence);
}

double f1FromLcs(std::size_t lcs, std::size_t a, std::size_t b) {
    if (lcs == 0 || a == 0 || b == 0)
        return 0.0;
    return 2.0 * static_cast<double>(lcs) / static_cast<double>(a + b);
}

} // namespace

std::vector<std::string> rougeTokens(std::string_view text) {
    std::vector<std::string> tokens;
    std::string token;
    const auto flush = [&] {
        if (!token.empty())
            tokens.push_back(std::move(token));
        token.clear();
    };
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            if (isAsciiWordByte(c))
                token += static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
            else
                flush();
            ++i;
            continue;
        }
        std::size_t length = 1;
        const char32_t codePoint = decodeAt(text, i, length);
        if (isSeparatorCodePoint(codePoint))
            flush();
        else
            appendLowerLatin1(token, text.substr(i, length), codePoint);
        i += length;
    }
    flush();
    return tokens;
}

std::size_t commonSubsequenceLength(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    // Equal words get equal ids through one flat table (open addressing on the word's hash), built per call.
    const std::size_t capacity = std::bit_ceil(std::max<std::size_t>(16, 2 * (a.size() + b.size())));
    std::vector<const std::string*> words(capacity, nullptr);
    std::vector<std::uint32_t> wordIds(capacity, 0);
    std::uint32_t next = 0;
    const auto toIds = [&](const std::vector<std::string>& tokens) {
        std::vector<std::uint32_t> out;
        out.reserve(tokens.size());
        for (const auto& token : tokens) {
            std::size_t slot = std::hash<std::string_view>{}(token) & (capacity - 1);
            while (words[slot] && *words[slot] != token)
                slot = (slot + 1) & (capacity - 1);
            if (!words[slot]) {
                words[slot] = &token;
                wordIds[slot] = next++;
            }
            out.push_back(wordIds[slot]);
        }
        return out;
    };
    const auto idsA = toIds(a);
    const auto idsB = toIds(b);
    return LcsMatcher(idsA).lcsWith(idsB);
}

double rougeLF1(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    if (a.empty() || b.empty())
        return 0.0;
    return f1FromLcs(commonSubsequenceLength(a, b), a.size(), b.size());
}

double rougeLF1(std::string_view a, std::string_view b) {
    return rougeLF1(rougeTokens(a), rougeTokens(b));
}

LcsMatcher::LcsMatcher(std::span<const std::uint32_t> pattern)
    : patternSize_(pattern.size()), words_((pattern.size() + 63) / 64) {
    std::size_t capacity = 8;
    while (capacity < 2 * pattern.size())
        capacity *= 2;
    keys_.assign(capacity, 0);
    values_.assign(capacity, 0);
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const std::uint32_t key = pattern[i] + 1;
        std::size_t slot = (key * 0x9E3779B1U) & (capacity - 1);
        while (keys_[slot] != 0 && keys_[slot] != key)
            slot = (slot + 1) & (capacity - 1);
        if (keys_[slot] == 0) {
            keys_[slot] = key;
            values_[slot] = static_cast<std::uint32_t>(masks_.size() / words_);
            masks_.resize(masks_.size() + words_, 0);
        }
        masks_[values_[slot] * words_ + i / 64] |= std::uint64_t{1} << (i % 64);
    }
}

const std::uint64_t* LcsMatcher::maskOf(std::uint32_t symbol) const {
    const std::uint32_t key = symbol + 1;
    const std::size_t capacity = keys_.size();
    std::size_t slot = (key * 0x9E3779B1U) & (capacity - 1);
    while (keys_[slot] != 0) {
        if (keys_[slot] == key)
            return &masks_[values_[slot] * words_];
        slot = (slot + 1) & (capacity - 1);
    }
    return nullptr;
}

std::size_t LcsMatcher::lcsWith(std::span<const std::uint32_t> text) const {
    if (patternSize_ == 0 || text.empty())
        return 0;
    if (words_ == 1) {
        std::uint64_t v = ~std::uint64_t{0};
        for (const auto symbol : text) {
            const std::uint64_t* mask = maskOf(symbol);
            if (!mask)
                continue; // U = 0 leaves V unchanged
            const std::uint64_t u = v & *mask;
            v = (v + u) | (v - u);
        }
        const std::uint64_t low =
            patternSize_ == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << patternSize_) - 1;
        return patternSize_ - static_cast<std::size_t>(std::popcount(v & low));
    }
    std::vector<std::uint64_t> v(words_, ~std::uint64_t{0});
    for (const auto symbol : text) {
        const std::uint64_t* mask = maskOf(symbol);
        if (!mask)
            continue;
        std::uint64_t carry = 0;
        for (std::size_t w = 0; w < words_; ++w) {
            const std::uint64_t u = v[w] & mask[w];
            const std::uint64_t withCarry = v[w] + carry;
            const std::uint64_t sum = withCarry + u;
            carry = (withCarry < carry || sum < u) ? 1 : 0;
            v[w] = sum | (v[w] - u);
        }
    }
    std::size_t ones = 0;
    for (std::size_t w = 0; w < words_; ++w) {
        const std::size_t bits = std::min<std::size_t>(64, patternSize_ - w * 64);
        const std::uint64_t low = bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
        ones += static_cast<std::size_t>(std::popcount(v[w] & low));
    }
    return patternSize_ - ones;
}

} // namespace sds::quality
