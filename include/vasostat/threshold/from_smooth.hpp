#pragma once
// Thresholds read off a fitted GAM smooth (vasostat::gam): the first dose where the curve
// crosses a reference level, the first dose where its slope crosses a given value (0: the
// turning point, where the derivative changes sign), and the first dose where a pointwise or
// simultaneous band for the derivative excludes zero (onset of a significant slope). The
// crossings get intervals from posterior simulation: beta~ ~ N(beta^, Vp) (Wood 2017 §6.10;
// Marra & Wood 2012 for the frequentist coverage of these Bayesian intervals), the event is
// located on each draw's curve exactly, and the interval is the percentile interval of the
// draws' locations, a draw without the event counting as beyond the upper end of the range.
// The simultaneous band multiplier is the conf_level quantile of max |f~' - f^'| / se over the
// grid (Ruppert, Wand & Carroll 2003) from the same draws. All draws use
// vasostat::random_generator (platform-identical). Cost O(p^3 + S (G p + r p)) for S draws,
// G grid points, p coefficients and r root-refinement steps.

#include <vasostat/core/error.hpp>
#include <vasostat/core/random.hpp>
#include <vasostat/gam/basis.hpp>
#include <vasostat/gam/detail/family.hpp>
#include <vasostat/gam/fit.hpp>
#include <vasostat/stats/distributions.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::threshold {

/// Scale on which `from_smooth_options::level` is read.
enum class smooth_scale : std::uint8_t {
  term,      ///< the smooth's own (centred) contribution, as plot.gam draws it
  link,      ///< intercept + covariates + all smooths (others held at fixed values)
  response,  ///< inverse link of `link`: the level is mapped through the link function
};

/// Which sign changes count as an event when scanning the dose range from low to high.
enum class crossing_direction : std::uint8_t { any, increasing, decreasing };

struct from_smooth_options {
  double level = std::numeric_limits<double>::quiet_NaN();  ///< reference level (NaN: no crossing)
  smooth_scale scale = smooth_scale::term;
  crossing_direction direction = crossing_direction::any;  ///< for the level crossing
  double derivative_level = 0;  ///< slope whose first crossing is reported (0: turning point)
  /// for the slope crossing and the onset (increasing: first significantly positive slope)
  crossing_direction derivative_direction = crossing_direction::any;
  int n_simulations = 1000;     ///< posterior draws for the intervals and the simultaneous band
  double conf_level = 0.95;
  std::uint64_t seed = 1;
  double lower = std::numeric_limits<double>::quiet_NaN();  ///< search range (NaN: the smooth's
  double upper = std::numeric_limits<double>::quiet_NaN();  ///< basis range = data range +- 0.1%)
  int grid_points = 500;        ///< scan grid; events are then located exactly between points
  std::span<const double> covariates = {};     ///< q values for link/response (empty: zeros)
  std::span<const double> other_smooths = {};  ///< one value per smooth (empty: range midpoints)
};

/// A threshold located on the fitted curve with its posterior-simulation interval.
struct smooth_threshold {
  double estimate = std::numeric_limits<double>::quiet_NaN();  ///< NaN: no event on the fit
  double lower = std::numeric_limits<double>::quiet_NaN();     ///< percentile interval of draws;
  double upper = std::numeric_limits<double>::quiet_NaN();     ///< +Inf: too many draws lack it
  double found_fraction = 0;  ///< share of posterior draws with the event inside the range
};

struct from_smooth_result {
  smooth_threshold crossing;       ///< first x where the curve crosses `level`
  smooth_threshold turning_point;  ///< first x where f'(x) crosses `derivative_level`
  double onset_pointwise = std::numeric_limits<double>::quiet_NaN();      ///< first x where the
  double onset_simultaneous = std::numeric_limits<double>::quiet_NaN();   ///< f' band excludes 0
  int onset_sign_pointwise = 0;     ///< sign of f' there (+1 rising, -1 falling, 0 none)
  int onset_sign_simultaneous = 0;
  double critical_value = 0;        ///< simultaneous multiplier of the derivative SE
  double level_link = std::numeric_limits<double>::quiet_NaN();  ///< level on the scanned scale
  Eigen::VectorXd grid, fit, fit_std_error, derivative, derivative_std_error;
  std::string method;
};

namespace detail {

/// Evaluates the scanned curve (deriv 0, with the fixed part) or its derivative at one x.
struct smooth_curve {
  const gam::smooth_basis* basis = nullptr;
  Eigen::Index first = 0;  // first coefficient of the term
  Eigen::VectorXd fixed_row;  // p-vector: everything except the term (zero on the term scale)

  [[nodiscard]] double value(const Eigen::VectorXd& beta, double x, int deriv) const {
    const double xs[1] = {x};
    const Eigen::MatrixXd b = gam::basis_matrix(*basis, xs, deriv);
    double v = b.row(0).dot(beta.segment(first, b.cols()));
    if (deriv == 0) v += fixed_row.dot(beta);
    return v;
  }

  [[nodiscard]] Eigen::RowVectorXd row(double x, int deriv, Eigen::Index p) const {
    const double xs[1] = {x};
    const Eigen::MatrixXd b = gam::basis_matrix(*basis, xs, deriv);
    Eigen::RowVectorXd r = deriv == 0 ? Eigen::RowVectorXd(fixed_row.transpose()) : Eigen::RowVectorXd::Zero(p);
    r.segment(first, b.cols()) += b.row(0);
    return r;
  }
};

inline bool is_event(double a, double b, crossing_direction d) noexcept {
  const bool up = a < 0 && b >= 0, down = a > 0 && b <= 0;
  switch (d) {
    case crossing_direction::increasing:
      return up;
    case crossing_direction::decreasing:
      return down;
    case crossing_direction::any:
      return up || down;
  }
  return false;
}

/// Root of g in [a, b] with g(a) g(b) <= 0 (Illinois regula falsi, bisection safeguard).
template <class G>
double bracketed_root(G&& g, double a, double b, double ga, double gb) {
  if (gb == 0) return b;
  const double tol = 1e-13 * (std::abs(a) + std::abs(b) + 1e-300) + 1e-300;
  int side = 0;
  for (int it = 0; it < 200 && b - a > tol; ++it) {
    double c = (a * gb - b * ga) / (gb - ga);
    if (!(c > a && c < b)) c = 0.5 * (a + b);
    const double gc = g(c);
    if (gc == 0) return c;
    if ((gc < 0) == (ga < 0)) {
      a = c;
      ga = gc;
      if (side == -1) gb *= 0.5;
      side = -1;
    } else {
      b = c;
      gb = gc;
      if (side == 1) ga *= 0.5;
      side = 1;
    }
  }
  return 0.5 * (a + b);
}

/// First event of `values - level` on the grid, located exactly with `g` (NaN if none).
template <class G>
double first_crossing(const Eigen::VectorXd& grid, const Eigen::VectorXd& values, double level,
                      crossing_direction d, G&& g) {
  for (Eigen::Index i = 0; i + 1 < grid.size(); ++i) {
    const double a = values[i] - level, b = values[i + 1] - level;
    if (is_event(a, b, d)) return bracketed_root(g, grid[i], grid[i + 1], a, b);
  }
  return std::numeric_limits<double>::quiet_NaN();
}

/// Percentile interval (type 7) of draws, NaN draws counting as +Inf.
inline void draw_interval(std::vector<double> v, double conf, smooth_threshold& out) {
  const auto n = v.size();
  std::size_t found = 0;
  for (double& t : v) {
    if (std::isnan(t))
      t = std::numeric_limits<double>::infinity();
    else
      ++found;
  }
  out.found_fraction = static_cast<double>(found) / static_cast<double>(n);
  std::sort(v.begin(), v.end());
  auto quant = [&](double p) {
    const double h = (static_cast<double>(n) - 1) * p;
    const auto lo = static_cast<std::size_t>(std::floor(h));
    const auto hi = std::min(lo + 1, n - 1);
    if (std::isinf(v[hi]) || std::isinf(v[lo])) return v[hi];
    return v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
  };
  out.lower = quant(0.5 * (1 - conf));
  out.upper = quant(0.5 * (1 + conf));
}

}  // namespace detail

/// Thresholds of smooth `term` of a fitted GAM: the first crossing of `options.level` (on
/// `options.scale`), the first crossing of f' = `options.derivative_level`, and the onset of a
/// significant slope (pointwise and simultaneous bands), scanning `options.lower..upper` from low
/// to high; intervals by posterior simulation from Vp.
/// @throws vasostat::invalid_argument for a bad term index, n_simulations < 100, conf_level
///   outside (0, 1), grid_points < 2, a search range that is not finite or crossed, a level
///   outside the response range, or covariates/other_smooths of the wrong size or non-finite.
[[nodiscard]] inline from_smooth_result from_smooth(const gam::model& m, std::size_t term,
                                                    const from_smooth_options& options = {}) {
  const std::string fn = "vasostat::threshold::from_smooth";
  VASOSTAT_EXPECTS(term < m.smooths.size(), fn + ": term " + std::to_string(term) +
                                                " is out of range (the model has " +
                                                std::to_string(m.smooths.size()) + " smooths)");
  VASOSTAT_EXPECTS(options.n_simulations >= 100, fn + ": options.n_simulations must be at least 100");
  VASOSTAT_EXPECTS(options.conf_level > 0 && options.conf_level < 1,
                   fn + ": options.conf_level must lie in (0, 1)");
  VASOSTAT_EXPECTS(options.grid_points >= 2, fn + ": options.grid_points must be at least 2");
  VASOSTAT_EXPECTS(std::isfinite(options.derivative_level), fn + ": options.derivative_level must be finite");
  VASOSTAT_EXPECTS(!std::isinf(options.level), fn + ": options.level must be finite (or NaN for none)");
  const gam::smooth_basis& basis = m.smooths[term];
  const Eigen::Index p = m.coefficients.size();
  VASOSTAT_EXPECTS(m.vp.rows() == p && m.vp.cols() == p && p > 0, fn + ": model has no fitted coefficients/Vp");
  const double lo = std::isnan(options.lower) ? basis.lower() : options.lower;
  const double hi = std::isnan(options.upper) ? basis.upper() : options.upper;
  VASOSTAT_EXPECTS(std::isfinite(lo) && std::isfinite(hi),
                   fn + ": options.lower and options.upper must be finite (or NaN for the smooth's range)");
  VASOSTAT_EXPECTS(lo < hi, fn + ": options.lower must be below options.upper");
  const Eigen::Index q = m.n_parametric - 1;
  VASOSTAT_EXPECTS(options.covariates.empty() || static_cast<Eigen::Index>(options.covariates.size()) == q,
                   fn + ": options.covariates has " + std::to_string(options.covariates.size()) +
                       " values but the model has " + std::to_string(q) + " covariates");
  VASOSTAT_EXPECTS(options.other_smooths.empty() || options.other_smooths.size() == m.smooths.size(),
                   fn + ": options.other_smooths has " + std::to_string(options.other_smooths.size()) +
                       " values but the model has " + std::to_string(m.smooths.size()) + " smooths");
  for (double v : options.covariates)
    VASOSTAT_EXPECTS(std::isfinite(v), fn + ": options.covariates contains NaN or Inf");
  for (double v : options.other_smooths)
    VASOSTAT_EXPECTS(std::isfinite(v), fn + ": options.other_smooths contains NaN or Inf");

  from_smooth_result out;
  // the level on the scanned (link or term) scale
  if (!std::isnan(options.level)) {
    double lev = options.level;
    if (options.scale == smooth_scale::response) {
      if (m.family == gam::family::binomial)
        VASOSTAT_EXPECTS(lev > 0 && lev < 1, fn + ": options.level must lie in (0, 1) for a binomial model");
      if (m.family == gam::family::poisson || m.family == gam::family::gamma)
        VASOSTAT_EXPECTS(lev > 0, fn + ": options.level must be positive for a log-link model");
      lev = gam::detail::link(m.family, lev);
    }
    out.level_link = lev;
  }

  detail::smooth_curve curve;
  curve.basis = &basis;
  curve.first = m.smooth_first[term];
  curve.fixed_row = Eigen::VectorXd::Zero(p);
  if (options.scale != smooth_scale::term) {
    curve.fixed_row[0] = 1;
    for (Eigen::Index j = 0; j < q && !options.covariates.empty(); ++j)
      curve.fixed_row[1 + j] = options.covariates[static_cast<std::size_t>(j)];
    for (std::size_t s = 0; s < m.smooths.size(); ++s) {
      if (s == term) continue;
      const double at = options.other_smooths.empty() ? 0.5 * (m.smooths[s].lower() + m.smooths[s].upper())
                                                      : options.other_smooths[s];
      const double xs[1] = {at};
      const Eigen::MatrixXd b = gam::basis_matrix(m.smooths[s], xs, 0);
      curve.fixed_row.segment(m.smooth_first[s], b.cols()) = b.row(0).transpose();
    }
  }

  // grid rows of the curve and its derivative
  const Eigen::Index g = options.grid_points;
  out.grid = Eigen::VectorXd::LinSpaced(g, lo, hi);
  const std::span<const double> gx(out.grid.data(), static_cast<std::size_t>(g));
  const Eigen::Index f = curve.first, k = basis.columns();
  Eigen::MatrixXd x0(g, p), x1 = Eigen::MatrixXd::Zero(g, p);
  x0.rowwise() = curve.fixed_row.transpose();
  x0.middleCols(f, k) += gam::basis_matrix(basis, gx, 0);
  x1.middleCols(f, k) = gam::basis_matrix(basis, gx, 1);
  out.fit = x0 * m.coefficients;
  out.derivative = x1 * m.coefficients;
  out.fit_std_error = (x0 * m.vp).cwiseProduct(x0).rowwise().sum().cwiseMax(0.0).cwiseSqrt();
  out.derivative_std_error = (x1 * m.vp).cwiseProduct(x1).rowwise().sum().cwiseMax(0.0).cwiseSqrt();

  // posterior root R R' = Vp (pivoted LDLT: Vp may be semi-definite)
  const Eigen::LDLT<Eigen::MatrixXd> ldlt(m.vp);
  const Eigen::MatrixXd l = ldlt.matrixL();
  const Eigen::VectorXd dsq = ldlt.vectorD().cwiseMax(0.0).cwiseSqrt();
  const Eigen::PermutationMatrix<Eigen::Dynamic> perm(ldlt.transpositionsP());
  const Eigen::MatrixXd root = perm.transpose() * (l * dsq.asDiagonal());
  const Eigen::MatrixXd r0 = x0 * root, r1 = x1 * root;

  const bool want_crossing = !std::isnan(out.level_link);
  const double dl = options.derivative_level;
  auto crossing_at = [&](const Eigen::VectorXd& beta, const Eigen::VectorXd& values) {
    return detail::first_crossing(out.grid, values, out.level_link, options.direction, [&](double x) {
      return curve.value(beta, x, 0) - out.level_link;
    });
  };
  auto turning_at = [&](const Eigen::VectorXd& beta, const Eigen::VectorXd& values) {
    return detail::first_crossing(out.grid, values, dl, options.derivative_direction,
                                  [&](double x) { return curve.value(beta, x, 1) - dl; });
  };
  if (want_crossing) out.crossing.estimate = crossing_at(m.coefficients, out.fit);
  out.turning_point.estimate = turning_at(m.coefficients, out.derivative);

  const auto s_count = static_cast<std::size_t>(options.n_simulations);
  std::vector<double> cross_draws(want_crossing ? s_count : 0), turn_draws(s_count), maxima(s_count);
  random_generator rng(options.seed);
  Eigen::VectorXd z(p), beta(p), vals(g), dvals(g);
  for (std::size_t s = 0; s < s_count; ++s) {
    for (Eigen::Index j = 0; j < p; ++j) z[j] = rng.normal();
    beta = m.coefficients + root * z;
    dvals.noalias() = r1 * z;
    double mx = 0;
    for (Eigen::Index i = 0; i < g; ++i)
      if (out.derivative_std_error[i] > 0) mx = std::max(mx, std::abs(dvals[i]) / out.derivative_std_error[i]);
    maxima[s] = mx;
    dvals += out.derivative;
    turn_draws[s] = turning_at(beta, dvals);
    if (want_crossing) {
      vals.noalias() = r0 * z;
      vals += out.fit;
      cross_draws[s] = crossing_at(beta, vals);
    }
  }
  if (want_crossing) detail::draw_interval(std::move(cross_draws), options.conf_level, out.crossing);
  detail::draw_interval(std::move(turn_draws), options.conf_level, out.turning_point);
  std::sort(maxima.begin(), maxima.end());
  const auto idx = static_cast<std::size_t>(std::clamp(
      std::ceil(options.conf_level * static_cast<double>(s_count)) - 1, 0.0, static_cast<double>(s_count - 1)));
  out.critical_value = maxima[idx];

  // onset of a significant slope: first x where d - c se > 0 (rising) or d + c se < 0 (falling)
  auto onset = [&](double c, int& sign) {
    const bool rising = options.derivative_direction != crossing_direction::decreasing;
    const bool falling = options.derivative_direction != crossing_direction::increasing;
    auto lower_band = [&](double x) {
      const Eigen::RowVectorXd r = curve.row(x, 1, p);
      return r.dot(m.coefficients) - c * std::sqrt(std::max(0.0, r.dot(m.vp * r.transpose())));
    };
    auto upper_band = [&](double x) {
      const Eigen::RowVectorXd r = curve.row(x, 1, p);
      return r.dot(m.coefficients) + c * std::sqrt(std::max(0.0, r.dot(m.vp * r.transpose())));
    };
    for (Eigen::Index i = 0; i < g; ++i) {
      const double lb = out.derivative[i] - c * out.derivative_std_error[i];
      const double ub = out.derivative[i] + c * out.derivative_std_error[i];
      if (rising && lb > 0) {
        sign = 1;
        if (i == 0) return out.grid[0];
        return detail::bracketed_root(lower_band, out.grid[i - 1], out.grid[i],
                                      out.derivative[i - 1] - c * out.derivative_std_error[i - 1], lb);
      }
      if (falling && ub < 0) {
        sign = -1;
        if (i == 0) return out.grid[0];
        return detail::bracketed_root(upper_band, out.grid[i - 1], out.grid[i],
                                      out.derivative[i - 1] + c * out.derivative_std_error[i - 1], ub);
      }
    }
    sign = 0;
    return std::numeric_limits<double>::quiet_NaN();
  };
  const double zq = stats::normal_quantile(0.5 + 0.5 * options.conf_level);
  out.onset_pointwise = onset(zq, out.onset_sign_pointwise);
  out.onset_simultaneous = onset(out.critical_value, out.onset_sign_simultaneous);
  out.method = "GAM smooth: first crossing located exactly on the fitted curve; interval = percentile "
               "interval over " + std::to_string(options.n_simulations) +
               " posterior draws of the coefficients (N(beta, Vp)); onset = first dose where the "
               "pointwise / simultaneous derivative band excludes 0";
  return out;
}

}  // namespace vasostat::inline v0::threshold
