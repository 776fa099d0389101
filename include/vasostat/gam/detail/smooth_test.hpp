#pragma once
// Wood (2013a, Biometrika 100:221-228) test that a smooth term is zero, in the form mgcv's
// summary.gam reports it: statistic from the rank-r pseudo-inverse of the term's covariance
// (fractional rank through a 2x2 block), p-value from the mixture-of-chi-squares reference
// distribution averaged over the two orientations of the fractional block, F-type when the
// scale is estimated. Tail probabilities of weighted sums of chi-squares are computed by
// Imhof's (1961) inversion formula with adaptive Gauss-Kronrod quadrature.

#include <vasostat/stats/distributions.hpp>

#include <vasostat/gam/detail/linalg.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

namespace vasostat::inline v0::gam::detail {

/// Gauss-Kronrod 7-15 on [a, b]: returns the K15 estimate, writes |K15 - G7| to err.
template <class F>
double gauss_kronrod15(const F& f, double a, double b, double& err) {
  static constexpr std::array<double, 8> xk = {
      0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
      0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
      0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
      0.207784955007898467600689403773245, 0.000000000000000000000000000000000};
  static constexpr std::array<double, 8> wk = {
      0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
      0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
      0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
      0.204432940075298892414161999234649, 0.209482141084727828012999174891714};
  static constexpr std::array<double, 4> wg = {
      0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
      0.381830050505118944950369775488975, 0.417959183673469387755102040816327};
  const double c = 0.5 * (a + b), h = 0.5 * (b - a);
  const double fc = f(c);
  double k15 = fc * wk[7], g7 = fc * wg[3];
  for (int j = 0; j < 7; ++j) {
    const double x = h * xk[static_cast<std::size_t>(j)];
    const double s = f(c - x) + f(c + x);
    k15 += wk[static_cast<std::size_t>(j)] * s;
    if (j % 2 == 1) g7 += wg[static_cast<std::size_t>(j / 2)] * s;
  }
  err = std::abs((k15 - g7) * h);
  return k15 * h;
}

template <class F>
double adaptive_integral(const F& f, double a, double b, double tol, int depth = 0) {
  double err = 0;
  const double whole = gauss_kronrod15(f, a, b, err);
  if (err <= tol || depth >= 20) return whole;
  const double m = 0.5 * (a + b);
  return adaptive_integral(f, a, m, 0.5 * tol, depth + 1) +
         adaptive_integral(f, m, b, 0.5 * tol, depth + 1);
}

/// P(sum_j lambda_j chi^2_{h_j} > c) by Imhof's formula; lambda may have either sign.
inline double weighted_chisq_upper(const std::vector<double>& lambda_in, const std::vector<double>& h_in,
                                   double c) {
  // terms with the same weight are one term with the summed degrees of freedom (the Wood test
  // passes k - 1 unit weights): the integrand then costs one atan and one log1p per distinct
  // weight, where the quadrature spends nearly all of its time
  std::vector<double> lambda, h;
  lambda.reserve(lambda_in.size());
  h.reserve(h_in.size());
  for (std::size_t j = 0; j < lambda_in.size(); ++j) {
    const auto same = std::find(lambda.begin(), lambda.end(), lambda_in[j]);
    if (same == lambda.end()) {
      lambda.push_back(lambda_in[j]);
      h.push_back(h_in[j]);
    } else {
      h[static_cast<std::size_t>(same - lambda.begin())] += h_in[j];
    }
  }
  const auto integrand = [&](double u) {
    if (u <= 0) {  // limit u -> 0 of sin(theta)/(u rho)
      double s = -0.5 * c;
      for (std::size_t j = 0; j < lambda.size(); ++j) s += 0.5 * h[j] * lambda[j];
      return s;
    }
    double theta = -0.5 * c * u, log_rho = 0;
    for (std::size_t j = 0; j < lambda.size(); ++j) {
      theta += 0.5 * h[j] * std::atan(lambda[j] * u);
      log_rho += 0.25 * h[j] * std::log1p(lambda[j] * lambda[j] * u * u);
    }
    return std::sin(theta) / (u * std::exp(log_rho));
  };
  double lmax = 0;
  double total_h = 0;
  for (std::size_t j = 0; j < lambda.size(); ++j) {
    lmax = std::max(lmax, std::abs(lambda[j]));
    total_h += h[j];
  }
  if (lmax == 0) return c < 0 ? 1.0 : 0.0;
  // panels of width ~ a quarter oscillation period or 1/lmax; stop when the envelope
  // 1/(u rho(u)) integrated over the rest is negligible
  // panel width: at most ~ half an oscillation of theta(u) near the origin
  double slope = -0.5 * c;
  for (std::size_t j = 0; j < lambda.size(); ++j) slope += 0.5 * h[j] * lambda[j];
  double width = 1.0 / lmax;
  if (slope != 0) width = std::min(width, std::numbers::pi / std::abs(slope));
  double sum = 0, a = 0;
  for (int panel = 0; panel < 5000; ++panel) {
    const double b = a + width;
    sum += adaptive_integral(integrand, a, b, 1e-14);
    a = b;
    double log_rho = 0;
    for (std::size_t j = 0; j < lambda.size(); ++j)
      log_rho += 0.25 * h[j] * std::log1p(lambda[j] * lambda[j] * a * a);
    const double envelope = 1.0 / (a * std::exp(log_rho));
    // tail bound: envelope decays at least like u^{-(1 + total_h/2)}
    const double tail = envelope * a / std::max(total_h / 2, 1e-3);
    if (tail < 1e-13) break;
    if (panel > 50) width *= 1.05;  // slowly widen once far out
  }
  return std::clamp(0.5 + sum / std::numbers::pi, 0.0, 1.0);
}

/// P(chi^2_{c} + w1 chi^2_1 + w2 chi^2_1 > t) by conditioning on the two weighted terms
/// (half-normal substitution), adaptive quadrature on finite intervals; c >= 0 integer.
inline double mixture_chisq_upper(int c, double w1, double w2, double t) {
  if (t <= 0) return 1.0;
  const auto half_normal_tail = [](double u) { return 2 * stats::normal_sf(u); };
  const auto phi2 = [](double u) { return 2 * std::exp(-0.5 * u * u) / std::sqrt(2 * std::numbers::pi); };
  // P(w1 X + C > s)
  const auto inner = [&](double s) {
    if (s <= 0) return 1.0;
    if (w1 <= 0) return c > 0 ? stats::chi_squared_sf(s, c) : 0.0;
    const double u0 = std::sqrt(s / w1);
    if (c == 0) return half_normal_tail(u0);
    const auto f = [&](double u) { return phi2(u) * stats::chi_squared_sf(s - w1 * u * u, c); };
    // the half-normal density is below 1e-300 beyond 38: cap the range
    return adaptive_integral(f, 0.0, std::min(u0, 38.0), 1e-14) + half_normal_tail(u0);
  };
  if (w2 <= 0) return inner(t);
  const double v0 = std::sqrt(t / w2);
  const auto g = [&](double v) { return phi2(v) * inner(t - w2 * v * v); };
  return std::clamp(adaptive_integral(g, 0.0, std::min(v0, 38.0), 1e-13) + half_normal_tail(v0),
                    0.0, 1.0);
}

struct wood_test_result {
  double statistic = 0;  ///< T (chi-squared form); mgcv prints T / rank as F when scale estimated
  double rank = 0;       ///< reference df used
  double p_value = 1;
};

/// r_j: upper-triangular factor with r_j' r_j = X_j' W X_j; b: the term's coefficients;
/// vp: their Bayesian covariance; rank: Ref.df (edf1, capped at the number of columns);
/// residual_df <= 0 means a known scale (chi-squared reference).
inline wood_test_result wood_test(const Eigen::MatrixXd& r_j, const Eigen::VectorXd& b,
                                  const Eigen::MatrixXd& vp, double rank, double residual_df) {
  wood_test_result out;
  const Eigen::Index m = b.size();
  Eigen::MatrixXd v = r_j * vp * r_j.transpose();
  v = 0.5 * (v + v.transpose()).eval();
  // eigenvalues of v and, instead of its eigenvectors u_j, the two coordinates the test
  // needs: u_j'(r_j b) and the orientation sign of u_j (its first element u_j'e_0)
  Eigen::MatrixXd proj(m, 2);
  proj.col(0) = r_j * b;
  proj.col(1).setZero();
  proj(0, 1) = 1;
  Eigen::VectorXd ev_asc;
  sym_eigen_project(v, ev_asc, proj);
  // descending order, eigenvectors oriented with a non-negative first element
  const Eigen::VectorXd ev = ev_asc.reverse();
  Eigen::VectorXd ub(m);
  for (Eigen::Index j = 0; j < m; ++j) {
    const Eigen::Index a = m - 1 - j;
    ub[j] = proj(a, 1) < 0 ? -proj(a, 0) : proj(a, 0);
  }
  rank = std::min(rank, static_cast<double>(m));
  int k = static_cast<int>(std::floor(rank));
  double nu = rank - k;
  int k1 = nu > 0 ? k + 1 : k;
  const double ev_tol = ev[0] * std::pow(std::numeric_limits<double>::epsilon(), 0.9);
  int numeric_rank = 0;
  for (Eigen::Index j = 0; j < m; ++j)
    if (ev[j] > ev_tol) ++numeric_rank;
  if (numeric_rank < k1) {
    k = k1 = numeric_rank;
    nu = 0;
    rank = numeric_rank;
  }
  if (k == 0) {  // rank below one: treat as a single degree of freedom
    k = k1 = 1;
    nu = 0;
    rank = 1;
  }
  std::vector<double> z(static_cast<std::size_t>(k1));
  for (int j = 0; j < k1; ++j) z[static_cast<std::size_t>(j)] = ub[j] / std::sqrt(ev[j]);
  double base = 0;
  for (int j = 0; j < k - 1; ++j) base += z[static_cast<std::size_t>(j)] * z[static_cast<std::size_t>(j)];
  double t_plus = 0, t_minus = 0;
  std::vector<double> weights(static_cast<std::size_t>(k1), 1.0);
  if (nu > 0) {
    const double rho = std::sqrt(std::max(0.0, 0.5 * nu * (1 - nu)));
    const double zk = z[static_cast<std::size_t>(k - 1)], zk1 = z[static_cast<std::size_t>(k)];
    const double common = base + zk * zk + nu * zk1 * zk1;
    t_plus = common + 2 * rho * zk * zk1;
    t_minus = common - 2 * rho * zk * zk1;
    const double rp = nu + 1;
    weights[static_cast<std::size_t>(k - 1)] = 0.5 * (rp + std::sqrt(rp * (2 - rp)));
    weights[static_cast<std::size_t>(k)] = rp - weights[static_cast<std::size_t>(k - 1)];
  } else {
    t_plus = t_minus = base + z[static_cast<std::size_t>(k - 1)] * z[static_cast<std::size_t>(k - 1)];
  }
  out.statistic = t_plus;
  out.rank = rank;
  double p = 2;
  // far in the upper tail (approximate p below 1e-12, where the issue compares to 1e-6
  // absolute) the F / chi-squared approximation is returned instead of the mixture integral
  const double approx = residual_df > 0 ? stats::f_sf(t_minus / rank, rank, residual_df)
                                        : stats::chi_squared_sf(t_minus, rank);
  if (nu > 0 && approx < 1e-12) {
    out.p_value = std::max(0.0, approx);
    return out;
  }
  if (nu > 0) {
    const auto tail = [&](double t) {
      std::vector<double> lam = weights, h(weights.size(), 1.0);
      if (residual_df > 0) {
        // the chi-squared_rdf / rdf denominator with the residual df rounded to an integer
        // (at least 1), as summary.gam does: its p-values differ from those of the exact df by
        // ~1% at p ~ 4e-4 with rdf = 59.5 (the septic cohort's lactate GAM)
        const double k0 = std::max(1.0, std::round(residual_df));
        lam.push_back(-t / k0);
        h.push_back(k0);
        return weighted_chisq_upper(lam, h, 0.0);
      }
      return mixture_chisq_upper(k - 1, weights[static_cast<std::size_t>(k - 1)],
                                 weights[static_cast<std::size_t>(k)], t);
    };
    p = 0.5 * (tail(t_plus) + tail(t_minus));
  }
  if (p > 0.5) {
    if (residual_df > 0)
      p = 0.5 * (stats::f_sf(t_plus / rank, rank, residual_df) +
                 stats::f_sf(t_minus / rank, rank, residual_df));
    else
      p = 0.5 * (stats::chi_squared_sf(t_plus, rank) + stats::chi_squared_sf(t_minus, rank));
  }
  out.p_value = std::min(1.0, p);
  return out;
}

}  // namespace vasostat::inline v0::gam::detail
