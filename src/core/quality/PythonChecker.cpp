#include "core/quality/PythonChecker.h"

#include "core/Text.h"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace sds::quality {
namespace {

constexpr int kAnswerTimeoutMs = 30000;

// The child: length-prefixed sources in, one JSON line per source out. Reads and writes fds 0 and 1
// directly (they are one socket), so nothing is buffered between requests.
constexpr const char* kCheckerScript = R"PY(
import ast, json, os, sys, warnings
warnings.simplefilter("ignore")
FLAGS = getattr(ast, "PyCF_ALLOW_TOP_LEVEL_AWAIT", 0)

def read_exactly(n):
    parts, left = [], n
    while left > 0:
        chunk = os.read(0, min(left, 1 << 20))
        if not chunk:
            sys.exit(0)
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)

def read_header():
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(0, 1)
        if not chunk:
            sys.exit(0)
        data += chunk
    return int(data)

while True:
    source = read_exactly(read_header()).decode("utf-8", "replace")
    try:
        compile(source, "<answer>", "exec", flags=FLAGS, dont_inherit=True)
        result = {"ok": True, "line": 0, "message": ""}
    except SyntaxError as error:
        result = {"ok": False, "line": error.lineno or 0, "message": error.msg or "invalid syntax"}
    except (ValueError, MemoryError, RecursionError, OverflowError) as error:
        result = {"ok": False, "line": 0, "message": str(error) or type(error).__name__}
    out = (json.dumps(result) + "\n").encode()
    while out:
        out = out[os.write(1, out):]
)PY";

bool sendAll(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent <= 0)
            return false;
        data.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
}

const std::array kPythonLabels = {"python", "py", "python3", "py3", "ipython", "ipython3"};

bool isPythonLabel(std::string_view language) {
    for (const auto* label : kPythonLabels)
        if (language == label)
            return true;
    return false;
}

bool endsWithColon(std::string_view line) {
    return !line.empty() && line.back() == ':';
}

bool pythonLine(std::string_view line) {
    const auto starts = [&](std::string_view prefix) {
        return line.starts_with(prefix);
    };
    const auto has = [&](std::string_view part) {
        return line.find(part) != std::string_view::npos;
    };
    return starts("def ") || starts("async def ") || (starts("class ") && endsWithColon(line)) ||
           starts("import ") || (starts("from ") && has(" import ")) || starts("print(") ||
           starts("if __name__") || starts("elif ") || starts("try:") || starts("except") ||
           (starts("with ") && endsWithColon(line)) ||
           (starts("for ") && has(" in ") && endsWithColon(line)) ||
           (starts("while ") && endsWithColon(line)) || starts("return ") || starts("yield ") ||
           starts("raise ") || starts("lambda ") ||
           (starts("@") && line.size() > 1 && std::isalpha(static_cast<unsigned char>(line[1])));
}

bool otherLanguageLine(std::string_view line) {
    const auto starts = [&](std::string_view prefix) {
        return line.starts_with(prefix);
    };
    const auto has = [&](std::string_view part) {
        return line.find(part) != std::string_view::npos;
    };
    const char last = line.empty() ? '\0' : line.back();
    return last == ';' || last == '{' || starts("}") || has("#include") || has("function ") || has("=>") ||
           has("console.") || has("System.") || has("std::") || starts("public ") || starts("private ") ||
           has("<?php") || starts("$ ") || starts("fn ") || starts("let ") || starts("const ") ||
           starts("var ") || starts("func ") || starts("package ") || starts("using ") || starts("<") ||
           starts("SELECT ") || starts("select ") || starts("#!/bin/");
}

} // namespace

bool looksLikePython(std::string_view code) {
    int python = 0;
    std::size_t position = 0;
    while (position < code.size()) {
        auto end = code.find('\n', position);
        if (end == std::string_view::npos)
            end = code.size();
        const auto line = text::trim(code.substr(position, end - position));
        position = end + 1;
        if (line.empty() || line.starts_with("#!/usr/bin/env python"))
            continue;
        if (otherLanguageLine(line))
            return false;
        if (pythonLine(line))
            ++python;
    }
    return python > 0;
}

std::optional<std::filesystem::path> PythonSyntaxChecker::findPython() {
    const char* path = std::getenv("PATH");
    if (!path)
        return std::nullopt;
    std::string_view rest(path);
    while (true) {
        const auto colon = rest.find(':');
        const auto dir = rest.substr(0, colon);
        if (!dir.empty()) {
            const auto candidate = std::filesystem::path(dir) / "python3";
            std::error_code ec;
            if (std::filesystem::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0)
                return candidate;
        }
        if (colon == std::string_view::npos)
            return std::nullopt;
        rest.remove_prefix(colon + 1);
    }
}

PythonSyntaxChecker::PythonSyntaxChecker() : python_(findPython()) {}

PythonSyntaxChecker::PythonSyntaxChecker(std::optional<std::filesystem::path> python)
    : python_(std::move(python)) {}

PythonSyntaxChecker::~PythonSyntaxChecker() {
    const std::lock_guard lock(mutex_);
    stopLocked();
}

int PythonSyntaxChecker::childStarts() const {
    const std::lock_guard lock(mutex_);
    return starts_;
}

bool PythonSyntaxChecker::startLocked(std::string& error) {
    int sockets[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) {
        error = std::string("socketpair failed: ") + std::strerror(errno);
        return false;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, sockets[1], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, sockets[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    std::string program = python_->string();
    std::vector<std::string> arguments = {program, "-I", "-S", "-c", kCheckerScript};
    std::vector<char*> argv;
    for (auto& argument : arguments)
        argv.push_back(argument.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int spawned = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(sockets[1]);
    if (spawned != 0) {
        ::close(sockets[0]);
        error = "cannot start " + program + ": " + std::strerror(spawned);
        return false;
    }
    pid_ = pid;
    socket_ = sockets[0];
    ++starts_;
    return true;
}

void PythonSyntaxChecker::stopLocked() {
    if (socket_ >= 0)
        ::close(socket_);
    socket_ = -1;
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
    }
    pid_ = -1;
}

bool PythonSyntaxChecker::exchangeLocked(std::string_view code, std::string& answer, std::string& error) {
    if (socket_ < 0 && !startLocked(error))
        return false;
    if (!sendAll(socket_, std::to_string(code.size()) + "\n") || !sendAll(socket_, code)) {
        error = "python3 stopped reading";
        return false;
    }
    answer.clear();
    char buffer[512];
    while (answer.empty() || answer.back() != '\n') {
        pollfd readable{socket_, POLLIN, 0};
        const int ready = ::poll(&readable, 1, kAnswerTimeoutMs);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready == 0) {
            error = "python3 did not answer within " + std::to_string(kAnswerTimeoutMs / 1000) + " s";
            return false;
        }
        const ssize_t received = ::recv(socket_, buffer, sizeof buffer, 0);
        if (received < 0 && errno == EINTR)
            continue;
        if (received <= 0) {
            error = "python3 exited";
            return false;
        }
        answer.append(buffer, static_cast<std::size_t>(received));
    }
    return true;
}

ValidationResult PythonSyntaxChecker::check(std::string_view code) {
    if (!python_)
        return {ValidationStatus::Unjudged, "no python3 found to check Python syntax", 0};
    const std::lock_guard lock(mutex_);
    std::string answer;
    std::string error;
    bool answered = false;
    for (int attempt = 0; attempt < 2 && !answered; ++attempt) {
        answered = exchangeLocked(code, answer, error);
        if (!answered)
            stopLocked(); // a fresh child for the retry and for the next check
    }
    if (!answered)
        return {ValidationStatus::Unjudged, "cannot check Python syntax: " + error, 0};
    const auto json = nlohmann::json::parse(answer, nullptr, false);
    if (json.is_discarded() || !json.is_object() || !json.contains("ok")) {
        stopLocked();
        return {ValidationStatus::Unjudged, "cannot check Python syntax: unexpected answer from python3", 0};
    }
    if (json.value("ok", false))
        return {ValidationStatus::Passed, {}, 0};
    const int line = json.value("line", 0);
    const std::string message = json.value("message", std::string("invalid syntax"));
    return {ValidationStatus::Failed, line > 0 ? "line " + std::to_string(line) + ": " + message : message,
            line};
}

ValidationResult validateCodeAnswer(std::string_view answer, PythonSyntaxChecker& checker) {
    const auto blocks = extractCodeBlocks(answer);
    if (blocks.empty())
        return {ValidationStatus::Failed, "no code block in the answer", 0};
    std::vector<std::size_t> python;
    std::vector<std::string> others;
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        const auto& block = blocks[i];
        if (isPythonLabel(block.language) || (block.language.empty() && looksLikePython(block.code))) {
            python.push_back(i);
            continue;
        }
        const std::string name = block.language.empty() ? "unlabelled code" : block.language;
        if (std::find(others.begin(), others.end(), name) == others.end())
            others.push_back(name);
    }
    if (python.empty()) {
        std::string names;
        for (const auto& name : others)
            names += (names.empty() ? "" : ", ") + name;
        return {ValidationStatus::Unjudged, "no checker for " + names, 0};
    }
    std::optional<ValidationResult> unjudged;
    for (const auto index : python) {
        auto result = checker.check(blocks[index].code);
        if (result.status == ValidationStatus::Failed) {
            if (python.size() > 1)
                result.message = "block " + std::to_string(index + 1) + ", " + result.message;
            return result;
        }
        if (result.status == ValidationStatus::Unjudged && !unjudged)
            unjudged = std::move(result);
    }
    if (unjudged)
        return *unjudged;
    return {ValidationStatus::Passed, {}, 0};
}

} // namespace sds::quality
