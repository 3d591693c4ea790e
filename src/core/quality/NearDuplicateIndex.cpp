#include "core/quality/NearDuplicateIndex.h"

#include "core/quality/RougeL.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <new>
#include <optional>
#include <stdexcept>
#include <sys/mman.h>
#include <unistd.h>

namespace sds::quality {
namespace {

constexpr std::size_t kMaxHashes = 128;
constexpr std::size_t kMaxRows = 8;
constexpr double kTargetRecall = 0.9;
constexpr std::uint64_t kSeed = 0x5D5F'2024'0A11'CE00ULL;
constexpr unsigned kShardBits = 6;
constexpr std::size_t kShards = std::size_t{1} << kShardBits;
constexpr std::size_t kFirstShardSlots = 64;
constexpr std::uint32_t kMaxChunk = 64; // entries
constexpr std::uint64_t kUnit = 16;     // chunks are numbered in units of this many bytes
constexpr std::uint64_t kReservedBytes = kUnit << 32U;
constexpr std::uint64_t kFileStep = 64U << 20U;
constexpr std::uint64_t kPage = 4096;
// Spilled: the pages of the spill file this process has touched are unmapped again once about this many
// bytes may have been touched, so they never add more than that to its resident memory.
constexpr std::uint64_t kResidentBudget = 8U << 20U;

std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31U);
}

std::uint64_t mix64(std::uint64_t z) {
    z = (z ^ (z >> 33U)) * 0xFF51AFD7ED558CCDULL;
    z = (z ^ (z >> 33U)) * 0xC4CEB9FE1A85EC53ULL;
    return z ^ (z >> 33U);
}

std::uint64_t wordHash(std::string_view word) {
    std::uint64_t hash = 0xCBF29CE484222325ULL; // FNV-1a, then mixed
    for (const char c : word) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001B3ULL;
    }
    return mix64(hash);
}

// Probability that a pair with Jaccard similarity j shares at least one of b bands of r rows.
double candidateProbability(double j, std::size_t rows, std::size_t bands) {
    return 1.0 - std::pow(1.0 - std::pow(j, static_cast<double>(rows)), static_cast<double>(bands));
}

std::size_t shardOf(std::uint32_t key) {
    return key >> (32U - kShardBits);
}

std::uint64_t roundUp(std::uint64_t value, std::uint64_t step) {
    return (value + step - 1) / step * step;
}

struct ChunkHeader {
    std::uint32_t next; // the bucket's next older chunk, 0 for none
    std::uint32_t used; // published with release after the entries it counts
    std::uint32_t capacity;
    std::uint32_t reserved;
};

} // namespace

// A bucket entry: a text's id and what the cheap bounds and the exact ROUGE-L need of it.
struct NearDuplicateIndex::Entry {
    Sketch sketch{};
    std::uint32_t id = 0;
    std::uint32_t length = 0;
    std::uint64_t words = 0; // arena offset of the word hashes
};

// One reserved range of addresses that never moves, filled from the start by the writer: anonymous memory,
// or a spill file mapped shared.
class NearDuplicateIndex::Arena {
public:
    explicit Arena(const std::filesystem::path& spillDirectory) {
        if (!spillDirectory.empty()) {
            const auto path = spillDirectory / "near-duplicates.spill";
            constexpr int flags = O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC;
            fd_ = ::open(path.c_str(), flags | O_NOATIME, 0600);
            if (fd_ < 0 && errno == EPERM) // O_NOATIME needs the file's owner
                fd_ = ::open(path.c_str(), flags, 0600);
            if (fd_ >= 0)
                ::unlink(path.c_str());
        }
        void* base = MAP_FAILED;
        if (fd_ >= 0) {
            base =
                ::mmap(nullptr, kReservedBytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd_, 0);
            if (base == MAP_FAILED) {
                ::close(fd_);
                fd_ = -1;
            }
        }
        if (base == MAP_FAILED)
            base = ::mmap(nullptr, kReservedBytes, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (base == MAP_FAILED)
            throw std::bad_alloc();
        base_ = static_cast<std::byte*>(base);
    }
    ~Arena() {
        ::munmap(base_, kReservedBytes);
        if (fd_ >= 0)
            ::close(fd_);
    }
    Arena(const Arena&) = delete;
    Arena& operator=(const Arena&) = delete;

    [[nodiscard]] std::byte* at(std::uint64_t offset) const { return base_ + offset; }
    [[nodiscard]] bool spilled() const { return fd_ >= 0; }
    [[nodiscard]] std::uint64_t used() const { return used_; }

    // Zeroed bytes, aligned to kUnit.
    std::uint64_t allocate(std::uint64_t bytes) {
        const std::uint64_t offset = used_;
        const std::uint64_t end = offset + roundUp(bytes, kUnit);
        if (end > kReservedBytes)
            throw std::length_error("NearDuplicateIndex: too many texts");
        if (fd_ >= 0 && end > fileSize_) {
            const std::uint64_t size = std::min(kReservedBytes, roundUp(end, kFileStep));
            if (::ftruncate(fd_, static_cast<off_t>(size)) != 0)
                throw std::runtime_error("NearDuplicateIndex: cannot grow the spill file: " +
                                         std::string(std::strerror(errno)));
            fileSize_ = size;
        }
        used_ = end;
        return offset;
    }

    // Gives back the whole pages of a range that is no longer read.
    void release(std::uint64_t offset, std::uint64_t bytes) {
        const std::uint64_t first = roundUp(offset, kPage);
        const std::uint64_t last = (offset + bytes) / kPage * kPage;
        if (last <= first)
            return;
        if (fd_ >= 0)
            ::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(first),
                        static_cast<off_t>(last - first));
        ::madvise(base_ + first, last - first, MADV_DONTNEED);
    }

    // Spilled only: drops this process's mappings of the file's pages; they stay in the page cache, and
    // readers that use them meanwhile map them again.
    void unmapTouchedPages() {
        if (fd_ >= 0)
            ::madvise(base_, roundUp(used_, kPage), MADV_DONTNEED);
    }

private:
    int fd_ = -1;
    std::byte* base_ = nullptr;
    std::uint64_t used_ = kUnit; // offset 0 stays unused, so chunk 0 means none
    std::uint64_t fileSize_ = 0;
};

// One text's comparisons with candidates: the best match so far and the work done.
struct NearDuplicateIndex::Scan {
    static_assert(sizeof(Entry) == 32);
    const NearDuplicateIndex& index;
    const Prepared& prepared;
    Match best;
    std::optional<LcsMatcher> matcher;
    std::uint64_t entries = 0;
    std::uint64_t computed = 0;

    // A candidate that shares several bands is met several times; it costs its bounds again, not its LCS.
    void consider(const Entry& entry) {
        ++entries;
        const std::size_t id = entry.id;
        const std::size_t length = prepared.ids.size();
        const std::size_t otherLength = entry.length;
        const double total = static_cast<double>(length + otherLength);
        // The LCS is at most the shorter text and at most the words of this text whose sketch bit the other
        // text has set: F1 <= 2 min(...) / (|a| + |b|). Skip what cannot beat the threshold or the best.
        const auto cannotWin = [&](std::size_t lcsBound) {
            const double bound = 2.0 * static_cast<double>(lcsBound) / total;
            return bound <= index.threshold_ || bound < best.score ||
                   (bound == best.score && id >= best.matchedId);
        };
        if (cannotWin(std::min(length, otherLength)))
            return;
        std::size_t common = 0;
        for (const auto bit : prepared.sketchBits)
            common += (entry.sketch[bit / 64U] >> (bit % 64U)) & 1U;
        if (cannotWin(std::min({common, length, otherLength})))
            return;
        ++computed;
        if (!matcher)
            matcher.emplace(prepared.ids);
        const std::span<const std::uint32_t> other(
            reinterpret_cast<const std::uint32_t*>(index.arena_->at(entry.words)), otherLength);
        const double score = 2.0 * static_cast<double>(matcher->lcsWith(other)) / total;
        if (score > best.score || (score == best.score && score > 0 && id < best.matchedId)) {
            best.score = score;
            best.matchedId = id;
        }
    }

    Match finish() {
        index.bucketEntries_.fetch_add(entries, std::memory_order_relaxed);
        index.rougeComputed_.fetch_add(computed, std::memory_order_relaxed);
        index.bytesTouched_.fetch_add(entries * sizeof(Entry) + computed * 2 * kUnit * 4 + index.bands_ * 64,
                                      std::memory_order_relaxed);
        best.nearDuplicate = best.score > index.threshold_;
        return best;
    }
};

NearDuplicateIndex::NearDuplicateIndex(double threshold, const NearDuplicateStorage& storage)
    : threshold_(threshold) {
    if (!(threshold_ < 1.0))
        return; // disabled: no F1 is above 1
    const double jaccard = std::max(threshold_, 0.0) / (2.0 - std::max(threshold_, 0.0));
    rows_ = 1;
    for (std::size_t rows = kMaxRows; rows >= 1; --rows) {
        if (candidateProbability(jaccard, rows, kMaxHashes / rows) >= kTargetRecall) {
            rows_ = rows;
            break;
        }
    }
    bands_ = kMaxHashes / rows_;
    std::uint64_t state = kSeed;
    for (std::size_t i = 0; i < bands_ * rows_; ++i) {
        multipliers_.push_back(splitmix64(state) | 1U);
        increments_.push_back(splitmix64(state));
    }
    arena_ = std::make_unique<Arena>(storage.spillDirectory);
    shards_ = std::make_unique<Shard[]>(kShards);
    const std::size_t expectedKeys = storage.expectedTexts * bands_ / kShards;
    const std::size_t slots = std::bit_ceil(std::max(kFirstShardSlots, expectedKeys * 4 / 3 + 1));
    for (std::size_t i = 0; i < kShards; ++i) {
        shards_[i].slots = slots;
        shards_[i].table = reinterpret_cast<Slot*>(arena_->at(arena_->allocate(slots * sizeof(Slot))));
    }
}

NearDuplicateIndex::~NearDuplicateIndex() = default;

bool NearDuplicateIndex::spilled() const {
    return arena_ && arena_->spilled();
}

void NearDuplicateIndex::finish(const std::vector<std::uint64_t>& wordHashes, Prepared& prepared) const {
    if (wordHashes.empty())
        return;
    prepared.sketchBits.reserve(wordHashes.size());
    for (const auto x : wordHashes) {
        const auto bit = static_cast<std::uint8_t>(x >> 57U);
        prepared.sketchBits.push_back(bit);
        prepared.sketch[bit / 64U] |= std::uint64_t{1} << (bit % 64U);
    }
    const std::size_t hashes = bands_ * rows_;
    std::array<std::uint64_t, kMaxHashes> minima{};
    minima.fill(std::numeric_limits<std::uint64_t>::max());
    for (const auto x : wordHashes)
        for (std::size_t i = 0; i < hashes; ++i)
            minima[i] = std::min(minima[i], multipliers_[i] * x + increments_[i]);
    prepared.bandKeys.reserve(bands_);
    for (std::size_t band = 0; band < bands_; ++band) {
        std::uint64_t key = mix64(band + 1);
        for (std::size_t row = 0; row < rows_; ++row)
            key = mix64(key ^ minima[band * rows_ + row]);
        prepared.bandKeys.push_back(static_cast<std::uint32_t>(key >> 32U));
    }
}

NearDuplicateIndex::Prepared NearDuplicateIndex::prepare(std::string_view text) const {
    Prepared prepared;
    if (!enabled())
        return prepared;
    const auto tokens = rougeTokens(text);
    std::vector<std::uint64_t> hashes;
    hashes.reserve(tokens.size());
    prepared.ids.reserve(tokens.size());
    for (const auto& token : tokens) {
        const std::uint64_t hash = wordHash(token);
        prepared.ids.push_back(static_cast<std::uint32_t>(hash) & 0x7FFF'FFFFU);
        hashes.push_back(hash);
    }
    finish(hashes, prepared);
    return prepared;
}

std::uint32_t NearDuplicateIndex::bucketOf(std::uint32_t key, bool writer) const {
    Shard& shard = shards_[shardOf(key)];
    std::unique_lock lock(shard.mutex, std::defer_lock);
    if (!writer)
        lock.lock();
    const std::size_t mask = shard.slots - 1;
    for (std::size_t slot = key & mask; shard.table[slot].chunk != 0; slot = (slot + 1) & mask)
        if (shard.table[slot].key == key)
            return shard.table[slot].chunk;
    return 0;
}

// Visits the entries of the bucket whose newest chunk is `chunk` with ids in [from, until), newest first.
template <class Visit>
void NearDuplicateIndex::forEachEntry(std::uint32_t chunk, std::size_t from, std::size_t until,
                                      Visit visit) const {
    while (chunk != 0) {
        auto* header = reinterpret_cast<ChunkHeader*>(arena_->at(std::uint64_t{chunk} * kUnit));
        const auto* entries = reinterpret_cast<const Entry*>(header + 1);
        const std::uint32_t used =
            std::atomic_ref<std::uint32_t>(header->used).load(std::memory_order_acquire);
        for (std::uint32_t k = used; k-- > 0;) {
            const Entry& entry = entries[k];
            if (entry.id < from)
                return;
            if (entry.id < until)
                visit(entry);
        }
        chunk = header->next;
    }
}

NearDuplicateIndex::Search NearDuplicateIndex::search(const Prepared& prepared) const {
    Search result;
    result.searched = size();
    if (!enabled() || prepared.bandKeys.empty())
        return result;
    Scan scan{*this, prepared, {}, std::nullopt, 0, 0};
    for (const auto key : prepared.bandKeys)
        forEachEntry(bucketOf(key, false), 0, result.searched, [&](const Entry& e) { scan.consider(e); });
    result.match = scan.finish();
    return result;
}

NearDuplicateIndex::Match NearDuplicateIndex::insertIfNovel(const Prepared& prepared, const Search& earlier) {
    if (!enabled()) {
        count_.fetch_add(1, std::memory_order_release);
        return {};
    }
    Scan scan{*this, prepared, earlier.match, std::nullopt, 0, 0};
    const std::size_t count = count_.load(std::memory_order_relaxed);
    if (earlier.searched < count)
        for (const auto key : prepared.bandKeys)
            forEachEntry(bucketOf(key, true), earlier.searched, count,
                         [&](const Entry& e) { scan.consider(e); });
    const Match match = scan.finish();
    if (!match.nearDuplicate)
        insertPrepared(prepared);
    return match;
}

NearDuplicateIndex::Match NearDuplicateIndex::insertIfNovel(std::string_view text) {
    return insertIfNovel(prepare(text), Search{});
}

NearDuplicateIndex::Match NearDuplicateIndex::find(std::string_view text) const {
    if (!enabled())
        return {};
    return search(prepare(text)).match;
}

std::size_t NearDuplicateIndex::insert(std::string_view text) {
    if (!enabled())
        return count_.fetch_add(1, std::memory_order_release);
    return insertPrepared(prepare(text));
}

std::uint32_t NearDuplicateIndex::newChunk(std::uint32_t capacity, std::uint32_t next) {
    const std::uint64_t offset = arena_->allocate(sizeof(ChunkHeader) + capacity * sizeof(Entry));
    auto* header = reinterpret_cast<ChunkHeader*>(arena_->at(offset));
    header->next = next;
    header->capacity = capacity;
    return static_cast<std::uint32_t>(offset / kUnit);
}

void NearDuplicateIndex::growTable(Shard& shard) {
    const std::size_t slots = shard.slots * 2;
    const std::uint64_t offset = arena_->allocate(slots * sizeof(Slot));
    auto* grown = reinterpret_cast<Slot*>(arena_->at(offset));
    for (std::size_t i = 0; i < shard.slots; ++i) {
        const Slot entry = shard.table[i];
        if (entry.chunk == 0)
            continue;
        std::size_t slot = entry.key & (slots - 1);
        while (grown[slot].chunk != 0)
            slot = (slot + 1) & (slots - 1);
        grown[slot] = entry;
    }
    const auto oldOffset =
        static_cast<std::uint64_t>(reinterpret_cast<std::byte*>(shard.table) - arena_->at(0));
    const std::size_t oldSlots = shard.slots;
    shard.table = grown;
    shard.slots = slots;
    arena_->release(oldOffset, oldSlots * sizeof(Slot));
}

void NearDuplicateIndex::addToBucket(Shard& shard, std::uint32_t key, const Entry& entry) {
    if (4 * (shard.used + 1) > 3 * shard.slots)
        growTable(shard);
    const std::size_t mask = shard.slots - 1;
    std::size_t slot = key & mask;
    while (shard.table[slot].chunk != 0 && shard.table[slot].key != key)
        slot = (slot + 1) & mask;
    Slot& bucket = shard.table[slot];
    const auto startChunk = [&](std::uint32_t capacity, std::uint32_t next) {
        const std::uint32_t chunk = newChunk(capacity, next);
        auto* header = reinterpret_cast<ChunkHeader*>(arena_->at(std::uint64_t{chunk} * kUnit));
        *reinterpret_cast<Entry*>(header + 1) = entry;
        // Published by the shard's mutex, with the bucket's new head.
        std::atomic_ref<std::uint32_t>(header->used).store(1, std::memory_order_relaxed);
        return chunk;
    };
    if (bucket.chunk == 0) {
        bucket = Slot{key, startChunk(1, 0)};
        ++shard.used;
        return;
    }
    auto* header = reinterpret_cast<ChunkHeader*>(arena_->at(std::uint64_t{bucket.chunk} * kUnit));
    std::atomic_ref<std::uint32_t> used(header->used);
    if (const std::uint32_t count = used.load(std::memory_order_relaxed); count < header->capacity) {
        reinterpret_cast<Entry*>(header + 1)[count] = entry;
        used.store(count + 1, std::memory_order_release);
    } else {
        bucket.chunk = startChunk(std::min(2 * header->capacity, kMaxChunk), bucket.chunk);
    }
}

std::size_t NearDuplicateIndex::insertPrepared(const Prepared& prepared) {
    const std::size_t id = count_.load(std::memory_order_relaxed);
    Entry entry{prepared.sketch, static_cast<std::uint32_t>(id),
                static_cast<std::uint32_t>(prepared.ids.size()), 0};
    if (!prepared.ids.empty()) {
        entry.words = arena_->allocate(prepared.ids.size() * sizeof(std::uint32_t));
        std::memcpy(arena_->at(entry.words), prepared.ids.data(),
                    prepared.ids.size() * sizeof(std::uint32_t));
    }
    for (const auto key : prepared.bandKeys) {
        Shard& shard = shards_[shardOf(key)];
        const std::lock_guard lock(shard.mutex);
        addToBucket(shard, key, entry);
    }
    count_.store(id + 1, std::memory_order_release);
    const std::uint64_t touched = bytesTouched_.fetch_add(prepared.bandKeys.size() * (sizeof(Entry) + 64) +
                                                              prepared.ids.size() * sizeof(std::uint32_t),
                                                          std::memory_order_relaxed);
    if (arena_->spilled() && arena_->used() > kResidentBudget && touched > kResidentBudget) {
        arena_->unmapTouchedPages();
        bytesTouched_.store(0, std::memory_order_relaxed);
    }
    return id;
}

NearDuplicateIndex::Work NearDuplicateIndex::work() const {
    return {bucketEntries_.load(std::memory_order_relaxed), rougeComputed_.load(std::memory_order_relaxed)};
}

std::size_t NearDuplicateIndex::approximateBytes() const {
    return arena_ ? arena_->used() : 0;
}

} // namespace sds::quality
