#pragma once

#include <string>
#include <string_view>

namespace sds::testing {

// `unit` `times` times over, for degenerate model output.
inline std::string repeated(std::string_view unit, int times) {
    std::string text;
    for (int i = 0; i < times; ++i)
        text += unit;
    return text;
}

} // namespace sds::testing
