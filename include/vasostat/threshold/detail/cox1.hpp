#pragma once
// Cox proportional-hazards fit of a single covariate (Efron ties) by Newton-Raphson, for the
// hazard ratio at a cut-point; written from Cox (1972) and Efron (1977). The survival module
// has the general model; this one-parameter version keeps maxstat free of it. O(n log n).

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

namespace vasostat::inline v0::threshold::detail {

struct cox1_fit {
  double beta = 0;
  double std_error = std::numeric_limits<double>::quiet_NaN();
  double loglik = 0;
  double loglik0 = 0;
  double score_statistic = 0;  ///< score test at beta = 0 (the log-rank statistic for a 0/1 z)
  bool converged = false;
};

/// order: indices sorted by decreasing time (events before censored at tied times is not
/// needed: Efron handles tied events; censored at a tied time stay in the risk set).
inline cox1_fit cox_single(std::span<const double> time, std::span<const double> status,
                           std::span<const double> z, const std::vector<std::size_t>& order_desc) {
  const std::size_t n = time.size();
  auto eval = [&](double b, double& ll, double& u, double& info) {
    ll = 0;
    u = 0;
    info = 0;
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    std::size_t i = 0;
    while (i < n) {
      // a block of tied times (in decreasing order)
      const double t = time[order_desc[i]];
      std::size_t j = i;
      double d0 = 0;
      double d1 = 0;
      double d2 = 0;
      double dcount = 0;
      double zsum = 0;
      while (j < n && time[order_desc[j]] == t) {
        const std::size_t k = order_desc[j];
        const double r = std::exp(b * z[k]);
        s0 += r;
        s1 += r * z[k];
        s2 += r * z[k] * z[k];
        if (status[k] != 0) {
          d0 += r;
          d1 += r * z[k];
          d2 += r * z[k] * z[k];
          dcount += 1;
          zsum += z[k];
        }
        ++j;
      }
      if (dcount > 0) {
        ll += b * zsum;
        u += zsum;
        for (double l = 0; l < dcount; l += 1) {
          const double f = l / dcount;
          const double a0 = s0 - f * d0;
          const double a1 = s1 - f * d1;
          const double a2 = s2 - f * d2;
          ll -= std::log(a0);
          u -= a1 / a0;
          info += a2 / a0 - (a1 / a0) * (a1 / a0);
        }
      }
      i = j;
    }
  };
  cox1_fit out;
  double ll = 0;
  double u = 0;
  double info = 0;
  eval(0.0, ll, u, info);
  out.loglik0 = ll;
  out.score_statistic = info > 0 ? u * u / info : 0.0;
  double b = 0;
  double ll_old = ll;
  for (int it = 0; it < 50; ++it) {
    if (!(info > 0)) {
      break;
    }
    double step = u / info;
    double nb = b + step;
    double nll = 0;
    double nu = 0;
    double ninfo = 0;
    eval(nb, nll, nu, ninfo);
    int halve = 0;
    while (nll < ll_old && halve < 20) {
      step /= 2;
      nb = b + step;
      eval(nb, nll, nu, ninfo);
      ++halve;
    }
    b = nb;
    u = nu;
    info = ninfo;
    const bool done = std::fabs(nll - ll_old) / (std::fabs(nll) + 1e-10) < 1e-12;
    ll_old = nll;
    if (done) {
      out.converged = true;
      break;
    }
  }
  out.beta = b;
  out.loglik = ll_old;
  out.std_error = info > 0 ? 1 / std::sqrt(info) : std::numeric_limits<double>::quiet_NaN();
  return out;
}

inline std::vector<std::size_t> order_by_time_desc(std::span<const double> time) {
  std::vector<std::size_t> o(time.size());
  std::iota(o.begin(), o.end(), std::size_t{0});
  std::stable_sort(o.begin(), o.end(), [&](std::size_t a, std::size_t b) { return time[a] > time[b]; });
  return o;
}

}  // namespace vasostat::inline v0::threshold::detail
