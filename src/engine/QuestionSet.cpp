#include "engine/QuestionSet.h"

#include <algorithm>

namespace sds::engine {

QuestionSet::QuestionSet(std::size_t expected) {
    // Two thirds full at the expected size: 12 bytes a row (a power of two would have taken up to 16).
    m_slots.assign(std::max<std::size_t>(16, expected + expected / 2), 0);
}

std::size_t QuestionSet::slotOf(std::uint64_t key) const {
    // Fibonacci hashing spreads keys whose low bits are alike; its top 32 bits are scaled to the size.
    return static_cast<std::size_t>((((key * 0x9E3779B97F4A7C15ULL) >> 32U) * m_slots.size()) >> 32U);
}

std::size_t QuestionSet::nextSlot(std::size_t slot) const {
    return slot + 1 == m_slots.size() ? 0 : slot + 1;
}

bool QuestionSet::contains(std::uint64_t key) const {
    if (key == 0)
        return m_hasZero;
    for (std::size_t slot = slotOf(key);; slot = nextSlot(slot)) {
        if (m_slots[slot] == key)
            return true;
        if (m_slots[slot] == 0)
            return false;
    }
}

bool QuestionSet::insert(std::uint64_t key) {
    if (key == 0) {
        const bool added = !m_hasZero;
        m_hasZero = true;
        m_size += added ? 1 : 0;
        return added;
    }
    if ((m_size + 1) * 10 > m_slots.size() * 7)
        grow();
    for (std::size_t slot = slotOf(key);; slot = nextSlot(slot)) {
        if (m_slots[slot] == key)
            return false;
        if (m_slots[slot] == 0) {
            m_slots[slot] = key;
            ++m_size;
            return true;
        }
    }
}

void QuestionSet::grow() {
    std::vector<std::uint64_t> old(m_slots.size() * 2, 0);
    old.swap(m_slots);
    for (const std::uint64_t key : old) {
        if (key == 0)
            continue;
        std::size_t slot = slotOf(key);
        while (m_slots[slot] != 0)
            slot = nextSlot(slot);
        m_slots[slot] = key;
    }
}

} // namespace sds::engine
