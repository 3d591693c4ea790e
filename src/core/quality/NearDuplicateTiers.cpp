#include "core/quality/NearDuplicateTiers.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <sys/mman.h>
#include <type_traits>
#include <unistd.h>

namespace sds::quality::detail {
namespace {

constexpr std::uint32_t kEmpty = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint32_t kListFlag = 0x8000'0000U;
constexpr std::uint32_t kChunkHeader = 3;
constexpr std::uint32_t kMaxChunk = 512;
constexpr std::size_t kFirstShardSlots = 64;
constexpr std::size_t kWordBlock = 1U << 16U;
constexpr std::size_t kEntriesPerBlock = 64;
constexpr std::size_t kMaxBands = 128;

std::size_t shardOf(std::uint32_t key) {
    return key >> (32U - MemoryTier::kShardBits);
}

[[noreturn]] void failWriting(const std::filesystem::path& folder, int error) {
    throw std::runtime_error("near-duplicate index: cannot write its file in " + folder.string() + ": " +
                             std::strerror(error));
}

} // namespace

void* mapZeroedPages(std::size_t bytes) {
    void* pages = ::mmap(nullptr, std::max<std::size_t>(bytes, 1), PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pages == MAP_FAILED)
        throw std::bad_alloc();
    return pages;
}

void unmapZeroedPages(void* pointer, std::size_t bytes) {
    ::munmap(pointer, std::max<std::size_t>(bytes, 1));
}

// ---- MemoryTier

template <class T, unsigned kBits, std::size_t kBlocks>
MemoryTier::StableArray<T, kBits, kBlocks>::StableArray()
    : blocks_(std::make_unique<std::atomic<T*>[]>(kBlocks)) {}

template <class T, unsigned kBits, std::size_t kBlocks>
MemoryTier::StableArray<T, kBits, kBlocks>::~StableArray() {
    // The elements are trivially destructible (static_assert in reserve).
    for (std::size_t i = 0; i < allocated_; ++i)
        unmapZeroedPages(blocks_[i].load(std::memory_order_relaxed), sizeof(T) << kBits);
}

template <class T, unsigned kBits, std::size_t kBlocks>
void MemoryTier::StableArray<T, kBits, kBlocks>::reserve(std::size_t end) {
    while (capacity() < end) {
        if (allocated_ == kBlocks)
            throw std::length_error("NearDuplicateIndex: too many texts");
        static_assert(std::is_trivially_destructible_v<T>);
        // Fresh pages are zero: the value of a T that is value-initialized.
        auto* block = static_cast<T*>(mapZeroedPages(sizeof(T) << kBits));
        std::uninitialized_value_construct_n(block, std::size_t{1} << kBits);
        blocks_[allocated_++].store(block, std::memory_order_release);
    }
}

MemoryTier::MemoryTier(std::size_t firstId) : firstId_(firstId), shards_(std::make_unique<Shard[]>(kShards)) {
    for (std::size_t i = 0; i < kShards; ++i)
        shards_[i].table.assign(kFirstShardSlots, Slot{0, kEmpty});
}

MemoryTier::~MemoryTier() {
    for (std::size_t i = 0; i < wordBlocks_.size(); ++i)
        unmapZeroedPages(wordBlocks_[i], wordBlockSizes_[i] * sizeof(std::uint32_t));
}

std::uint32_t MemoryTier::bucketOf(std::uint32_t key, bool writer) const {
    Shard& shard = shards_[shardOf(key)];
    std::unique_lock lock(shard.mutex, std::defer_lock);
    if (!writer)
        lock.lock();
    const std::size_t mask = shard.table.size() - 1;
    for (std::size_t slot = key & mask; shard.table[slot].value != kEmpty; slot = (slot + 1) & mask)
        if (shard.table[slot].key == key)
            return shard.table[slot].value;
    return kEmpty;
}

// Visits the bucket's ids in [from, until), newest first.
template <class Visit>
void MemoryTier::forEachId(std::uint32_t value, std::size_t from, std::size_t until, Visit visit) const {
    if (value == kEmpty)
        return;
    if (!(value & kListFlag)) {
        if (value >= from && value < until)
            visit(value);
        return;
    }
    for (std::uint32_t chunk = value & ~kListFlag; chunk != kEmpty;
         chunk = pool_[chunk].load(std::memory_order_relaxed)) {
        if (const std::uint32_t next = pool_[chunk].load(std::memory_order_relaxed); next != kEmpty)
            __builtin_prefetch(&pool_[next]);
        const std::uint32_t used = pool_[chunk + 1].load(std::memory_order_acquire);
        for (std::uint32_t k = used; k-- > 0;) {
            const std::uint32_t id = pool_[chunk + kChunkHeader + k].load(std::memory_order_relaxed);
            if (id < from)
                return;
            if (id < until)
                visit(id);
        }
    }
}

void MemoryTier::collect(const std::vector<std::uint32_t>& keys, std::size_t from, std::size_t until,
                         bool writer, std::vector<std::uint32_t>& ids) const {
    // The buckets first, their chunks prefetched, then their ids: most buckets are small and scattered.
    std::array<std::uint32_t, kMaxBands> buckets{};
    const std::size_t count = std::min(keys.size(), kMaxBands);
    for (std::size_t i = 0; i < count; ++i) {
        buckets[i] = bucketOf(keys[i], writer);
        if (buckets[i] != kEmpty && (buckets[i] & kListFlag))
            __builtin_prefetch(&pool_[buckets[i] & ~kListFlag]);
    }
    for (std::size_t i = 0; i < count; ++i)
        forEachId(buckets[i], from, until, [&](std::uint32_t id) { ids.push_back(id); });
}

const std::uint32_t* MemoryTier::storeWords(const std::vector<std::uint32_t>& words) {
    if (words.empty())
        return nullptr;
    if (words.size() > wordBlockSize_ - wordBlockUsed_) {
        wordBlockSize_ = std::max(kWordBlock, words.size());
        wordBlocks_.reserve(wordBlocks_.size() + 1);
        wordBlockSizes_.reserve(wordBlocks_.size() + 1);
        wordBlocks_.push_back(
            static_cast<std::uint32_t*>(mapZeroedPages(wordBlockSize_ * sizeof(std::uint32_t))));
        wordBlockSizes_.push_back(wordBlockSize_);
        wordBlockUsed_ = 0;
        wordBytes_ += wordBlockSize_ * sizeof(std::uint32_t);
    }
    std::uint32_t* stored = wordBlocks_.back() + wordBlockUsed_;
    std::memcpy(stored, words.data(), words.size() * sizeof(std::uint32_t));
    wordBlockUsed_ += words.size();
    return stored;
}

std::uint32_t MemoryTier::newChunk(std::uint32_t capacity, std::uint32_t next) {
    constexpr std::uint32_t kBlock = 1U << 18U;
    const std::uint32_t size = kChunkHeader + capacity;
    if ((poolUsed_ % kBlock) + size > kBlock)
        poolUsed_ += kBlock - poolUsed_ % kBlock; // a chunk never straddles two blocks
    pool_.reserve(std::size_t{poolUsed_} + size);
    const std::uint32_t chunk = poolUsed_;
    poolUsed_ += size;
    pool_[chunk].store(next, std::memory_order_relaxed);
    pool_[chunk + 1].store(0, std::memory_order_relaxed);
    pool_[chunk + 2].store(capacity, std::memory_order_relaxed);
    return chunk;
}

void MemoryTier::addToBucket(Shard& shard, std::uint32_t key, std::uint32_t id) {
    if (4 * (shard.used + 1) > 3 * shard.table.size()) {
        std::vector<Slot, PageAllocator<Slot>> grown(shard.table.size() * 2, Slot{0, kEmpty});
        const std::size_t mask = grown.size() - 1;
        for (const auto& entry : shard.table) {
            if (entry.value == kEmpty)
                continue;
            std::size_t slot = entry.key & mask;
            while (grown[slot].value != kEmpty)
                slot = (slot + 1) & mask;
            grown[slot] = entry;
        }
        shard.table.swap(grown);
    }
    const std::size_t mask = shard.table.size() - 1;
    std::size_t slot = key & mask;
    while (shard.table[slot].value != kEmpty && shard.table[slot].key != key)
        slot = (slot + 1) & mask;
    Slot& bucket = shard.table[slot];
    if (bucket.value == kEmpty) {
        bucket = Slot{key, id};
        ++shard.used;
        return;
    }
    const auto startChunk = [&](std::uint32_t capacity, std::uint32_t next, std::uint32_t first) {
        const std::uint32_t chunk = newChunk(capacity, next);
        pool_[chunk + kChunkHeader].store(first, std::memory_order_relaxed);
        pool_[chunk + 1].store(1, std::memory_order_relaxed);
        return chunk;
    };
    if (!(bucket.value & kListFlag)) {
        const std::uint32_t chunk = startChunk(2, kEmpty, bucket.value);
        pool_[chunk + kChunkHeader + 1].store(id, std::memory_order_relaxed);
        pool_[chunk + 1].store(2, std::memory_order_relaxed);
        bucket.value = chunk | kListFlag;
        return;
    }
    const std::uint32_t head = bucket.value & ~kListFlag;
    const std::uint32_t used = pool_[head + 1].load(std::memory_order_relaxed);
    const std::uint32_t capacity = pool_[head + 2].load(std::memory_order_relaxed);
    if (used < capacity) {
        pool_[head + kChunkHeader + used].store(id, std::memory_order_relaxed);
        pool_[head + 1].store(used + 1, std::memory_order_release);
    } else {
        bucket.value = startChunk(std::min(2 * capacity, kMaxChunk), head, id) | kListFlag;
    }
}

void MemoryTier::insert(const std::vector<std::uint32_t>& bandKeys, const std::vector<std::uint32_t>& words,
                        const Sketch& sketch) {
    const std::size_t local = count_.load(std::memory_order_relaxed);
    const auto id = static_cast<std::uint32_t>(firstId_ + local);
    summaries_.reserve(local + 1);
    summaries_[local] = TextSummary{sketch, storeWords(words), static_cast<std::uint32_t>(words.size())};
    for (const auto key : bandKeys) {
        Shard& shard = shards_[shardOf(key)];
        const std::lock_guard lock(shard.mutex);
        addToBucket(shard, key, id);
    }
    entryCount_ += bandKeys.size();
    wordCount_ += words.size();
    count_.store(local + 1, std::memory_order_release);
}

void MemoryTier::shardEntries(std::size_t shard,
                              std::vector<std::pair<std::uint32_t, std::uint32_t>>& entries) const {
    for (const auto& slot : shards_[shard].table)
        forEachId(slot.value, 0, std::numeric_limits<std::size_t>::max(),
                  [&](std::uint32_t id) { entries.emplace_back(slot.key, id); });
}

std::size_t MemoryTier::approximateBytes() const {
    std::size_t bytes =
        summaries_.capacity() * sizeof(TextSummary) + pool_.capacity() * sizeof(std::uint32_t) + wordBytes_;
    for (std::size_t i = 0; i < kShards; ++i)
        bytes += shards_[i].table.capacity() * sizeof(Slot);
    return bytes;
}

// ---- KeyFilter

KeyFilter::KeyFilter(std::uint64_t expectedKeys)
    : words_(static_cast<std::size_t>(std::bit_ceil(std::max<std::uint64_t>(64, expectedKeys * 2 / 64)))),
      wordShift_(64U - static_cast<unsigned>(std::countr_zero(words_.size()))) {} // two bits a key

void KeyFilter::add(std::uint32_t key) {
    const auto [word, bits] = place(key);
    if ((words_[word].load(std::memory_order_relaxed) & bits) != bits)
        words_[word].fetch_or(bits, std::memory_order_relaxed);
}

// ---- DiskSegment

// Writes a new segment's file, whose sizes are known beforehand, through one buffer per region; the segment
// is handed out by finish().
class DiskSegment::Writer {
public:
    Writer(std::filesystem::path folder, std::uint64_t words, std::uint64_t entries)
        : folder_(std::move(folder)), segment_(new DiskSegment) {
        if (words > std::numeric_limits<std::uint32_t>::max())
            failWriting(folder_, EFBIG); // a word's place must fit in SegmentEntry::wordStart
        std::string name = (folder_ / ".near-duplicates-XXXXXX").string();
        segment_->fd_ = ::mkostemp(name.data(), O_CLOEXEC);
        if (segment_->fd_ < 0)
            failWriting(folder_, errno);
        ::unlink(name.c_str());
        // Reads need not update the access time (a few per cent of a search in a profile).
        if (const int flags = ::fcntl(segment_->fd_, F_GETFL); flags >= 0)
            ::fcntl(segment_->fd_, F_SETFL, flags | O_NOATIME);
        segment_->words_ = words;
        segment_->entries_ = entries;
        segment_->blockFirstKeys_.reserve((entries + kEntriesPerBlock - 1) / kEntriesPerBlock);
        words_.at = 0;
        keys_.at = segment_->keysOffset();
        entries_.at = segment_->entriesOffset();
    }

    void putWords(const std::uint32_t* words, std::size_t count) {
        put(words_, words, count * sizeof(std::uint32_t));
        wordsWritten_ += count;
    }
    void putEntry(const SegmentEntry& entry) {
        if (entriesWritten_ % kEntriesPerBlock == 0)
            segment_->blockFirstKeys_.push_back(entry.key);
        put(keys_, &entry.key, sizeof entry.key);
        put(entries_, &entry, sizeof entry);
        ++entriesWritten_;
    }
    [[nodiscard]] std::uint64_t wordsWritten() const { return wordsWritten_; }

    std::shared_ptr<const DiskSegment> finish(std::size_t firstId, std::size_t endId) {
        for (Region* region : {&words_, &keys_, &entries_})
            flush(*region);
        if (wordsWritten_ != segment_->words_ || entriesWritten_ != segment_->entries_)
            throw std::logic_error("near-duplicate index: a segment's sizes were not the ones announced");
        segment_->firstId_ = firstId;
        segment_->endId_ = endId;
        return std::shared_ptr<const DiskSegment>(segment_.release());
    }

private:
    static constexpr std::size_t kBufferBytes = 256U << 10U;
    struct Region {
        std::vector<char, PageAllocator<char>> buffer;
        std::uint64_t at = 0; // where the buffer goes in the file
    };

    void put(Region& region, const void* data, std::size_t bytes) {
        const auto* bytesIn = static_cast<const char*>(data);
        if (region.buffer.capacity() == 0)
            region.buffer.reserve(kBufferBytes);
        region.buffer.insert(region.buffer.end(), bytesIn, bytesIn + bytes);
        if (region.buffer.size() >= kBufferBytes)
            flush(region);
    }
    void flush(Region& region) {
        std::size_t done = 0;
        while (done < region.buffer.size()) {
            const ssize_t wrote = ::pwrite(segment_->fd_, region.buffer.data() + done,
                                           region.buffer.size() - done, static_cast<off_t>(region.at + done));
            if (wrote < 0 && errno == EINTR)
                continue;
            if (wrote <= 0)
                failWriting(folder_, wrote < 0 ? errno : ENOSPC);
            done += static_cast<std::size_t>(wrote);
        }
        region.at += done;
        region.buffer.clear();
    }

    std::filesystem::path folder_;
    std::unique_ptr<DiskSegment> segment_;
    Region words_;
    Region keys_;
    Region entries_;
    std::uint64_t wordsWritten_ = 0;
    std::uint64_t entriesWritten_ = 0;
};

DiskSegment::~DiskSegment() {
    if (fd_ >= 0)
        ::close(fd_);
}

bool DiskSegment::readAt(void* data, std::size_t bytes, std::uint64_t offset) const {
    auto* out = static_cast<char*>(data);
    while (bytes > 0) {
        const ssize_t got = ::pread(fd_, out, bytes, static_cast<off_t>(offset));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        out += got;
        bytes -= static_cast<std::size_t>(got);
        offset += static_cast<std::uint64_t>(got);
    }
    return true;
}

std::shared_ptr<const DiskSegment> DiskSegment::write(const std::filesystem::path& folder,
                                                      const MemoryTier& tier, KeyFilter& filter) {
    Writer writer(folder, tier.wordCount(), tier.entryCount());
    const std::size_t first = tier.firstId();
    const std::size_t count = tier.count();
    std::vector<std::uint32_t> wordStart(count);
    for (std::size_t i = 0; i < count; ++i) {
        const TextSummary& text = tier.summary(first + i);
        wordStart[i] = static_cast<std::uint32_t>(writer.wordsWritten());
        writer.putWords(text.words, text.length);
    }
    // Shard s holds the keys whose top bits are s, so shard by shard, each sorted, is in key order.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> entries;
    for (std::size_t shard = 0; shard < MemoryTier::kShards; ++shard) {
        entries.clear();
        tier.shardEntries(shard, entries);
        std::sort(entries.begin(), entries.end());
        for (const auto& [key, id] : entries) {
            const TextSummary& text = tier.summary(id);
            writer.putEntry(SegmentEntry{key, id, text.length, wordStart[id - first], text.sketch});
            filter.add(key);
        }
    }
    return writer.finish(first, first + count);
}

std::shared_ptr<const DiskSegment> DiskSegment::merge(const std::filesystem::path& folder,
                                                      const DiskSegment& older, const DiskSegment& newer,
                                                      const std::atomic<bool>& stop) {
    if (older.endId_ != newer.firstId_)
        throw std::logic_error("near-duplicate index: merging segments that do not follow each other");
    Writer writer(folder, older.words_ + newer.words_, older.entries_ + newer.entries_);
    const auto failReading = [&] {
        throw std::runtime_error("near-duplicate index: cannot read back its file in " + folder.string() +
                                 ": " + std::strerror(errno));
    };
    constexpr std::size_t kChunk = 1U << 16U;
    std::vector<std::uint32_t, PageAllocator<std::uint32_t>> words(kChunk);
    for (const DiskSegment* segment : {&older, &newer})
        for (std::uint64_t at = 0; at < segment->words_;) {
            if (stop.load(std::memory_order_relaxed))
                return nullptr;
            const std::size_t count = std::min<std::uint64_t>(kChunk, segment->words_ - at);
            if (!segment->readAt(words.data(), count * sizeof(std::uint32_t), at * sizeof(std::uint32_t)))
                failReading();
            writer.putWords(words.data(), count);
            at += count;
        }

    // Reads a segment's entries in order, a chunk at a time.
    struct Stream {
        const DiskSegment& segment;
        std::uint32_t wordShift;
        std::vector<SegmentEntry, PageAllocator<SegmentEntry>> chunk;
        std::size_t at = 0;
        std::uint64_t next = 0;
        bool fill() {
            const std::size_t count = std::min<std::uint64_t>(2048, segment.entries_ - next);
            chunk.resize(count);
            at = 0;
            if (count > 0 && !segment.readAt(chunk.data(), count * sizeof(SegmentEntry),
                                             segment.entriesOffset() + next * sizeof(SegmentEntry)))
                return false;
            next += count;
            for (auto& entry : chunk)
                entry.wordStart += wordShift;
            return true;
        }
        [[nodiscard]] bool done() const { return at == chunk.size() && next == segment.entries_; }
    };
    Stream a{older, 0, {}, 0, 0};
    Stream b{newer, static_cast<std::uint32_t>(older.words_), {}, 0, 0};
    for (Stream* stream : {&a, &b})
        if (!stream->fill())
            failReading();
    while (!a.done() || !b.done()) {
        Stream& from = b.done() || (!a.done() && a.chunk[a.at].key <= b.chunk[b.at].key) ? a : b;
        writer.putEntry(from.chunk[from.at++]);
        if (from.at == from.chunk.size() && from.next < from.segment.entries_) {
            if (stop.load(std::memory_order_relaxed))
                return nullptr;
            if (!from.fill())
                failReading();
        }
    }
    return writer.finish(older.firstId_, newer.endId_);
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> DiskSegment::locate(std::uint32_t key,
                                                                           int& reads) const {
    // Blocks [lower, upper) start with `key`: its entries start in the block before them (or at `lower`) and
    // end in the last block that starts at or below it. Only those two blocks are read.
    const auto begin = blockFirstKeys_.begin();
    const auto lower = std::lower_bound(begin, blockFirstKeys_.end(), key);
    const auto upper = std::upper_bound(lower, blockFirstKeys_.end(), key);
    if (upper == begin)
        return std::pair<std::uint64_t, std::uint64_t>{0, 0};
    const auto readBlock = [&](std::uint64_t block, std::array<std::uint32_t, kEntriesPerBlock>& keys) {
        const std::uint64_t first = block * kEntriesPerBlock;
        const std::size_t count = std::min<std::uint64_t>(kEntriesPerBlock, entries_ - first);
        ++reads;
        if (!readAt(keys.data(), count * sizeof(std::uint32_t), keysOffset() + first * sizeof(std::uint32_t)))
            return std::span<const std::uint32_t>{};
        return std::span<const std::uint32_t>(keys.data(), count);
    };
    const std::uint64_t startBlock = lower == begin ? 0 : static_cast<std::uint64_t>(lower - begin) - 1;
    const std::uint64_t endBlock = static_cast<std::uint64_t>(upper - begin) - 1;
    std::array<std::uint32_t, kEntriesPerBlock> keys{};
    const auto start = readBlock(startBlock, keys);
    if (start.empty())
        return std::nullopt;
    std::uint64_t first =
        startBlock * kEntriesPerBlock +
        static_cast<std::uint64_t>(std::lower_bound(start.begin(), start.end(), key) - start.begin());
    if (startBlock == endBlock) {
        const std::uint64_t last =
            startBlock * kEntriesPerBlock +
            static_cast<std::uint64_t>(std::upper_bound(start.begin(), start.end(), key) - start.begin());
        return std::pair{first, last};
    }
    const auto end = readBlock(endBlock, keys);
    if (end.empty())
        return std::nullopt;
    const std::uint64_t last =
        endBlock * kEntriesPerBlock +
        static_cast<std::uint64_t>(std::upper_bound(end.begin(), end.end(), key) - end.begin());
    return std::pair{first, last};
}

bool DiskSegment::readEntries(std::uint64_t first, std::size_t count, SegmentEntry* entries) const {
    return readAt(entries, count * sizeof(SegmentEntry), entriesOffset() + first * sizeof(SegmentEntry));
}

bool DiskSegment::readWords(const SegmentEntry& entry, std::vector<std::uint32_t>& words) const {
    words.resize(entry.length);
    return readAt(words.data(), words.size() * sizeof(std::uint32_t),
                  std::uint64_t{entry.wordStart} * sizeof(std::uint32_t));
}

std::size_t DiskSegment::approximateBytes() const {
    return sizeof(*this) + blockFirstKeys_.capacity() * sizeof(std::uint32_t);
}

std::uint64_t DiskSegment::fileBytes() const {
    return entriesOffset() + entries_ * sizeof(SegmentEntry);
}

} // namespace sds::quality::detail
