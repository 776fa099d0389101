#pragma once
// vasostat::gam — penalized-spline generalized additive models (mgcv-compatible P-splines,
// REML/GCV smoothing-parameter selection, Wood 2013 smooth tests, prediction and derivatives).

#include <vasostat/gam/basis.hpp>
#include <vasostat/gam/fit.hpp>
#include <vasostat/gam/predict.hpp>
