#pragma once

#include <string>
#include <string_view>

namespace sds::text {

[[nodiscard]] std::string toLower(std::string_view text);
[[nodiscard]] std::string_view trim(std::string_view text);
// "%3A" -> ":"; malformed escapes are kept as they are.
[[nodiscard]] std::string percentDecode(std::string_view text);

} // namespace sds::text
