#include "core/quality/NearDuplicateIndex.h"

#include "core/quality/RougeL.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace sds::quality {
namespace {

constexpr std::size_t kMaxHashes = 128;
constexpr std::size_t kMaxRows = 8;
constexpr double kTargetRecall = 0.9;
constexpr std::uint32_t kEmpty = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint32_t kListFlag = 0x8000'0000U;
constexpr std::uint32_t kChunkHeader = 3;
constexpr std::uint32_t kMaxChunk = 512;
constexpr std::uint64_t kSeed = 0x5D5F'2024'0A11'CE00ULL;
constexpr unsigned kShardBits = 6;
constexpr std::size_t kShards = std::size_t{1} << kShardBits;
constexpr std::size_t kFirstShardSlots = 64;
constexpr std::size_t kWordBlock = 1U << 16U;

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

} // namespace

template <class T, unsigned kBits, std::size_t kBlocks>
NearDuplicateIndex::StableArray<T, kBits, kBlocks>::StableArray()
    : blocks_(std::make_unique<std::atomic<T*>[]>(kBlocks)) {}

template <class T, unsigned kBits, std::size_t kBlocks>
NearDuplicateIndex::StableArray<T, kBits, kBlocks>::~StableArray() {
    for (std::size_t i = 0; i < allocated_; ++i)
        delete[] blocks_[i].load(std::memory_order_relaxed);
}

template <class T, unsigned kBits, std::size_t kBlocks>
void NearDuplicateIndex::StableArray<T, kBits, kBlocks>::reserve(std::size_t end) {
    while (capacity() < end) {
        if (allocated_ == kBlocks)
            throw std::length_error("NearDuplicateIndex: too many texts");
        blocks_[allocated_++].store(new T[std::size_t{1} << kBits](), std::memory_order_release);
    }
}

// One text's comparisons with candidates: the best match so far and the work done.
struct NearDuplicateIndex::Scan {
    const NearDuplicateIndex& index;
    const Prepared& prepared;
    Match best;
    std::optional<LcsMatcher> matcher;
    std::uint64_t entries = 0;
    std::uint64_t computed = 0;

    // A candidate that shares several bands is met several times; it costs its bounds again, not its LCS.
    void consider(std::uint32_t id) {
        ++entries;
        const Summary& summary = index.summaries_[id];
        const std::size_t length = prepared.ids.size();
        const std::size_t otherLength = summary.length;
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
            common += (summary.sketch[bit / 64U] >> (bit % 64U)) & 1U;
        if (cannotWin(std::min({common, length, otherLength})))
            return;
        ++computed;
        if (!matcher)
            matcher.emplace(prepared.ids);
        const std::span<const std::uint32_t> other(summary.words, otherLength);
        const double score = 2.0 * static_cast<double>(matcher->lcsWith(other)) / total;
        if (score > best.score || (score == best.score && score > 0 && id < best.matchedId)) {
            best.score = score;
            best.matchedId = id;
        }
    }

    Match finish() {
        index.bucketEntries_.fetch_add(entries, std::memory_order_relaxed);
        index.rougeComputed_.fetch_add(computed, std::memory_order_relaxed);
        best.nearDuplicate = best.score > index.threshold_;
        return best;
    }
};

NearDuplicateIndex::NearDuplicateIndex(double threshold) : threshold_(threshold) {
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
    shards_ = std::make_unique<Shard[]>(kShards);
    for (std::size_t i = 0; i < kShards; ++i)
        shards_[i].table.assign(kFirstShardSlots, Slot{0, kEmpty});
}

NearDuplicateIndex::~NearDuplicateIndex() = default;

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
    std::array<std::uint64_t, kMaxHashes> minima;
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
    const std::size_t mask = shard.table.size() - 1;
    for (std::size_t slot = key & mask; shard.table[slot].value != kEmpty; slot = (slot + 1) & mask)
        if (shard.table[slot].key == key)
            return shard.table[slot].value;
    return kEmpty;
}

// Visits the bucket's ids in [from, until), newest first.
template <class Visit>
void NearDuplicateIndex::forEachCandidate(std::uint32_t value, std::size_t from, std::size_t until,
                                          Visit visit) const {
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

NearDuplicateIndex::Search NearDuplicateIndex::search(const Prepared& prepared) const {
    Search result;
    result.searched = size();
    if (!enabled() || prepared.bandKeys.empty())
        return result;
    // The buckets' ids first, then the candidates with the summaries of those a few places ahead prefetched:
    // the summaries are scattered, and most buckets are small.
    std::array<std::uint32_t, kMaxHashes> buckets{};
    for (std::size_t band = 0; band < prepared.bandKeys.size(); ++band) {
        buckets[band] = bucketOf(prepared.bandKeys[band], false);
        if (buckets[band] != kEmpty && (buckets[band] & kListFlag))
            __builtin_prefetch(&pool_[buckets[band] & ~kListFlag]);
    }
    thread_local std::vector<std::uint32_t> candidates;
    candidates.clear();
    for (std::size_t band = 0; band < prepared.bandKeys.size(); ++band)
        forEachCandidate(buckets[band], 0, result.searched,
                         [&](std::uint32_t id) { candidates.push_back(id); });
    constexpr std::size_t kAhead = 16;
    Scan scan{*this, prepared, {}, std::nullopt, 0, 0};
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        if (i + kAhead < candidates.size())
            __builtin_prefetch(&summaries_[candidates[i + kAhead]]);
        scan.consider(candidates[i]);
    }
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
            forEachCandidate(bucketOf(key, true), earlier.searched, count,
                             [&](std::uint32_t id) { scan.consider(id); });
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

const std::uint32_t* NearDuplicateIndex::storeWords(const std::vector<std::uint32_t>& ids) {
    if (ids.empty())
        return nullptr;
    if (ids.size() > wordBlockSize_ - wordBlockUsed_) {
        wordBlockSize_ = std::max(kWordBlock, ids.size());
        wordBlocks_.push_back(std::make_unique_for_overwrite<std::uint32_t[]>(wordBlockSize_));
        wordBlockUsed_ = 0;
        wordBytes_ += wordBlockSize_ * sizeof(std::uint32_t);
    }
    std::uint32_t* words = wordBlocks_.back().get() + wordBlockUsed_;
    std::memcpy(words, ids.data(), ids.size() * sizeof(std::uint32_t));
    wordBlockUsed_ += ids.size();
    return words;
}

std::uint32_t NearDuplicateIndex::newChunk(std::uint32_t capacity, std::uint32_t next) {
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

void NearDuplicateIndex::addToBucket(Shard& shard, std::uint32_t key, std::uint32_t id) {
    if (4 * (shard.used + 1) > 3 * shard.table.size()) {
        std::vector<Slot> grown(shard.table.size() * 2, Slot{0, kEmpty});
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

std::size_t NearDuplicateIndex::insertPrepared(const Prepared& prepared) {
    const std::size_t id = count_.load(std::memory_order_relaxed);
    summaries_.reserve(id + 1);
    summaries_[id] =
        Summary{prepared.sketch, storeWords(prepared.ids), static_cast<std::uint32_t>(prepared.ids.size())};
    for (const auto key : prepared.bandKeys) {
        Shard& shard = shards_[shardOf(key)];
        const std::lock_guard lock(shard.mutex);
        addToBucket(shard, key, static_cast<std::uint32_t>(id));
    }
    count_.store(id + 1, std::memory_order_release);
    return id;
}

NearDuplicateIndex::Work NearDuplicateIndex::work() const {
    return {bucketEntries_.load(std::memory_order_relaxed), rougeComputed_.load(std::memory_order_relaxed)};
}

std::size_t NearDuplicateIndex::approximateBytes() const {
    std::size_t bytes =
        summaries_.capacity() * sizeof(Summary) + pool_.capacity() * sizeof(std::uint32_t) + wordBytes_;
    if (shards_)
        for (std::size_t i = 0; i < kShards; ++i)
            bytes += shards_[i].table.capacity() * sizeof(Slot);
    return bytes;
}

} // namespace sds::quality
