#pragma once
// Prediction from a fitted GAM (mgcv predict.gam): link or response scale, standard errors from
// Vp, per-term contributions (type = "terms"), the linear-predictor matrix, and exact
// derivatives of a smooth (from the B-spline derivative basis, or the closed-form derivative of
// the natural cubic spline for a cr smooth) with pointwise and simultaneous
// bands (Ruppert, Wand & Carroll 2003: the simultaneous critical value is the quantile of
// max |f~ - f^| / se over the grid under beta~ ~ N(beta^, Vp)). O(m p^2) for m new rows.

#include <vasostat/core/error.hpp>
#include <vasostat/core/random.hpp>
#include <vasostat/gam/fit.hpp>
#include <vasostat/stats/distributions.hpp>

#include <vasostat/gam/detail/linalg.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::gam {

enum class prediction_scale : std::uint8_t { link, response };

struct predict_options {
  prediction_scale scale = prediction_scale::link;
  std::span<const double> offset = {};  ///< added to the linear predictor (empty = 0)
  bool terms = false;                   ///< also return per-term contributions (mgcv "terms")
  bool lpmatrix = false;                ///< also return the linear-predictor matrix
};

struct prediction {
  Eigen::VectorXd fit;        ///< on the requested scale
  Eigen::VectorXd std_error;  ///< delta method on the response scale
  /// columns: covariates (beta_j x_j) then smooths, as mgcv's type = "terms" (no intercept)
  Eigen::MatrixXd terms, terms_std_error;
  Eigen::MatrixXd lpmatrix;  ///< n_new x p, eta = lpmatrix * coefficients + offset
};

namespace detail {

inline Eigen::MatrixXd lpmatrix(const model& m, const Eigen::Ref<const Eigen::MatrixXd>& covariates,
                                std::span<const std::span<const double>> smooth_x,
                                const char* where) {
  const Eigen::Index rows = covariates.rows();
  VASOSTAT_EXPECTS(covariates.cols() == m.n_parametric - 1,
                   std::string(where) + ": covariates has " + std::to_string(covariates.cols()) +
                       " columns but the model has " + std::to_string(m.n_parametric - 1));
  VASOSTAT_EXPECTS(smooth_x.size() == m.smooths.size(),
                   std::string(where) + ": smooth_x has " + std::to_string(smooth_x.size()) +
                       " entries but the model has " + std::to_string(m.smooths.size()) + " smooths");
  VASOSTAT_EXPECTS(covariates.allFinite(), std::string(where) + ": covariates contains NaN or Inf");
  const Eigen::Index p = m.coefficients.size();
  Eigen::MatrixXd x(rows, p);
  x.col(0).setOnes();
  if (m.n_parametric > 1) x.middleCols(1, m.n_parametric - 1) = covariates;
  for (std::size_t s = 0; s < m.smooths.size(); ++s) {
    VASOSTAT_EXPECTS(static_cast<Eigen::Index>(smooth_x[s].size()) == rows,
                     std::string(where) + ": smooth_x[" + std::to_string(s) + "] has " +
                         std::to_string(smooth_x[s].size()) + " values but covariates has " +
                         std::to_string(rows) + " rows");
    for (double v : smooth_x[s])
      VASOSTAT_EXPECTS(std::isfinite(v), std::string(where) + ": smooth_x[" + std::to_string(s) +
                                             "] contains NaN or Inf");
    const Eigen::MatrixXd b = basis_matrix(m.smooths[s], smooth_x[s]);
    x.middleCols(m.smooth_first[s], b.cols()) = b;
  }
  return x;
}

}  // namespace detail

/// Predicts at new data: `covariates` (rows x q, q as in the fit) and one span of covariate
/// values per smooth.
/// @throws vasostat::invalid_argument on sizes that disagree with the model or NaN/Inf.
[[nodiscard]] inline prediction predict(const model& m,
                                        const Eigen::Ref<const Eigen::MatrixXd>& covariates,
                                        std::span<const std::span<const double>> smooth_x,
                                        const predict_options& options = {}) {
  constexpr const char* where = "vasostat::gam::predict";
  const Eigen::MatrixXd x = detail::lpmatrix(m, covariates, smooth_x, where);
  const Eigen::Index rows = x.rows();
  VASOSTAT_EXPECTS(options.offset.empty() || static_cast<Eigen::Index>(options.offset.size()) == rows,
                   std::string(where) + ": offset has " + std::to_string(options.offset.size()) +
                       " values but covariates has " + std::to_string(rows) + " rows");
  prediction out;
  Eigen::VectorXd eta = x * m.coefficients;
  for (Eigen::Index i = 0; i < rows; ++i)
    if (!options.offset.empty()) eta[i] += options.offset[static_cast<std::size_t>(i)];
  const Eigen::VectorXd se = (x * m.vp).cwiseProduct(x).rowwise().sum().cwiseMax(0.0).cwiseSqrt();
  if (options.scale == prediction_scale::link) {
    out.fit = eta;
    out.std_error = se;
  } else {
    out.fit.resize(rows);
    out.std_error.resize(rows);
    for (Eigen::Index i = 0; i < rows; ++i) {
      const double mu = detail::linkinv(m.family, eta[i]);
      out.fit[i] = mu;
      out.std_error[i] = se[i] * std::abs(detail::mu_eta(m.family, eta[i], mu));
    }
  }
  if (options.terms) {
    const Eigen::Index q = m.n_parametric - 1;
    const auto nt = q + static_cast<Eigen::Index>(m.smooths.size());
    out.terms.resize(rows, nt);
    out.terms_std_error.resize(rows, nt);
    for (Eigen::Index j = 0; j < q; ++j) {
      out.terms.col(j) = x.col(1 + j) * m.coefficients[1 + j];
      out.terms_std_error.col(j) = x.col(1 + j).cwiseAbs() * std::sqrt(m.vp(1 + j, 1 + j));
    }
    for (std::size_t s = 0; s < m.smooths.size(); ++s) {
      const Eigen::Index f = m.smooth_first[s], k = m.smooths[s].columns();
      const auto xs = x.middleCols(f, k);
      const auto col = q + static_cast<Eigen::Index>(s);
      out.terms.col(col) = xs * m.coefficients.segment(f, k);
      out.terms_std_error.col(col) =
          (xs * m.vp.block(f, f, k, k)).cwiseProduct(xs).rowwise().sum().cwiseMax(0.0).cwiseSqrt();
    }
  }
  if (options.lpmatrix) out.lpmatrix = x;
  return out;
}

struct derivative_options {
  int order = 1;              ///< 1 = slope, 2 = curvature (exact; ps: up to the degree, cr: 1..2)
  double level = 0.95;        ///< confidence level of both bands
  int simulations = 10000;    ///< draws for the simultaneous critical value
  std::uint64_t seed = 42;
};

struct smooth_derivative {
  Eigen::VectorXd x, derivative, std_error;
  Eigen::VectorXd lower, upper;                      ///< pointwise band
  Eigen::VectorXd simultaneous_lower, simultaneous_upper;
  double critical_value = 0;  ///< simultaneous multiplier of std_error
};

/// Exact derivative of smooth `term` at the points `x`, with pointwise (normal quantile) and
/// simultaneous bands from Vp.
/// @throws vasostat::invalid_argument for a bad term index, order, level or non-finite x.
[[nodiscard]] inline smooth_derivative derivative(const model& m, std::size_t term,
                                                  std::span<const double> x,
                                                  const derivative_options& options = {}) {
  constexpr const char* where = "vasostat::gam::derivative";
  VASOSTAT_EXPECTS(term < m.smooths.size(), std::string(where) + ": term " + std::to_string(term) +
                                                " is out of range");
  const int max_order = m.smooths[term].type == basis_type::cr ? 2 : m.smooths[term].degree;
  VASOSTAT_EXPECTS(options.order >= 1 && options.order <= max_order,
                   std::string(where) + ": options.order must be in 1.." + std::to_string(max_order) +
                       (m.smooths[term].type == basis_type::cr ? " for a cr smooth" : " (the degree)"));
  VASOSTAT_EXPECTS(options.level > 0 && options.level < 1,
                   std::string(where) + ": options.level must lie in (0, 1)");
  VASOSTAT_EXPECTS(options.simulations >= 100,
                   std::string(where) + ": options.simulations must be at least 100");
  VASOSTAT_EXPECTS(!x.empty(), std::string(where) + ": x is empty");
  for (double v : x) VASOSTAT_EXPECTS(std::isfinite(v), std::string(where) + ": x contains NaN or Inf");
  const smooth_basis& b = m.smooths[term];
  const Eigen::Index f = m.smooth_first[term], k = b.columns();
  const Eigen::MatrixXd d = basis_matrix(b, x, options.order);
  const Eigen::MatrixXd v = m.vp.block(f, f, k, k);
  smooth_derivative out;
  out.x = Eigen::Map<const Eigen::VectorXd>(x.data(), static_cast<Eigen::Index>(x.size()));
  out.derivative = d * m.coefficients.segment(f, k);
  out.std_error = (d * v).cwiseProduct(d).rowwise().sum().cwiseMax(0.0).cwiseSqrt();
  const double zq = stats::normal_quantile(0.5 + 0.5 * options.level);
  out.lower = out.derivative - zq * out.std_error;
  out.upper = out.derivative + zq * out.std_error;
  // simultaneous: draws of d * L * z, L L' = Vp (pivoted LDLT for semi-definite Vp)
  const detail::pivoted_ldlt ldlt(v);
  Eigen::MatrixXd root(k, k);
  for (Eigen::Index j = 0; j < k; ++j)
    for (Eigen::Index c = 0; c < k; ++c)
      root(ldlt.perm[static_cast<std::size_t>(j)], c) = ldlt.l(j, c) * std::sqrt(std::max(ldlt.d[c], 0.0));
  const Eigen::MatrixXd dr = d * root;
  random_generator rng(options.seed);
  std::vector<double> maxima(static_cast<std::size_t>(options.simulations));
  Eigen::VectorXd z(k);
  for (int s = 0; s < options.simulations; ++s) {
    for (Eigen::Index j = 0; j < k; ++j) z[j] = rng.normal();
    const Eigen::VectorXd dev = dr * z;
    double mx = 0;
    for (Eigen::Index i = 0; i < dev.size(); ++i)
      if (out.std_error[i] > 0) mx = std::max(mx, std::abs(dev[i]) / out.std_error[i]);
    maxima[static_cast<std::size_t>(s)] = mx;
  }
  std::sort(maxima.begin(), maxima.end());
  const auto idx = static_cast<std::size_t>(
      std::clamp(std::ceil(options.level * options.simulations) - 1, 0.0,
                 static_cast<double>(options.simulations - 1)));
  out.critical_value = maxima[idx];
  out.simultaneous_lower = out.derivative - out.critical_value * out.std_error;
  out.simultaneous_upper = out.derivative + out.critical_value * out.std_error;
  return out;
}

}  // namespace vasostat::inline v0::gam
