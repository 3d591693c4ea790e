# One INTERFACE target carries the language standard, warnings and sanitizer flags;
# every project target links it.
add_library(sds_common_options INTERFACE)
target_compile_features(sds_common_options INTERFACE cxx_std_20)
set(CMAKE_CXX_EXTENSIONS OFF)
target_compile_options(sds_common_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wimplicit-fallthrough)
target_compile_definitions(sds_common_options INTERFACE
  QT_NO_CAST_FROM_ASCII QT_NO_CAST_TO_ASCII QT_NO_URL_CAST_FROM_STRING
  QT_NO_CAST_FROM_BYTEARRAY QT_NO_NARROWING_CONVERSIONS_IN_CONNECT)
if(SDS_WARNINGS_AS_ERRORS)
  target_compile_options(sds_common_options INTERFACE -Werror)
endif()
if(SDS_SANITIZERS)
  target_compile_options(sds_common_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(sds_common_options INTERFACE -fsanitize=address,undefined)
endif()
