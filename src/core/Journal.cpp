#include "core/Journal.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace sds {
namespace {

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

} // namespace

Journal::Journal(std::filesystem::path path) : m_path(std::move(path)) {}

Journal::~Journal() {
    close();
}

std::string Journal::open() {
    std::lock_guard lock(m_mutex);
    if (m_fd >= 0)
        return {};
    std::error_code ec;
    std::filesystem::create_directories(m_path.parent_path(), ec);
    // Cut a torn last line so the next row starts on a line of its own.
    const auto existing = read(m_path, [](JournalRow&&) {});
    if (existing.tornBytes > 0) {
        const auto size = std::filesystem::file_size(m_path, ec);
        if (!ec)
            std::filesystem::resize_file(m_path, size - existing.tornBytes, ec);
        if (ec)
            return m_path.string() + ": cannot repair the journal: " + ec.message();
    }
    m_fd = ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (m_fd < 0)
        return m_path.string() + ": cannot open the journal: " + std::strerror(errno);
    return {};
}

std::string Journal::append(const JournalRow& row) {
    const nlohmann::json json = {{"seed_index", row.seedIndex},
                                 {"seed", row.seed},
                                 {"question", row.question},
                                 {"solution", row.solution}};
    const std::string line = json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::lock_guard lock(m_mutex);
    if (m_fd < 0)
        return m_path.string() + ": the journal is not open";
    if (!writeAll(m_fd, line))
        return m_path.string() + ": cannot append to the journal: " + std::strerror(errno);
    return {};
}

void Journal::sync() {
    int fd = -1;
    {
        std::lock_guard lock(m_mutex);
        if (m_fd >= 0)
            fd = ::dup(m_fd); // appends go on while the disk catches up
    }
    if (fd >= 0) {
        ::fdatasync(fd);
        ::close(fd);
    }
}

void Journal::close() {
    std::lock_guard lock(m_mutex);
    if (m_fd >= 0) {
        ::fdatasync(m_fd);
        ::close(m_fd);
        m_fd = -1;
    }
}

Journal::ReadResult Journal::read(const std::filesystem::path& path,
                                  const std::function<void(JournalRow&&)>& onRow) {
    ReadResult result;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return result; // no journal yet: no rows
    std::string line;
    while (std::getline(in, line)) {
        if (in.eof()) { // no newline at the end: the writer died mid-line
            result.tornBytes = line.size();
            break;
        }
        if (line.empty())
            continue;
        const auto json = nlohmann::json::parse(line, nullptr, false);
        if (json.is_discarded() || !json.is_object() || !json.contains("question") ||
            !json["question"].is_string() || !json.contains("solution") || !json["solution"].is_string()) {
            ++result.corruptLines;
            continue;
        }
        JournalRow row;
        row.seedIndex = json.value("seed_index", 0);
        row.seed = json.value("seed", std::string());
        row.question = json["question"].get<std::string>();
        row.solution = json["solution"].get<std::string>();
        ++result.rows;
        onRow(std::move(row));
    }
    return result;
}

DatasetWriteResult writeDatasetFromJournal(const std::filesystem::path& journal,
                                           const std::filesystem::path& dataset, const OutputKeys& keys,
                                           std::size_t maxRows) {
    DatasetWriteResult result;
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
        const auto read = Journal::read(journal, [&](JournalRow&& row) {
            if (result.rows >= maxRows)
                return;
            const nlohmann::ordered_json item = {
                {"Seeds", row.seed}, {keys.prompt, row.question}, {keys.completion, row.solution}};
            out << (result.rows == 0 ? "\n  " : ",\n  ")
                << item.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            ++result.rows;
        });
        out << (result.rows == 0 ? "]\n" : "\n]\n");
        out.flush();
        if (!out) {
            result.error = dataset.string() + ": write failed";
            std::filesystem::remove(temporary, ec);
            return result;
        }
        if (!read.error.empty()) {
            result.error = read.error;
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

} // namespace sds
