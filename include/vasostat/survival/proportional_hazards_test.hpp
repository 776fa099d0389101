#pragma once
// Test of the proportional-hazards assumption of a Cox fit (Grambsch & Therneau 1994) as R
// survival >= 3.0's cox.zph: the exact score test, at (beta_hat, 0), for adding g(t) x to the
// model, with g the transformed event time centred over the events ("km": 1 - left-continuous
// Kaplan–Meier of all the data, "rank", "identity"). Per covariate (1 df) and global (p df).
// One extra O(n p^2) sweep; no iteration.

#include <vasostat/survival/common.hpp>
#include <vasostat/survival/cox.hpp>
#include <vasostat/survival/cox_predict.hpp>
#include <vasostat/survival/detail/cox_engine.hpp>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::survival {

enum class time_transform : std::uint8_t { km, rank, identity };

struct proportional_hazards_options {
  time_transform transform = time_transform::km;  ///< cox.zph's default
};

struct proportional_hazards_result {
  std::vector<std::string> term;  ///< covariate names
  Eigen::VectorXd chisq, p_value; ///< per covariate, 1 df each (NaN for aliased columns)
  Eigen::VectorXi df;
  double global_chisq = detail::nan;
  int global_df = 0;
  double global_p_value = detail::nan;
  time_transform transform = time_transform::km;
};

/// cox.zph for a fitted model; takes the data and options the model was fitted with.
/// @throws vasostat::invalid_argument as survival::cox, or when X does not match the model.
[[nodiscard]] inline proportional_hazards_result proportional_hazards_test(
    const cox_model& model, std::span<const double> time, std::span<const double> status,
    const Eigen::Ref<const Eigen::MatrixXd>& X, const cox_options& options = {},
    const proportional_hazards_options& ph = {}) {
  using detail::index;
  auto r = detail::cox_at_fit("proportional_hazards_test", model, time, status, X, options);
  const auto& s = r.s;
  const auto& ev = r.ev;
  const index p = s.p;
  const auto nb = static_cast<index>(s.blocks.size());
  // g at each event block: transform of the event time
  Eigen::VectorXd g(nb);
  if (ph.transform == time_transform::identity) {
    for (index j = 0; j < nb; ++j) g[j] = s.blocks[static_cast<std::size_t>(j)].time;
  } else if (ph.transform == time_transform::km) {
    // pooled Kaplan–Meier over all rows (ignoring strata), left-continuous at each event time
    std::vector<double> ts(s.stop.data(), s.stop.data() + s.n);
    auto ord = detail::order_ascending(ts);
    std::vector<double> km_time, km_before;  // S just before each distinct event time
    std::vector<double> entries;
    if (s.counting) {
      entries.assign(s.entry.data(), s.entry.data() + s.n);
      std::sort(entries.begin(), entries.end());
    }
    double surv = 1;
    for (std::size_t k = 0; k < ord.size();) {
      const double t = ts[ord[k]];
      std::size_t e = k;
      double d = 0;
      for (; e < ord.size() && ts[ord[e]] == t; ++e) d += s.status[static_cast<index>(ord[e])];
      if (d > 0) {
        // at risk at t: stop >= t minus entry >= t
        double n_risk = static_cast<double>(ord.size() - k);
        if (s.counting)
          n_risk -= static_cast<double>(entries.end() - std::lower_bound(entries.begin(), entries.end(), t));
        km_time.push_back(t);
        km_before.push_back(surv);
        surv *= 1 - d / n_risk;
      }
      k = e;
    }
    for (index j = 0; j < nb; ++j) {
      const double t = s.blocks[static_cast<std::size_t>(j)].time;
      auto it = std::lower_bound(km_time.begin(), km_time.end(), t);
      g[j] = 1 - km_before[static_cast<std::size_t>(it - km_time.begin())];
    }
  } else {
    // rank of the event time among all observed times (ties get the average rank), as cox.zph
    Eigen::VectorXd all = s.stop;
    std::sort(all.begin(), all.end());
    for (index j = 0; j < nb; ++j) {
      const double t = s.blocks[static_cast<std::size_t>(j)].time;
      const auto lo = static_cast<double>(std::lower_bound(all.begin(), all.end(), t) - all.begin());
      const auto hi = static_cast<double>(std::upper_bound(all.begin(), all.end(), t) - all.begin());
      g[j] = (lo + 1 + hi) / 2;
    }
  }
  // centre over the events (each death counts once)
  double gsum = 0, dsum = 0;
  for (index j = 0; j < nb; ++j) {
    gsum += g[j] * ev.nd[j];
    dsum += ev.nd[j];
  }
  g.array() -= gsum / dsum;
  // block scores U_j = sum_D w x - (S1 a - D1 b); information blocks weighted by 1, g, g^2
  Eigen::MatrixXd dx = Eigen::MatrixXd::Zero(nb, p);
  for (index j = 0; j < nb; ++j) {
    const auto& blk = s.blocks[static_cast<std::size_t>(j)];
    for (index q = blk.death_begin; q < blk.death_end; ++q) {
      const index k = s.death_pos[static_cast<std::size_t>(q)];
      dx.row(j) += s.wt[k] * s.x.row(k);
    }
  }
  Eigen::MatrixXd uj = dx - (ev.s1.array().colwise() * ev.a.array()).matrix() + (ev.d1.array().colwise() * ev.b.array()).matrix();
  const Eigen::VectorXd u2 = uj.transpose() * g;
  auto info = [&](const Eigen::VectorXd& h) {
    Eigen::VectorXd v;
    detail::block_weights(s, ev, ev.a.cwiseProduct(h), ev.b.cwiseProduct(h), v);
    return detail::information_sum(s, ev, v, ev.alpha.cwiseProduct(h), ev.beta.cwiseProduct(h), ev.gamma.cwiseProduct(h));
  };
  const Eigen::VectorXd ones = Eigen::VectorXd::Ones(nb);
  const Eigen::MatrixXd i11 = info(ones), i12 = info(g), i22 = info(g.cwiseProduct(g));
  Eigen::MatrixXd full(2 * p, 2 * p);
  full << i11, i12, i12.transpose(), i22;
  Eigen::VectorXd u = Eigen::VectorXd::Zero(2 * p);
  u.tail(p) = u2;
  // aliased covariates are left out of every test
  std::vector<index> base;
  for (index c = 0; c < p; ++c)
    if (!model.aliased[static_cast<std::size_t>(c)]) base.push_back(c);
  auto test = [&](const std::vector<index>& extra, int& df) {
    std::vector<index> k = base;
    for (index c : extra) k.push_back(p + c);
    const auto m = static_cast<index>(k.size());
    Eigen::MatrixXd sub(m, m);
    Eigen::VectorXd us(m);
    for (index a = 0; a < m; ++a) {
      us[a] = u[k[static_cast<std::size_t>(a)]];
      for (index b = 0; b < m; ++b) sub(a, b) = full(k[static_cast<std::size_t>(a)], k[static_cast<std::size_t>(b)]);
    }
    detail::chol_tol ch(sub, options.toler_chol);
    df = static_cast<int>(extra.size());
    return us.dot(ch.solve(us));
  };
  proportional_hazards_result out;
  out.transform = ph.transform;
  out.term = model.names;
  out.chisq = Eigen::VectorXd::Constant(p, detail::nan);
  out.p_value = Eigen::VectorXd::Constant(p, detail::nan);
  out.df = Eigen::VectorXi::Zero(p);
  for (index c : base) {
    int df = 0;
    out.chisq[c] = test({c}, df);
    out.df[c] = df;
    out.p_value[c] = stats::chi_squared_sf(out.chisq[c], df);
  }
  out.global_chisq = test(base, out.global_df);
  out.global_p_value = stats::chi_squared_sf(out.global_chisq, out.global_df);
  return out;
}

}  // namespace vasostat::inline v0::survival
