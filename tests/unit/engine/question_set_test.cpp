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
