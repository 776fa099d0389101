#pragma once
// Everything vasostat offers: the image pipeline and the statistics.

#include <vasostat/core.hpp>
#include <vasostat/core/simd.hpp>
#include <vasostat/gam.hpp>
#include <vasostat/stats.hpp>
#include <vasostat/survival.hpp>
#include <vasostat/threshold.hpp>
#include <vasostat/vessel.hpp>
