#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace sds::quality {
namespace detail {
class KeyFilter;
class MemoryTier;
} // namespace detail

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
// inserts; insert() and insertIfNovel() need the caller's exclusive lock (one writer at a time). Many threads
// use it optimistically: prepare() and search() outside the lock, then insertIfNovel(prepared, search) under
// it, which compares only with the texts inserted since that search, through the same band buckets; the
// outcome is the one of calling insertIfNovel(text) in the order the lock was taken.
//
// Memory: the newest texts are in memory (detail::MemoryTier: per text its word hashes, a 32-byte summary and
// one bucket entry per band, about 600 bytes per text). Given a folder, once `hotLimit` texts are in memory
// the writer hands that tier to a filing thread and starts a new one; the filing thread writes the full tier
// to a file there (unlinked at once, so nothing is left behind) as (band key, text) entries sorted by key,
// each with the text's length, sketch and where its words are, and merges files of similar size, so at most
// about log2(n / hotLimit) + 1 of them are read by a search: per band and file one or two reads of 64 keys,
// one per 256 of the key's entries, and one per candidate whose words are compared (detail::DiskSegment).
// Until its file is ready a full tier is searched in memory; a writer that fills a second tier before the
// first is filed waits. What stays in memory per text on disk is the first key of each block of 64 keys,
// about 2 bytes, and 2 bits per band key in a filter of the keys in files (detail::KeyFilter, 8 bytes a
// text), which spares the reads of most keys that are in no file. A search in files costs more CPU than
// one in memory, nearly all of it in the reads (docs/benchmarks.md). A reader keeps the tiers and files it
// started with until it is done (shared pointers), so a search never sees them change. A write or merge
// that fails (disk full) keeps everything in memory from then on and says so once in the log; a read that
// fails finds nothing in that file and is counted in work().
class NearDuplicateIndex {
public:
    static constexpr std::size_t kDefaultHotLimit = 8192;
    // Where texts go once `hotLimit` are in memory; an empty folder keeps them all in memory.
    struct Spill {
        std::filesystem::path folder;
        std::size_t hotLimit = kDefaultHotLimit;
        // Sizes the filter of the keys in files (2 bits a band key, 8 bytes a text at the default
        // threshold); 0 means 4 x hotLimit. More texts than this only let more lookups through to the files.
        std::size_t expectedTexts = 0;
    };

    // ROUGE-L F1 > threshold = near-duplicate; >= 1 disables
    explicit NearDuplicateIndex(double threshold = 0.7);
    NearDuplicateIndex(double threshold, Spill spill);
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
    // repeats when a pair shares several bands), exact ROUGE-L computations left after the cheap bounds,
    // reads of the files and reads that failed.
    struct Work {
        std::uint64_t bucketEntries = 0;
        std::uint64_t rougeComputed = 0;
        std::uint64_t fileReads = 0;
        std::uint64_t failedReads = 0;
    };
    [[nodiscard]] Work work() const;
    // Heap held now: the texts in memory and, per file, its block keys.
    [[nodiscard]] std::size_t approximateBytes() const;
    [[nodiscard]] std::size_t files() const;
    [[nodiscard]] std::uint64_t fileBytes() const;
    // Waits until every full memory tier is in a file and no merge is due (tests, benchmarks).
    void waitUntilFiled() const;
    // Why texts stopped going to files (empty while they do, or without a folder).
    [[nodiscard]] std::string spillError() const;

private:
    struct View; // the memory tier and the files, as one reader sees them
    struct Scan; // one text's comparisons with candidates

    void finish(const std::vector<std::uint64_t>& wordHashes, Prepared& prepared) const; // sketch, band keys
    [[nodiscard]] std::shared_ptr<const View> view() const;
    // Compares with the texts [from, until) of `view`.
    void compare(Scan& scan, const View& view, std::size_t from, std::size_t until, bool writer) const;
    std::size_t insertPrepared(const Prepared& prepared);
    void freezeHotTier(); // writer only
    void fileInBackground();

    double threshold_;
    std::size_t bands_ = 0;
    std::size_t rows_ = 0;
    std::vector<std::uint64_t> multipliers_;
    std::vector<std::uint64_t> increments_;
    Spill spill_;

    std::atomic<std::size_t> count_{0};
    std::shared_ptr<detail::MemoryTier> hot_; // the writer's, also in view_
    mutable std::mutex viewMutex_;
    std::shared_ptr<const View> view_; // replaced, never changed, under viewMutex_
    mutable std::condition_variable filerWake_;
    mutable std::condition_variable filerDone_; // a tier filed, files merged, or filing failed
    std::atomic<bool> stopping_{false};
    std::atomic<bool> spillFailed_{false};
    std::string spillError_;                       // under viewMutex_
    std::shared_ptr<detail::KeyFilter> filedKeys_; // the filing thread's, made with the first file
    mutable std::atomic<std::uint64_t> bucketEntries_{0};
    mutable std::atomic<std::uint64_t> rougeComputed_{0};
    mutable std::atomic<std::uint64_t> fileReads_{0};
    mutable std::atomic<std::uint64_t> failedReads_{0};
    std::thread filer_; // writes full tiers to files and merges them; started with the first full tier
};

} // namespace sds::quality
