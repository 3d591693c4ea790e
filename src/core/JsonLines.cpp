#include "core/JsonLines.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <mutex>
#include <unistd.h>

namespace sds {
namespace {

std::mutex& appendMutex() {
    static std::mutex mutex;
    return mutex;
}

} // namespace

bool writeAll(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

AppendedLinesResult readAppendedJsonLines(const std::filesystem::path& file,
                                          const std::function<bool(const nlohmann::ordered_json&)>& onLine) {
    AppendedLinesResult result;
    std::error_code ec;
    if (!std::filesystem::exists(file, ec))
        return result; // nothing appended yet
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        result.error = file.string() + ": cannot open: " + std::strerror(errno);
        return result;
    }
    std::string line;
    std::size_t lineNumber = 0;
    while (std::getline(in, line)) {
        ++lineNumber;
        if (in.eof()) { // no newline at the end: the writer died mid-line
            result.tornBytes = line.size();
            break;
        }
        if (line.empty() || line == "\r")
            continue;
        const auto json = nlohmann::ordered_json::parse(line, nullptr, false);
        if (json.is_discarded() || !onLine(json)) {
            if (result.corruptLines++ == 0)
                result.firstCorruptLine = lineNumber;
            continue;
        }
        ++result.lines;
    }
    if (in.bad())
        result.error = file.string() + ": read failed";
    return result;
}

std::string cutTornLastLine(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? std::string() : file.string() + ": cannot open: " + std::strerror(errno);
    const auto failed = [&](const char* what) {
        const std::string message = file.string() + ": " + what + ": " + std::strerror(errno);
        ::close(fd);
        return message;
    };
    const off_t size = ::lseek(fd, 0, SEEK_END);
    if (size < 0)
        return failed("cannot read");
    // Search backwards for the last '\n'; everything after it is a torn line.
    off_t keep = 0;
    char buffer[4096];
    for (off_t end = size; end > 0;) {
        const off_t start = std::max<off_t>(0, end - static_cast<off_t>(sizeof buffer));
        const ssize_t n = ::pread(fd, buffer, static_cast<std::size_t>(end - start), start);
        if (n != end - start)
            return failed("cannot read");
        const std::string_view chunk(buffer, static_cast<std::size_t>(n));
        if (end == size && !chunk.empty() && chunk.back() == '\n') {
            keep = size;
            break;
        }
        if (const auto newline = chunk.rfind('\n'); newline != std::string_view::npos) {
            keep = start + static_cast<off_t>(newline) + 1;
            break;
        }
        end = start;
    }
    if (keep != size && ::ftruncate(fd, keep) != 0)
        return failed("cannot repair the torn last line");
    ::close(fd);
    return {};
}

std::string appendJsonLine(const std::filesystem::path& file, const nlohmann::json& line) {
    const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::lock_guard lock(appendMutex());
    std::error_code ec;
    if (file.has_parent_path())
        std::filesystem::create_directories(file.parent_path(), ec);
    if (auto error = cutTornLastLine(file); !error.empty())
        return error;
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return file.string() + ": cannot open for appending: " + std::strerror(errno);
    const bool written = writeAll(fd, text);
    const int savedErrno = errno;
    ::close(fd);
    if (!written)
        return file.string() + ": cannot append: " + std::strerror(savedErrno);
    return {};
}

} // namespace sds
