#pragma once
// vasostat::vessel — image kernels and microcirculation metrics (xsimd only, no Eigen):
// include this one header for the whole image pipeline.

#include <vasostat/vessel/graph.hpp>
