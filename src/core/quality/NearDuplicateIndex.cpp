#include "core/quality/NearDuplicateIndex.h"

#include "core/quality/NearDuplicateTiers.h"
#include "core/quality/RougeL.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <spdlog/spdlog.h>
#include <stdexcept>

namespace sds::quality {
namespace {

constexpr std::size_t kMaxHashes = 128;
constexpr std::size_t kMaxRows = 8;
constexpr double kTargetRecall = 0.9;
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

struct NearDuplicateIndex::View {
    std::shared_ptr<detail::MemoryTier> hot; // the newest texts, from hot->firstId()
    // Full tiers waiting for their file, oldest first.
    std::vector<std::shared_ptr<const detail::MemoryTier>> frozen;
    std::vector<std::shared_ptr<const detail::DiskSegment>> files; // the older ones, oldest first
    std::shared_ptr<const detail::KeyFilter> filedKeys;            // set when there are files

    // Like a binary counter: the newest file is merged into the one before while that one is less than
    // twice its size, so files double in size from newest to oldest and each text is rewritten about
    // log2(n / hotLimit) times.
    [[nodiscard]] bool mergeDue() const {
        const auto texts = [](const detail::DiskSegment& file) {
            return file.endId() - file.firstId();
        };
        return files.size() >= 2 && texts(*files[files.size() - 2]) < 2 * texts(*files.back());
    }
};

// One text's comparisons with candidates: the best match so far and the work done.
struct NearDuplicateIndex::Scan {
    const NearDuplicateIndex& index;
    const Prepared& prepared;
    Match best;
    std::optional<LcsMatcher> matcher;
    std::uint64_t entries = 0;
    std::uint64_t computed = 0;
    std::uint64_t reads = 0;
    std::uint64_t failedReads = 0;

    // Whether the exact ROUGE-L of candidate `id` could beat the threshold and the best so far. A candidate
    // that shares several bands is met several times; it costs its bounds again, not its LCS.
    bool worthComparing(std::size_t id, std::size_t otherLength, const Sketch& otherSketch) {
        ++entries;
        const std::size_t length = prepared.ids.size();
        const double total = static_cast<double>(length + otherLength);
        // The LCS is at most the shorter text and at most the words of this text whose sketch bit the other
        // text has set: F1 <= 2 min(...) / (|a| + |b|). Skip what cannot beat the threshold or the best.
        const auto cannotWin = [&](std::size_t lcsBound) {
            const double bound = 2.0 * static_cast<double>(lcsBound) / total;
            return bound <= index.threshold_ || bound < best.score ||
                   (bound == best.score && id >= best.matchedId);
        };
        if (cannotWin(std::min(length, otherLength)))
            return false;
        std::size_t common = 0;
        for (const auto bit : prepared.sketchBits)
            common += (otherSketch[bit / 64U] >> (bit % 64U)) & 1U;
        return !cannotWin(std::min({common, length, otherLength}));
    }

    void compare(std::size_t id, std::span<const std::uint32_t> other) {
        ++computed;
        if (!matcher)
            matcher.emplace(prepared.ids);
        const double score = 2.0 * static_cast<double>(matcher->lcsWith(other)) /
                             static_cast<double>(prepared.ids.size() + other.size());
        if (score > best.score || (score == best.score && score > 0 && id < best.matchedId)) {
            best.score = score;
            best.matchedId = id;
        }
    }

    Match finish() {
        index.bucketEntries_.fetch_add(entries, std::memory_order_relaxed);
        index.rougeComputed_.fetch_add(computed, std::memory_order_relaxed);
        if (reads > 0)
            index.fileReads_.fetch_add(reads, std::memory_order_relaxed);
        if (failedReads > 0)
            index.failedReads_.fetch_add(failedReads, std::memory_order_relaxed);
        best.nearDuplicate = best.score > index.threshold_;
        return best;
    }
};

NearDuplicateIndex::NearDuplicateIndex(double threshold) : NearDuplicateIndex(threshold, Spill{}) {}

NearDuplicateIndex::NearDuplicateIndex(double threshold, Spill spill)
    : threshold_(threshold), spill_(std::move(spill)) {
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
    hot_ = std::make_shared<detail::MemoryTier>(0);
    view_ = std::make_shared<const View>(View{hot_, {}, {}, nullptr});
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

NearDuplicateIndex::~NearDuplicateIndex() {
    {
        const std::lock_guard lock(viewMutex_);
        stopping_ = true;
    }
    filerWake_.notify_all();
    if (filer_.joinable())
        filer_.join();
}

std::shared_ptr<const NearDuplicateIndex::View> NearDuplicateIndex::view() const {
    const std::lock_guard lock(viewMutex_);
    return view_;
}

void NearDuplicateIndex::compare(Scan& scan, const View& view, std::size_t from, std::size_t until,
                                 bool writer) const {
    const auto& keys = scan.prepared.bandKeys;
    thread_local std::vector<std::uint32_t> words;
    thread_local std::vector<std::uint32_t> keysInFiles;
    keysInFiles.clear();
    if (!view.files.empty())
        for (const auto key : keys)
            if (view.filedKeys->mayContain(key))
                keysInFiles.push_back(key);
    for (const auto& file : view.files) {
        if (file->endId() <= from || file->firstId() >= until)
            continue;
        for (const auto key : keysInFiles) {
            const int reads = file->forEachEntry(key, from, until, [&](const detail::SegmentEntry& entry) {
                if (!scan.worthComparing(entry.id, entry.length, entry.sketch))
                    return;
                ++scan.reads;
                if (file->readWords(entry, words))
                    scan.compare(entry.id, words);
                else
                    ++scan.failedReads;
            });
            if (reads < 0)
                ++scan.failedReads;
            else
                scan.reads += static_cast<std::uint64_t>(reads);
        }
    }
    // `unwritten`: no thread inserts into the tier, so no shard mutex is needed to read it.
    const auto compareInMemory = [&](const detail::MemoryTier& tier, bool unwritten) {
        if (until <= tier.firstId() || from >= tier.firstId() + tier.count())
            return;
        thread_local std::vector<std::uint32_t> candidates;
        candidates.clear();
        tier.collect(keys, std::max(from, tier.firstId()), until, unwritten, candidates);
        // The summaries are scattered: those a few places ahead are prefetched.
        constexpr std::size_t kAhead = 16;
        for (std::size_t i = 0; i < candidates.size(); ++i) {
            if (i + kAhead < candidates.size())
                tier.prefetch(candidates[i + kAhead]);
            const auto& summary = tier.summary(candidates[i]);
            if (scan.worthComparing(candidates[i], summary.length, summary.sketch))
                scan.compare(candidates[i], std::span<const std::uint32_t>(summary.words, summary.length));
        }
    };
    for (const auto& tier : view.frozen)
        compareInMemory(*tier, true);
    compareInMemory(*view.hot, writer);
}

NearDuplicateIndex::Search NearDuplicateIndex::search(const Prepared& prepared) const {
    Search result;
    // The count first, then the view: every text counted is in the view, in memory or in a file.
    result.searched = size();
    if (!enabled() || prepared.bandKeys.empty())
        return result;
    const auto current = view();
    Scan scan{*this, prepared, {}, std::nullopt, 0, 0, 0, 0};
    compare(scan, *current, 0, result.searched, false);
    result.match = scan.finish();
    return result;
}

NearDuplicateIndex::Match NearDuplicateIndex::insertIfNovel(const Prepared& prepared, const Search& earlier) {
    if (!enabled()) {
        count_.fetch_add(1, std::memory_order_release);
        return {};
    }
    Scan scan{*this, prepared, earlier.match, std::nullopt, 0, 0, 0, 0};
    const std::size_t count = count_.load(std::memory_order_relaxed);
    if (earlier.searched < count && !prepared.bandKeys.empty())
        compare(scan, *view(), earlier.searched, count, true);
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

std::size_t NearDuplicateIndex::insertPrepared(const Prepared& prepared) {
    hot_->insert(prepared.bandKeys, prepared.ids, prepared.sketch);
    const std::size_t id = count_.load(std::memory_order_relaxed);
    count_.store(id + 1, std::memory_order_release);
    if (!spill_.folder.empty() && hot_->count() >= std::max<std::size_t>(spill_.hotLimit, 1) &&
        !spillFailed_.load(std::memory_order_relaxed))
        freezeHotTier();
    return id;
}

void NearDuplicateIndex::freezeHotTier() {
    std::unique_lock lock(viewMutex_);
    if (!filer_.joinable())
        filer_ = std::thread([this] { fileInBackground(); });
    // At most one full tier waits for its file: a writer that outruns the disk waits here.
    filerDone_.wait(lock,
                    [&] { return spillFailed_.load(std::memory_order_relaxed) || view_->frozen.empty(); });
    if (spillFailed_.load(std::memory_order_relaxed))
        return;
    View next = *view_;
    next.frozen.push_back(hot_);
    hot_ = std::make_shared<detail::MemoryTier>(count_.load(std::memory_order_relaxed));
    next.hot = hot_;
    view_ = std::make_shared<const View>(std::move(next));
    filerWake_.notify_one();
}

void NearDuplicateIndex::fileInBackground() {
    std::unique_lock lock(viewMutex_);
    while (true) {
        filerWake_.wait(lock, [&] {
            return stopping_ || (!spillFailed_.load(std::memory_order_relaxed) &&
                                 (!view_->frozen.empty() || view_->mergeDue()));
        });
        if (stopping_)
            return;
        // Only this thread changes the files, and the writer only adds tiers at the end of `frozen`.
        const auto current = view_;
        lock.unlock();
        try {
            View next;
            // Merges first: filing a tier while a merge is due would break the doubling of sizes, and a
            // file would be merged again and again.
            if (!current->mergeDue()) {
                if (!filedKeys_)
                    filedKeys_ = std::make_shared<detail::KeyFilter>(
                        std::max(spill_.expectedTexts, 4 * spill_.hotLimit) * bands_);
                auto file = detail::DiskSegment::write(spill_.folder, *current->frozen.front(), *filedKeys_);
                lock.lock();
                next = *view_;
                next.frozen.erase(next.frozen.begin());
                next.files.push_back(std::move(file));
                next.filedKeys = filedKeys_;
            } else {
                const auto& files = current->files;
                auto merged = detail::DiskSegment::merge(spill_.folder, *files[files.size() - 2],
                                                         *files.back(), stopping_);
                lock.lock();
                if (!merged)
                    return; // stopping
                next = *view_;
                next.files.pop_back();
                next.files.back() = std::move(merged);
            }
            view_ = std::make_shared<const View>(std::move(next));
        } catch (const std::exception& error) {
            if (!lock.owns_lock())
                lock.lock();
            spillError_ = error.what();
            spillFailed_.store(true, std::memory_order_relaxed);
            spdlog::warn("{}; it keeps every question in memory from now on", error.what());
        }
        filerDone_.notify_all();
    }
}

void NearDuplicateIndex::waitUntilFiled() const {
    std::unique_lock lock(viewMutex_);
    filerDone_.wait(lock, [&] {
        return spillFailed_.load(std::memory_order_relaxed) || (view_->frozen.empty() && !view_->mergeDue());
    });
}

NearDuplicateIndex::Work NearDuplicateIndex::work() const {
    return {bucketEntries_.load(std::memory_order_relaxed), rougeComputed_.load(std::memory_order_relaxed),
            fileReads_.load(std::memory_order_relaxed), failedReads_.load(std::memory_order_relaxed)};
}

std::size_t NearDuplicateIndex::approximateBytes() const {
    if (!enabled())
        return 0;
    const auto current = view();
    std::size_t bytes = current->hot->approximateBytes();
    for (const auto& tier : current->frozen)
        bytes += tier->approximateBytes();
    if (current->filedKeys)
        bytes += current->filedKeys->approximateBytes();
    for (const auto& file : current->files)
        bytes += file->approximateBytes();
    return bytes;
}

std::size_t NearDuplicateIndex::files() const {
    return enabled() ? view()->files.size() : 0;
}

std::uint64_t NearDuplicateIndex::fileBytes() const {
    std::uint64_t bytes = 0;
    if (!enabled())
        return bytes;
    const auto current = view(); // held: the filing thread may replace the view meanwhile
    for (const auto& file : current->files)
        bytes += file->fileBytes();
    return bytes;
}

std::string NearDuplicateIndex::spillError() const {
    const std::lock_guard lock(viewMutex_);
    return spillError_;
}

} // namespace sds::quality
