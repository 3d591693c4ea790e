#include "core/Journal.h"

#include "core/JsonFile.h"
#include "core/JsonLines.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace sds {

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
    if (auto error = cutTornLastLine(m_path); !error.empty())
        return error;
    m_fd = ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (m_fd < 0)
        return m_path.string() + ": cannot open the journal: " + std::strerror(errno);
    return {};
}

std::string Journal::append(const JournalRow& row) {
    nlohmann::ordered_json json = {{"seed_index", row.seedIndex},
                                   {"seed", row.seed},
                                   {"question", row.question},
                                   {"solution", row.solution}};
    if (!row.input.is_null())
        json["input"] = row.input;
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
    const auto read = readAppendedJsonLines(path, [&](const nlohmann::ordered_json& json) {
        if (!json.is_object() || !json.contains("question") || !json["question"].is_string() ||
            !json.contains("solution") || !json["solution"].is_string())
            return false;
        JournalRow row;
        const auto index = json.find("seed_index");
        const auto seed = json.find("seed");
        if ((index != json.end() && !index->is_number_integer()) ||
            (seed != json.end() && !seed->is_string()))
            return false;
        row.seedIndex = index == json.end() ? 0 : index->get<int>();
        row.seed = seed == json.end() ? std::string() : seed->get<std::string>();
        row.question = json["question"].get<std::string>();
        row.solution = json["solution"].get<std::string>();
        if (const auto input = json.find("input"); input != json.end())
            row.input = *input;
        onRow(std::move(row));
        return true;
    });
    return {read.lines, read.tornBytes, read.corruptLines, read.error};
}

DatasetWriteResult writeDatasetFromJournal(const std::filesystem::path& journal,
                                           const std::filesystem::path& dataset, const OutputKeys& keys,
                                           std::size_t maxRows, const std::string& originKey) {
    const auto written = writeJsonArrayAtomically(dataset, [&](const auto& emit) {
        std::size_t rows = 0;
        return Journal::read(journal,
                             [&](JournalRow&& row) {
                                 if (rows >= maxRows)
                                     return;
                                 ++rows;
                                 emit(nlohmann::ordered_json{{originKey, row.seed},
                                                             {keys.prompt, row.question},
                                                             {keys.completion, row.solution}});
                             })
            .error;
    });
    return {written.rows, written.error};
}

DatasetWriteResult writeCurationDatasetFromJournal(const std::filesystem::path& journal,
                                                   const std::filesystem::path& dataset,
                                                   const std::string& inputKey,
                                                   const std::string& outputKey) {
    // Rows arrive in any order; put them in the input's order by sorting (element, line offset) pairs and
    // reading each line again, so memory stays at 16 bytes per row.
    struct Placement {
        std::int64_t element;
        std::uint64_t offset;
    };
    std::vector<Placement> placements;
    {
        std::ifstream in(journal, std::ios::binary);
        std::string line;
        std::uint64_t offset = 0;
        while (std::getline(in, line)) {
            const std::uint64_t lineOffset = offset;
            offset += line.size() + 1;
            if (in.eof())
                break; // torn last line
            const auto json = nlohmann::json::parse(line, nullptr, false);
            if (json.is_discarded() || !json.is_object() || !json.contains("input") ||
                !json.contains("solution") || !json["solution"].is_string())
                continue;
            const auto index = json.find("seed_index");
            if (index == json.end() || !index->is_number_integer())
                continue;
            placements.push_back({index->get<std::int64_t>(), lineOffset});
        }
    }
    std::stable_sort(placements.begin(), placements.end(),
                     [](const Placement& a, const Placement& b) { return a.element < b.element; });
    const auto written = writeJsonArrayAtomically(dataset, [&](const auto& emit) -> std::string {
        std::ifstream in(journal, std::ios::binary);
        if (!in && !placements.empty())
            return journal.string() + ": cannot read: " + std::strerror(errno);
        std::string line;
        std::int64_t previous = -1;
        for (const auto& placement : placements) {
            if (placement.element == previous)
                continue; // an element journaled twice (a resumed run) is written once
            previous = placement.element;
            in.clear();
            in.seekg(static_cast<std::streamoff>(placement.offset));
            std::getline(in, line);
            auto json = nlohmann::ordered_json::parse(line, nullptr, false);
            if (json.is_discarded())
                return journal.string() + ": changed while the dataset was written";
            auto input = std::move(json["input"]);
            if (input.is_object()) {
                input[outputKey] = json["solution"];
                emit(input);
            } else {
                emit(nlohmann::ordered_json{{inputKey, std::move(input)}, {outputKey, json["solution"]}});
            }
        }
        return {};
    });
    return {written.rows, written.error};
}

} // namespace sds
