#pragma once
// vasostat::threshold — breakpoints, threshold effects and cut-points.

#include <vasostat/threshold/breakpoint_tests.hpp>
#include <vasostat/threshold/cox_threshold.hpp>
#include <vasostat/threshold/from_smooth.hpp>
#include <vasostat/threshold/hinge.hpp>
#include <vasostat/threshold/maxstat.hpp>
#include <vasostat/threshold/roc.hpp>
#include <vasostat/threshold/segmented.hpp>
#include <vasostat/threshold/threshold_effect.hpp>
