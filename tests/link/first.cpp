// With second.cpp: two TUs including the umbrella header link into one program, which catches a
// non-inline definition in any header.
#include <vasostat/vasostat.hpp>

#include <vector>

double second_tu_correlation();

int main() {
  const std::vector<double> x{1, 2, 3, 4, 5};
  const std::vector<double> y{2, 1, 4, 3, 5};
  const double here = vasostat::stats::pearson(x, y).estimate;
  return here == second_tu_correlation() ? 0 : 1;
}
