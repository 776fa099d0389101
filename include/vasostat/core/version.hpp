#pragma once
// vasostat's version, as macros (for #if) and as constants.

#define VASOSTAT_VERSION_MAJOR 0
#define VASOSTAT_VERSION_MINOR 1
#define VASOSTAT_VERSION_PATCH 0
#define VASOSTAT_VERSION \
  (VASOSTAT_VERSION_MAJOR * 10000 + VASOSTAT_VERSION_MINOR * 100 + VASOSTAT_VERSION_PATCH)

namespace vasostat::inline v0 {
inline constexpr int version_major = VASOSTAT_VERSION_MAJOR;
inline constexpr int version_minor = VASOSTAT_VERSION_MINOR;
inline constexpr int version_patch = VASOSTAT_VERSION_PATCH;
inline constexpr const char* version_string = "0.1.0";
}  // namespace vasostat::inline v0
