#include "core/JsonStream.h"

#include "core/JsonFile.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace sds {
namespace {

constexpr std::size_t kReadSize = 64 * 1024;

bool isWhitespace(int c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Where a bare token (number, true, false, null or garbage) ends.
bool endsToken(int c) {
    return isWhitespace(c) || c == ',' || c == ']' || c == '}' || c == '[' || c == '{' || c == '"' ||
           c == ':';
}

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string parseErrorText(const std::string& what) {
    if (const auto syntax = what.find("syntax error"); syntax != std::string::npos)
        return what.substr(syntax);
    if (const auto bracket = what.find("] "); bracket != std::string::npos)
        return what.substr(bracket + 2);
    return what;
}

} // namespace

JsonElementReader::JsonElementReader(std::filesystem::path path) : m_path(std::move(path)) {}

std::string JsonElementReader::open() {
    if (m_state != State::Closed)
        return m_error;
    std::error_code ec;
    if (std::filesystem::is_directory(m_path, ec)) {
        fail(0, 0, "is a folder, not a file");
        return m_error;
    }
    m_in.open(m_path, std::ios::binary);
    if (!m_in) {
        m_error = m_path.string() + ": cannot open: " + std::strerror(errno);
        m_state = State::Failed;
        return m_error;
    }
    m_buffer.resize(kReadSize);
    const std::string extension = lowercase(m_path.extension().string());
    m_linesByExtension = extension == ".jsonl" || extension == ".ndjson";

    // Refilling never happens before three bytes are in the buffer unless the file is shorter.
    if (peek() == 0xEF && m_size - m_position >= 3 && static_cast<unsigned char>(m_buffer[1]) == 0xBB &&
        static_cast<unsigned char>(m_buffer[2]) == 0xBF)
        m_position += 3;
    skipWhitespace();
    const int first = peek();
    if (m_state == State::Failed)
        return m_error;
    if (first < 0) {
        fail(m_line, m_column, "empty file: expected a JSON array or JSON Lines");
    } else if (m_linesByExtension || first == '{' || first == '"') {
        m_jsonLines = true;
        m_state = State::AfterElement;
    } else if (first == '[') {
        m_arrayLine = m_line;
        m_arrayColumn = m_column;
        advance();
        m_state = State::ArrayStart;
    } else {
        fail(m_line, m_column,
             "the top-level value is not an array: expected '[' or one JSON value per line");
    }
    return m_error;
}

std::optional<JsonElement> JsonElementReader::next() {
    if (m_state == State::Closed || m_state == State::Done || m_state == State::Failed)
        return std::nullopt;
    return m_jsonLines ? nextLine() : nextInArray();
}

int JsonElementReader::peek() {
    if (m_position < m_size)
        return static_cast<unsigned char>(m_buffer[m_position]);
    if (m_readFailed || !m_in)
        return -1;
    m_in.read(m_buffer.data(), static_cast<std::streamsize>(m_buffer.size()));
    m_size = static_cast<std::size_t>(m_in.gcount());
    m_position = 0;
    if (m_in.bad()) {
        m_readFailed = true;
        fail(m_line, m_column, std::string("read failed: ") + std::strerror(errno));
        return -1;
    }
    return m_size > 0 ? static_cast<unsigned char>(m_buffer[0]) : -1;
}

void JsonElementReader::advance() {
    const auto c = static_cast<unsigned char>(m_buffer[m_position++]);
    if (c == '\n') {
        ++m_line;
        m_column = 1;
    } else if ((c & 0xC0) != 0x80) {
        ++m_column;
    }
}

void JsonElementReader::skipWhitespace() {
    while (isWhitespace(peek()))
        advance();
}

void JsonElementReader::skipSpacesOnLine() {
    for (int c = peek(); c == ' ' || c == '\t' || c == '\r'; c = peek())
        advance();
}

// Appends the bytes of one top-level value to `text`, stopping where it ends: at the bracket that
// closes it, at a mismatched closing bracket, at a raw newline inside a string (both are errors the
// parser then reports at that spot), at the end of a line in JSON Lines, or at the end of the file.
void JsonElementReader::scanElement(std::string& text) {
    int c = peek();
    if (c < 0)
        return;
    const auto take = [&] {
        text.push_back(static_cast<char>(c));
        advance();
    };
    if (c == '{' || c == '[' || c == '"') {
        std::vector<char> closers;
        bool inString = false;
        bool escaped = false;
        while ((c = peek()) >= 0) {
            if (!inString && c == '\n' && m_jsonLines)
                return;
            take();
            if (inString) {
                if (escaped)
                    escaped = false;
                else if (c == '\\')
                    escaped = true;
                else if (c == '"')
                    inString = false;
                else if (c == '\n')
                    return;
                if (!inString && closers.empty())
                    return; // a top-level string ended
            } else if (c == '"') {
                inString = true;
            } else if (c == '{') {
                closers.push_back('}');
            } else if (c == '[') {
                closers.push_back(']');
            } else if (c == '}' || c == ']') {
                if (closers.empty() || closers.back() != c)
                    return;
                closers.pop_back();
                if (closers.empty())
                    return;
            }
        }
        return;
    }
    if (endsToken(c)) {
        take();
        return;
    }
    while (c >= 0 && !endsToken(c)) {
        take();
        c = peek();
    }
}

std::optional<JsonElement> JsonElementReader::readElement() {
    const std::size_t line = m_line;
    const std::size_t column = m_column;
    std::string text;
    scanElement(text);
    if (m_state == State::Failed)
        return std::nullopt;
    try {
        JsonElement element;
        element.value = nlohmann::ordered_json::parse(text);
        element.index = m_index++;
        element.line = line;
        element.column = column;
        return element;
    } catch (const nlohmann::json::parse_error& error) {
        // nlohmann reports the offset one past the offending byte; at the end of the text when the
        // value is cut short.
        const std::size_t offset = error.byte > 0 ? error.byte - 1 : 0;
        if (m_jsonLines && !m_linesByExtension && m_index == 0 && text[0] == '{' && offset >= text.size() &&
            peek() == '\n')
            return fail(line, column,
                        "the top-level value is not an array: expected '[' or one JSON value per line");
        return failInElement(text, offset, line, column, error.what());
    } catch (const nlohmann::json::exception& error) {
        return failInElement(text, 0, line, column, error.what());
    }
}

std::nullopt_t JsonElementReader::failInElement(std::string_view text, std::size_t offset, std::size_t line,
                                                std::size_t column, const std::string& what) {
    const auto inElement = positionOf(text, offset);
    const std::size_t errorLine = line + inElement.line - 1;
    const std::size_t errorColumn = inElement.line == 1 ? column + inElement.column - 1 : inElement.column;
    return fail(errorLine, errorColumn, "invalid JSON: " + parseErrorText(what));
}

std::optional<JsonElement> JsonElementReader::nextInArray() {
    const std::string unclosed = "unexpected end of file: missing ']' to close the array opened at " +
                                 std::to_string(m_arrayLine) + ":" + std::to_string(m_arrayColumn);
    skipWhitespace();
    int c = peek();
    if (m_state == State::Failed)
        return std::nullopt;
    if (c < 0)
        return fail(m_line, m_column, unclosed);
    if (m_state == State::ArrayStart) {
        if (c != ']') {
            m_state = State::AfterElement;
            return readElement();
        }
    } else if (c == ',') {
        const std::size_t commaLine = m_line;
        const std::size_t commaColumn = m_column;
        advance();
        skipWhitespace();
        c = peek();
        if (m_state == State::Failed)
            return std::nullopt;
        if (c == ']')
            return fail(commaLine, commaColumn, "trailing comma before ']'");
        if (c < 0)
            return fail(m_line, m_column, unclosed);
        return readElement();
    } else if (c != ']') {
        return fail(m_line, m_column, "expected ',' or ']' after an element");
    }
    advance(); // the closing ']'
    skipWhitespace();
    if (peek() >= 0)
        return fail(m_line, m_column, "unexpected content after the closing ']'");
    if (m_state != State::Failed)
        m_state = State::Done;
    return std::nullopt;
}

std::optional<JsonElement> JsonElementReader::nextLine() {
    skipWhitespace(); // blank lines are skipped
    if (peek() < 0) {
        if (m_state != State::Failed)
            m_state = State::Done;
        return std::nullopt;
    }
    auto element = readElement();
    if (!element)
        return std::nullopt;
    skipSpacesOnLine();
    const int c = peek();
    if (m_state == State::Failed)
        return std::nullopt;
    if (c >= 0 && c != '\n')
        return fail(m_line, m_column,
                    "expected the end of the line after a value (JSON Lines hold one value per line)");
    return element;
}

std::nullopt_t JsonElementReader::fail(std::size_t line, std::size_t column, const std::string& what) {
    if (m_error.empty()) {
        m_error = m_path.string();
        if (line > 0)
            m_error += ":" + std::to_string(line) + ":" + std::to_string(column);
        m_error += ": " + what;
    }
    m_state = State::Failed;
    return std::nullopt;
}

std::string checkJsonElements(const std::filesystem::path& path,
                              const std::function<void(const JsonElement&)>& onElement) {
    JsonElementReader reader(path);
    if (auto error = reader.open(); !error.empty())
        return error;
    while (const auto element = reader.next()) {
        if (onElement)
            onElement(*element);
    }
    return reader.error();
}

} // namespace sds
