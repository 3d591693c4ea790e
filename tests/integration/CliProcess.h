#pragma once

#include <chrono>
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
};

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
