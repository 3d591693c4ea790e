#include "core/JsonFile.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace sds {

TextPosition positionOf(std::string_view text, std::size_t byteOffset) {
    TextPosition position;
    const std::size_t end = std::min(byteOffset, text.size());
    for (std::size_t i = 0; i < end; ++i) {
        if (text[i] == '\n') {
            ++position.line;
            position.column = 1;
        } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
            ++position.column;
        }
    }
    return position;
}

JsonReadResult parseJsonText(std::string_view text, std::string_view sourceName) {
    JsonReadResult result;
    try {
        result.json = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& error) {
        // nlohmann reports the offset one past the offending byte.
        const std::size_t offset = error.byte > 0 ? error.byte - 1 : 0;
        const auto position = positionOf(text, offset);
        std::string what = error.what();
        if (const auto colon = what.find("syntax error"); colon != std::string::npos)
            what = what.substr(colon);
        else if (const auto bracket = what.find("] "); bracket != std::string::npos)
            what = what.substr(bracket + 2);
        result.error = std::string(sourceName) + ":" + std::to_string(position.line) + ":" +
                       std::to_string(position.column) + ": invalid JSON: " + what;
    }
    return result;
}

std::optional<std::string> readTextFile(const std::filesystem::path& path, std::string* error) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        if (error)
            *error = path.string() + ": is a folder, not a file";
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (error)
            *error = path.string() + ": cannot open: " + std::strerror(errno);
        return std::nullopt;
    }
    std::ostringstream content;
    content << in.rdbuf();
    if (in.bad()) {
        if (error)
            *error = path.string() + ": read failed";
        return std::nullopt;
    }
    return content.str();
}

JsonReadResult readJsonFile(const std::filesystem::path& path) {
    std::string error;
    const auto text = readTextFile(path, &error);
    if (!text)
        return JsonReadResult{std::nullopt, error};
    return parseJsonText(*text, path.string());
}

std::string writeFileAtomically(const std::filesystem::path& path, std::string_view content) {
    std::error_code ec;
    if (path.has_parent_path())
        std::filesystem::create_directories(path.parent_path(), ec);
    const std::string temporary = path.string() + ".tmp-" + std::to_string(::getpid());
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return path.string() + ": cannot write: " + std::strerror(errno);
    std::size_t written = 0;
    while (written < content.size()) {
        const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            const std::string message = path.string() + ": write failed: " + std::strerror(errno);
            ::close(fd);
            ::unlink(temporary.c_str());
            return message;
        }
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const std::string message = path.string() + ": write failed: " + std::strerror(errno);
        ::unlink(temporary.c_str());
        return message;
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        const std::string message = path.string() + ": cannot replace: " + std::strerror(errno);
        ::unlink(temporary.c_str());
        return message;
    }
    return {};
}

JsonArrayWriteResult writeJsonArrayAtomically(
    const std::filesystem::path& dataset,
    const std::function<std::string(const std::function<void(const nlohmann::ordered_json&)>&)>& produce) {
    JsonArrayWriteResult result;
    std::error_code ec;
    if (dataset.has_parent_path())
        std::filesystem::create_directories(dataset.parent_path(), ec);
    const std::filesystem::path temporary = dataset.string() + ".tmp-" + std::to_string(::getpid());
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) {
            result.error = dataset.string() + ": cannot write: " + std::strerror(errno);
            return result;
        }
        out << "[";
        const std::string error = produce([&](const nlohmann::ordered_json& item) {
            out << (result.rows == 0 ? "\n  " : ",\n  ")
                << item.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            ++result.rows;
        });
        out << (result.rows == 0 ? "]\n" : "\n]\n");
        out.flush();
        if (!out || !error.empty()) {
            result.error = error.empty() ? dataset.string() + ": write failed" : error;
            out.close();
            std::filesystem::remove(temporary, ec);
            return result;
        }
    }
    {
        const int fd = ::open(temporary.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            ::fsync(fd);
            ::close(fd);
        }
    }
    std::filesystem::rename(temporary, dataset, ec);
    if (ec) {
        result.error = dataset.string() + ": cannot replace: " + ec.message();
        std::filesystem::remove(temporary, ec);
    }
    return result;
}

std::string contentFingerprint(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return {};
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    std::uint64_t bytes = 0;
    char buffer[1 << 16];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        const auto n = static_cast<std::size_t>(in.gcount());
        for (std::size_t i = 0; i < n; ++i) {
            hash ^= static_cast<unsigned char>(buffer[i]);
            hash *= 0x100000001b3ULL;
        }
        bytes += n;
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
    return std::to_string(bytes) + "-" + hex;
}

} // namespace sds
