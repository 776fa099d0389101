#pragma once
// Cox proportional-hazards regression (Cox 1972) by Newton–Raphson with step halving, as R
// survival's coxph: Efron (default), Breslow or exact (discrete, Gail–Lubin–Rubinstein 1981)
// ties; strata, case weights, offsets, (entry, stop] counting-process data; model-based and
// robust (Lin & Wei 1989, clustered) standard errors; Wald, likelihood-ratio and score tests;
// Harrell's concordance. One O(n) sort, then O(n p^2) per iteration (see detail/cox_engine.hpp).

#include <vasostat/survival/common.hpp>
#include <vasostat/survival/concordance.hpp>
#include <vasostat/survival/detail/cox_engine.hpp>
#include <vasostat/survival/detail/cox_firth.hpp>
#include <vasostat/survival/detail/timefix.hpp>

#include <Eigen/Dense>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::survival {

/// Ridge (L2) penalty on some coefficients, as R's `ridge(x1, x2, theta = , scale = )` term in
/// coxph (Verweij & van Houwelingen 1994): maximises l(beta) - theta/2 sum_j (s_j beta_j)^2.
struct ridge_penalty {
  double theta = 0;               ///< penalty weight (>= 0); 0 = no penalty
  std::vector<int> columns = {};  ///< penalised columns of X (empty = all)
  bool scale = true;              ///< R's default: s_j = sd(x_j) (unweighted, n - 1); false: s_j = 1
};

/// Settings of Firth's penalised likelihood (Heinze & Schemper 2002), as coxphf's defaults.
struct firth_settings {
  int max_iter = 50;           ///< Newton iterations (coxphf maxit)
  int max_halving = 5;         ///< step halvings per iteration (coxphf maxhs)
  double max_step = 0.5;       ///< largest change of any coefficient per iteration (coxphf maxstep)
  double epsilon = 1e-9;       ///< convergence: largest Newton step (coefficient units)
  bool profile_ci = true;      ///< profile penalised-likelihood CIs and LR p per coefficient (coxphf pl = TRUE)
};

struct cox_options {
  ties method = ties::efron;              ///< R's default
  std::span<const int> strata = {};       ///< separate baseline hazard per label
  std::span<const double> weights = {};   ///< case weights (>= 0); not with ties::exact
  std::span<const double> offset = {};    ///< fixed term added to the linear predictor
  std::span<const double> entry = {};     ///< (entry, time] intervals: time-varying covariates, left truncation
  std::span<const int> cluster = {};      ///< robust SE summed within clusters (implies robust)
  bool robust = false;                    ///< sandwich SE without clusters (on anyway for non-integer weights, as coxph)
  double conf_level = 0.95;               ///< for the hazard-ratio CI
  std::vector<std::string> names = {};    ///< covariate names (default x1, x2, ...)
  int max_iter = 20;                      ///< coxph.control iter.max
  double eps = 1e-9;                      ///< relative log-likelihood change for convergence
  double toler_chol = 1.8189894035458565e-12;  ///< machine eps^0.75: pivot tolerance for aliased columns
  double toler_inf = 3.1622776601683795e-05;   ///< sqrt(eps): infinite-coefficient warning threshold
  ridge_penalty ridge = {};               ///< optional L2 penalty (R: ridge() term)
  bool firth = false;                     ///< Firth's penalised likelihood (R: coxphf), for separation
  firth_settings firth_options = {};      ///< iteration control of the Firth fit
  bool timefix = true;                    ///< R's timefix: merge times equal up to rounding (aeqSurv)
};

/// A global test: statistic, degrees of freedom, p-value and what it is.
struct cox_test {
  double statistic = detail::nan;
  double df = 0;                   ///< not an integer for ridge fits (effective degrees of freedom)
  double p_value = detail::nan;
  std::string name;
};

struct cox_model {
  std::vector<std::string> names;
  Eigen::VectorXd coef;              ///< NaN for aliased columns (R's NA)
  Eigen::VectorXd std_error;         ///< model-based (inverse information)
  Eigen::VectorXd robust_std_error;  ///< sandwich SE; NaN unless robust or clustered
  Eigen::VectorXd hazard_ratio, hr_lower, hr_upper;  ///< exp(coef), CI from the same SE as z/p
  Eigen::VectorXd z, p_value;        ///< Wald z and two-sided normal p, from `inference_se`
  Eigen::VectorXd chisq;             ///< 1-df statistic behind p_value (z^2; Firth: penalised LR)
  std::string inference_se;          ///< "model", "robust" or (Firth) "profile penalized likelihood":
                                     ///< the statistic behind p_value and the CI
  std::vector<bool> aliased;         ///< collinear/constant columns dropped (coef NaN)
  Eigen::MatrixXd covariance;        ///< used for inference (robust when robust)
  Eigen::MatrixXd naive_covariance;  ///< inverse information (aliased rows/cols zero)
  Eigen::VectorXd means;             ///< centring vector (R's fit$means)
  double log_likelihood_null = detail::nan, log_likelihood = detail::nan;  ///< partial likelihood (unpenalised)
  double penalized_log_likelihood_null = detail::nan, penalized_log_likelihood = detail::nan;
  double penalty = 0;                ///< log_likelihood - penalized_log_likelihood at the estimate
  Eigen::MatrixXd covariance2;       ///< ridge: H^-1 I H^-1 (R's var2); otherwise naive_covariance
  Eigen::VectorXd std_error2;        ///< sqrt(diag(covariance2)) (R's se2)
  Eigen::VectorXd edf;               ///< per column: ridge columns diag(H^-1 I), others var2/var (R's df); 1 unpenalised
  cox_test likelihood_ratio, wald, score, robust_score;
  concordance_result concordance;
  Eigen::VectorXd score_vector;      ///< U at the final coefficients
  int iterations = 0;
  bool converged = false;
  double n = 0, n_events = 0;        ///< rows and (weighted) events
  ties method = ties::efron;
  double conf_level = 0.95;
  std::vector<std::string> warnings;
  Eigen::VectorXd linear_predictor;  ///< x'beta + offset - means'beta, original row order
};

namespace detail {

/// Throws naming the first NaN or infinite element of X.
inline void check_x_finite(const char* fn, const Eigen::Ref<const Eigen::MatrixXd>& X) {
  if (!X.allFinite())
    for (Eigen::Index c = 0; c < X.cols(); ++c)
      for (Eigen::Index r = 0; r < X.rows(); ++r)
        if (!std::isfinite(X(r, c)))
          fail(fn, "X(" + std::to_string(r) + ", " + std::to_string(c) + ") is NaN or infinite");
}

/// `check_x` = false leaves the finiteness of X to the caller (cox's row-order set-up finds it
/// in its column sums and then calls check_x_finite).
inline void check_cox_input(const char* fn, std::span<const double> time, std::span<const double> status,
                            const Eigen::Ref<const Eigen::MatrixXd>& X, const cox_options& o, bool check_x = true) {
  check_time_status(fn, time, status);
  const std::size_t n = time.size();
  if (static_cast<std::size_t>(X.rows()) != n)
    fail(fn, "X.rows() (" + std::to_string(X.rows()) + ") != time.size() (" + std::to_string(n) + ")");
  if (X.cols() < 1) fail(fn, "X has no columns");
  if (check_x) check_x_finite(fn, X);
  check_entry(fn, o.entry, time);
  check_labels(fn, "strata", o.strata, n);
  check_labels(fn, "cluster", o.cluster, n);
  check_weights(fn, o.weights, n);
  if (!o.offset.empty()) {
    if (o.offset.size() != n)
      fail(fn, "offset.size() (" + std::to_string(o.offset.size()) + ") != time.size() (" + std::to_string(n) + ")");
    for (std::size_t i = 0; i < n; ++i)
      if (!std::isfinite(o.offset[i])) fail(fn, "offset[" + std::to_string(i) + "] is NaN or infinite");
  }
  check_conf_level(fn, o.conf_level);
  if (!o.names.empty() && o.names.size() != static_cast<std::size_t>(X.cols()))
    fail(fn, "names.size() (" + std::to_string(o.names.size()) + ") != X.cols() (" + std::to_string(X.cols()) + ")");
  if (o.method == ties::exact && !o.weights.empty())
    for (double w : o.weights)
      if (w != 1) fail(fn, "weights other than 1 are not supported with ties::exact");
  if (o.max_iter < 0) fail(fn, "max_iter is negative");
  const auto p = static_cast<int>(X.cols());
  if (!(o.ridge.theta >= 0) || !std::isfinite(o.ridge.theta))
    fail(fn, "ridge.theta is negative, NaN or infinite (" + num(o.ridge.theta) + ")");
  std::vector<bool> seen(static_cast<std::size_t>(p), false);
  for (std::size_t k = 0; k < o.ridge.columns.size(); ++k) {
    const int c = o.ridge.columns[k];
    if (c < 0 || c >= p)
      fail(fn, "ridge.columns[" + std::to_string(k) + "] (" + std::to_string(c) + ") is not a column of X (0.." +
                   std::to_string(p - 1) + ")");
    if (seen[static_cast<std::size_t>(c)]) fail(fn, "ridge.columns[" + std::to_string(k) + "] repeats column " + std::to_string(c));
    seen[static_cast<std::size_t>(c)] = true;
  }
  if (o.firth) {
    if (o.ridge.theta > 0) fail(fn, "firth and ridge cannot be combined (ridge.theta > 0)");
    if (o.method == ties::exact) fail(fn, "firth is not available with ties::exact (use breslow, as coxphf, or efron)");
    if (o.robust || !o.cluster.empty()) fail(fn, "firth: robust/cluster standard errors are not available");
    const auto& f = o.firth_options;
    if (f.max_iter < 1) fail(fn, "firth_options.max_iter is < 1");
    if (f.max_halving < 0) fail(fn, "firth_options.max_halving is negative");
    if (!(f.max_step > 0)) fail(fn, "firth_options.max_step is not positive");
    if (!(f.epsilon > 0)) fail(fn, "firth_options.epsilon is not positive");
  }
  if (!(o.eps > 0)) fail(fn, "eps is not positive");
  bool any = false;
  for (std::size_t i = 0; i < n; ++i)
    any = any || (status[i] == 1 && (o.weights.empty() || o.weights[i] > 0));
  if (!any) fail(fn, "status has no events at all");
}

/// Wald-type quadratic form b' V^- b over the non-singular part of V.
inline double quad_form_inverse(const Eigen::MatrixXd& v, const Eigen::VectorXd& b, int& df) {
  chol_tol ch(v, 1e-9);
  df = ch.rank;
  return b.dot(ch.solve(b));
}

inline std::string column_name(const std::vector<std::string>& names, Eigen::Index c) {
  return names.empty() ? "x" + std::to_string(c + 1) : names[static_cast<std::size_t>(c)];
}

/// Robust (IJ sandwich) covariance from score residuals in the scaled frame.
inline Eigen::MatrixXd robust_covariance(const cox_setup& s, const Eigen::MatrixXd& score_sorted,
                                         const Eigen::MatrixXd& v_scaled, std::span<const int> cluster,
                                         bool dfbeta) {
  Eigen::MatrixXd d = score_sorted;  // rows: sorted positions
  for (Eigen::Index k = 0; k < s.n; ++k) d.row(k) *= s.wt[k];
  if (dfbeta) d = d * v_scaled;
  Eigen::MatrixXd sum;
  if (cluster.empty()) {
    sum = d;
  } else {
    auto cc = encode_labels(cluster, static_cast<std::size_t>(s.n));
    sum = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(cc.labels.size()), s.p);
    for (Eigen::Index k = 0; k < s.n; ++k)
      sum.row(cc.code[static_cast<std::size_t>(s.orig[static_cast<std::size_t>(k)])]) += d.row(k);
  }
  return sum.transpose() * sum;
}

/// Concordance time keys (concordance.hpp) from the fit's sort: positions run time-descending
/// within each stratum, so the ascending rank of a time is (distinct times - 1 - its
/// descending rank).
inline concordance_keys cox_concordance_keys(const cox_setup& s) {
  concordance_keys out;
  const std::size_t ns = s.stratum_begin.size() - 1;
  out.key.resize(static_cast<std::size_t>(s.n));
  out.nkeys.assign(ns, 0);
  for (std::size_t g = 0; g < ns; ++g) {
    const index b0 = s.stratum_begin[g], b1 = s.stratum_begin[g + 1];
    std::size_t distinct = 0;
    for (index k = b0; k < b1; ++k) distinct += (k == b0 || s.stop[k] != s.stop[k - 1]) ? 1 : 0;
    std::size_t rank = distinct;  // descending rank + 1 of the current time, counted down
    for (index k = b0; k < b1; ++k) {
      if (k == b0 || s.stop[k] != s.stop[k - 1]) --rank;
      out.key[static_cast<std::size_t>(s.orig[static_cast<std::size_t>(k)])] =
          static_cast<std::uint32_t>(2 * rank + (s.status[k] == 0 ? 1 : 0));
    }
    out.nkeys[g] = 2 * distinct;
  }
  return out;
}

}  // namespace detail

/// Fits a Cox model.
/// @param time    event or censoring time (the stop of an (entry, time] interval)
/// @param status  1 = event, 0 = censored
/// @param X       n x p covariates
/// @throws vasostat::invalid_argument naming the argument: sizes that disagree, negative or
///   NaN times, status not 0/1, entry >= time, negative weights, NaN covariates or offsets,
///   negative strata/cluster labels, no events, conf_level outside (0, 1), a negative or NaN
///   ridge.theta, ridge.columns out of range or repeated, firth with ridge, exact ties, robust
///   or cluster, or with firth_options out of range.
/// Constant or collinear columns are reported in `aliased`; divergence in `warnings`.
/// Example:
///   auto fit = survival::cox(time, status, X, {.names = {"ne_high", "apache"}});
///   double hr = fit.hazard_ratio[0], lo = fit.hr_lower[0], p = fit.p_value[0];
///   auto ridge = survival::cox(time, status, X, {.ridge = {.theta = 1, .scale = false}});
///   auto firth = survival::cox(time, status, X, {.method = survival::ties::breslow, .firth = true});
[[nodiscard]] inline cox_model cox(std::span<const double> time, std::span<const double> status,
                                   const Eigen::Ref<const Eigen::MatrixXd>& X,
                                   const cox_options& options = {}) {
  constexpr const char* fn = "cox";
  // Efron and Breslow fits evaluate the rows as given (cox_rows: no sorted copy of X); exact
  // ties and Firth use the sorted set-up (cox_setup), which post-fit sums (robust SEs) build too.
  const bool by_rows = !options.firth && options.method != ties::exact;
  detail::check_cox_input(fn, time, status, X, options, !by_rows);
  using Eigen::Index;
  std::span<const double> entry = options.entry;
  std::vector<double> time_fixed, entry_fixed;
  std::vector<std::size_t> time_order;  // right-censored: one sort serves timefix and the fit
  std::vector<std::uint64_t> bits;       // the sorted times' order-preserving images
  double tmin = 0;
  std::size_t trange = 0;
  if (entry.empty() && by_rows && options.strata.empty() && detail::cox_whole_number_times(time, tmin, trange)) {
    // whole numbers of small range: timefix cannot merge them and make_cox_rows needs no sort
  } else if (entry.empty()) {
    time_order = detail::order_ascending(time, &bits);
    if (options.timefix && detail::timefix_from_order(time.size(), time_order, bits, time_fixed)) {
      time = time_fixed;
      time_order = detail::order_ascending(time, &bits);  // stable order of the merged times
    }
  } else if (options.timefix) {
    detail::timefix(fn, time, entry, time_fixed, entry_fixed);
  }
  detail::cox_setup s;
  detail::cox_rows rows;
  if (by_rows) {
    if (!detail::make_cox_rows(rows, time, status, X, entry, options.strata, options.weights, options.offset,
                               options.method, time_order, bits.empty() ? nullptr : &bits))
      detail::check_x_finite(fn, X);  // the column sums are not finite: a NaN or infinity in X?
  } else {
    s = detail::make_cox_setup(time, status, X, entry, options.strata, options.weights, options.offset,
                               options.method, time_order.empty() ? nullptr : &time_order, false);
  }
  std::vector<std::size_t>().swap(time_order);
  std::vector<std::uint64_t>().swap(bits);
  const auto make_sorted_setup = [&] {
    if (s.n == 0)
      s = detail::make_cox_setup(time, status, X, entry, options.strata, options.weights, options.offset,
                                 options.method, nullptr, true);
  };
  const Index p = X.cols();
  const Eigen::VectorXd& sc = by_rows ? rows.scale : s.scale;
  const Eigen::VectorXd& center = by_rows ? rows.center : s.center;
  const auto evaluate = [&](const Eigen::VectorXd& b, bool want_info, detail::cox_eval& e) {
    if (by_rows)
      detail::cox_evaluate_rows(rows, b, want_info, e);
    else
      detail::cox_evaluate_into(s, b, want_info, e);
  };
  cox_model m;
  m.method = options.method;
  m.conf_level = options.conf_level;
  m.n = static_cast<double>(time.size());
  m.n_events = by_rows ? rows.n_events : s.n_events;
  for (Index c = 0; c < p; ++c) m.names.push_back(detail::column_name(options.names, c));
  const double zq = stats::normal_quantile(1 - (1 - options.conf_level) / 2);

  // ridge penalty theta/2 sum_j (w_j beta_j)^2 as a diagonal in the centred-scaled frame
  Eigen::VectorXd pen = Eigen::VectorXd::Zero(p);
  std::vector<bool> penalised(static_cast<std::size_t>(p), false);
  if (options.ridge.theta > 0) {
    std::vector<int> cols = options.ridge.columns;
    if (cols.empty())
      for (int c = 0; c < static_cast<int>(p); ++c) cols.push_back(c);
    for (int c : cols) {
      double w = 1;
      if (options.ridge.scale) {
        const double mean = X.col(c).mean();
        w = X.rows() > 1 ? std::sqrt((X.col(c).array() - mean).square().sum() / static_cast<double>(X.rows() - 1)) : 0.0;
      }
      pen[c] = options.ridge.theta * w * w * sc[c] * sc[c];
      penalised[static_cast<std::size_t>(c)] = true;
    }
  }
  const bool ridge = options.ridge.theta > 0;

  Eigen::VectorXd beta = Eigen::VectorXd::Zero(p);
  detail::cox_eval ev;
  evaluate(beta, true, ev);
  m.log_likelihood_null = ev.loglik;
  const Eigen::VectorXd u0 = ev.u;
  const Eigen::MatrixXd i0 = ev.imat;
  {
    detail::chol_tol ch(i0, options.toler_chol);
    m.score.statistic = u0.dot(ch.solve(u0));
    m.score.df = ch.rank;
  }
  Eigen::MatrixXd hess;  // H = I + P (ridge), I (plain, Firth) at the estimate
  Eigen::VectorXd grad;  // gradient of the (penalised) log-likelihood at the estimate
  int iter = 0;
  bool converged = false;
  detail::firth_eval firth_null, firth_fit;
  std::vector<bool> active(static_cast<std::size_t>(p), true);
  if (options.firth) {
    const detail::chol_tol ch0(i0, options.toler_chol);
    for (Index c = 0; c < p; ++c) active[static_cast<std::size_t>(c)] = !ch0.singular[static_cast<std::size_t>(c)];
    const auto& fo = options.firth_options;
    firth_null = detail::firth_evaluate(s, beta, active);
    auto r = detail::firth_newton(s, beta, active, active, fo.max_iter, fo.max_halving, fo.max_step, fo.epsilon);
    beta = r.beta;
    firth_fit = r.fe;
    ev = firth_fit.ev;
    iter = r.iterations;
    converged = r.converged;
    hess = ev.imat;
    grad = firth_fit.grad;
    m.penalized_log_likelihood_null = firth_null.value;
    m.penalized_log_likelihood = firth_fit.value;
    // back to the coefficient scale: 1/2 log det I changes by -sum log(scale) over active columns
    for (Index c = 0; c < p; ++c)
      if (active[static_cast<std::size_t>(c)]) {
        m.penalized_log_likelihood_null -= std::log(sc[c]);
        m.penalized_log_likelihood -= std::log(sc[c]);
      }
  } else {
    // Newton–Raphson with step halving (coxph's control flow: convergence when the relative
    // change of the (penalised) log-likelihood is <= eps on a full step)
    auto objective = [&](const detail::cox_eval& e, const Eigen::VectorXd& b) {
      return e.loglik - 0.5 * b.dot(pen.cwiseProduct(b));
    };
    auto gradient = [&](const detail::cox_eval& e, const Eigen::VectorXd& b) -> Eigen::VectorXd {
      return e.u - pen.cwiseProduct(b);
    };
    auto hessian = [&](const detail::cox_eval& e) -> Eigen::MatrixXd {
      Eigen::MatrixXd h = e.imat;
      h.diagonal() += pen;
      return h;
    };
    double loglik_old = objective(ev, beta);
    Eigen::VectorXd newbeta = beta;
    bool halving = false;
    if (options.max_iter > 0) {
      detail::chol_tol ch(hessian(ev), options.toler_chol);
      newbeta = beta + ch.solve(gradient(ev, beta));
      for (iter = 1; iter <= options.max_iter; ++iter) {
        evaluate(newbeta, true, ev);  // reuses ev's n-sized buffers
        const bool ok = ev.finite;
        const double obj = objective(ev, newbeta);
        if (ok && std::abs(1 - loglik_old / obj) <= options.eps && !halving) {
          converged = true;
          break;
        }
        if (iter == options.max_iter) break;
        if (!ok || obj < loglik_old) {
          halving = true;
          newbeta = (newbeta + beta) / 2;
        } else {
          halving = false;
          loglik_old = obj;
          detail::chol_tol chi(hessian(ev), options.toler_chol);
          Eigen::VectorXd step = chi.solve(gradient(ev, newbeta));
          beta = newbeta;
          newbeta = newbeta + step;
        }
      }
      if (iter > options.max_iter) iter = options.max_iter;
      beta = newbeta;
    } else {
      converged = true;
    }
    if (!ev.finite) {
      // the last evaluation failed (overflow): fall back to the last finite point
      evaluate(beta, true, ev);
    }
    hess = hessian(ev);
    grad = gradient(ev, beta);
    m.penalized_log_likelihood_null = m.log_likelihood_null;
    m.penalized_log_likelihood = objective(ev, beta);
  }
  m.iterations = iter;
  m.converged = converged;
  m.log_likelihood = ev.loglik;
  m.penalty = m.log_likelihood - m.penalized_log_likelihood;
  detail::chol_tol chf(hess, options.toler_chol);
  const Eigen::MatrixXd v_scaled = chf.inverse();
  m.aliased.assign(static_cast<std::size_t>(p), false);
  for (Index c = 0; c < p; ++c)
    m.aliased[static_cast<std::size_t>(c)] = chf.singular[static_cast<std::size_t>(c)] || !active[static_cast<std::size_t>(c)];
  // back to the original scale: beta = beta_s * scale, V = S V_s S
  m.coef = beta.cwiseProduct(sc);
  m.naive_covariance = sc.asDiagonal() * v_scaled * sc.asDiagonal();
  m.score_vector = ev.u.cwiseQuotient(sc);
  m.means = center;
  // ridge: R's var2 = H^-1 I H^-1 and per-column effective degrees of freedom
  m.edf = Eigen::VectorXd::Zero(p);
  if (ridge) {
    const Eigen::MatrixXd vi = v_scaled * ev.imat;
    const Eigen::MatrixXd v2 = vi * v_scaled;
    m.covariance2 = sc.asDiagonal() * v2 * sc.asDiagonal();
    for (Index c = 0; c < p; ++c) {
      if (m.aliased[static_cast<std::size_t>(c)]) continue;
      m.edf[c] = penalised[static_cast<std::size_t>(c)] ? vi(c, c) : v2(c, c) / v_scaled(c, c);
    }
  } else {
    m.covariance2 = m.naive_covariance;
    for (Index c = 0; c < p; ++c) m.edf[c] = m.aliased[static_cast<std::size_t>(c)] ? 0.0 : 1.0;
  }
  m.std_error2 = m.covariance2.diagonal().cwiseMax(0.0).cwiseSqrt();
  if (!converged && (options.firth || options.max_iter > 0))
    m.warnings.push_back("ran out of iterations (" +
                         std::to_string(options.firth ? options.firth_options.max_iter : options.max_iter) +
                         ") and did not converge");
  // infinite-coefficient check (coxph): Newton step still large relative to the coefficient
  if (!options.firth) {
    Eigen::VectorXd step = v_scaled * grad;
    std::string which;
    for (Index c = 0; c < p; ++c) {
      if (m.aliased[static_cast<std::size_t>(c)]) continue;
      const double st = std::abs(step[c] * sc[c]);
      if (!std::isfinite(ev.u[c]) || !std::isfinite(st) ||
          (st > options.eps && st > options.toler_inf * std::abs(m.coef[c])))
        which += (which.empty() ? "" : ", ") + m.names[static_cast<std::size_t>(c)];
    }
    if (!which.empty())
      m.warnings.push_back("loglik converged before variable " + which + "; coefficient may be infinite");
  }
  for (Index c = 0; c < p; ++c)
    if (m.aliased[static_cast<std::size_t>(c)]) {
      m.coef[c] = detail::nan;
      m.warnings.push_back("column " + m.names[static_cast<std::size_t>(c)] +
                           " is constant or collinear with earlier columns (aliased, coefficient NA)");
    }
  // robust covariance from dfbeta residuals
  // as coxph: clusters or non-integer case weights switch the sandwich estimator on
  bool robust = options.robust || !options.cluster.empty();
  for (double w : options.weights) robust = robust || w != std::floor(w);
  robust = robust && !options.firth;
  m.robust_std_error = Eigen::VectorXd::Constant(p, detail::nan);
  if (robust) {
    make_sorted_setup();
    detail::add_row_blocks(s);
    // the residuals read the sorted set-up's per-row arrays: the same evaluation in its order
    const detail::cox_eval ev_sorted = by_rows ? detail::cox_evaluate(s, beta, false) : ev;
    Eigen::MatrixXd score;
    detail::cox_residual_parts(s, ev_sorted, nullptr, &score);
    Eigen::MatrixXd vr = detail::robust_covariance(s, score, v_scaled, options.cluster, true);
    m.covariance = sc.asDiagonal() * vr * sc.asDiagonal();
    for (Index c = 0; c < p; ++c) m.robust_std_error[c] = m.aliased[static_cast<std::size_t>(c)] ? detail::nan : std::sqrt(m.covariance(c, c));
    // robust score test at beta = 0
    detail::cox_eval e0 = detail::cox_evaluate(s, Eigen::VectorXd::Zero(p), false);
    Eigen::MatrixXd score0;
    detail::cox_residual_parts(s, e0, nullptr, &score0);
    Eigen::MatrixXd b0 = detail::robust_covariance(s, score0, v_scaled, options.cluster, false);
    int rdf = 0;
    m.robust_score.statistic = detail::quad_form_inverse(b0, u0, rdf);
    m.robust_score.df = rdf;
    m.robust_score.p_value = stats::chi_squared_sf(m.robust_score.statistic, m.robust_score.df);
    m.robust_score.name = "robust score test";
    m.inference_se = "robust";
  } else {
    m.covariance = m.naive_covariance;
    m.inference_se = "model";
  }
  m.std_error.resize(p);
  m.z.resize(p);
  m.p_value.resize(p);
  m.chisq.resize(p);
  m.hazard_ratio.resize(p);
  m.hr_lower.resize(p);
  m.hr_upper.resize(p);
  for (Index c = 0; c < p; ++c) {
    const bool al = m.aliased[static_cast<std::size_t>(c)];
    m.std_error[c] = al ? detail::nan : std::sqrt(m.naive_covariance(c, c));
    const double se = robust ? m.robust_std_error[c] : m.std_error[c];
    m.z[c] = m.coef[c] / se;
    m.chisq[c] = m.z[c] * m.z[c];
    m.p_value[c] = al ? detail::nan : 2 * stats::normal_cdf(-std::abs(m.z[c]));
    m.hazard_ratio[c] = std::exp(m.coef[c]);
    m.hr_lower[c] = std::exp(m.coef[c] - zq * se);
    m.hr_upper[c] = std::exp(m.coef[c] + zq * se);
  }
  // Firth: profile penalised-likelihood CI and penalised LR test per coefficient (coxphf pl = TRUE)
  if (options.firth && options.firth_options.profile_ci && firth_fit.ok) {
    const auto& fo = options.firth_options;
    const double q = zq * zq;
    const double lmax = firth_fit.value;
    m.inference_se = "profile penalized likelihood";
    for (Index c = 0; c < p; ++c) {
      if (m.aliased[static_cast<std::size_t>(c)]) continue;
      std::vector<bool> fr = active;
      fr[static_cast<std::size_t>(c)] = false;
      detail::firth_profile prof{&s, active, fr, c, beta, fo.max_iter, fo.max_halving, fo.max_step, fo.epsilon};
      const double at0 = prof(0.0);
      m.chisq[c] = std::max(0.0, 2 * (lmax - at0));
      m.p_value[c] = stats::chi_squared_sf(m.chisq[c], 1);
      const double se_s = std::sqrt(v_scaled(c, c));
      for (int side = -1; side <= 1; side += 2) {
        prof.warm = beta;
        auto f = [&](double b) { return 2 * (lmax - prof(b)) - q; };
        const double root = detail::profile_root(f, beta[c], side, zq * se_s, 4096 * zq * se_s, 1e-12);
        (side < 0 ? m.hr_lower[c] : m.hr_upper[c]) = std::exp(root * sc[c]);
      }
    }
  }
  // global tests
  Eigen::VectorXd b = m.coef;
  for (Index c = 0; c < p; ++c)
    if (m.aliased[static_cast<std::size_t>(c)]) b[c] = 0;
  int wdf = 0;
  m.wald.statistic = detail::quad_form_inverse(m.covariance, b, wdf);
  m.wald.df = wdf;
  m.wald.p_value = stats::chi_squared_sf(m.wald.statistic, m.wald.df);
  m.wald.name = robust ? "Wald test (robust covariance)" : "Wald test";
  if (options.firth) {
    m.likelihood_ratio.statistic = 2 * (m.penalized_log_likelihood - m.penalized_log_likelihood_null);
    m.likelihood_ratio.df = chf.rank;
    m.likelihood_ratio.name = "penalized likelihood ratio test (Firth)";
  } else {
    m.likelihood_ratio.statistic = 2 * (m.log_likelihood - m.log_likelihood_null);
    m.likelihood_ratio.df = ridge ? m.edf.sum() : chf.rank;
    m.likelihood_ratio.name = ridge ? "likelihood ratio test (effective df of the ridge fit)" : "likelihood ratio test";
  }
  m.likelihood_ratio.p_value = stats::chi_squared_sf(m.likelihood_ratio.statistic, m.likelihood_ratio.df);
  m.score.p_value = stats::chi_squared_sf(m.score.statistic, m.score.df);
  m.score.name = "score (log-rank) test";
  // linear predictor in the original order, centred as R's
  // (one X b product serves both: the centred predictor and the concordance's)
  const auto n_rows = static_cast<Index>(time.size());
  m.linear_predictor.resize(n_rows);
  Eigen::VectorXd lp = X * b;
  {
    const double shift = center.dot(b);
    for (Index i = 0; i < n_rows; ++i)
      m.linear_predictor[i] = lp[i] - shift + (options.offset.empty() ? 0.0 : options.offset[static_cast<std::size_t>(i)]);
  }
  // concordance of the linear predictor (with the offset, as coxph) with the outcome
  {
    if (!options.offset.empty())
      for (Index i = 0; i < n_rows; ++i) lp[i] += options.offset[static_cast<std::size_t>(i)];
    std::span<const double> sp(lp.data(), static_cast<std::size_t>(lp.size()));
    if (entry.empty() && !lp.hasNaN()) {  // reuse the fit's sort (the data are checked)
      detail::concordance_keys keys;
      if (by_rows) {
        keys.key = std::move(rows.key);
        keys.nkeys = std::move(rows.nkeys);
      } else {
        keys = detail::cox_concordance_keys(s);
      }
      m.concordance = detail::concordance_right_censored(sp, options.weights, options.cluster,
                                                         detail::encode_labels(options.strata, time.size()),
                                                         std::move(keys), true);
    } else {
      m.concordance = concordance(time, status, sp,
                                  {.entry = entry, .strata = options.strata,
                                   .weights = options.weights, .cluster = options.cluster});
    }
  }
  return m;
}

}  // namespace vasostat::inline v0::survival
