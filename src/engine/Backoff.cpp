#include "engine/Backoff.h"

#include <algorithm>

namespace sds::engine {

ExponentialBackoff::ExponentialBackoff(std::chrono::milliseconds base, std::chrono::milliseconds cap,
                                       std::uint64_t seed)
    : m_base(base), m_cap(cap), m_random(seed ? seed : std::random_device{}()) {}

std::chrono::milliseconds ExponentialBackoff::delay(int attempt,
                                                    std::optional<std::chrono::milliseconds> retryAfter) {
    const int shift = std::clamp(attempt, 0, 20);
    const auto ceiling = std::min<std::int64_t>(m_base.count() << shift, m_cap.count());
    std::uniform_int_distribution<std::int64_t> jitter(ceiling / 2, std::max<std::int64_t>(ceiling, 1));
    auto wait = std::chrono::milliseconds(jitter(m_random));
    if (retryAfter && *retryAfter > wait)
        wait = std::min(*retryAfter, std::chrono::milliseconds(std::chrono::minutes(5)));
    return wait;
}

AdaptiveConcurrency::AdaptiveConcurrency(int maximum, int successesToGrow, std::chrono::milliseconds cooldown)
    : m_maximum(std::max(1, maximum)), m_limit(m_maximum), m_successesToGrow(std::max(1, successesToGrow)),
      m_cooldown(cooldown) {}

void AdaptiveConcurrency::onSuccess() {
    if (m_limit >= m_maximum)
        return;
    if (++m_successes >= m_successesToGrow) {
        m_successes = 0;
        ++m_limit;
    }
}

void AdaptiveConcurrency::onRateLimited(std::chrono::steady_clock::time_point now) {
    m_successes = 0;
    if (m_lastDecrease && now - *m_lastDecrease < m_cooldown)
        return;
    m_lastDecrease = now;
    m_limit = std::max(1, m_limit - std::max(1, m_limit / 4));
}

} // namespace sds::engine
