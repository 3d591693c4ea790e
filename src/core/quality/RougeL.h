#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sds::quality {

// Lower-cased words: runs of ASCII letters and digits, and of non-ASCII letters (UTF-8 sequences are kept
// whole). Everything else separates words, including Unicode punctuation and spaces (U+00A0-U+00BF,
// U+2000-U+206F, U+3000-U+303F, U+FF00-U+FF0F). Lower-casing covers ASCII and Latin-1 only.
[[nodiscard]] std::vector<std::string> rougeTokens(std::string_view text);

// Length of the longest common subsequence of two word sequences.
[[nodiscard]] std::size_t commonSubsequenceLength(const std::vector<std::string>& a,
                                                  const std::vector<std::string>& b);

// ROUGE-L F1 with beta = 1, as in the Self-Instruct filter: P = LCS/|b|, R = LCS/|a|,
// F1 = 2PR/(P+R) = 2 LCS/(|a|+|b|). 0 when either side is empty.
[[nodiscard]] double rougeLF1(const std::vector<std::string>& a, const std::vector<std::string>& b);
[[nodiscard]] double rougeLF1(std::string_view a, std::string_view b);

// Length of the longest common subsequence of `pattern` and any text, bit-parallel (Hyyro 2004:
// V' = (V + (V & M[c])) | (V & ~M[c]), LCS = zero bits of V): O(|text| * ceil(|pattern| / 64)) word
// operations, so one pattern is compared against many texts cheaply.
class LcsMatcher {
public:
    explicit LcsMatcher(std::span<const std::uint32_t> pattern);
    [[nodiscard]] std::size_t lcsWith(std::span<const std::uint32_t> text) const;
    [[nodiscard]] std::size_t patternSize() const { return patternSize_; }

private:
    [[nodiscard]] const std::uint64_t* maskOf(std::uint32_t symbol) const;

    std::size_t patternSize_ = 0;
    std::size_t words_ = 0;             // 64-bit words per mask
    std::vector<std::uint32_t> keys_;   // open addressing: symbol + 1, 0 = empty
    std::vector<std::uint32_t> values_; // index of the symbol's mask
    std::vector<std::uint64_t> masks_;  // words_ per distinct symbol: bit i set where pattern[i] == symbol
};

} // namespace sds::quality
