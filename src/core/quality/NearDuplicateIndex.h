#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

namespace sds::quality {

// Where a NearDuplicateIndex keeps its data.
struct NearDuplicateStorage {
    // A folder for a spill file (created there and unlinked at once): the data then lives in the kernel's
    // page cache and on the disk, and the pages this process touches are unmapped again every few megabytes,
    // so its resident memory stays flat however many texts it holds. Empty: anonymous memory.
    std::filesystem::path spillDirectory;
    std::size_t expectedTexts = 0; // sizes the band table up front
};

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
// reader uses ever moves: all data is appended to one reserved range of addresses, a bucket entry is
// visible once its chunk's count is published after it, and each of the 64 shards of the band table has
// its own mutex, held only to find a bucket. Many threads use it optimistically: prepare() and search()
// outside the lock, then insertIfNovel(prepared, search) under it, which compares only with the texts
// inserted since that search, through the same band buckets; the outcome is the one of calling
// insertIfNovel(text) in the order the lock was taken.
//
// Data per text: its word hashes (4 bytes each) and, in each band's bucket, a 32-byte entry that carries
// what the cheap bounds need (id, length, sketch, where the words are), so a search reads its buckets from
// contiguous memory and touches nothing else until an exact ROUGE-L; plus an 8-byte slot in the band table
// per key not seen before.
class NearDuplicateIndex {
public:
    explicit NearDuplicateIndex(
        double threshold = 0.7, // ROUGE-L F1 > threshold = near-duplicate; >= 1 disables
        const NearDuplicateStorage& storage = {});
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
    [[nodiscard]] bool spilled() const;
    [[nodiscard]] std::size_t bands() const { return bands_; }
    [[nodiscard]] std::size_t rowsPerBand() const { return rows_; }
    // Work done by searches and insertIfNovel so far (for benchmarks): bucket entries met (candidates, with
    // repeats when a pair shares several bands) and exact ROUGE-L computations left after the cheap bounds.
    struct Work {
        std::uint64_t bucketEntries = 0;
        std::uint64_t rougeComputed = 0;
    };
    [[nodiscard]] Work work() const;
    [[nodiscard]] std::size_t approximateBytes() const; // all data, spilled or not

private:
    class Arena;
    struct Scan;
    struct Entry;
    struct Slot {
        std::uint32_t key = 0;
        std::uint32_t chunk = 0; // 0: empty
    };
    struct alignas(64) Shard {
        std::mutex mutex; // the writer holds it to change the table, a reader to find a bucket
        Slot* table = nullptr;
        std::size_t slots = 0;
        std::size_t used = 0;
    };

    void finish(const std::vector<std::uint64_t>& wordHashes, Prepared& prepared) const; // sketch, band keys
    // The newest chunk of the key's bucket (0 when none); locks the shard unless the caller is the writer.
    [[nodiscard]] std::uint32_t bucketOf(std::uint32_t key, bool writer) const;
    template <class Visit>
    void forEachEntry(std::uint32_t chunk, std::size_t from, std::size_t until, Visit visit) const;
    std::size_t insertPrepared(const Prepared& prepared);
    void addToBucket(Shard& shard, std::uint32_t key, const Entry& entry);
    std::uint32_t newChunk(std::uint32_t capacity, std::uint32_t next);
    void growTable(Shard& shard);

    double threshold_;
    std::size_t bands_ = 0;
    std::size_t rows_ = 0;
    std::vector<std::uint64_t> multipliers_;
    std::vector<std::uint64_t> increments_;

    std::atomic<std::size_t> count_{0};
    std::unique_ptr<Arena> arena_;
    std::unique_ptr<Shard[]> shards_;
    mutable std::atomic<std::uint64_t> bucketEntries_{0};
    mutable std::atomic<std::uint64_t> rougeComputed_{0};
    mutable std::atomic<std::uint64_t> bytesTouched_{0}; // since the last time pages were unmapped
};

} // namespace sds::quality
