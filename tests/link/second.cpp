#include <vasostat/vasostat.hpp>

#include <vector>

double second_tu_correlation() {
  const std::vector<double> x{1, 2, 3, 4, 5};
  const std::vector<double> y{2, 1, 4, 3, 5};
  return vasostat::stats::pearson(x, y).estimate;
}
