#pragma once
// ROC curve, AUC with DeLong's variance (DeLong, DeLong & Clarke-Pearson 1988, Biometrics
// 44:837-845; placement values computed in O(N log N) as Sun & Xu 2014) and the Youden-optimal
// cut (Youden 1950) with a seeded, stratified bootstrap percentile CI (Fluss, Faraggi & Reiser
// 2005). Candidate thresholds are the midpoints between consecutive distinct predictor values
// plus +-Inf (pROC's convention); with the default direction a case is predicted when
// predictor > threshold.

#include <vasostat/core/error.hpp>
#include <vasostat/core/random.hpp>
#include <vasostat/stats/distributions.hpp>
#include <vasostat/threshold/detail/numeric.hpp>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::threshold {

enum class roc_direction : std::uint8_t {
  higher_is_positive,  ///< predict a case when predictor > threshold (pROC direction "<")
  lower_is_positive    ///< predict a case when predictor < threshold (pROC direction ">")
};

struct roc_options {
  roc_direction direction = roc_direction::higher_is_positive;
  double conf_level = 0.95;
  int n_boot = 0;  ///< stratified bootstrap replicates for the Youden cut CI (0 = none)
  std::uint64_t seed = 1;
};

struct roc_result {
  double auc = 0;
  double auc_std_error = 0;  ///< DeLong
  double auc_lower = 0;      ///< AUC -+ z SE (not clipped to [0, 1])
  double auc_upper = 0;
  double threshold = 0;      ///< Youden-optimal cut (the lowest if several tie)
  double youden_j = 0;
  double sensitivity = 0;
  double specificity = 0;
  int n_optimal = 1;         ///< number of thresholds attaining the maximal J
  double threshold_lower = std::numeric_limits<double>::quiet_NaN();  ///< bootstrap percentile CI
  double threshold_upper = std::numeric_limits<double>::quiet_NaN();
  double youden_j_lower = std::numeric_limits<double>::quiet_NaN();
  double youden_j_upper = std::numeric_limits<double>::quiet_NaN();
  Eigen::VectorXd thresholds;  ///< increasing (in the predictor's own scale)
  Eigen::VectorXd sensitivities;
  Eigen::VectorXd specificities;
};

namespace detail {

struct youden_point {
  double threshold = 0;
  double j = -1;
  double se = 0;
  double sp = 0;
  int ties = 0;
};

/// Youden optimum for "case if s > t" over sorted scores of cases and controls.
inline youden_point youden_sorted(const std::vector<double>& pos, const std::vector<double>& neg,
                                  std::vector<double>* thr, std::vector<double>* sens,
                                  std::vector<double>* spec) {
  std::vector<double> all;
  all.reserve(pos.size() + neg.size());
  std::merge(pos.begin(), pos.end(), neg.begin(), neg.end(), std::back_inserter(all));
  all.erase(std::unique(all.begin(), all.end()), all.end());
  const double m = static_cast<double>(pos.size());
  const double n = static_cast<double>(neg.size());
  youden_point best;
  std::size_t ip = 0;
  std::size_t in = 0;
  auto visit = [&](double t) {
    while (ip < pos.size() && pos[ip] <= t) {
      ++ip;
    }
    while (in < neg.size() && neg[in] <= t) {
      ++in;
    }
    const double se = (m - static_cast<double>(ip)) / m;
    const double sp = static_cast<double>(in) / n;
    const double j = se + sp - 1;
    if (thr != nullptr) {
      thr->push_back(t);
      sens->push_back(se);
      spec->push_back(sp);
    }
    if (j > best.j + 1e-15) {
      best = {t, j, se, sp, 1};
    } else if (std::fabs(j - best.j) <= 1e-15) {
      ++best.ties;
    }
  };
  visit(-std::numeric_limits<double>::infinity());
  for (std::size_t k = 0; k + 1 < all.size(); ++k) {
    visit((all[k] + all[k + 1]) / 2);
  }
  visit(std::numeric_limits<double>::infinity());
  return best;
}

}  // namespace detail

/// @throws vasostat::invalid_argument for sizes that disagree, NaN/Inf, an outcome that is not
///   0/1 or has only one class, conf_level outside (0, 1), options.n_boot < 0.
[[nodiscard]] inline roc_result roc_cutpoint(std::span<const double> outcome, std::span<const double> predictor,
                                             const roc_options& options = {}) {
  constexpr const char* fn = "vasostat::threshold::roc_cutpoint";
  const std::string f(fn);
  detail::expect_size(predictor.size(), outcome.size(), fn, "predictor", "outcome");
  detail::expect_finite(predictor, fn, "predictor");
  detail::expect_level(options.conf_level, fn, "options.conf_level");
  VASOSTAT_EXPECTS(options.n_boot >= 0, f + ": options.n_boot must be >= 0");
  std::vector<double> pos;
  std::vector<double> neg;
  const double sign = options.direction == roc_direction::higher_is_positive ? 1.0 : -1.0;
  for (std::size_t i = 0; i < outcome.size(); ++i) {
    VASOSTAT_EXPECTS(outcome[i] == 0 || outcome[i] == 1,
                     f + ": outcome[" + std::to_string(i) + "] is not binary (0 or 1)");
    (outcome[i] == 1 ? pos : neg).push_back(sign * predictor[i]);
  }
  VASOSTAT_EXPECTS(!pos.empty() && !neg.empty(), f + ": outcome needs both cases (1) and controls (0)");
  std::sort(pos.begin(), pos.end());
  std::sort(neg.begin(), neg.end());
  const double m = static_cast<double>(pos.size());
  const double n = static_cast<double>(neg.size());
  // placement values
  double auc = 0;
  std::vector<double> v10(pos.size());
  std::vector<double> v01(neg.size());
  for (std::size_t i = 0; i < pos.size(); ++i) {
    const auto lo = std::lower_bound(neg.begin(), neg.end(), pos[i]);
    const auto hi = std::upper_bound(neg.begin(), neg.end(), pos[i]);
    v10[i] = (static_cast<double>(lo - neg.begin()) + 0.5 * static_cast<double>(hi - lo)) / n;
    auc += v10[i];
  }
  auc /= m;
  for (std::size_t j = 0; j < neg.size(); ++j) {
    const auto lo = std::lower_bound(pos.begin(), pos.end(), neg[j]);
    const auto hi = std::upper_bound(pos.begin(), pos.end(), neg[j]);
    v01[j] = (static_cast<double>(pos.end() - hi) + 0.5 * static_cast<double>(hi - lo)) / m;
  }
  auto var = [](const std::vector<double>& v, double mean) {
    if (v.size() < 2) {
      return 0.0;
    }
    double s = 0;
    for (double a : v) {
      s += (a - mean) * (a - mean);
    }
    return s / static_cast<double>(v.size() - 1);
  };
  roc_result out;
  out.auc = auc;
  out.auc_std_error = std::sqrt(var(v10, auc) / m + var(v01, auc) / n);
  const double z = stats::normal_quantile(0.5 + options.conf_level / 2);
  out.auc_lower = auc - z * out.auc_std_error;
  out.auc_upper = auc + z * out.auc_std_error;
  std::vector<double> thr;
  std::vector<double> se;
  std::vector<double> sp;
  const auto best = detail::youden_sorted(pos, neg, &thr, &se, &sp);
  out.threshold = sign * best.threshold;
  out.youden_j = best.j;
  out.sensitivity = best.se;
  out.specificity = best.sp;
  out.n_optimal = best.ties;
  const auto k = static_cast<Eigen::Index>(thr.size());
  out.thresholds.resize(k);
  out.sensitivities.resize(k);
  out.specificities.resize(k);
  for (Eigen::Index i = 0; i < k; ++i) {
    // report in increasing order of the predictor's own scale
    const auto src = static_cast<std::size_t>(sign > 0 ? i : k - 1 - i);
    out.thresholds[i] = sign * thr[src];
    out.sensitivities[i] = se[src];
    out.specificities[i] = sp[src];
  }
  if (options.n_boot > 0) {
    random_generator rng(options.seed);
    std::vector<double> bt;
    std::vector<double> bj;
    std::vector<double> bp(pos.size());
    std::vector<double> bn(neg.size());
    for (int b = 0; b < options.n_boot; ++b) {
      for (auto& v : bp) {
        v = pos[static_cast<std::size_t>(rng.below(pos.size()))];
      }
      for (auto& v : bn) {
        v = neg[static_cast<std::size_t>(rng.below(neg.size()))];
      }
      std::sort(bp.begin(), bp.end());
      std::sort(bn.begin(), bn.end());
      const auto yb = detail::youden_sorted(bp, bn, nullptr, nullptr, nullptr);
      if (std::isfinite(yb.threshold)) {
        bt.push_back(sign * yb.threshold);
      }
      bj.push_back(yb.j);
    }
    const double a = (1 - options.conf_level) / 2;
    std::sort(bt.begin(), bt.end());
    std::sort(bj.begin(), bj.end());
    if (!bt.empty()) {
      out.threshold_lower = detail::quantile7_sorted(bt, a);
      out.threshold_upper = detail::quantile7_sorted(bt, 1 - a);
    }
    out.youden_j_lower = detail::quantile7_sorted(bj, a);
    out.youden_j_upper = detail::quantile7_sorted(bj, 1 - a);
  }
  return out;
}

}  // namespace vasostat::inline v0::threshold
