#pragma once
// Tests for the existence of a breakpoint, whose location is not identified under the null:
// Davies' upcrossing bound (Davies 1987 Biometrika 74:33-43; 2002 Biometrika 89:484-489) over
// k evaluation points, and Muggeo's pseudo-score test (Muggeo 2016, JSCS 86:3059-3067), which
// scores the average hinge regressor over the same points. Both follow R segmented 1.6-2's
// davies.test() and pscore.test() on a (g)lm without breakpoint. Cost O(k n p^2).

#include <vasostat/core/error.hpp>
#include <vasostat/stats/distributions.hpp>
#include <vasostat/threshold/detail/design.hpp>
#include <vasostat/threshold/detail/glm.hpp>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::threshold {

/// Direction of the alternative for the slope difference at the breakpoint.
enum class alternative : std::uint8_t { two_sided, less, greater };

/// Process statistic of Davies' test for GLMs (R davies.test `type`).
enum class davies_statistic : std::uint8_t { lrt, wald };

struct davies_options {
  int k = 10;  ///< number of evaluation points (R default)
  threshold::alternative alternative = threshold::alternative::two_sided;
  davies_statistic statistic = davies_statistic::lrt;  ///< GLMs; Gaussian n <= 300 uses t
  threshold::family family = threshold::family::gaussian;
  std::span<const double> weights = {};
  std::span<const double> offset = {};
  std::vector<double> values = {};  ///< evaluation points; empty = k equally spaced from the
                                    ///< 2nd smallest to the 2nd largest x (R default)
};

struct davies_result {
  double best_at = 0;        ///< evaluation point where the process is extreme (R 'best' at)
  double statistic = 0;      ///< the extreme value M of the process
  double p_value = 1;        ///< Davies' upper bound, capped at 1
  Eigen::VectorXd values;    ///< evaluation points used
  Eigen::VectorXd process;   ///< statistic at each point
};

struct pscore_options {
  int k = 10;
  threshold::alternative alternative = threshold::alternative::two_sided;
  threshold::family family = threshold::family::gaussian;
  std::span<const double> weights = {};
  std::span<const double> offset = {};
  std::vector<double> values = {};  ///< empty = k equally spaced from min(x) to max(x) (R)
};

struct pscore_result {
  double statistic = 0;  ///< t (Gaussian, df = n - p) or z (GLM)
  double p_value = 1;
  double df = 0;         ///< residual df of the null model (Gaussian), +Inf for GLMs
};

namespace detail {

inline Eigen::VectorXd evaluation_points(const Eigen::VectorXd& x, const std::vector<double>& values,
                                         int k, bool inner, const char* fn) {
  if (!values.empty()) {
    expect_finite(values, fn, "options.values");
    return Eigen::Map<const Eigen::VectorXd>(values.data(), static_cast<Eigen::Index>(values.size()));
  }
  VASOSTAT_EXPECTS(k >= 2, std::string(fn) + ": options.k must be >= 2");
  std::vector<double> s(x.data(), x.data() + x.size());
  std::sort(s.begin(), s.end());
  const double lo = inner ? s[1] : s.front();
  const double hi = inner ? s[s.size() - 2] : s.back();
  Eigen::VectorXd v(k);
  for (int i = 0; i < k; ++i) {
    v[i] = lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(k - 1);
  }
  v[k - 1] = hi;
  return v;
}

/// Residual of sqrt(w) a after projection on sqrt(w) X.
inline Eigen::VectorXd weighted_residual(const Eigen::MatrixXd& X, const Eigen::VectorXd& w,
                                         const Eigen::VectorXd& a) {
  const Eigen::VectorXd sw = w.array().sqrt();
  const Eigen::MatrixXd Xs = X.array().colwise() * sw.array();
  const Eigen::VectorXd as = a.array() * sw.array();
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(Xs);
  return as - Xs * qr.solve(as);
}

}  // namespace detail

/// Davies' test for a change in the slope of x.
/// @throws vasostat::invalid_argument for bad data (as segmented()) or options.k < 2.
[[nodiscard]] inline davies_result davies_test(std::span<const double> y, std::span<const double> x,
                                               const Eigen::Ref<const Eigen::MatrixXd>& covariates,
                                               const davies_options& options = {}) {
  constexpr const char* fn = "vasostat::threshold::davies_test";
  auto d = detail::make_model_data(y, x, covariates, options.weights, options.offset,
                                   options.family, fn);
  VASOSTAT_EXPECTS(d.n() >= 4, std::string(fn) + ": y needs at least 4 observations");
  const Eigen::VectorXd values = detail::evaluation_points(d.x, options.values, options.k, true, fn);
  const Eigen::MatrixXd X0 = d.null_design();
  const Eigen::Index n = d.n();
  const Eigen::Index p = X0.cols();
  const double df = static_cast<double>(n - p - 1);
  VASOSTAT_EXPECTS(df > 0, std::string(fn) + ": too few observations for the model");
  const bool lm_t = d.fam == family::gaussian && n <= 300;
  const bool wald = d.fam == family::gaussian || options.statistic == davies_statistic::wald;
  const auto null_fit = detail::fit_glm(X0, d.y, d.weights, d.offset, d.fam, nullptr, 100, 1e-10, false);
  VASOSTAT_EXPECTS(null_fit.full_rank, std::string(fn) + ": the null design is rank deficient");

  std::vector<double> vals;
  std::vector<double> stat;
  std::vector<double> angle;  // asin(sqrt(Z^2 / (Z^2 + RSS))) for the t version
  Eigen::MatrixXd X(n, p + 1);
  X.rightCols(p) = X0;
  for (Eigen::Index i = 0; i < values.size(); ++i) {
    X.col(0) = (d.x.array() - values[i]).max(0.0);
    const auto fit = detail::fit_glm(X, d.y, d.weights, d.offset, d.fam, &null_fit.eta, 100,
                                     1e-10, true);
    if (!fit.full_rank) {
      continue;
    }
    double s = 0;
    if (lm_t) {
      const double z = fit.coef[0] / std::sqrt(fit.cov_unscaled(0, 0));
      s = z / std::sqrt(fit.deviance / df);
      angle.push_back(std::asin(std::sqrt(z * z / (z * z + fit.deviance))));
    } else if (wald) {
      const double disp = d.fam == family::gaussian ? fit.deviance / df : 1.0;
      s = fit.coef[0] / std::sqrt(disp * fit.cov_unscaled(0, 0));
    } else {
      const double diff = null_fit.deviance - fit.deviance;
      if (!(diff >= 0)) {
        continue;  // R drops points where the LR statistic is not defined
      }
      s = std::sqrt(diff) * (fit.coef[0] > 0 ? 1.0 : (fit.coef[0] < 0 ? -1.0 : 0.0));
    }
    vals.push_back(values[i]);
    stat.push_back(s);
  }
  VASOSTAT_EXPECTS(!stat.empty(), std::string(fn) + ": no evaluation point gives a full-rank fit");
  davies_result out;
  out.values = Eigen::Map<const Eigen::VectorXd>(vals.data(), static_cast<Eigen::Index>(vals.size()));
  out.process = Eigen::Map<const Eigen::VectorXd>(stat.data(), static_cast<Eigen::Index>(stat.size()));
  double V = 0;
  for (std::size_t i = 1; i < stat.size(); ++i) {
    V += lm_t ? std::fabs(angle[i] - angle[i - 1]) : std::fabs(stat[i] - stat[i - 1]);
  }
  std::size_t best = 0;
  double M = 0;
  double p_naive = 0;
  const bool onesided = options.alternative != alternative::two_sided;
  for (std::size_t i = 0; i < stat.size(); ++i) {
    const double key = options.alternative == alternative::less      ? -stat[i]
                       : options.alternative == alternative::greater ? stat[i]
                                                                     : std::fabs(stat[i]);
    const double cur = options.alternative == alternative::less      ? -stat[best]
                       : options.alternative == alternative::greater ? stat[best]
                                                                     : std::fabs(stat[best]);
    if (key > cur) {
      best = i;
    }
  }
  M = onesided ? stat[best] : std::fabs(stat[best]);
  double approx = 0;
  if (lm_t) {
    p_naive = options.alternative == alternative::less ? stats::t_cdf(M, df) : stats::t_sf(M, df);
    const double u = M * M / (df + M * M);
    approx = V * std::pow(1 - u, (df - 1) / 2) * std::exp(std::lgamma(df / 2 + 0.5) - std::lgamma(df / 2)) /
             (2 * std::sqrt(std::numbers::pi));
  } else {
    p_naive = options.alternative == alternative::less ? stats::normal_cdf(M) : stats::normal_sf(M);
    approx = V * std::exp(-M * M / 2) / std::sqrt(8 * std::numbers::pi);
  }
  out.best_at = vals[best];
  out.statistic = M;
  out.p_value = std::min(1.0, (onesided ? 1.0 : 2.0) * (p_naive + approx));
  return out;
}

[[nodiscard]] inline davies_result davies_test(std::span<const double> y, std::span<const double> x,
                                               const davies_options& options = {}) {
  return davies_test(y, x, Eigen::MatrixXd(0, 0), options);
}

/// Muggeo's pseudo-score test for one breakpoint in x.
/// @throws vasostat::invalid_argument for bad data (as segmented()) or options.k < 2.
[[nodiscard]] inline pscore_result pscore_test(std::span<const double> y, std::span<const double> x,
                                               const Eigen::Ref<const Eigen::MatrixXd>& covariates,
                                               const pscore_options& options = {}) {
  constexpr const char* fn = "vasostat::threshold::pscore_test";
  auto d = detail::make_model_data(y, x, covariates, options.weights, options.offset,
                                   options.family, fn);
  const Eigen::VectorXd values = detail::evaluation_points(d.x, options.values, options.k, false, fn);
  const Eigen::MatrixXd X0 = d.null_design();
  const Eigen::Index n = d.n();
  const double df = static_cast<double>(n - X0.cols());
  VASOSTAT_EXPECTS(df > 0, std::string(fn) + ": too few observations for the model");
  Eigen::VectorXd phi = Eigen::VectorXd::Zero(n);
  for (Eigen::Index j = 0; j < values.size(); ++j) {
    phi.array() += (d.x.array() - values[j]).max(0.0);
  }
  phi /= static_cast<double>(values.size());
  const auto null_fit = detail::fit_glm(X0, d.y, d.weights, d.offset, d.fam, nullptr, 100, 1e-10, false);
  VASOSTAT_EXPECTS(null_fit.full_rank, std::string(fn) + ": the null design is rank deficient");
  const Eigen::VectorXd& w = null_fit.working_weights;
  const Eigen::VectorXd A = detail::weighted_residual(X0, w, phi);
  // working residuals times sqrt(working weight)
  Eigen::VectorXd zw(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double var = d.fam == family::binomial  ? null_fit.mu[i] * (1 - null_fit.mu[i])
                       : d.fam == family::poisson ? null_fit.mu[i]
                                                  : 1.0;
    zw[i] = std::sqrt(w[i]) * (d.y[i] - null_fit.mu[i]) / var;
  }
  const double u = A.dot(zw);
  const double v = A.squaredNorm();
  const double disp = d.fam == family::gaussian ? null_fit.deviance / df : 1.0;
  pscore_result out;
  out.statistic = u / std::sqrt(v * disp);
  if (d.fam == family::gaussian) {
    out.df = df;
    const double t = out.statistic;
    out.p_value = options.alternative == alternative::less      ? stats::t_cdf(t, df)
                  : options.alternative == alternative::greater ? stats::t_sf(t, df)
                                                                : 2 * stats::t_sf(std::fabs(t), df);
  } else {
    out.df = std::numeric_limits<double>::infinity();
    const double z = out.statistic;
    out.p_value = options.alternative == alternative::less      ? stats::normal_cdf(z)
                  : options.alternative == alternative::greater ? stats::normal_sf(z)
                                                                : 2 * stats::normal_sf(std::fabs(z));
  }
  return out;
}

[[nodiscard]] inline pscore_result pscore_test(std::span<const double> y, std::span<const double> x,
                                               const pscore_options& options = {}) {
  return pscore_test(y, x, Eigen::MatrixXd(0, 0), options);
}

}  // namespace vasostat::inline v0::threshold
