#pragma once
// Everything vasostat offers: the image pipeline and the statistics.

#include <vasostat/core.hpp>
#include <vasostat/core/simd.hpp>
#include <vasostat/stats.hpp>
#if __has_include(<vasostat/vessel.hpp>)
#  include <vasostat/vessel.hpp>
#endif
#if __has_include(<vasostat/gam.hpp>)
#  include <vasostat/gam.hpp>
#endif
#if __has_include(<vasostat/survival.hpp>)
#  include <vasostat/survival.hpp>
#endif
#if __has_include(<vasostat/threshold.hpp>)
#  include <vasostat/threshold.hpp>
#endif
