#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
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
// ROUGE-L F1 (bit-parallel LCS over 31-bit word hashes; two different words share one with probability
// 2^-31), so a reported match is a real one.
//
// Threads: prepare(), search() and find() may run on any number of threads at once, also while one thread
// inserts; insert() and insertIfNovel() need the caller's exclusive lock (one writer at a time). Nothing a
// reader uses ever moves: texts and bucket chunks are appended in blocks that stay put, a text is visible
// once the count is published after it, and each of the 64 shards of the band table has its own mutex,
// held only to find a bucket. Many threads use it optimistically: prepare() and search() outside the lock,
// then insertIfNovel(prepared, search) under it, which compares only with the texts inserted since that
// search, through the same band buckets; the outcome is the one of calling insertIfNovel(text) in the order
// the lock was taken.
//
// Memory: per text its word hashes (4 bytes each), a 32-byte summary, and one bucket entry per band (4-byte
// ids in chunks, plus an 8-byte slot in the band table for a key not seen before): about 600 bytes per kept
// question at 100 000 questions (bench/near_duplicate.cpp, docs/benchmarks.md), most of it the band table.
class NearDuplicateIndex {
public:
    explicit NearDuplicateIndex(
        double threshold = 0.7); // ROUGE-L F1 > threshold = near-duplicate; >= 1 disables
    ~NearDuplicateIndex();
    NearDuplicateIndex(const NearDuplicateIndex&) = delete;
    NearDuplicateIndex& operator=(const NearDuplicateIndex&) = delete;

    struct Match {
        bool nearDuplicate = false;
        // When nearDuplicate: the best F1 among the candidates and its id (the smallest on a tie). Otherwise
        // score <= threshold, the best of the candidates that were compared (0 when none was).
        double score = 0;
        std::size_t matchedId = 0;
    };

    // 128 bits, one per word hash's top 7 bits: a word of one text that is in the other sets a bit of the
    // other's sketch, so counting the words whose bit is set bounds the common words, and so the LCS.
    using Sketch = std::array<std::uint64_t, 2>;
    // What a search needs of a text, computed without the index's data.
    struct Prepared {
        std::vector<std::uint32_t> ids;       // per word, 31 bits of its hash
        std::vector<std::uint8_t> sketchBits; // per word
        Sketch sketch{};
        std::vector<std::uint32_t> bandKeys;
    };
    // The best match among the first `searched` texts.
    struct Search {
        Match match;
        std::size_t searched = 0;
    };

    [[nodiscard]] Prepared prepare(std::string_view text) const;
    [[nodiscard]] Search search(const Prepared& prepared) const;
    [[nodiscard]] Match find(std::string_view text) const;
    std::size_t insert(std::string_view text); // returns the id: 0, 1, 2, ...
    // Completes `earlier` (a search of `prepared`) with the texts inserted since, then inserts `prepared`
    // when it is not a near-duplicate.
    Match insertIfNovel(const Prepared& prepared, const Search& earlier);
    Match insertIfNovel(std::string_view text);
    [[nodiscard]] std::size_t size() const { return count_.load(std::memory_order_acquire); }

    [[nodiscard]] double threshold() const { return threshold_; }
    [[nodiscard]] bool enabled() const { return bands_ > 0; }
    [[nodiscard]] std::size_t bands() const { return bands_; }
    [[nodiscard]] std::size_t rowsPerBand() const { return rows_; }
    // Work done by searches and insertIfNovel so far (for benchmarks): bucket entries met (candidates, with
    // repeats when a pair shares several bands) and exact ROUGE-L computations left after the cheap bounds.
    struct Work {
        std::uint64_t bucketEntries = 0;
        std::uint64_t rougeComputed = 0;
    };
    [[nodiscard]] Work work() const;
    [[nodiscard]] std::size_t approximateBytes() const;

private:
    struct Summary {
        Sketch sketch{};
        const std::uint32_t* words = nullptr;
        std::uint32_t length = 0;
    };
    // A bucket of the band table: its key and either one id or (high bit set) the offset in the chunk pool
    // of its newest chunk. A chunk is [next chunk or kEmpty, used, capacity, ids...] with ids ascending;
    // capacities double from 2 to 512, so a bucket's ids are read mostly from contiguous memory.
    struct Slot {
        std::uint32_t key = 0;
        std::uint32_t value = 0;
    };
    struct alignas(64) Shard {
        std::mutex mutex; // the writer holds it to change `table`, a reader to find a bucket
        std::vector<Slot> table;
        std::size_t used = 0;
    };
    // Blocks of 2^kBits elements under a directory that never grows: elements never move.
    template <class T, unsigned kBits, std::size_t kBlocks> class StableArray {
    public:
        StableArray();
        ~StableArray();
        StableArray(const StableArray&) = delete;
        StableArray& operator=(const StableArray&) = delete;
        T& operator[](std::size_t i) const {
            return blocks_[i >> kBits].load(std::memory_order_relaxed)[i & ((std::size_t{1} << kBits) - 1)];
        }
        void reserve(std::size_t end); // writer only
        [[nodiscard]] std::size_t capacity() const { return allocated_ << kBits; }

    private:
        std::unique_ptr<std::atomic<T*>[]> blocks_;
        std::size_t allocated_ = 0;
    };
    struct Scan; // one text's comparisons with candidates

    void finish(const std::vector<std::uint64_t>& wordHashes, Prepared& prepared) const; // sketch, band keys
    // The bucket's value for `key` (kEmpty when none); locks the shard unless the caller is the writer.
    [[nodiscard]] std::uint32_t bucketOf(std::uint32_t key, bool writer) const;
    template <class Visit>
    void forEachCandidate(std::uint32_t value, std::size_t from, std::size_t until, Visit visit) const;
    std::size_t insertPrepared(const Prepared& prepared);
    void addToBucket(Shard& shard, std::uint32_t key, std::uint32_t id);
    std::uint32_t newChunk(std::uint32_t capacity, std::uint32_t next);
    const std::uint32_t* storeWords(const std::vector<std::uint32_t>& ids);

    double threshold_;
    std::size_t bands_ = 0;
    std::size_t rows_ = 0;
    std::vector<std::uint64_t> multipliers_;
    std::vector<std::uint64_t> increments_;

    std::atomic<std::size_t> count_{0};
    StableArray<Summary, 14, 4096> summaries_;               // per text
    StableArray<std::atomic<std::uint32_t>, 18, 8192> pool_; // bucket chunks
    std::uint32_t poolUsed_ = 0;
    std::vector<std::unique_ptr<std::uint32_t[]>> wordBlocks_; // the texts' word hashes, back to back
    std::size_t wordBlockSize_ = 0;
    std::size_t wordBlockUsed_ = 0;
    std::size_t wordBytes_ = 0;
    std::unique_ptr<Shard[]> shards_;
    mutable std::atomic<std::uint64_t> bucketEntries_{0};
    mutable std::atomic<std::uint64_t> rougeComputed_{0};
};

} // namespace sds::quality
