#pragma once
// vasostat::stats — distributions, correlation tests, multiplicity adjustment and weighted
// least squares shared by the statistical modules (Eigen + Boost.Math).

#include <vasostat/stats/correlation.hpp>
#include <vasostat/stats/correlation_matrix.hpp>
#include <vasostat/stats/distributions.hpp>
#include <vasostat/stats/linear_model.hpp>
#include <vasostat/stats/p_adjust.hpp>
#include <vasostat/stats/partial_correlation.hpp>
#include <vasostat/stats/ranks.hpp>
