#pragma once

// The two kinds of storage behind NearDuplicateIndex: the newest texts in memory, older ones in immutable
// files read with pread. Only NearDuplicateIndex uses these.

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sds::quality::detail {

using Sketch = std::array<std::uint64_t, 2>;

// Memory mapped straight from the kernel and unmapped when freed. A memory tier is replaced by a new one
// every few thousand texts; from malloc, its blocks of a few hundred KB would stay in the heap (glibc raises
// its mmap threshold after such a block is freed) and the heap would grow with each replacement.
void* mapZeroedPages(std::size_t bytes); // throws std::bad_alloc
void unmapZeroedPages(void* pointer, std::size_t bytes);

template <class T> struct PageAllocator {
    using value_type = T;
    PageAllocator() = default;
    template <class U> explicit PageAllocator(const PageAllocator<U>& /*other*/) {}
    T* allocate(std::size_t count) { return static_cast<T*>(mapZeroedPages(count * sizeof(T))); }
    void deallocate(T* pointer, std::size_t count) { unmapZeroedPages(pointer, count * sizeof(T)); }
    bool operator==(const PageAllocator& /*other*/) const { return true; }
};

// What the cheap bounds and the exact ROUGE-L need of a text.
struct TextSummary {
    Sketch sketch{};
    const std::uint32_t* words = nullptr;
    std::uint32_t length = 0;
};

// Texts firstId, firstId + 1, ... in memory, searchable by any number of threads while one inserts.
// Nothing a reader uses ever moves: texts and bucket chunks are appended in blocks that stay put, a text is
// visible once the count is published after it, and each of the 64 shards of the band table has its own
// mutex, held only to find a bucket. Shard s holds the keys whose top 6 bits are s.
class MemoryTier {
public:
    static constexpr unsigned kShardBits = 6;
    static constexpr std::size_t kShards = std::size_t{1} << kShardBits;

    explicit MemoryTier(std::size_t firstId);
    ~MemoryTier();
    MemoryTier(const MemoryTier&) = delete;
    MemoryTier& operator=(const MemoryTier&) = delete;

    [[nodiscard]] std::size_t firstId() const { return firstId_; }
    [[nodiscard]] std::size_t count() const { return count_.load(std::memory_order_acquire); }
    // Writer only: the (key, text) entries and word hashes of all texts.
    [[nodiscard]] std::uint64_t entryCount() const { return entryCount_; }
    [[nodiscard]] std::uint64_t wordCount() const { return wordCount_; }
    // The ids in [from, until) of the buckets of `keys`, newest first within a bucket, with repeats when an
    // id is in several buckets. `writer`: the caller is the inserting thread, which needs no shard mutex.
    void collect(const std::vector<std::uint32_t>& keys, std::size_t from, std::size_t until, bool writer,
                 std::vector<std::uint32_t>& ids) const;
    [[nodiscard]] const TextSummary& summary(std::size_t id) const { return summaries_[id - firstId_]; }
    void prefetch(std::size_t id) const { __builtin_prefetch(&summaries_[id - firstId_]); }
    // Writer only. The text's id is firstId() + count().
    void insert(const std::vector<std::uint32_t>& bandKeys, const std::vector<std::uint32_t>& words,
                const Sketch& sketch);
    // Writer only: every (key, id) pair of one shard's buckets, in no particular order.
    void shardEntries(std::size_t shard, std::vector<std::pair<std::uint32_t, std::uint32_t>>& entries) const;
    [[nodiscard]] std::size_t approximateBytes() const;

private:
    // A bucket of the band table: its key and either one id or (high bit set) the offset in the chunk pool
    // of its newest chunk. A chunk is [next chunk or kEmpty, used, capacity, ids...] with ids ascending;
    // capacities double from 2 to 512, so a bucket's ids are read mostly from contiguous memory.
    struct Slot {
        std::uint32_t key = 0;
        std::uint32_t value = 0;
    };
    struct alignas(64) Shard {
        std::mutex mutex; // the writer holds it to change `table`, a reader to find a bucket
        std::vector<Slot, PageAllocator<Slot>> table;
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

    [[nodiscard]] std::uint32_t bucketOf(std::uint32_t key, bool writer) const;
    template <class Visit>
    void forEachId(std::uint32_t value, std::size_t from, std::size_t until, Visit visit) const;
    void addToBucket(Shard& shard, std::uint32_t key, std::uint32_t id);
    std::uint32_t newChunk(std::uint32_t capacity, std::uint32_t next);
    const std::uint32_t* storeWords(const std::vector<std::uint32_t>& words);

    std::size_t firstId_;
    std::atomic<std::size_t> count_{0};
    std::uint64_t entryCount_ = 0;
    std::uint64_t wordCount_ = 0;
    StableArray<TextSummary, 14, 4096> summaries_;           // per text
    StableArray<std::atomic<std::uint32_t>, 18, 8192> pool_; // bucket chunks
    std::uint32_t poolUsed_ = 0;
    std::vector<std::uint32_t*> wordBlocks_; // the texts' word hashes, back to back, kWordBlock each or more
    std::vector<std::size_t> wordBlockSizes_;
    std::size_t wordBlockSize_ = 0;
    std::size_t wordBlockUsed_ = 0;
    std::size_t wordBytes_ = 0;
    std::unique_ptr<Shard[]> shards_;
};

// Which band keys may be in the files: a Bloom filter of 64-bit words, two bits a key in one word, about
// two bits an expected key. Absent keys pass with a probability of about (1 - e^(-load))^2: 0.40 once it
// holds all the keys it was sized for, 0.15 at half of them. Bits are only ever set, by one thread, before
// the files holding the keys are published, so a reader never misses a key of a file it can see; a search
// reads a file only for the keys that pass (a file lookup is a system call, the filter a memory read).
class KeyFilter {
public:
    explicit KeyFilter(std::uint64_t expectedKeys);

    void add(std::uint32_t key); // writer only
    [[nodiscard]] bool mayContain(std::uint32_t key) const {
        const auto [word, bits] = place(key);
        return (words_[word].load(std::memory_order_relaxed) & bits) == bits;
    }
    [[nodiscard]] std::size_t approximateBytes() const { return words_.size() * sizeof(std::uint64_t); }

private:
    [[nodiscard]] std::pair<std::size_t, std::uint64_t> place(std::uint32_t key) const {
        const std::uint64_t hash = (std::uint64_t{key} + 1) * 0x9E3779B97F4A7C15ULL;
        const std::uint64_t bits =
            (std::uint64_t{1} << (hash & 63U)) | (std::uint64_t{1} << ((hash >> 6U) & 63U));
        return {static_cast<std::size_t>(hash >> wordShift_), bits};
    }

    std::vector<std::atomic<std::uint64_t>, PageAllocator<std::atomic<std::uint64_t>>> words_;
    unsigned wordShift_ = 64;
};

// One (band key, text) pair of a segment, with what the cheap bounds need of the text and where its words
// are, so a bucket's candidates are one contiguous read.
struct SegmentEntry {
    std::uint32_t key = 0;
    std::uint32_t id = 0;
    std::uint32_t length = 0;
    std::uint32_t wordStart = 0; // in words from the start of the file
    Sketch sketch{};
};
static_assert(sizeof(SegmentEntry) == 32);

// Texts [firstId, endId) in a file that is written once and never changed: the texts' word hashes, then the
// keys of every (band key, text) entry sorted by key, then the entries in the same order. A lookup reads a
// block of 64 keys (256 bytes), and the entries only when the key is there. The file is unlinked as soon as
// it is created, so it goes away with the process. In memory: the first key of each block of keys (about 2
// bytes per text).
class DiskSegment {
public:
    // Both throw std::runtime_error naming the folder and the system's reason when a write fails.
    // write() adds the tier's keys to `filter`.
    static std::shared_ptr<const DiskSegment> write(const std::filesystem::path& folder,
                                                    const MemoryTier& tier, KeyFilter& filter);
    // `newer` must start where `older` ends. Returns nullptr, having written part of a file it drops, once
    // `stop` is set.
    static std::shared_ptr<const DiskSegment> merge(const std::filesystem::path& folder,
                                                    const DiskSegment& older, const DiskSegment& newer,
                                                    const std::atomic<bool>& stop);
    ~DiskSegment();
    DiskSegment(const DiskSegment&) = delete;
    DiskSegment& operator=(const DiskSegment&) = delete;

    [[nodiscard]] std::size_t firstId() const { return firstId_; }
    [[nodiscard]] std::size_t endId() const { return endId_; }
    // Calls visit(entry) for the entries of `key` with ids in [from, until), reading them a few at a time so
    // that a key shared by many texts costs no memory; returns the reads it made, or -1 when the file could
    // not be read.
    template <class Visit>
    int forEachEntry(std::uint32_t key, std::size_t from, std::size_t until, Visit visit) const;
    bool readWords(const SegmentEntry& entry, std::vector<std::uint32_t>& words) const;
    [[nodiscard]] std::size_t approximateBytes() const;
    [[nodiscard]] std::uint64_t fileBytes() const;

private:
    class Writer;
    DiskSegment() = default;
    bool readAt(void* data, std::size_t bytes, std::uint64_t offset) const;
    // Where the entries of `key` are, [first, last) in entry order; nullopt when the file could not be read.
    [[nodiscard]] std::optional<std::pair<std::uint64_t, std::uint64_t>> locate(std::uint32_t key,
                                                                                int& reads) const;
    bool readEntries(std::uint64_t first, std::size_t count, SegmentEntry* entries) const;
    [[nodiscard]] std::uint64_t keysOffset() const { return words_ * sizeof(std::uint32_t); }
    [[nodiscard]] std::uint64_t entriesOffset() const {
        return keysOffset() + entries_ * sizeof(std::uint32_t);
    }

    int fd_ = -1;
    std::size_t firstId_ = 0;
    std::size_t endId_ = 0;
    std::uint64_t words_ = 0;
    std::uint64_t entries_ = 0;
    std::vector<std::uint32_t> blockFirstKeys_;
};

template <class Visit>
int DiskSegment::forEachEntry(std::uint32_t key, std::size_t from, std::size_t until, Visit visit) const {
    if (from >= endId_ || until <= firstId_)
        return 0;
    int reads = 0;
    const auto range = locate(key, reads);
    if (!range)
        return -1;
    // A key shared by many texts is read 256 entries (8 KB) at a time: few reads, no memory that grows.
    thread_local std::vector<SegmentEntry> chunk(256);
    for (std::uint64_t at = range->first; at < range->second;) {
        const auto count =
            static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), range->second - at));
        if (!readEntries(at, count, chunk.data()))
            return -1;
        ++reads;
        at += count;
        for (std::size_t i = 0; i < count; ++i)
            if (chunk[i].id >= from && chunk[i].id < until)
                visit(chunk[i]);
    }
    return reads;
}

} // namespace sds::quality::detail
