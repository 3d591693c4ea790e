#include "core/RunLock.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <set>
#include <string>
#include <sys/file.h>
#include <thread>
#include <unistd.h>

namespace sds {
namespace {

std::optional<long> readPid(int descriptor) {
    char buffer[32] = {};
    const ssize_t length = ::pread(descriptor, buffer, sizeof buffer - 1, 0);
    if (length <= 0)
        return std::nullopt;
    char* end = nullptr;
    const long pid = std::strtol(buffer, &end, 10);
    return end != buffer && pid > 0 ? std::optional<long>(pid) : std::nullopt;
}

bool heldByAnother(int error) {
    return error == EWOULDBLOCK || error == EAGAIN;
}

// The runs this process holds. They are never probed through the file: where flock is emulated with
// POSIX record locks (NFS), the process's own lock would not conflict with a probe, and closing the probe
// would drop it.
class HeldHere {
public:
    static HeldHere& instance() {
        static HeldHere held;
        return held;
    }
    static std::string key(const std::filesystem::path& runDir) {
        return std::filesystem::absolute(runDir).lexically_normal().string();
    }
    bool add(const std::string& key) {
        std::lock_guard lock(m_mutex);
        return m_keys.insert(key).second;
    }
    void remove(const std::string& key) {
        std::lock_guard lock(m_mutex);
        m_keys.erase(key);
    }
    bool contains(const std::string& key) {
        std::lock_guard lock(m_mutex);
        return m_keys.count(key) > 0;
    }

private:
    std::mutex m_mutex;
    std::set<std::string> m_keys;
};

} // namespace

RunLock::~RunLock() {
    if (m_descriptor >= 0)
        ::close(m_descriptor);
    HeldHere::instance().remove(m_key);
}

RunLock::Attempt RunLock::acquire(const std::filesystem::path& runDir) {
    const auto key = HeldHere::key(runDir);
    if (!HeldHere::instance().add(key))
        return {nullptr, true, static_cast<long>(::getpid()), "still running in this process"};
    auto attempt = lockFile(runDir);
    if (attempt.lock)
        attempt.lock->m_key = key;
    else
        HeldHere::instance().remove(key);
    return attempt;
}

RunLock::Attempt RunLock::lockFile(const std::filesystem::path& runDir) {
    const auto path = file(runDir);
    // O_CLOEXEC: a child process (the embedded model's server) must not inherit the lock and keep it
    // after this process died.
    const int descriptor = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (descriptor < 0)
        return {nullptr, false, std::nullopt,
                path.string() + ": cannot open the run's lock: " + std::strerror(errno)};
    constexpr int kAttempts = 50;
    for (int attempt = 0;; ++attempt) {
        if (::flock(descriptor, LOCK_EX | LOCK_NB) == 0)
            break;
        const int error = errno;
        if (error == EINTR)
            continue;
        if (!heldByAnother(error) || attempt + 1 >= kAttempts) {
            const auto pid = readPid(descriptor);
            ::close(descriptor);
            if (heldByAnother(error))
                return {nullptr, true, pid, "still running in another process"};
            return {nullptr, false, std::nullopt, path.string() + ": cannot lock: " + std::strerror(error)};
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(descriptor, 0) != 0 || ::pwrite(descriptor, pid.data(), pid.size(), 0) < 0) {
        const int error = errno;
        ::close(descriptor);
        return {nullptr, false, std::nullopt,
                path.string() + ": cannot write the run's lock: " + std::strerror(error)};
    }
    return {std::shared_ptr<RunLock>(new RunLock(descriptor)), false, std::nullopt, {}};
}

RunLock::Holder RunLock::probe(const std::filesystem::path& runDir) {
    if (HeldHere::instance().contains(HeldHere::key(runDir)))
        return {true, static_cast<long>(::getpid())};
    const int descriptor = ::open(file(runDir).c_str(), O_RDONLY | O_CLOEXEC);
    if (descriptor < 0)
        return {};
    Holder holder;
    // A shared lock conflicts with the runner's exclusive one, and not with other probes.
    int result = 0;
    do
        result = ::flock(descriptor, LOCK_SH | LOCK_NB);
    while (result != 0 && errno == EINTR);
    if (result != 0 && heldByAnother(errno)) {
        holder.held = true;
        holder.pid = readPid(descriptor);
    }
    ::close(descriptor);
    return holder;
}

RunStatus observedStatus(const RunRecord& record) {
    if (record.status != RunStatus::Running)
        return record.status;
    if (record.runDir.empty() || !RunLock::probe(record.runDir).held)
        return RunStatus::Interrupted;
    return RunStatus::Running;
}

void observeInterruptedRuns(std::vector<RunRecord>& records) {
    for (auto& record : records)
        record.status = observedStatus(record);
}

} // namespace sds
