#pragma once

#include <chrono>
#include <filesystem>
#include <gtest/gtest.h>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace sds::testing {

struct ProcessResult {
    int exitCode = -1; // 128 + signal when killed
    std::string out;
    std::string err;
    [[nodiscard]] std::vector<std::string> errLines() const;
    // The stderr lines that start with "sds: error: ".
    [[nodiscard]] std::vector<std::string> errorLines() const;
};

struct JournalProgress {
    std::filesystem::path journal; // empty when no run folder appeared
    std::size_t rows = 0;
};
// Waits (polling every 10 ms, up to `timeout`) until the one run under `runsDir` has journaled at least
// `rows` rows, e.g. to kill a CLI run mid-way; returns where it got to.
JournalProgress waitForJournalRows(const std::filesystem::path& runsDir, std::size_t rows,
                                   std::chrono::seconds timeout = std::chrono::seconds(30));

// Exit 2 and exactly one "sds: error:" line, which holds every one of `needles`.
inline void expectBadInput(const ProcessResult& result, const std::vector<std::string>& needles) {
    EXPECT_EQ(result.exitCode, 2) << result.err;
    const auto errors = result.errorLines();
    ASSERT_EQ(errors.size(), 1U) << result.err;
    for (const auto& needle : needles)
        EXPECT_NE(errors[0].find(needle), std::string::npos) << "no \"" << needle << "\" in: " << errors[0];
}

// Runs the `sds` binary with a clean environment: PATH, HOME and LANG, plus `environment`.
class CliProcess {
public:
    CliProcess(std::vector<std::string> arguments, std::map<std::string, std::string> environment);
    ~CliProcess();
    CliProcess(const CliProcess&) = delete;
    CliProcess& operator=(const CliProcess&) = delete;

    void start();
    void signal(int signalNumber) const;
    // Waits for exit and collects its output.
    ProcessResult wait(std::chrono::seconds timeout = std::chrono::seconds(120));
    [[nodiscard]] pid_t pid() const { return m_pid; }

    static ProcessResult run(std::vector<std::string> arguments,
                             std::map<std::string, std::string> environment,
                             std::chrono::seconds timeout = std::chrono::seconds(120));

private:
    std::vector<std::string> m_arguments;
    std::map<std::string, std::string> m_environment;
    pid_t m_pid = -1;
    std::string m_outFile;
    std::string m_errFile;
};

} // namespace sds::testing
