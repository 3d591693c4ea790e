#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace sds {

// The tolerant reading of an append-only JSON Lines file, shared by the journal and the result files: a last
// line without its '\n' is a torn write and ignored; a complete line that is not JSON, or that `onLine`
// refuses (returns false), is counted and skipped.
struct AppendedLinesResult {
    std::size_t lines = 0;            // lines accepted by onLine
    std::size_t tornBytes = 0;        // bytes of an incomplete last line
    std::size_t corruptLines = 0;     // complete lines skipped
    std::size_t firstCorruptLine = 0; // 1-based, 0 when none
    std::string error;                // the file exists but cannot be read
};
[[nodiscard]] AppendedLinesResult
readAppendedJsonLines(const std::filesystem::path& file,
                      const std::function<bool(const nlohmann::ordered_json&)>& onLine);
// Cuts an incomplete last line so the next append starts on a line of its own. An error, empty on success.
[[nodiscard]] std::string cutTornLastLine(const std::filesystem::path& file);

// Appends one line to a JSON Lines file (creating it and its folder), first cutting a torn last line
// left by a killed writer. Thread-safe within the process (one writing process per file); the line
// reaches the kernel, not necessarily the disk, before this returns. An error, empty on success.
[[nodiscard]] std::string appendJsonLine(const std::filesystem::path& file, const nlohmann::json& line);

// Writes all of `data` to `fd`, retrying after EINTR and short writes; false on an error (errno set).
[[nodiscard]] bool writeAll(int fd, std::string_view data);

} // namespace sds
