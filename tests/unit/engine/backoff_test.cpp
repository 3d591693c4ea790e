#include "engine/Backoff.h"

#include <gtest/gtest.h>

namespace sds::engine {
namespace {

using std::chrono::milliseconds;

TEST(ExponentialBackoff, GrowsWithinJitterBoundsAndIsCapped) {
    ExponentialBackoff backoff(milliseconds(100), milliseconds(1000), 42);
    for (int attempt = 0; attempt < 8; ++attempt) {
        const auto ceiling = std::min<long long>(100LL << attempt, 1000);
        for (int i = 0; i < 50; ++i) {
            const auto wait = backoff.delay(attempt).count();
            EXPECT_GE(wait, ceiling / 2) << attempt;
            EXPECT_LE(wait, ceiling) << attempt;
        }
    }
}

TEST(ExponentialBackoff, RetryAfterWinsWhenLonger) {
    ExponentialBackoff backoff(milliseconds(100), milliseconds(1000), 1);
    EXPECT_EQ(backoff.delay(0, milliseconds(5000)), milliseconds(5000));
    EXPECT_LE(backoff.delay(0, milliseconds(1)).count(), 100);
}

TEST(AdaptiveConcurrency, ShrinksOnRateLimitOncePerCooldownAndRecovers) {
    AdaptiveConcurrency limiter(64, 5, milliseconds(1000));
    const auto t0 = std::chrono::steady_clock::now();
    limiter.onRateLimited(t0);
    EXPECT_EQ(limiter.limit(), 48);
    limiter.onRateLimited(t0 + milliseconds(10)); // same burst
    EXPECT_EQ(limiter.limit(), 48);
    limiter.onRateLimited(t0 + milliseconds(1500));
    EXPECT_EQ(limiter.limit(), 36);
    for (int i = 0; i < 5; ++i)
        limiter.onSuccess();
    EXPECT_EQ(limiter.limit(), 37);
    for (int i = 0; i < 1000; ++i)
        limiter.onSuccess();
    EXPECT_EQ(limiter.limit(), 64);
}

TEST(AdaptiveConcurrency, NeverBelowOne) {
    AdaptiveConcurrency limiter(2, 5, milliseconds(0));
    auto t = std::chrono::steady_clock::now();
    for (int i = 0; i < 10; ++i)
        limiter.onRateLimited(t += milliseconds(1));
    EXPECT_EQ(limiter.limit(), 1);
}

} // namespace
} // namespace sds::engine
