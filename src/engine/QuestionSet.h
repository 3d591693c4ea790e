#pragma once

#include <cstdint>
#include <vector>

namespace sds::engine {

// The set of question fingerprints seen in a run: open addressing over a flat array of 64-bit keys,
// 12 bytes per row at the expected size (up to about 23 after growing) instead of the ~44 of a node-based
// set.
class QuestionSet {
public:
    explicit QuestionSet(std::size_t expected = 0);

    // True when the key was not there before.
    bool insert(std::uint64_t key);
    [[nodiscard]] bool contains(std::uint64_t key) const;
    [[nodiscard]] std::size_t size() const { return m_size; }

private:
    void grow();
    [[nodiscard]] std::size_t slotOf(std::uint64_t key) const;
    [[nodiscard]] std::size_t nextSlot(std::size_t slot) const;

    std::vector<std::uint64_t> m_slots; // 0 marks an empty slot; key 0 is kept aside
    std::size_t m_size = 0;
    bool m_hasZero = false;
};

} // namespace sds::engine
