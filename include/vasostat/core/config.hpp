#pragma once
// Compiler features vasostat relies on, detected once: exceptions (as {fmt} detects them),
// forced inlining, and the internal-invariant assertion.

#include <cassert>

#if !defined(VASOSTAT_NO_EXCEPTIONS) && \
    (defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND))
#  define VASOSTAT_HAS_EXCEPTIONS 1
#else
#  define VASOSTAT_HAS_EXCEPTIONS 0
#endif

#if defined(__GNUC__) || defined(__clang__)
#  define VASOSTAT_FORCEINLINE inline __attribute__((always_inline))
#  define VASOSTAT_COLD __attribute__((cold, noinline))
#elif defined(_MSC_VER)
#  define VASOSTAT_FORCEINLINE __forceinline
#  define VASOSTAT_COLD __declspec(noinline)
#else
#  define VASOSTAT_FORCEINLINE inline
#  define VASOSTAT_COLD
#endif

// Internal invariants (tier 3): active unless NDEBUG, overridable by the user.
#ifndef VASOSTAT_ASSERT
#  define VASOSTAT_ASSERT(cond) assert(cond)
#endif
