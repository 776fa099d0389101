// Device builds often drop exceptions: the image side (core + vessel) must compile with
// -fno-exceptions, where a violated precondition calls VASOSTAT_ON_CONTRACT_VIOLATION.
#include <vasostat/core.hpp>
#include <vasostat/core/simd.hpp>
#include <vasostat/vessel.hpp>

static_assert(!VASOSTAT_HAS_EXCEPTIONS, "this TU is compiled with -fno-exceptions");
