#include "engine/QuestionSet.h"

#include <gtest/gtest.h>
#include <random>
#include <unordered_set>

namespace sds::engine {
namespace {

TEST(QuestionSet, AgreesWithAStandardSetThroughGrowth) {
    QuestionSet set(4);
    std::unordered_set<std::uint64_t> reference;
    std::mt19937_64 random(5);
    for (int i = 0; i < 50000; ++i) {
        // Small keys repeat often, large ones rarely; 0 is a legal key too.
        const std::uint64_t key = (i % 3 == 0) ? random() % 1000 : random();
        EXPECT_EQ(set.insert(key), reference.insert(key).second) << key;
    }
    EXPECT_EQ(set.size(), reference.size());
    for (const auto key : reference)
        EXPECT_TRUE(set.contains(key));
    EXPECT_FALSE(set.contains(0xDEADBEEFCAFEULL) && !reference.count(0xDEADBEEFCAFEULL));
}

TEST(QuestionSet, AnySizeWrapsAroundAndGrows) {
    // 1 500 slots for 1 000 expected keys (not a power of two), then 5 000 keys: probes wrap past the last
    // slot and the set grows twice.
    QuestionSet set(1000);
    std::unordered_set<std::uint64_t> reference;
    std::mt19937_64 random(9);
    for (int i = 0; i < 5000; ++i) {
        const std::uint64_t key = (i % 4 == 0) ? random() % 700 : random();
        EXPECT_EQ(set.insert(key), reference.insert(key).second) << key;
        if (i == 900) {
            for (const auto seen : reference) {
                ASSERT_TRUE(set.contains(seen)) << seen;
            }
        }
    }
    EXPECT_EQ(set.size(), reference.size());
    for (const auto key : reference)
        EXPECT_TRUE(set.contains(key)) << key;
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
