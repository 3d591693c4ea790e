#pragma once

#include "core/RunHistory.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sds {

// Which process runs a run: it holds an advisory lock (flock) on runs/<id>/run.lock, with its pid
// written in the file, for as long as it runs the run. The kernel drops the lock when the process ends,
// however it ends (SIGKILL, a crash, a power cut), so a run the history calls "running" whose lock nobody
// holds was interrupted.
class RunLock {
public:
    ~RunLock();
    RunLock(const RunLock&) = delete;
    RunLock& operator=(const RunLock&) = delete;

    struct Attempt {
        std::shared_ptr<RunLock> lock; // set when this process now holds the run
        bool heldElsewhere = false;    // another process holds it
        std::optional<long> holderPid; // that process, when it wrote its pid
        std::string error;             // one line, when `lock` is not set: "still running in …" when held
    };
    // Takes the lock of the run in `runDir` (which must exist) for this process. A process that only
    // looks at the lock holds it for a moment: that is waited for.
    [[nodiscard]] static Attempt acquire(const std::filesystem::path& runDir);

    struct Holder {
        bool held = false;
        std::optional<long> pid;
    };
    // Whether a process (this one included) holds the lock of the run in `runDir`.
    [[nodiscard]] static Holder probe(const std::filesystem::path& runDir);

    [[nodiscard]] static std::filesystem::path file(const std::filesystem::path& runDir) {
        return runDir / "run.lock";
    }

private:
    explicit RunLock(int descriptor) : m_descriptor(descriptor) {}
    [[nodiscard]] static Attempt lockFile(const std::filesystem::path& runDir);

    int m_descriptor = -1;
    std::string m_key; // the run folder, in the runs this process holds
};

// The record's status as it is now: "running" in the history but held by no process is Interrupted.
[[nodiscard]] RunStatus observedStatus(const RunRecord& record);
// observedStatus for every record.
void observeInterruptedRuns(std::vector<RunRecord>& records);

} // namespace sds
