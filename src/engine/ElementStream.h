#pragma once

#include "core/JsonStream.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sds::engine {

// The elements of a JSON array or JSON Lines file, handed out one at a time and skipping those marked
// done (a resumed run): the input of curation and of evaluation. Not thread-safe; callers hold their
// pool's lock.
class ElementStream {
public:
    explicit ElementStream(std::filesystem::path path) : m_reader(std::move(path)) {}

    [[nodiscard]] std::string open() { return m_reader.open(); }

    // The next element not marked done; nothing at the end of the file or when it broke off (error()).
    std::optional<JsonElement> next() {
        while (!m_finished) {
            auto element = m_reader.next();
            if (!element) {
                m_finished = true;
                break;
            }
            if (element->index < m_done.size() && m_done[element->index])
                continue;
            return element;
        }
        return std::nullopt;
    }

    [[nodiscard]] bool finished() const { return m_finished; }
    [[nodiscard]] const std::string& error() const { return m_reader.error(); }

    void resize(std::size_t elements) { m_done.assign(elements, false); }
    // True when the element was not marked before.
    bool markDone(std::size_t index) {
        if (index >= m_done.size() || m_done[index])
            return false;
        m_done[index] = true;
        return true;
    }

private:
    JsonElementReader m_reader;
    std::vector<bool> m_done;
    bool m_finished = false;
};

} // namespace sds::engine
