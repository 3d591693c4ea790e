#pragma once

#include <atomic>
#include <memory>

namespace sds {

// A shared flag: copies observe the same cancellation. Cheap to copy and to poll.
class CancellationToken {
public:
    CancellationToken() : m_flag(std::make_shared<std::atomic<bool>>(false)) {}

    void cancel() const { m_flag->store(true, std::memory_order_relaxed); }
    [[nodiscard]] bool isCancelled() const { return m_flag->load(std::memory_order_relaxed); }

private:
    std::shared_ptr<std::atomic<bool>> m_flag;
};

// Cancels its token when destroyed, so work started in a scope cannot outlive it unnoticed.
class ScopedCancellation {
public:
    ScopedCancellation() = default;
    ScopedCancellation(const ScopedCancellation&) = delete;
    ScopedCancellation& operator=(const ScopedCancellation&) = delete;
    ~ScopedCancellation() { m_token.cancel(); }

    [[nodiscard]] const CancellationToken& token() const { return m_token; }

private:
    CancellationToken m_token;
};

} // namespace sds
