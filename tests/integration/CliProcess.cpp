#include "CliProcess.h"

#include "core/Journal.h"

#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace sds::testing {
namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

} // namespace

std::vector<std::string> ProcessResult::errLines() const {
    std::vector<std::string> lines;
    std::istringstream in(err);
    std::string line;
    while (std::getline(in, line))
        if (!line.empty())
            lines.push_back(line);
    return lines;
}

CliProcess::CliProcess(std::vector<std::string> arguments, std::map<std::string, std::string> environment)
    : m_arguments(std::move(arguments)), m_environment(std::move(environment)) {
    static int counter = 0;
    const std::string base = "/tmp/sds-cli-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    m_outFile = base + ".out";
    m_errFile = base + ".err";
}

CliProcess::~CliProcess() {
    if (m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
    }
    ::unlink(m_outFile.c_str());
    ::unlink(m_errFile.c_str());
}

void CliProcess::start() {
    std::vector<std::string> argv = {SDS_CLI_BINARY};
    argv.insert(argv.end(), m_arguments.begin(), m_arguments.end());
    std::map<std::string, std::string> environment = {{"LANG", "C.UTF-8"}};
    for (const char* name : {"PATH", "HOME"})
        if (const char* value = std::getenv(name))
            environment[name] = value;
    for (const auto& [name, value] : m_environment)
        environment[name] = value;
    std::vector<std::string> envStrings;
    for (const auto& [name, value] : environment)
        envStrings.push_back(name + "=" + value);

    m_pid = ::fork();
    if (m_pid < 0)
        throw std::runtime_error("fork failed");
    if (m_pid == 0) {
        const int out = ::open(m_outFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int err = ::open(m_errFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int in = ::open("/dev/null", O_RDONLY);
        ::dup2(in, 0);
        ::dup2(out, 1);
        ::dup2(err, 2);
        std::vector<char*> args;
        for (auto& a : argv)
            args.push_back(a.data());
        args.push_back(nullptr);
        std::vector<char*> env;
        for (auto& e : envStrings)
            env.push_back(e.data());
        env.push_back(nullptr);
        ::execve(args[0], args.data(), env.data());
        ::_exit(127);
    }
}

void CliProcess::signal(int signalNumber) const {
    if (m_pid > 0)
        ::kill(m_pid, signalNumber);
}

ProcessResult CliProcess::wait(std::chrono::seconds timeout) {
    ProcessResult result;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (true) {
        const pid_t done = ::waitpid(m_pid, &status, WNOHANG);
        if (done == m_pid)
            break;
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, &status, 0);
            result.err = "[test] process timed out\n";
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    m_pid = -1;
    result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = slurp(m_outFile);
    result.err += slurp(m_errFile);
    return result;
}

ProcessResult CliProcess::run(std::vector<std::string> arguments,
                              std::map<std::string, std::string> environment, std::chrono::seconds timeout) {
    CliProcess process(std::move(arguments), std::move(environment));
    process.start();
    return process.wait(timeout);
}

std::vector<std::string> ProcessResult::errorLines() const {
    std::vector<std::string> errors;
    for (const auto& line : errLines())
        if (line.rfind("sds: error: ", 0) == 0)
            errors.push_back(line);
    return errors;
}

JournalProgress waitForJournalRows(const std::filesystem::path& runsDir, std::size_t rows,
                                   std::chrono::seconds timeout) {
    JournalProgress progress;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline && progress.rows < rows) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(runsDir, ec))
            progress.journal = entry.path() / "journal.jsonl";
        if (!progress.journal.empty())
            progress.rows = Journal::read(progress.journal, [](JournalRow&&) {}).rows;
    }
    return progress;
}

} // namespace sds::testing
