#include "engine/QuestionSet.h"

#include <gtest/gtest.h>
#include <random>
#include <unordered_set>

namespace sds::engine {
namespace {

// Inserts `count` keys of a random stream into both sets, checking each answer; every `repeatEvery`-th
// key is below `repeatBelow`, so those repeat often.
void insertIntoBoth(QuestionSet& set, std::unordered_set<std::uint64_t>& reference, std::mt19937_64& random,
                    int count, int repeatEvery, std::uint64_t repeatBelow) {
    for (int i = 0; i < count; ++i) {
        const std::uint64_t key = (i % repeatEvery == 0) ? random() % repeatBelow : random();
        EXPECT_EQ(set.insert(key), reference.insert(key).second) << key;
    }
}

void expectSameKeys(const QuestionSet& set, const std::unordered_set<std::uint64_t>& reference) {
    EXPECT_EQ(set.size(), reference.size());
    for (const auto key : reference)
        EXPECT_TRUE(set.contains(key)) << key;
}

TEST(QuestionSet, AgreesWithAStandardSetThroughGrowth) {
    QuestionSet set(4);
    std::unordered_set<std::uint64_t> reference;
    std::mt19937_64 random(5);
    // Small keys repeat often, large ones rarely; 0 is a legal key too.
    insertIntoBoth(set, reference, random, 50000, 3, 1000);
    expectSameKeys(set, reference);
    EXPECT_FALSE(set.contains(0xDEADBEEFCAFEULL) && !reference.count(0xDEADBEEFCAFEULL));
}

TEST(QuestionSet, AnySizeWrapsAroundAndGrows) {
    // 1 500 slots for 1 000 expected keys (not a power of two), then 5 000 keys: probes wrap past the last
    // slot and the set grows twice.
    QuestionSet set(1000);
    std::unordered_set<std::uint64_t> reference;
    std::mt19937_64 random(9);
    insertIntoBoth(set, reference, random, 901, 4, 700);
    expectSameKeys(set, reference);
    insertIntoBoth(set, reference, random, 4099, 4, 700);
    expectSameKeys(set, reference);
    for (int i = 0; i < 1000; ++i) {
        const std::uint64_t key = random();
        EXPECT_EQ(set.contains(key), reference.count(key) > 0) << key;
    }
}

TEST(QuestionSet, ZeroIsAnOrdinaryKey) {
    QuestionSet set;
    EXPECT_FALSE(set.contains(0));
    EXPECT_TRUE(set.insert(0));
    EXPECT_FALSE(set.insert(0));
    EXPECT_TRUE(set.contains(0));
    EXPECT_EQ(set.size(), 1U);
}

} // namespace
} // namespace sds::engine
