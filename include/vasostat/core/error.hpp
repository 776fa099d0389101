#pragma once
// Tier-1 errors: invalid input at a public boundary throws vasostat::invalid_argument whose
// message names the function, the argument and what is wrong. Without exceptions the
// user-definable VASOSTAT_ON_CONTRACT_VIOLATION(msg) is called (default: print and abort).

#include <vasostat/core/config.hpp>

#include <stdexcept>
#include <string>

#if !VASOSTAT_HAS_EXCEPTIONS && !defined(VASOSTAT_ON_CONTRACT_VIOLATION)
#  include <cstdio>
#  include <cstdlib>
#  define VASOSTAT_ON_CONTRACT_VIOLATION(msg) \
    (std::fputs((msg), stderr), std::fputc('\n', stderr), std::abort())
#endif

namespace vasostat::inline v0 {

/// Thrown for invalid input; what() reads "vasostat::<module>::<fn>: <argument> <problem>".
class invalid_argument : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

namespace detail {

[[noreturn]] VASOSTAT_COLD inline void throw_invalid_argument(const std::string& message) {
#if VASOSTAT_HAS_EXCEPTIONS
  throw vasostat::invalid_argument(message);
#else
  VASOSTAT_ON_CONTRACT_VIOLATION(message.c_str());
  std::abort();
#endif
}

}  // namespace detail
}  // namespace vasostat::inline v0

/// Checks a precondition at a public boundary; `message` is any expression convertible to
/// std::string and is only evaluated when the check fails.
#define VASOSTAT_EXPECTS(cond, message)                           \
  do {                                                            \
    if (!(cond)) [[unlikely]]                                     \
      ::vasostat::detail::throw_invalid_argument(message);        \
  } while (false)
