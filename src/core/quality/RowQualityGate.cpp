#include "core/quality/RowQualityGate.h"

#include "core/Text.h"
#include "core/quality/RougeL.h"
#include "core/quality/SqlValidator.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <unordered_map>

namespace sds::quality {
namespace {

// Limits, chosen so that the real degenerate answers of a small model are caught and ordinary code is not:
// code may draw a rule of 79 '-' or '#', close a dozen Lisp parentheses, or list a dozen zeros.
constexpr std::size_t kMaxWhitespaceRun = 100;
constexpr std::size_t kMaxLetterRun = 40;      // "0000…" of a 128-bit zero is 32
constexpr std::size_t kMaxPunctuationRun = 16; // other than rules and brackets: "!!!!…", "''''…"
constexpr std::size_t kMaxPatternSpan = 120;   // a pattern of up to 8 characters repeated: rules, "-=-=…"
constexpr std::size_t kLongestPattern = 8;
constexpr int kMaxBracketImbalance = 20; // more closing than opening brackets in a row, or the reverse
constexpr int kMaxBracketSpan = 64;      // brackets in a row, balanced or not

constexpr std::size_t kLongestLoopUnit = 12;    // words in the phrase that repeats
constexpr int kMaxWordRepeats = 8;              // "is_valid() is_valid() …": one word
constexpr int kMaxPhraseRepeats = 5;            // "I love Python. I love Python. …"
constexpr std::size_t kMinPhraseLoopWords = 15; // a phrase loop must cover this many words
constexpr int kMaxNumberRepeats = 32;           // "0, 0, 0, …": data may repeat longer than words
constexpr std::size_t kMinWordsForDominance = 20;
constexpr double kMaxDominantWordShare = 0.5;

constexpr std::size_t kMinCharactersForPunctuation = 16;
constexpr std::size_t kMinRuleLength = 4;
constexpr double kMinWordCharacterShare = 0.15; // a nested JSON literal such as {"a": {"b": [1, 2]}} has 0.22

constexpr std::size_t kMinEchoWords = 4;
constexpr double kMinEchoedShare = 0.9;       // of the answer's words, in order, taken from the question
constexpr double kMinExampleSimilarity = 0.8; // ROUGE-L F1 with an example's answer

bool isSpace(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// Letters and digits, and every byte of a non-ASCII character (UTF-8 text in other scripts).
bool isWordCharacter(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return std::isalnum(byte) != 0 || byte >= 0x80;
}

bool isBracket(char c) {
    return c == '(' || c == ')' || c == '[' || c == ']' || c == '{' || c == '}';
}

bool isOpeningBracket(char c) {
    return c == '(' || c == '[' || c == '{';
}

// Characters code repeats to draw rules and banners: "# -----", "////////", "=====".
bool isRuleCharacter(char c) {
    return std::string_view("-=#*_~+/.<>").find(c) != std::string_view::npos;
}

bool hasLongRunOfOneCharacter(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        std::size_t end = i + 1;
        if (isSpace(c)) {
            while (end < text.size() && isSpace(text[end]))
                ++end;
            if (end - i >= kMaxWhitespaceRun)
                return true;
        } else {
            while (end < text.size() && text[end] == c)
                ++end;
            const std::size_t run = end - i;
            if (isWordCharacter(c) && run >= kMaxLetterRun)
                return true;
            if (!isWordCharacter(c) && !isRuleCharacter(c) && !isBracket(c) && run >= kMaxPunctuationRun)
                return true;
        }
        i = end;
    }
    return false;
}

bool hasLongRepeatedPattern(std::string_view text) {
    for (std::size_t period = 1; period <= kLongestPattern; ++period) {
        std::size_t run = 0;
        for (std::size_t i = period; i < text.size(); ++i) {
            run = text[i] == text[i - period] ? run + 1 : 0;
            if (run + period >= kMaxPatternSpan && !isSpace(text[i]))
                return true;
        }
    }
    return false;
}

// A stretch of brackets with only separators between them, as in "less.}}],}]}]]})}}}]}})}}}}".
bool hasBracketFlood(std::string_view text) {
    const auto isSeparator = [](char c) {
        return isSpace(c) || c == ',' || c == ';' || c == '.';
    };
    std::size_t i = 0;
    while (i < text.size()) {
        if (!isBracket(text[i])) {
            ++i;
            continue;
        }
        int opening = 0;
        int closing = 0;
        for (; i < text.size() && (isBracket(text[i]) || isSeparator(text[i])); ++i) {
            if (isBracket(text[i]))
                ++(isOpeningBracket(text[i]) ? opening : closing);
        }
        if (std::abs(opening - closing) >= kMaxBracketImbalance || opening + closing >= kMaxBracketSpan)
            return true;
    }
    return false;
}

std::vector<std::string_view> whitespaceTokens(std::string_view text) {
    std::vector<std::string_view> tokens;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && isSpace(text[i]))
            ++i;
        const std::size_t start = i;
        while (i < text.size() && !isSpace(text[i]))
            ++i;
        if (i > start)
            tokens.push_back(text.substr(start, i - start));
    }
    return tokens;
}

bool hasLetter(std::string_view token) {
    return std::any_of(token.begin(), token.end(), [](char c) {
        return std::isalpha(static_cast<unsigned char>(c)) != 0 || static_cast<unsigned char>(c) >= 0x80;
    });
}

std::string_view withoutEdgePunctuation(std::string_view token) {
    while (!token.empty() && !isWordCharacter(token.front()))
        token.remove_prefix(1);
    while (!token.empty() && !isWordCharacter(token.back()))
        token.remove_suffix(1);
    return token;
}

// The same unit of 1..12 words repeated back to back more often than text or data would.
bool hasRepeatedPhrase(const std::vector<std::string_view>& tokens) {
    for (std::size_t period = 1; period <= kLongestLoopUnit && period < tokens.size(); ++period) {
        std::size_t run = 0;
        for (std::size_t i = period; i <= tokens.size(); ++i) {
            if (i < tokens.size() && tokens[i] == tokens[i - period]) {
                ++run;
                continue;
            }
            if (run > 0) {
                const std::size_t covered = run + period;
                const auto repeats = static_cast<int>(covered / period);
                const auto unitStart = tokens.begin() + static_cast<std::ptrdiff_t>(i - covered);
                const bool words = std::any_of(unitStart, unitStart + static_cast<std::ptrdiff_t>(period),
                                               [](std::string_view token) { return hasLetter(token); });
                if (!words && repeats >= kMaxNumberRepeats)
                    return true;
                if (words && period == 1 && repeats >= kMaxWordRepeats)
                    return true;
                if (words && period > 1 && repeats >= kMaxPhraseRepeats && covered >= kMinPhraseLoopWords)
                    return true;
            }
            run = 0;
        }
    }
    return false;
}

// One word making up most of a longer text, repeated with other words between its copies.
bool hasDominantWord(const std::vector<std::string_view>& tokens) {
    std::unordered_map<std::string_view, std::size_t> counts;
    std::size_t words = 0;
    for (const auto token : tokens) {
        if (!hasLetter(token))
            continue;
        ++words;
        ++counts[withoutEdgePunctuation(token)];
    }
    if (words < kMinWordsForDominance)
        return false;
    const auto top = std::max_element(counts.begin(), counts.end(),
                                      [](const auto& a, const auto& b) { return a.second < b.second; });
    return static_cast<double>(top->second) > kMaxDominantWordShare * static_cast<double>(words);
}

// Rules such as "# -----" are left out: a comment banner is not punctuation noise.
bool isMostlyPunctuation(std::string_view text) {
    std::size_t visible = 0;
    std::size_t wordCharacters = 0;
    for (std::size_t i = 0; i < text.size();) {
        std::size_t end = i + 1;
        while (end < text.size() && text[end] == text[i])
            ++end;
        const std::size_t run = end - i;
        if (!isSpace(text[i]) && !(isRuleCharacter(text[i]) && run >= kMinRuleLength)) {
            visible += run;
            wordCharacters += isWordCharacter(text[i]) ? run : 0;
        }
        i = end;
    }
    return visible >= kMinCharactersForPunctuation &&
           static_cast<double>(wordCharacters) < kMinWordCharacterShare * static_cast<double>(visible);
}

bool echoesQuestion(std::string_view question, std::string_view answer) {
    const auto answerWords = rougeTokens(answer);
    const auto questionWords = rougeTokens(question);
    if (answerWords.empty())
        return false;
    if (answerWords == questionWords)
        return true;
    if (answerWords.size() < kMinEchoWords)
        return false;
    const auto shared = commonSubsequenceLength(answerWords, questionWords);
    return static_cast<double>(shared) >= kMinEchoedShare * static_cast<double>(answerWords.size());
}

// Tab, newline and carriage return are text; any other C0 control character or DEL is not.
bool hasControlCharacter(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return (byte < 0x20 && c != '\t' && c != '\n' && c != '\r') || byte == 0x7f;
    });
}

// Gemma's "<start_of_image>", "<end_of_turn>", ...; ChatML's "<|im_start|>", "<|endoftext|>".
bool hasSpecialTokenText(std::string_view text) {
    for (const std::string_view marker : {"<start_of_", "<end_of_", "<|im_", "<|endoftext|>", "<|eot_id|>"})
        if (text.find(marker) != std::string_view::npos)
            return true;
    return false;
}

bool hasCode(std::string_view answer) {
    const auto blocks = extractCodeBlocks(answer);
    return std::any_of(blocks.begin(), blocks.end(),
                       [](const CodeBlock& block) { return !text::trim(block.code).empty(); });
}

} // namespace

std::string_view reasonName(RejectionReason reason) {
    switch (reason) {
    case RejectionReason::None:
        return "none";
    case RejectionReason::Repetition:
        return "repetition";
    case RejectionReason::Looping:
        return "looping";
    case RejectionReason::Punctuation:
        return "punctuation";
    case RejectionReason::NoCode:
        return "nocode";
    case RejectionReason::NoSql:
        return "nosql";
    case RejectionReason::Echo:
        return "echo";
    case RejectionReason::Example:
        return "example";
    case RejectionReason::Garbled:
        return "garbled";
    }
    return "none";
}

int RejectionCounts::total() const {
    int sum = 0;
    for (const int count : m_counts)
        sum += count;
    return sum;
}

RejectionCounts& RejectionCounts::operator+=(const RejectionCounts& other) {
    for (std::size_t i = 0; i < m_counts.size(); ++i)
        m_counts[i] += other.m_counts[i];
    return *this;
}

nlohmann::json RejectionCounts::toJson() const {
    nlohmann::json json = nlohmann::json::object();
    for (std::size_t i = 1; i < m_counts.size(); ++i)
        json[std::string(reasonName(static_cast<RejectionReason>(i)))] = m_counts[i];
    return json;
}

RejectionCounts RejectionCounts::fromJson(const nlohmann::json& json) {
    RejectionCounts counts;
    if (!json.is_object())
        return counts;
    for (std::size_t i = 1; i < counts.m_counts.size(); ++i) {
        const auto found = json.find(std::string(reasonName(static_cast<RejectionReason>(i))));
        if (found != json.end() && found->is_number_integer() && found->get<int>() > 0)
            counts.m_counts[i] = found->get<int>();
    }
    return counts;
}

std::string RejectionCounts::describe() const {
    std::vector<std::size_t> order;
    for (std::size_t i = 1; i < m_counts.size(); ++i)
        if (m_counts[i] > 0)
            order.push_back(i);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return m_counts[a] > m_counts[b]; });
    std::string text;
    for (const auto i : order)
        text += (text.empty() ? "" : ", ") + std::to_string(m_counts[i]) + " " +
                std::string(reasonName(static_cast<RejectionReason>(i)));
    return text;
}

RejectionReason degenerateTextReason(std::string_view text) {
    if (hasControlCharacter(text) || hasSpecialTokenText(text))
        return RejectionReason::Garbled;
    if (hasLongRunOfOneCharacter(text) || hasBracketFlood(text) || hasLongRepeatedPattern(text))
        return RejectionReason::Repetition;
    const auto tokens = whitespaceTokens(text);
    if (hasRepeatedPhrase(tokens) || hasDominantWord(tokens))
        return RejectionReason::Looping;
    if (isMostlyPunctuation(text))
        return RejectionReason::Punctuation;
    return RejectionReason::None;
}

RowQualityGate::RowQualityGate(ValidatorKind validator, const std::vector<Example>& examples)
    : m_validator(validator) {
    for (const auto& example : examples)
        m_exampleAnswerWords.push_back(rougeTokens(example.solution));
}

RowQualityGate::RowQualityGate(std::string_view validator, const std::vector<Example>& examples)
    : RowQualityGate(validatorKindFromString(validator).value_or(ValidatorKind::None), examples) {}

RejectionReason RowQualityGate::check(std::string_view question, std::string_view answer) const {
    for (const auto text : {question, answer})
        if (const auto reason = degenerateTextReason(text); reason != RejectionReason::None)
            return reason;
    if (echoesQuestion(question, answer))
        return RejectionReason::Echo;
    if (!m_exampleAnswerWords.empty()) {
        const auto answerWords = rougeTokens(answer);
        for (const auto& exampleWords : m_exampleAnswerWords)
            if (rougeLF1(answerWords, exampleWords) >= kMinExampleSimilarity)
                return RejectionReason::Example;
    }
    if (m_validator == ValidatorKind::Code && !hasCode(answer))
        return RejectionReason::NoCode;
    if (m_validator == ValidatorKind::Sql && !containsSqlStatement(answer))
        return RejectionReason::NoSql;
    return RejectionReason::None;
}

} // namespace sds::quality
