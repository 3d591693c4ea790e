#pragma once

// Helpers the memory benchmarks share: reading this process's memory counters and running this program
// again as a child whose peak memory is its own.

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <malloc.h>
#include <nlohmann/json.hpp>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace sds::bench {

// Heap in use: small chunks and the large ones malloc maps on their own.
inline std::size_t heapBytes() {
    const auto info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

// A field of /proc/self/status in kB ("VmHWM", "VmRSS"); -1 when missing.
inline long statusKb(const std::string& field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field + ":", 0) == 0)
            return std::stol(line.substr(field.size() + 1));
    return -1;
}

inline std::uintmax_t fileSize(const std::filesystem::path& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    return ec ? 0 : size;
}

struct ChildResult {
    nlohmann::json line; // the one JSON line the child printed
    std::string error;
};

// Runs this program again with `arguments` (argv[0] first) and reads the JSON line it prints.
inline ChildResult runSelfAsChild(std::vector<std::string> arguments) {
    int out[2];
    if (::pipe(out) != 0)
        return {{}, "pipe failed"};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    posix_spawn_file_actions_addclose(&actions, out[1]);
    std::vector<char*> argv;
    for (auto& argument : arguments)
        argv.push_back(argument.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int spawned = posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (spawned != 0) {
        ::close(out[0]);
        return {{}, "cannot start the child: " + std::string(std::strerror(spawned))};
    }
    std::string text;
    char buffer[4096];
    ssize_t n = 0;
    while ((n = ::read(out[0], buffer, sizeof buffer)) > 0)
        text.append(buffer, static_cast<std::size_t>(n));
    ::close(out[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded())
        return {{},
                "the child exited with status " +
                    std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + " and printed: " + text};
    return {std::move(json), {}};
}

} // namespace sds::bench
