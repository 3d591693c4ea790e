#pragma once

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sds {

// One top-level element of a JSON array or one value of a JSON Lines file. `value` keeps the keys
// of objects in the order of the file (ordered_json converts implicitly to nlohmann::json).
struct JsonElement {
    std::size_t index = 0; // 0-based position in the array or among the non-blank lines
    nlohmann::ordered_json value;
    std::size_t line = 0;   // 1-based line where it starts
    std::size_t column = 0; // 1-based column (in UTF-8 characters) where it starts
};

// Streams the elements of a big JSON array or JSON Lines file without loading the file: a buffered
// reader finds where each top-level element ends (strings, escapes, nesting), and only that element's
// text is parsed. Errors name the file and the line:column of the first problem.
//
// The format: a .jsonl or .ndjson file is JSON Lines; otherwise a first non-space byte '[' means a
// JSON array, '{' or '"' means JSON Lines, anything else is an error. A UTF-8 BOM is skipped; blank
// lines in JSON Lines are skipped.
class JsonElementReader {
public:
    explicit JsonElementReader(std::filesystem::path path);

    // Opens the file and detects its format; an error line, empty on success.
    [[nodiscard]] std::string open();
    // The next element; std::nullopt at the end or on an error (then error() is set).
    [[nodiscard]] std::optional<JsonElement> next();
    // "<file>:<line>:<col>: <what>" for the first error, empty while there is none.
    [[nodiscard]] const std::string& error() const { return m_error; }
    [[nodiscard]] bool isJsonLines() const { return m_jsonLines; }
    [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

private:
    enum class State { Closed, ArrayStart, AfterElement, Done, Failed };

    [[nodiscard]] int peek();
    void advance();
    void skipWhitespace();
    void skipSpacesOnLine();
    void scanElement(std::string& text);
    std::optional<JsonElement> readElement();
    std::optional<JsonElement> nextInArray();
    std::optional<JsonElement> nextLine();
    std::nullopt_t fail(std::size_t line, std::size_t column, const std::string& what);
    std::nullopt_t failInElement(std::string_view text, std::size_t offset, std::size_t line,
                                 std::size_t column, const std::string& what);

    std::filesystem::path m_path;
    std::ifstream m_in;
    std::vector<char> m_buffer;
    std::size_t m_position = 0;
    std::size_t m_size = 0;
    bool m_readFailed = false;
    std::size_t m_line = 1;
    std::size_t m_column = 1;
    std::size_t m_arrayLine = 1;
    std::size_t m_arrayColumn = 1;
    std::size_t m_index = 0;
    bool m_jsonLines = false;
    bool m_linesByExtension = false;
    State m_state = State::Closed;
    std::string m_error;
};

// Reads every element once to check the file, handing each to `onElement` if given. The first error
// with its line:column, or empty. Memory stays bounded by the largest element.
[[nodiscard]] std::string checkJsonElements(const std::filesystem::path& path,
                                            const std::function<void(const JsonElement&)>& onElement = {});

} // namespace sds
