#pragma once
// After a Cox fit: residuals (martingale, deviance, score, Schoenfeld, scaled Schoenfeld,
// dfbeta, dfbetas; Therneau, Grambsch & Fleming 1990) in O(n p), and predicted survival
// curves for a covariate vector with standard errors (Tsiatis 1981; Link 1984) as R's
// survfit.coxph (Efron-consistent hazard increments for ties::efron, Breslow otherwise).
// Both take the data the model was fitted to again (the model is a plain value).

#include <vasostat/survival/common.hpp>
#include <vasostat/survival/cox.hpp>
#include <vasostat/survival/detail/cox_engine.hpp>

#include <Eigen/Dense>

#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::survival {

struct cox_residuals {
  Eigen::VectorXd martingale;        ///< delta_i - exp(eta_i) Lambda0 over (entry_i, time_i]
  Eigen::VectorXd deviance;          ///< sign(M) sqrt(-2 [M + delta log(delta - M)])
  Eigen::MatrixXd score;             ///< n x p score residuals (sum over rows of w * score = U)
  Eigen::MatrixXd dfbeta;            ///< n x p: w_i * score_i * V (R: residuals(type = "dfbeta"))
  Eigen::MatrixXd dfbetas;           ///< dfbeta / model-based SE
  Eigen::MatrixXd schoenfeld;        ///< one row per event: x_i - mean of x at its time (Efron-averaged)
  Eigen::MatrixXd scaled_schoenfeld; ///< beta + n_events * V r (R's "scaledsch")
  std::vector<double> schoenfeld_time;         ///< event time of each Schoenfeld row
  std::vector<Eigen::Index> schoenfeld_row;    ///< original row of each Schoenfeld row
};

struct survival_curve_options {
  conf_type conf = conf_type::log;
  double conf_level = 0.95;
};

/// One predicted curve per stratum: a row per distinct time in the stratum.
struct cox_curve {
  int stratum = 0;                   ///< stratum label (0 when unstratified)
  std::vector<double> time, n_risk, n_event;
  std::vector<double> cumhaz;        ///< Lambda(t | x)
  std::vector<double> std_err;       ///< SE of Lambda(t | x) (R's survfit std.err)
  std::vector<double> surv;          ///< exp(-Lambda)
  std::vector<double> lower, upper;  ///< pointwise CI of S
};

namespace detail {

/// Rebuilds the engine state at the fitted coefficients.
struct cox_refit {
  cox_setup s;
  cox_eval ev;
  Eigen::VectorXd beta_s;  ///< scaled-frame coefficients, aliased = 0
  Eigen::MatrixXd v_s;     ///< scaled-frame naive covariance
};

inline cox_refit cox_at_fit(const char* fn, const cox_model& m, std::span<const double> time,
                            std::span<const double> status, const Eigen::Ref<const Eigen::MatrixXd>& X,
                            const cox_options& options) {
  check_cox_input(fn, time, status, X, options);
  if (m.coef.size() != X.cols())
    fail(fn, "model has " + std::to_string(m.coef.size()) + " coefficients but X.cols() is " + std::to_string(X.cols()));
  std::span<const double> entry = options.entry;
  std::vector<double> time_fixed, entry_fixed;
  if (options.timefix) timefix(fn, time, entry, time_fixed, entry_fixed);
  cox_refit r{make_cox_setup(time, status, X, entry, options.strata, options.weights, options.offset,
                             options.method),
              {}, {}, {}};
  r.beta_s.resize(X.cols());
  for (Eigen::Index c = 0; c < X.cols(); ++c)
    r.beta_s[c] = std::isnan(m.coef[c]) ? 0.0 : m.coef[c] / r.s.scale[c];
  r.v_s = m.naive_covariance.array() / (r.s.scale * r.s.scale.transpose()).array();
  r.ev = cox_evaluate(r.s, r.beta_s, false);
  return r;
}

}  // namespace detail

/// All residual types of a fitted model, rows in the original order.
/// @throws vasostat::invalid_argument as survival::cox, or when X does not match the model.
[[nodiscard]] inline cox_residuals residuals(const cox_model& model, std::span<const double> time,
                                            std::span<const double> status,
                                            const Eigen::Ref<const Eigen::MatrixXd>& X,
                                            const cox_options& options = {}) {
  using Eigen::Index;
  auto r = detail::cox_at_fit("residuals", model, time, status, X, options);
  const auto& s = r.s;
  Eigen::VectorXd mart;
  Eigen::MatrixXd score;
  detail::cox_residual_parts(s, r.ev, &mart, &score);
  const Index n = s.n, p = s.p;
  cox_residuals out;
  out.martingale.resize(n);
  out.deviance.resize(n);
  out.score.resize(n, p);
  for (Index k = 0; k < n; ++k) {
    const Index i = s.orig[static_cast<std::size_t>(k)];
    const double mk = mart[k], d = s.status[k];
    out.martingale[i] = mk;
    const double dev = -2 * (mk + (d > 0 ? d * std::log(d - mk) : 0.0));
    out.deviance[i] = (mk < 0 ? -1.0 : 1.0) * std::sqrt(std::max(dev, 0.0));
    out.score.row(i) = score.row(k).array() / s.scale.transpose().array();
  }
  Eigen::VectorXd w(n);
  for (Index i = 0; i < n; ++i) w[i] = options.weights.empty() ? 1.0 : options.weights[static_cast<std::size_t>(i)];
  out.dfbeta = (out.score.array().colwise() * w.array()).matrix() * model.naive_covariance;
  out.dfbetas = out.dfbeta;
  for (Index c = 0; c < p; ++c) {
    const double se = std::sqrt(model.naive_covariance(c, c));
    out.dfbetas.col(c) = se > 0 ? (out.dfbeta.col(c) / se).eval() : Eigen::VectorXd::Constant(n, detail::nan);
  }
  // Schoenfeld residuals, ordered by (stratum, time, original row) as R orders them
  std::vector<std::size_t> deaths;
  for (std::size_t q = 0; q < s.death_pos.size(); ++q) deaths.push_back(q);
  std::vector<std::size_t> death_time_order(deaths.size());
  {
    // blocks run time-descending within stratum; reverse the block order within each stratum
    std::size_t t = 0;
    for (std::size_t g = 0; g + 1 < s.stratum_block_begin.size(); ++g) {
      for (auto j = static_cast<std::size_t>(s.stratum_block_begin[g + 1]); j-- > static_cast<std::size_t>(s.stratum_block_begin[g]);) {
        const auto& blk = s.blocks[j];
        std::vector<Index> rows;
        for (Index q = blk.death_begin; q < blk.death_end; ++q) rows.push_back(q);
        std::sort(rows.begin(), rows.end(), [&](Index a, Index b) {
          return s.orig[static_cast<std::size_t>(s.death_pos[static_cast<std::size_t>(a)])] <
                 s.orig[static_cast<std::size_t>(s.death_pos[static_cast<std::size_t>(b)])];
        });
        for (Index q : rows) death_time_order[t++] = static_cast<std::size_t>(q);
      }
    }
  }
  const auto nd = static_cast<Index>(deaths.size());
  out.schoenfeld.resize(nd, p);
  Eigen::MatrixXd mbar = r.ev.s1.array().colwise() * r.ev.e1.array() - r.ev.d1.array().colwise() * r.ev.e2.array();
  for (Index t = 0; t < nd; ++t) {
    const std::size_t q = death_time_order[static_cast<std::size_t>(t)];
    const Index k = s.death_pos[q];
    const Index j = s.own_block[static_cast<std::size_t>(k)];
    out.schoenfeld.row(t) = (s.x.row(k) - mbar.row(j)).array() / s.scale.transpose().array();
    out.schoenfeld_time.push_back(s.stop[k]);
    out.schoenfeld_row.push_back(s.orig[static_cast<std::size_t>(k)]);
  }
  Eigen::VectorXd b = model.coef;
  for (Index c = 0; c < p; ++c)
    if (std::isnan(b[c])) b[c] = 0;
  out.scaled_schoenfeld = (static_cast<double>(nd) * out.schoenfeld * model.naive_covariance).rowwise() + b.transpose();
  return out;
}

/// Predicted survival S(t | x) = exp(-Lambda0(t) exp((x - means)'beta)) per stratum, with the
/// SE of Lambda(t | x) including the uncertainty of beta (survfit.coxph(fit, newdata = x)).
/// `x` has one value per covariate; pass model.means for R's default curve.
[[nodiscard]] inline std::vector<cox_curve> predict_survival(
    const cox_model& model, std::span<const double> time, std::span<const double> status,
    const Eigen::Ref<const Eigen::MatrixXd>& X, const Eigen::Ref<const Eigen::VectorXd>& x,
    const cox_options& options = {}, const survival_curve_options& curve = {}) {
  using Eigen::Index;
  constexpr const char* fn = "predict_survival";
  if (x.size() != X.cols())
    detail::fail(fn, "x.size() (" + std::to_string(x.size()) + ") != X.cols() (" + std::to_string(X.cols()) + ")");
  if (!x.allFinite()) detail::fail(fn, "x has NaN or infinite values");
  detail::check_conf_level(fn, curve.conf_level);
  auto r = detail::cox_at_fit(fn, model, time, status, X, options);
  const auto& s = r.s;
  const auto& ev = r.ev;
  const Index p = s.p;
  const Eigen::VectorXd zs = (x - s.center).cwiseProduct(s.scale);
  const double eta_z = zs.dot(r.beta_s);
  const Eigen::MatrixXd v_s = model.covariance.array() / (s.scale * s.scale.transpose()).array();
  const Eigen::MatrixXd g = ev.s1.array().colwise() * ev.alpha.array() - ev.d1.array().colwise() * ev.beta.array();
  const double zq = stats::normal_quantile(1 - (1 - curve.conf_level) / 2);
  auto labels = detail::encode_labels(options.strata, static_cast<std::size_t>(s.n)).labels;
  std::vector<cox_curve> out;
  for (std::size_t gi = 0; gi + 1 < s.stratum_begin.size(); ++gi) {
    cox_curve c;
    c.stratum = labels[gi];
    const double scale = std::exp(eta_z - ev.shift[gi]);
    // distinct stop times of the stratum (descending in storage), with counts at risk
    const Index b0 = s.stratum_begin[gi], b1 = s.stratum_begin[gi + 1];
    std::vector<double> times, risk, events;
    double at_risk = 0;
    Index rem = b0;
    for (Index k = b0; k < b1;) {
      const double t = s.stop[k];
      double d = 0;
      Index e = k;
      for (; e < b1 && s.stop[e] == t; ++e) {
        at_risk += s.wt[e];
        d += s.wt[e] * s.status[e];
      }
      if (s.counting)
        for (; rem < b1 && s.entry[s.entry_order[static_cast<std::size_t>(rem)]] >= t; ++rem)
          at_risk -= s.wt[s.entry_order[static_cast<std::size_t>(rem)]];
      times.push_back(t);
      risk.push_back(at_risk);
      events.push_back(d);
      k = e;
    }
    // ascending sweep over the stratum's event blocks
    double cum_a = 0, cum_var = 0;
    Eigen::VectorXd q = Eigen::VectorXd::Zero(p);
    Index j = s.stratum_block_begin[gi + 1];
    for (std::size_t t = times.size(); t-- > 0;) {
      if (j > s.stratum_block_begin[gi] && s.blocks[static_cast<std::size_t>(j - 1)].time == times[t]) {
        --j;
        cum_a += ev.a[j];
        cum_var += ev.alpha[j];
        q += zs * ev.a[j] - g.row(j).transpose();
      }
      const double lam = scale * cum_a;
      const Eigen::VectorXd qq = scale * q;
      const double var = scale * scale * cum_var + qq.dot(v_s * qq);
      const double se = std::sqrt(std::max(var, 0.0));
      const double sv = std::exp(-lam);
      double lo = detail::nan, hi = detail::nan;
      detail::surv_confint(sv, se, zq, curve.conf, lo, hi);
      c.time.push_back(times[t]);
      c.n_risk.push_back(risk[t]);
      c.n_event.push_back(events[t]);
      c.cumhaz.push_back(lam);
      c.std_err.push_back(se);
      c.surv.push_back(sv);
      c.lower.push_back(lo);
      c.upper.push_back(hi);
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace vasostat::inline v0::survival
