#include "core/RunLock.h"
#include "testsupport/TempDir.h"

#include <csignal>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sds {
namespace {

using testing::TempDir;

RunRecord runningRecord(const std::filesystem::path& runDir) {
    RunRecord record;
    record.id = runDir.filename().string();
    record.status = RunStatus::Running;
    record.runDir = runDir.string();
    return record;
}

TEST(RunLock, TheHolderIsSeenAsRunningWithItsPidAndNobodyElseGetsTheRun) {
    TempDir dir;
    const auto runDir = dir / "run-a";
    std::filesystem::create_directories(runDir);
    EXPECT_FALSE(RunLock::probe(runDir).held) << "no lock file yet";
    EXPECT_EQ(observedStatus(runningRecord(runDir)), RunStatus::Interrupted);

    auto first = RunLock::acquire(runDir);
    ASSERT_TRUE(first.lock) << first.error;
    const auto holder = RunLock::probe(runDir);
    EXPECT_TRUE(holder.held);
    ASSERT_TRUE(holder.pid.has_value());
    EXPECT_EQ(*holder.pid, static_cast<long>(::getpid()));
    EXPECT_EQ(observedStatus(runningRecord(runDir)), RunStatus::Running);

    const auto second = RunLock::acquire(runDir);
    EXPECT_FALSE(second.lock);
    EXPECT_TRUE(second.heldElsewhere);
    ASSERT_TRUE(second.holderPid.has_value());
    EXPECT_EQ(*second.holderPid, static_cast<long>(::getpid()));

    first.lock.reset();
    EXPECT_FALSE(RunLock::probe(runDir).held);
    EXPECT_EQ(observedStatus(runningRecord(runDir)), RunStatus::Interrupted);
    EXPECT_TRUE(RunLock::acquire(runDir).lock) << "free again once released";
}

TEST(RunLock, ALockHeldByAKilledProcessIsFreeAgain) {
    TempDir dir;
    const auto runDir = dir / "run-b";
    std::filesystem::create_directories(runDir);
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        const auto attempt = RunLock::acquire(runDir);
        const char answer = attempt.lock ? '1' : '0';
        (void)!::write(ready[1], &answer, 1);
        ::pause();
        ::_exit(0);
    }
    char answer = 0;
    ASSERT_EQ(::read(ready[0], &answer, 1), 1);
    ::close(ready[0]);
    ::close(ready[1]);
    ASSERT_EQ(answer, '1');
    const auto whileAlive = RunLock::probe(runDir);
    EXPECT_TRUE(whileAlive.held);
    EXPECT_EQ(whileAlive.pid, std::optional<long>(child));
    const auto refused = RunLock::acquire(runDir);
    EXPECT_TRUE(refused.heldElsewhere);
    EXPECT_EQ(refused.holderPid, std::optional<long>(child));

    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    EXPECT_FALSE(RunLock::probe(runDir).held);
    EXPECT_EQ(observedStatus(runningRecord(runDir)), RunStatus::Interrupted);
    EXPECT_TRUE(RunLock::acquire(runDir).lock);
}

TEST(RunLock, OnlyRunningRecordsCanBeInterrupted) {
    TempDir dir;
    std::vector<RunRecord> records(3, runningRecord(dir / "gone"));
    records[1].status = RunStatus::Completed;
    records[2].status = RunStatus::Cancelled;
    observeInterruptedRuns(records);
    EXPECT_EQ(records[0].status, RunStatus::Interrupted) << "its folder is gone: nobody runs it";
    EXPECT_EQ(records[1].status, RunStatus::Completed);
    EXPECT_EQ(records[2].status, RunStatus::Cancelled);
    EXPECT_EQ(toString(RunStatus::Interrupted), "interrupted");
    EXPECT_EQ(runStatusFromString("interrupted"), RunStatus::Interrupted);
}

} // namespace
} // namespace sds
