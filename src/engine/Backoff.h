#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

namespace sds::engine {

// Exponential backoff with full jitter: attempt n waits a random time in [base·2ⁿ/2, base·2ⁿ], capped.
// A server's Retry-After wins when it is longer.
class ExponentialBackoff {
public:
    ExponentialBackoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, std::uint64_t seed = 0);

    [[nodiscard]] std::chrono::milliseconds delay(int attempt,
                                                  std::optional<std::chrono::milliseconds> retryAfter = {});

private:
    std::chrono::milliseconds m_base;
    std::chrono::milliseconds m_cap;
    std::mt19937_64 m_random;
};

// How many requests may be in flight: shrinks by a quarter on a rate-limit answer (at most once per
// `cooldown` so one burst of 429s counts once), grows by one after `successesToGrow` successes, never
// below 1 or above the configured maximum.
class AdaptiveConcurrency {
public:
    explicit AdaptiveConcurrency(int maximum, int successesToGrow = 25,
                                 std::chrono::milliseconds cooldown = std::chrono::seconds(1));

    [[nodiscard]] int limit() const { return m_limit; }
    [[nodiscard]] int maximum() const { return m_maximum; }
    void onSuccess();
    void onRateLimited(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

private:
    int m_maximum;
    int m_limit;
    int m_successesToGrow;
    int m_successes = 0;
    std::chrono::milliseconds m_cooldown;
    std::optional<std::chrono::steady_clock::time_point> m_lastDecrease;
};

} // namespace sds::engine
