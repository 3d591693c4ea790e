#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sds::quality {

// Finds texts whose ROUGE-L F1 (rougeLF1) with an earlier text is above a threshold, the Self-Instruct
// near-duplicate filter, without comparing each new text with all earlier ones.
//
// Candidates come from MinHash over each text's set of distinct words (128 hash functions
// h_i(x) = a_i x + b_i mod 2^64 over a 64-bit word hash, fixed seed) cut into b bands of r rows: two texts
// are candidates when all r minima of some band agree. Two word sets with Jaccard similarity J agree in a
// band with probability J^r, so in at least one band with P(J) = 1 - (1 - J^r)^b. A ROUGE-L F1 of F means
// an LCS of F(|a|+|b|)/2 words, all of them shared, so (without repeated words) J >= F / (2 - F): F = 0.7
// gives J >= 0.538, F = 0.75 gives J >= 0.6. For the default threshold 0.7 the index picks r = 4, b = 32:
//   P(0.538) = 1 - (1 - 0.538^4)^32 = 1 - 0.916^32 = 0.94   (pairs right at F = 0.70, worst case)
//   P(0.600) = 1 - (1 - 0.600^4)^32 = 1 - 0.870^32 = 0.988  (F = 0.75)
//   P(0.667) = 1 - (1 - 0.667^4)^32 = 0.9991               (F = 0.80)
// and most real pairs share words outside their LCS too, so their J is above the bound. Other thresholds
// get the largest r (at most 8, with b = 128 / r) whose P at J = t / (2 - t) is still >= 0.9. Unrelated
// pairs (J ~ 0.1-0.3) become candidates with P ~ 32 J^4, 0.3 %-26 % (questions sharing an opening such as
// "Write a Python function that" are the expensive ones). Each candidate is bounded cheaply first (by length,
// and by the words whose bit is set in the other's 128-bit word sketch), then checked with the exact
// ROUGE-L F1 (bit-parallel LCS), so a reported match is always a real one.
//
// Memory: per text its word ids (4 bytes each), a 24-byte summary, and 32 bucket entries (one per band) in
// an open-addressing table of 8-byte slots plus chunks of ids for shared buckets; with the vocabulary, about
// 700 bytes per kept question at 100 000 questions (bench/near_duplicate.cpp, docs/benchmarks.md), most of
// it the band table. Ids must stay below 2^31.
//
// Not synchronised: find() may run concurrently with other find() calls, insert() and insertIfNovel()
// need the caller's exclusive lock.
class NearDuplicateIndex {
public:
    explicit NearDuplicateIndex(
        double threshold = 0.7); // ROUGE-L F1 > threshold = near-duplicate; >= 1 disables

    struct Match {
        bool nearDuplicate = false;
        // When nearDuplicate: the best F1 among the candidates and its id (the smallest on a tie). Otherwise
        // score <= threshold, the best of the candidates that were compared (0 when none was).
        double score = 0;
        std::size_t matchedId = 0;
    };

    [[nodiscard]] Match find(std::string_view text) const;
    std::size_t insert(std::string_view text); // returns the id: 0, 1, 2, ...
    // find, then insert when not a near-duplicate; one call under the caller's lock.
    Match insertIfNovel(std::string_view text);
    [[nodiscard]] std::size_t size() const { return count_; }

    [[nodiscard]] double threshold() const { return threshold_; }
    [[nodiscard]] bool enabled() const { return bands_ > 0; }
    [[nodiscard]] std::size_t bands() const { return bands_; }
    [[nodiscard]] std::size_t rowsPerBand() const { return rows_; }
    // Work done by insertIfNovel so far (for benchmarks): bucket entries met (candidates, with repeats when
    // a pair shares several bands) and exact ROUGE-L computations left after the cheap bounds.
    struct Work {
        std::uint64_t bucketEntries = 0;
        std::uint64_t rougeComputed = 0;
    };
    [[nodiscard]] const Work& work() const { return work_; }
    [[nodiscard]] std::size_t approximateBytes() const;

private:
    // 128 bits, one per word hash's top 7 bits: a word of one text that is in the other sets a bit of the
    // other's sketch, so counting the words whose bit is set bounds the common words, and so the LCS.
    using Sketch = std::array<std::uint64_t, 2>;
    struct Prepared {
        std::vector<std::uint32_t> ids;       // unknown words get ids >= the vocabulary size
        std::vector<std::uint8_t> sketchBits; // per word
        Sketch sketch{};
        std::vector<std::uint32_t> bandKeys;
    };
    // A bucket of the band table: its key and either one id or (high bit set) the offset in pool_ of its
    // newest chunk of ids. A chunk is [next chunk or kEmpty, used, capacity, ids...]; capacities double
    // from 2 to 512, so a bucket's ids are read mostly from contiguous memory.
    struct Slot {
        std::uint32_t key = 0;
        std::uint32_t value = 0;
    };

    [[nodiscard]] Prepared prepare(std::string_view text); // adds new words to the vocabulary
    [[nodiscard]] Prepared prepareConst(std::string_view text) const;
    void finish(const std::vector<std::uint64_t>& wordHashes, Prepared& prepared) const; // sketch, band keys
    [[nodiscard]] Match findPrepared(const Prepared& prepared, Work* work) const;
    std::size_t insertPrepared(const Prepared& prepared);
    void addToBucket(std::uint32_t key, std::uint32_t id);
    void growTable();
    std::uint32_t newChunk(std::uint32_t capacity, std::uint32_t next);

    double threshold_;
    std::size_t bands_ = 0;
    std::size_t rows_ = 0;
    std::vector<std::uint64_t> multipliers_;
    std::vector<std::uint64_t> increments_;

    std::size_t count_ = 0;
    std::unordered_map<std::string, std::uint32_t> vocabulary_;
    std::vector<std::uint32_t> words_; // all texts' word ids, back to back
    struct Summary {
        Sketch sketch{};
        std::uint32_t offset = 0; // the text's words are words_[offset, offset + length)
        std::uint32_t length = 0;
    };
    std::vector<Summary> summaries_; // per text
    std::vector<Slot> table_;        // open addressing on the band key (keys of all bands in one table)
    std::size_t usedSlots_ = 0;
    std::vector<std::uint32_t> pool_; // chunks of the buckets holding more than one id
    Work work_;
};

} // namespace sds::quality
