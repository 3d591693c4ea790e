#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace sds {

// A JSON document or the one-line reason it could not be read, naming the file and the
// line and column of a syntax error ("templates/x.json:3:14: syntax error: ...").
struct JsonReadResult {
    std::optional<nlohmann::json> json;
    std::string error;
    [[nodiscard]] bool ok() const { return json.has_value(); }
};

[[nodiscard]] JsonReadResult parseJsonText(std::string_view text, std::string_view sourceName);
[[nodiscard]] JsonReadResult readJsonFile(const std::filesystem::path& path);

// Reads a whole file; empty optional and `error` set when it cannot be read.
[[nodiscard]] std::optional<std::string> readTextFile(const std::filesystem::path& path,
                                                      std::string* error = nullptr);

// Writes to "<path>.tmp-<pid>", flushes it to disk, then renames over `path`, so readers see the old
// or the new content and never a torn file. Returns an error message, empty on success.
[[nodiscard]] std::string writeFileAtomically(const std::filesystem::path& path, std::string_view content);

// 1-based line and column of a byte offset in text.
struct TextPosition {
    std::size_t line = 1;
    std::size_t column = 1;
};
[[nodiscard]] TextPosition positionOf(std::string_view text, std::size_t byteOffset);

struct JsonArrayWriteResult {
    std::size_t rows = 0;
    std::string error;
};
// Writes a JSON array atomically (a temporary file, fsync, rename), one item per line as `produce` hands
// them to its emit function; `produce` returns an error line to abandon the file, or empty.
[[nodiscard]] JsonArrayWriteResult writeJsonArrayAtomically(
    const std::filesystem::path& dataset,
    const std::function<std::string(const std::function<void(const nlohmann::ordered_json&)>&)>& produce);

// "<bytes>-<FNV-1a 64 of the content, hex>": tells whether a file changed since it was last read. Empty
// when the file cannot be read.
[[nodiscard]] std::string contentFingerprint(const std::filesystem::path& path);

} // namespace sds
