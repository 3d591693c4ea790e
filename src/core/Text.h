#pragma once

#include <string>
#include <string_view>

namespace sds::text {

[[nodiscard]] std::string toLower(std::string_view text);
[[nodiscard]] std::string_view trim(std::string_view text);
// "%3A" -> ":"; malformed escapes are kept as they are.
[[nodiscard]] std::string percentDecode(std::string_view text);
// -3 -> "-3", 0.25 -> "0.25", 1e-07 -> "1e-07": as short as it reads back the same to 6 digits.
[[nodiscard]] std::string shortNumber(double value);

} // namespace sds::text
