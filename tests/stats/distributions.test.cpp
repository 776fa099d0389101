// stats::t_sf and stats::f_sf take the incomplete-beta continued fraction (detail::beta_upper)
// for degrees of freedom up to 2000 and Boost's double evaluation beyond; both are checked here
// against Boost.Math in long double on a grid of df (integer and not, as a GAM's residual df)
// and arguments from the centre to the far tail.

#include <vasostat/stats/distributions.hpp>

#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/distributions/students_t.hpp>

#include <doctest/doctest.h>

#include <cmath>

namespace distributions_test {

// relative difference, with an absolute floor far below every tail probability compared
double rel(double got, long double want) {
  return static_cast<double>(std::abs(static_cast<long double>(got) - want) / std::max(std::abs(want), 1e-300L));
}

}  // namespace distributions_test

TEST_CASE("t and F upper tails match Boost.Math in long double (continued fraction and fallback)") {
  using distributions_test::rel;
  const double dfs[] = {1, 1.5, 2, 3, 7.3, 30, 59.53, 200, 1999, 2500, 1e5};
  const double xs[] = {-40, -3, -0.7, -1e-3, 1e-3, 0.2, 1, 2.5, 6, 15, 60};
  double worst_t = 0, worst_f = 0;
  for (const double df : dfs) {
    const boost::math::students_t_distribution<long double> t(df);
    for (const double x : xs) {
      const long double want = boost::math::cdf(boost::math::complement(t, static_cast<long double>(x)));
      if (want < 1e-280L) continue;
      INFO("t: df " << df << ", x " << x);
      CHECK(rel(vasostat::stats::t_sf(x, df), want) < 1e-11);
      worst_t = std::max(worst_t, rel(vasostat::stats::t_sf(x, df), want));
    }
    for (const double df1 : {1.0, 2.0, 4.6, 9.0, 40.0}) {
      const boost::math::fisher_f_distribution<long double> f(df1, df);
      for (const double x : xs) {
        if (x <= 0) continue;
        const long double want = boost::math::cdf(boost::math::complement(f, static_cast<long double>(x)));
        if (want < 1e-280L) continue;
        INFO("F: df1 " << df1 << ", df2 " << df << ", x " << x);
        CHECK(rel(vasostat::stats::f_sf(x, df1, df), want) < 1e-11);
        worst_f = std::max(worst_f, rel(vasostat::stats::f_sf(x, df1, df), want));
      }
    }
  }
  MESSAGE("worst relative difference: t " << worst_t << ", F " << worst_f);
  // the edges: x = 0 and the F tail at or below 0
  CHECK(vasostat::stats::t_sf(0.0, 5) == doctest::Approx(0.5).epsilon(1e-15));
  CHECK(vasostat::stats::f_sf(0.0, 3, 7) == 1.0);
  CHECK(vasostat::stats::f_sf(-1.0, 3, 7) == 1.0);
  CHECK(std::isnan(vasostat::stats::t_sf(1.0, std::nan(""))));
}
