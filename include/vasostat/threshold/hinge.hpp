#pragma once
// Threshold models by exact grid search (chngpt's hinge, segmented, step and upper-hinge types;
// Fong et al. 2017 BMC Bioinformatics 18:454, Fong 2019 JCGS 28:466-470): for the Gaussian
// model y = Z a + b h_e(x) + error, the residual sum of squares at every candidate threshold e
// follows from the partial-regression identity RSS(e) = RSS_Z - (h'M y)^2 / (h'M h), whose
// pieces Z'h, h'h and h'y are polynomials in e with suffix (or prefix) sums as coefficients.
// One sort and one sweep: O(n log n + n q^2) in total, not a refit per candidate. Optional
// continuous refinement between data points (the profile is a ratio of a squared linear over a
// quadratic there: its minimum in closed form) and
// seeded nonparametric bootstrap percentile CIs for the threshold and the coefficients.

#include <vasostat/core/error.hpp>
#include <vasostat/core/random.hpp>
#include <vasostat/stats/distributions.hpp>
#include <vasostat/threshold/detail/glm.hpp>
#include <vasostat/threshold/detail/numeric.hpp>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <numeric>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::threshold {

/// Shape of the threshold term (chngpt `type`).
enum class threshold_type : std::uint8_t {
  hinge,        ///< (x - e)_+ ; flat below e (x not otherwise in the model)
  segmented,    ///< x + (x - e)_+ ; continuous two-phase line (the clinical "two-piecewise")
  step,         ///< I(x > e)
  upper_hinge   ///< (e - x)_+ ; flat above e
};

struct threshold_grid_options {
  double lower_quantile = 0.05;  ///< candidates are x values within these quantiles (R type 7)
  double upper_quantile = 0.95;
  int min_side = 2;              ///< candidates leave at least this many observations on each side
  bool refine = false;           ///< minimise continuously between neighbouring data points
  int n_boot = 0;                ///< bootstrap replicates for percentile CIs (0 = none)
  std::uint64_t seed = 1;
  double conf_level = 0.95;
};

/// A fitted Gaussian threshold model. Coefficient order: intercept, [x for segmented],
/// covariates, threshold term.
struct threshold_fit {
  threshold_type type = threshold_type::hinge;
  double threshold = 0;             ///< e-hat (side convention: the term is zero at x <= e for hinge/step)
  double threshold_lower = std::numeric_limits<double>::quiet_NaN();  ///< bootstrap percentile CI
  double threshold_upper = std::numeric_limits<double>::quiet_NaN();
  Eigen::VectorXd coefficients;
  Eigen::VectorXd std_error;        ///< model-based, threshold treated as known
  Eigen::VectorXd p_value;          ///< t-test, threshold treated as known
  Eigen::VectorXd coef_boot_lower;  ///< bootstrap percentile CIs (threshold re-estimated)
  Eigen::VectorXd coef_boot_upper;
  Eigen::MatrixXd covariance;
  double rss = 0;
  double rss_null = 0;              ///< without the threshold term
  double sigma = 0;
  double df_residual = 0;
  double log_likelihood = 0;
  double log_likelihood_null = 0;
  Eigen::VectorXd candidates;       ///< thresholds searched (data points)
  Eigen::VectorXd profile_rss;      ///< RSS at each candidate
  Eigen::VectorXd boot_thresholds;  ///< the bootstrap distribution of e-hat
};

namespace detail {

inline double threshold_term(threshold_type t, double x, double e) noexcept {
  switch (t) {
    case threshold_type::hinge:
    case threshold_type::segmented:
      return x > e ? x - e : 0.0;
    case threshold_type::step:
      return x > e ? 1.0 : 0.0;
    case threshold_type::upper_hinge:
      return x < e ? e - x : 0.0;
  }
  return 0.0;
}

/// Data sorted by x with the base design Z (n x q) and the pieces reused across candidates.
struct grid_problem {
  threshold_type type = threshold_type::hinge;
  Eigen::VectorXd x;  // sorted, centred by `shift`
  Eigen::VectorXd y;
  Eigen::MatrixXd Z;
  double shift = 0;
  double scale = 1;
};

struct grid_scan {
  std::vector<double> cand;  // centred candidates
  std::vector<double> rss;
  std::size_t best = 0;
  double rss_null = 0;
  bool ok = false;
};

/// Profile RSS at each admissible candidate. lo/hi: centred bounds of the candidate range.
/// The sweep keeps the q + q + 6 running sums in plain arrays (q is small; no Eigen temporaries
/// per observation or per candidate).
inline grid_scan scan_grid(const grid_problem& g, double lo, double hi, int min_side, bool refine) {
  grid_scan out;
  const Eigen::Index n = g.x.size();
  const Eigen::Index q = g.Z.cols();
  const Eigen::MatrixXd ZtZ = g.Z.transpose() * g.Z;
  Eigen::LDLT<Eigen::MatrixXd> ldlt(ZtZ);
  if (ldlt.info() != Eigen::Success || ldlt.rcond() < 1e-13) {
    return out;
  }
  const Eigen::MatrixXd A = ldlt.solve(Eigen::MatrixXd::Identity(q, q));
  const Eigen::VectorXd alpha = A * (g.Z.transpose() * g.y);
  out.rss_null = (g.y - g.Z * alpha).squaredNorm();
  // suffix sums (over x > e) or prefix sums (over x < e) accumulated in one sweep
  const bool upper = g.type == threshold_type::upper_hinge;
  const auto qs = static_cast<std::size_t>(q);
  std::vector<double> buf(3 * qs, 0.0);
  double* Sz = buf.data();
  double* Szx = Sz + qs;
  double* Zh = Szx + qs;
  const double* Zd = g.Z.data();  // column-major, column a at Zd + a n
  const double* xd = g.x.data();
  const double* yd = g.y.data();
  double Sx = 0;
  double Sxx = 0;
  double Sy = 0;
  double Sxy = 0;
  double cnt = 0;
  auto add = [&](Eigen::Index i) {
    const double xi = xd[i];
    for (std::size_t a = 0; a < qs; ++a) {
      const double z = Zd[static_cast<Eigen::Index>(a) * n + i];
      Sz[a] += z;
      Szx[a] += z * xi;
    }
    Sx += xi;
    Sxx += xi * xi;
    Sy += yd[i];
    Sxy += xi * yd[i];
    cnt += 1;
  };
  auto rss_at = [&](double e) {
    double hh = 0;
    double hy = 0;
    switch (g.type) {
      case threshold_type::hinge:
      case threshold_type::segmented:
        for (std::size_t a = 0; a < qs; ++a) Zh[a] = Szx[a] - e * Sz[a];
        hh = Sxx - 2 * e * Sx + e * e * cnt;
        hy = Sxy - e * Sy;
        break;
      case threshold_type::step:
        for (std::size_t a = 0; a < qs; ++a) Zh[a] = Sz[a];
        hh = cnt;
        hy = Sy;
        break;
      case threshold_type::upper_hinge:
        for (std::size_t a = 0; a < qs; ++a) Zh[a] = e * Sz[a] - Szx[a];
        hh = e * e * cnt - 2 * e * Sx + Sxx;
        hy = e * Sy - Sxy;
        break;
    }
    double num = hy;
    double quad = 0;
    for (std::size_t a = 0; a < qs; ++a) {
      num -= Zh[a] * alpha[static_cast<Eigen::Index>(a)];
      double s = 0;
      for (std::size_t c = 0; c < qs; ++c) s += A(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(c)) * Zh[c];
      quad += Zh[a] * s;
    }
    const double den = hh - quad;
    if (!(den > 1e-12 * std::max(hh, 1e-300))) {
      return std::numeric_limits<double>::infinity();
    }
    return std::max(out.rss_null - num * num / den, 0.0);
  };
  // candidate j: distinct x value x_(j); side sets: below = x <= e, above = x > e
  struct seg {
    double e;
    double rss;
    double left;   // previous distinct x (for refinement), NaN at the ends
    double right;  // next distinct x
  };
  std::vector<seg> segs;
  const auto ms = static_cast<Eigen::Index>(std::max(min_side, 1));
  if (!upper) {
    // sweep from the top: after adding all i with x_i > e, evaluate at e
    Eigen::Index i = n - 1;
    Eigen::Index j = n - 1;
    while (j >= 0) {
      // distinct value block [k, j]
      Eigen::Index k = j;
      while (k > 0 && g.x[k - 1] == g.x[j]) {
        --k;
      }
      const double e = g.x[j];
      // suffix now holds x > e (added below after evaluation)
      const Eigen::Index above = n - 1 - j;
      const Eigen::Index below = j + 1;
      if (e >= lo && e <= hi && above >= ms && below >= ms) {
        const double r = rss_at(e);
        segs.push_back({e, r, k > 0 ? g.x[k - 1] : std::numeric_limits<double>::quiet_NaN(),
                        j + 1 < n ? g.x[j + 1] : std::numeric_limits<double>::quiet_NaN()});
      }
      for (i = j; i >= k; --i) {
        add(i);
      }
      j = k - 1;
    }
    std::reverse(segs.begin(), segs.end());
  } else {
    Eigen::Index j = 0;
    while (j < n) {
      Eigen::Index k = j;
      while (k + 1 < n && g.x[k + 1] == g.x[j]) {
        ++k;
      }
      const double e = g.x[j];
      const Eigen::Index below = j;          // x < e
      const Eigen::Index above = n - j;      // x >= e
      if (e >= lo && e <= hi && above >= ms && below >= ms) {
        const double r = rss_at(e);
        segs.push_back({e, r, j > 0 ? g.x[j - 1] : std::numeric_limits<double>::quiet_NaN(),
                        k + 1 < n ? g.x[k + 1] : std::numeric_limits<double>::quiet_NaN()});
      }
      for (Eigen::Index i = j; i <= k; ++i) {
        add(i);
      }
      j = k + 1;
    }
  }
  if (segs.empty()) {
    return out;
  }
  out.cand.reserve(segs.size());
  out.rss.reserve(segs.size());
  for (std::size_t s = 0; s < segs.size(); ++s) {
    out.cand.push_back(segs[s].e);
    out.rss.push_back(segs[s].rss);
    if (segs[s].rss < out.rss[out.best]) {
      out.best = s;
    }
  }
  out.ok = std::isfinite(out.rss[out.best]);
  if (out.ok && refine && (g.type == threshold_type::hinge || g.type == threshold_type::segmented)) {
    // Between consecutive distinct x the active set is fixed and RSS(e) is smooth: rebuild the
    // suffix sums for the two intervals around the best data point and minimise in closed form.
    const double eb = out.cand[out.best];
    double best_e = eb;
    double best_r = out.rss[out.best];
    auto refine_interval = [&](double a, double b) {
      if (!(std::isfinite(a) && std::isfinite(b)) || !(b > a)) {
        return;
      }
      a = std::max(a, lo);
      b = std::min(b, hi);
      if (!(b > a)) {
        return;
      }
      std::fill(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(2 * qs), 0.0);
      Sx = Sxx = Sy = Sxy = cnt = 0;
      for (Eigen::Index i = 0; i < n; ++i) {
        if (g.x[i] > a) {
          add(i);
        }
      }
      // On [a, b) RSS(e) = rss_null - num(e)^2 / den(e) with num = n0 + n1 e linear and
      // den = d0 + d1 e + d2 e^2 quadratic (Zh = Szx - e Sz); besides num = 0 (the largest RSS)
      // the only stationary point is the root of the linear 2 num' den - num den', so the
      // minimum is there or at an end (a data point, already on the grid): exact, no line search.
      double pa = 0, qa = 0, pap = 0, paq = 0, qaq = 0;
      for (std::size_t u = 0; u < qs; ++u) {
        const auto iu = static_cast<Eigen::Index>(u);
        pa += Szx[u] * alpha[iu];
        qa += Sz[u] * alpha[iu];
        for (std::size_t v = 0; v < qs; ++v) {
          const double auv = A(iu, static_cast<Eigen::Index>(v));
          pap += Szx[u] * auv * Szx[v];
          paq += Szx[u] * auv * Sz[v];
          qaq += Sz[u] * auv * Sz[v];
        }
      }
      const double n0 = Sxy - pa, n1 = qa - Sy;
      const double d0 = Sxx - pap, d1 = -2 * (Sx - paq), d2 = cnt - qaq;
      const double e = (n0 * d1 - 2 * n1 * d0) / (n1 * d1 - 2 * n0 * d2);
      if (std::isfinite(e) && e > a && e < b) {
        const double r = rss_at(e);
        if (r < best_r) {
          best_r = r;
          best_e = e;
        }
      }
    };
    const auto& sb = segs[out.best];
    refine_interval(sb.left, eb);
    refine_interval(eb, sb.right);
    out.cand[out.best] = best_e;
    out.rss[out.best] = best_r;
  }
  return out;
}

inline Eigen::MatrixXd threshold_design(const grid_problem& g, double e) {
  Eigen::MatrixXd X(g.Z.rows(), g.Z.cols() + 1);
  X.leftCols(g.Z.cols()) = g.Z;
  for (Eigen::Index i = 0; i < g.Z.rows(); ++i) {
    X(i, g.Z.cols()) = threshold_term(g.type, g.x[i], e);
  }
  return X;
}

/// The sorted, centred problem from rows already in ascending (stable) x order.
inline grid_problem make_sorted_grid_problem(threshold_type type, const Eigen::VectorXd& y, const Eigen::VectorXd& x,
                                             const Eigen::MatrixXd& cov, const std::vector<std::size_t>& sorted_rows,
                                             double shift) {
  grid_problem g;
  g.type = type;
  g.shift = shift;
  const auto n = static_cast<Eigen::Index>(sorted_rows.size());
  const Eigen::Index q = 1 + (type == threshold_type::segmented ? 1 : 0) + cov.cols();
  g.x.resize(n);
  g.y.resize(n);
  g.Z.resize(n, q);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto r = static_cast<Eigen::Index>(sorted_rows[static_cast<std::size_t>(i)]);
    g.x[i] = x[r] - shift;
    g.y[i] = y[r];
    Eigen::Index c = 0;
    g.Z(i, c++) = 1.0;
    if (type == threshold_type::segmented) {
      g.Z(i, c++) = g.x[i];
    }
    for (Eigen::Index k = 0; k < cov.cols(); ++k) {
      g.Z(i, c++) = cov(r, k);
    }
  }
  return g;
}

/// Builds the sorted, centred problem from raw inputs (indices select rows, for the bootstrap).
inline grid_problem make_grid_problem(threshold_type type, const Eigen::VectorXd& y, const Eigen::VectorXd& x,
                                      const Eigen::MatrixXd& cov, const std::vector<std::size_t>& rows,
                                      double shift) {
  std::vector<double> key(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) key[i] = x[static_cast<Eigen::Index>(rows[i])];
  std::vector<std::size_t> sorted = stable_order(key);
  for (auto& r : sorted) r = rows[r];
  return make_sorted_grid_problem(type, y, x, cov, sorted, shift);
}

/// The full-data problem shared by threshold_grid and threshold_effect: x centred at its mean,
/// the centred candidate bounds at the lower/upper type-7 quantiles, one sort of x.
struct grid_setup {
  grid_problem problem;
  std::vector<std::size_t> order;  ///< problem row i is input row order[i]
  double shift = 0;
  double lo = 0;  ///< centred
  double hi = 0;
};

inline grid_setup make_grid_setup(threshold_type type, const Eigen::VectorXd& y, const Eigen::VectorXd& x,
                                  const Eigen::MatrixXd& cov, double lower_quantile, double upper_quantile) {
  grid_setup s;
  s.shift = x.mean();
  s.order = stable_order(std::span<const double>(x.data(), static_cast<std::size_t>(x.size())));
  s.problem = make_sorted_grid_problem(type, y, x, cov, s.order, s.shift);
  std::vector<double> xs(s.order.size());
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = x[static_cast<Eigen::Index>(s.order[i])];
  s.lo = quantile7_sorted(xs, lower_quantile) - s.shift;
  s.hi = quantile7_sorted(xs, upper_quantile) - s.shift;
  return s;
}

inline double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return quantile7_sorted(v, p);
}

}  // namespace detail

/// Exact grid search for a Gaussian threshold model of the given type.
/// @throws vasostat::invalid_argument for sizes that disagree, NaN/Inf, a constant x, quantile
///   bounds outside (0, 1) or crossed, no candidate with options.min_side observations on each
///   side, options.n_boot < 0, or a rank-deficient base design.
[[nodiscard]] inline threshold_fit threshold_grid(std::span<const double> y, std::span<const double> x,
                                                  const Eigen::Ref<const Eigen::MatrixXd>& covariates,
                                                  threshold_type type, const threshold_grid_options& options = {}) {
  constexpr const char* fn = "vasostat::threshold::threshold_grid";
  const std::string f(fn);
  detail::expect_size(x.size(), y.size(), fn, "x", "y");
  VASOSTAT_EXPECTS(y.size() >= 4, f + ": y needs at least 4 observations");
  detail::expect_finite(y, fn, "y");
  detail::expect_finite(x, fn, "x");
  detail::expect_not_constant(x, fn, "x");
  if (covariates.size() > 0) {
    VASOSTAT_EXPECTS(covariates.rows() == static_cast<Eigen::Index>(y.size()),
                     f + ": covariates has " + std::to_string(covariates.rows()) + " rows but y has size " +
                         std::to_string(y.size()));
    VASOSTAT_EXPECTS(covariates.allFinite(), f + ": covariates contains NaN or Inf");
  }
  VASOSTAT_EXPECTS(options.lower_quantile >= 0 && options.lower_quantile < 1,
                   f + ": options.lower_quantile must lie in [0, 1)");
  VASOSTAT_EXPECTS(options.upper_quantile > 0 && options.upper_quantile <= 1,
                   f + ": options.upper_quantile must lie in (0, 1]");
  VASOSTAT_EXPECTS(options.lower_quantile < options.upper_quantile,
                   f + ": options.lower_quantile and options.upper_quantile are crossed");
  VASOSTAT_EXPECTS(options.n_boot >= 0, f + ": options.n_boot must be >= 0");
  VASOSTAT_EXPECTS(options.min_side >= 1, f + ": options.min_side must be >= 1");
  detail::expect_level(options.conf_level, fn, "options.conf_level");

  const auto n = static_cast<Eigen::Index>(y.size());
  const Eigen::VectorXd Y = Eigen::Map<const Eigen::VectorXd>(y.data(), n);
  const Eigen::VectorXd Xv = Eigen::Map<const Eigen::VectorXd>(x.data(), n);
  const Eigen::MatrixXd C = covariates.size() > 0 ? Eigen::MatrixXd(covariates) : Eigen::MatrixXd(n, 0);
  const auto setup = detail::make_grid_setup(type, Y, Xv, C, options.lower_quantile, options.upper_quantile);
  const detail::grid_problem& g = setup.problem;
  const double shift = setup.shift, lo = setup.lo, hi = setup.hi;
  const auto scan = detail::scan_grid(g, lo, hi, options.min_side, options.refine);
  VASOSTAT_EXPECTS(!scan.cand.empty(), f + ": no candidate threshold between the quantile bounds leaves "
                                           "options.min_side (" + std::to_string(options.min_side) +
                                           ") observations on either side");
  VASOSTAT_EXPECTS(scan.ok, f + ": the design [1, covariates, threshold term] is rank deficient "
                                "(collinear covariates?)");
  threshold_fit out;
  out.type = type;
  const double e = scan.cand[scan.best];
  out.threshold = e + shift;
  out.candidates.resize(static_cast<Eigen::Index>(scan.cand.size()));
  out.profile_rss.resize(static_cast<Eigen::Index>(scan.cand.size()));
  for (std::size_t i = 0; i < scan.cand.size(); ++i) {
    out.candidates[static_cast<Eigen::Index>(i)] = scan.cand[i] + shift;
    out.profile_rss[static_cast<Eigen::Index>(i)] = scan.rss[i];
  }
  // final fit on the original (uncentred) scale
  Eigen::MatrixXd X(n, g.Z.cols() + 1);
  {
    Eigen::Index c = 0;
    X.col(c++).setOnes();
    if (type == threshold_type::segmented) {
      X.col(c++) = Xv;
    }
    if (C.cols() > 0) {
      X.middleCols(c, C.cols()) = C;
      c += C.cols();
    }
    for (Eigen::Index i = 0; i < n; ++i) {
      X(i, c) = detail::threshold_term(type, Xv[i], out.threshold);
    }
  }
  Eigen::MatrixXd cov_unscaled;
  Eigen::VectorXd coef;
  VASOSTAT_EXPECTS(detail::wls(X, Y, Eigen::VectorXd::Ones(n), coef, &cov_unscaled),
                   f + ": the design at the selected threshold is rank deficient");
  const auto p = X.cols();
  out.coefficients = coef;
  out.rss = (Y - X * coef).squaredNorm();
  out.rss_null = scan.rss_null;
  out.df_residual = static_cast<double>(n - p);
  VASOSTAT_EXPECTS(out.df_residual > 0, f + ": too few observations for the model");
  out.sigma = std::sqrt(out.rss / out.df_residual);
  out.covariance = cov_unscaled * (out.sigma * out.sigma);
  out.std_error = out.covariance.diagonal().array().sqrt();
  out.p_value.resize(p);
  for (Eigen::Index k = 0; k < p; ++k) {
    out.p_value[k] = stats::t_two_sided_p(out.coefficients[k] / out.std_error[k], out.df_residual);
  }
  const double nd = static_cast<double>(n);
  out.log_likelihood = -nd / 2 * (std::log(2 * std::numbers::pi * out.rss / nd) + 1);
  out.log_likelihood_null = -nd / 2 * (std::log(2 * std::numbers::pi * out.rss_null / nd) + 1);

  if (options.n_boot > 0) {
    random_generator rng(options.seed);
    std::vector<double> eb;
    std::vector<std::vector<double>> cb(static_cast<std::size_t>(p));
    std::vector<std::size_t> br(static_cast<std::size_t>(n));
    for (int b = 0; b < options.n_boot; ++b) {
      for (auto& r : br) {
        r = static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(n)));
      }
      const auto gb = detail::make_grid_problem(type, Y, Xv, C, br, shift);
      const auto sb = detail::scan_grid(gb, lo, hi, options.min_side, options.refine);
      if (!sb.ok) {
        continue;
      }
      const double ebest = sb.cand[sb.best];
      const Eigen::MatrixXd Xb = detail::threshold_design(gb, ebest);
      // normal equations suffice here (centred x keeps them well conditioned) and are cheap
      const Eigen::MatrixXd gram = Xb.transpose() * Xb;
      Eigen::LDLT<Eigen::MatrixXd> ldlt(gram);
      if (ldlt.info() != Eigen::Success || !(ldlt.rcond() > 1e-13)) {
        continue;
      }
      Eigen::VectorXd cbk = ldlt.solve(Xb.transpose() * gb.y);
      // back to the uncentred parameterisation: only the intercept (segmented: with x) moves
      if (type == threshold_type::segmented) {
        cbk[0] -= cbk[1] * shift;
      }
      eb.push_back(ebest + shift);
      for (Eigen::Index k = 0; k < p; ++k) {
        cb[static_cast<std::size_t>(k)].push_back(cbk[k]);
      }
    }
    if (!eb.empty()) {
      const double a = (1 - options.conf_level) / 2;
      out.boot_thresholds = Eigen::Map<const Eigen::VectorXd>(eb.data(), static_cast<Eigen::Index>(eb.size()));
      out.threshold_lower = detail::percentile(eb, a);
      out.threshold_upper = detail::percentile(eb, 1 - a);
      out.coef_boot_lower.resize(p);
      out.coef_boot_upper.resize(p);
      for (Eigen::Index k = 0; k < p; ++k) {
        out.coef_boot_lower[k] = detail::percentile(cb[static_cast<std::size_t>(k)], a);
        out.coef_boot_upper[k] = detail::percentile(cb[static_cast<std::size_t>(k)], 1 - a);
      }
    }
  }
  return out;
}

/// Hinge model y = a + covariates + b (x - e)_+ by exact grid search (chngpt type "hinge").
[[nodiscard]] inline threshold_fit hinge(std::span<const double> y, std::span<const double> x,
                                         const Eigen::Ref<const Eigen::MatrixXd>& covariates,
                                         const threshold_grid_options& options = {}) {
  return threshold_grid(y, x, covariates, threshold_type::hinge, options);
}

[[nodiscard]] inline threshold_fit hinge(std::span<const double> y, std::span<const double> x,
                                         const threshold_grid_options& options = {}) {
  return threshold_grid(y, x, Eigen::MatrixXd(0, 0), threshold_type::hinge, options);
}

/// Step model y = a + covariates + b I(x > e) by exact grid search (chngpt type "step").
[[nodiscard]] inline threshold_fit step(std::span<const double> y, std::span<const double> x,
                                        const Eigen::Ref<const Eigen::MatrixXd>& covariates,
                                        const threshold_grid_options& options = {}) {
  return threshold_grid(y, x, covariates, threshold_type::step, options);
}

[[nodiscard]] inline threshold_fit step(std::span<const double> y, std::span<const double> x,
                                        const threshold_grid_options& options = {}) {
  return threshold_grid(y, x, Eigen::MatrixXd(0, 0), threshold_type::step, options);
}

}  // namespace vasostat::inline v0::threshold
