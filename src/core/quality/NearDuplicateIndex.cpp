#include "core/quality/NearDuplicateIndex.h"

#include "core/quality/RougeL.h"

#include <algorithm>
#include <cmath>
#include <limits>

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

} // namespace

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
    table_.assign(1024, Slot{0, kEmpty});
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
    std::vector<std::uint64_t> minima(hashes, std::numeric_limits<std::uint64_t>::max());
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

NearDuplicateIndex::Prepared NearDuplicateIndex::prepare(std::string_view text) {
    Prepared prepared;
    const auto tokens = rougeTokens(text);
    std::vector<std::uint64_t> hashes;
    hashes.reserve(tokens.size());
    prepared.ids.reserve(tokens.size());
    for (const auto& token : tokens) {
        const auto [it, added] =
            vocabulary_.try_emplace(token, static_cast<std::uint32_t>(vocabulary_.size()));
        prepared.ids.push_back(it->second);
        hashes.push_back(wordHash(token));
    }
    finish(hashes, prepared);
    return prepared;
}

NearDuplicateIndex::Prepared NearDuplicateIndex::prepareConst(std::string_view text) const {
    Prepared prepared;
    const auto tokens = rougeTokens(text);
    std::unordered_map<std::string_view, std::uint32_t> unknown;
    std::vector<std::uint64_t> hashes;
    hashes.reserve(tokens.size());
    prepared.ids.reserve(tokens.size());
    for (const auto& token : tokens) {
        if (const auto it = vocabulary_.find(token); it != vocabulary_.end()) {
            prepared.ids.push_back(it->second);
        } else {
            const auto next = static_cast<std::uint32_t>(vocabulary_.size() + unknown.size());
            prepared.ids.push_back(unknown.try_emplace(token, next).first->second);
        }
        hashes.push_back(wordHash(token));
    }
    finish(hashes, prepared);
    return prepared;
}

NearDuplicateIndex::Match NearDuplicateIndex::findPrepared(const Prepared& prepared, Work* work) const {
    Match best;
    if (!enabled() || prepared.bandKeys.empty())
        return best;
    const LcsMatcher matcher(prepared.ids);
    const std::size_t length = prepared.ids.size();
    // A candidate that shares several bands is met several times; it costs its bounds again, not its LCS.
    const auto consider = [&](std::uint32_t id) {
        if (work)
            ++work->bucketEntries;
        const Summary& summary = summaries_[id];
        const std::size_t otherLength = summary.length;
        const double total = static_cast<double>(length + otherLength);
        // The LCS is at most the shorter text and at most the words of this text whose sketch bit the other
        // text has set: F1 <= 2 min(...) / (|a| + |b|). Skip what cannot beat the threshold or the best.
        const auto cannotWin = [&](std::size_t lcsBound) {
            const double bound = 2.0 * static_cast<double>(lcsBound) / total;
            return bound <= threshold_ || bound < best.score || (bound == best.score && id >= best.matchedId);
        };
        if (cannotWin(std::min(length, otherLength)))
            return;
        std::size_t common = 0;
        for (const auto bit : prepared.sketchBits)
            common += (summary.sketch[bit / 64U] >> (bit % 64U)) & 1U;
        if (cannotWin(std::min({common, length, otherLength})))
            return;
        if (work)
            ++work->rougeComputed;
        const std::span<const std::uint32_t> other(words_.data() + summary.offset, otherLength);
        const double score = 2.0 * static_cast<double>(matcher.lcsWith(other)) / total;
        if (score > best.score || (score == best.score && score > 0 && id < best.matchedId)) {
            best.score = score;
            best.matchedId = id;
        }
    };
    const std::size_t mask = table_.size() - 1;
    for (const auto key : prepared.bandKeys) {
        for (std::size_t slot = key & mask; table_[slot].value != kEmpty; slot = (slot + 1) & mask) {
            if (table_[slot].key != key)
                continue;
            const std::uint32_t value = table_[slot].value;
            if (value & kListFlag) {
                for (std::uint32_t chunk = value & ~kListFlag; chunk != kEmpty; chunk = pool_[chunk]) {
                    const std::uint32_t* ids = pool_.data() + chunk + kChunkHeader;
                    const std::uint32_t used = pool_[chunk + 1];
                    for (std::uint32_t k = 0; k < used; ++k) {
                        if (k + 8 < used)
                            __builtin_prefetch(&summaries_[ids[k + 8]]); // the texts are scattered
                        consider(ids[k]);
                    }
                }
            } else {
                consider(value);
            }
            break;
        }
    }
    best.nearDuplicate = best.score > threshold_;
    return best;
}

void NearDuplicateIndex::growTable() {
    std::vector<Slot> old(table_.size() * 2, Slot{0, kEmpty});
    old.swap(table_);
    const std::size_t mask = table_.size() - 1;
    for (const auto& entry : old) {
        if (entry.value == kEmpty)
            continue;
        std::size_t slot = entry.key & mask;
        while (table_[slot].value != kEmpty)
            slot = (slot + 1) & mask;
        table_[slot] = entry;
    }
}

void NearDuplicateIndex::addToBucket(std::uint32_t key, std::uint32_t id) {
    if (4 * (usedSlots_ + 1) > 3 * table_.size())
        growTable();
    const std::size_t mask = table_.size() - 1;
    std::size_t slot = key & mask;
    while (table_[slot].value != kEmpty && table_[slot].key != key)
        slot = (slot + 1) & mask;
    Slot& bucket = table_[slot];
    if (bucket.value == kEmpty) {
        bucket = Slot{key, id};
        ++usedSlots_;
    } else if (bucket.value & kListFlag) {
        const std::uint32_t head = bucket.value & ~kListFlag;
        if (pool_[head + 1] < pool_[head + 2]) {
            pool_[head + kChunkHeader + pool_[head + 1]++] = id;
        } else {
            const std::uint32_t chunk = newChunk(std::min(2 * pool_[head + 2], kMaxChunk), head);
            pool_[chunk + kChunkHeader] = id;
            pool_[chunk + 1] = 1;
            table_[slot].value = chunk | kListFlag;
        }
    } else {
        const std::uint32_t chunk = newChunk(2, kEmpty);
        pool_[chunk + kChunkHeader] = bucket.value;
        pool_[chunk + kChunkHeader + 1] = id;
        pool_[chunk + 1] = 2;
        table_[slot].value = chunk | kListFlag;
    }
}

std::uint32_t NearDuplicateIndex::newChunk(std::uint32_t capacity, std::uint32_t next) {
    const auto chunk = static_cast<std::uint32_t>(pool_.size());
    pool_.resize(pool_.size() + kChunkHeader + capacity, 0);
    pool_[chunk] = next;
    pool_[chunk + 2] = capacity;
    return chunk;
}

std::size_t NearDuplicateIndex::insertPrepared(const Prepared& prepared) {
    const std::size_t id = count_++;
    if (!enabled())
        return id;
    summaries_.push_back(Summary{prepared.sketch, static_cast<std::uint32_t>(words_.size()),
                                 static_cast<std::uint32_t>(prepared.ids.size())});
    words_.insert(words_.end(), prepared.ids.begin(), prepared.ids.end());
    for (const auto key : prepared.bandKeys)
        addToBucket(key, static_cast<std::uint32_t>(id));
    return id;
}

NearDuplicateIndex::Match NearDuplicateIndex::find(std::string_view text) const {
    if (!enabled())
        return {};
    return findPrepared(prepareConst(text), nullptr);
}

std::size_t NearDuplicateIndex::insert(std::string_view text) {
    if (!enabled())
        return count_++;
    return insertPrepared(prepare(text));
}

NearDuplicateIndex::Match NearDuplicateIndex::insertIfNovel(std::string_view text) {
    if (!enabled()) {
        ++count_;
        return {};
    }
    const Prepared prepared = prepare(text);
    const Match match = findPrepared(prepared, &work_);
    if (!match.nearDuplicate)
        insertPrepared(prepared);
    return match;
}

std::size_t NearDuplicateIndex::approximateBytes() const {
    std::size_t bytes = words_.capacity() * sizeof(std::uint32_t) + summaries_.capacity() * sizeof(Summary) +
                        table_.capacity() * sizeof(Slot) + pool_.capacity() * sizeof(std::uint32_t);
    for (const auto& [word, id] : vocabulary_)
        bytes += sizeof(word) + sizeof(id) + 2 * sizeof(void*) + (word.capacity() > 15 ? word.capacity() : 0);
    return bytes;
}

} // namespace sds::quality
