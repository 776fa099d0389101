#pragma once
// Cox proportional-hazards fit of a single 0/1 covariate (Efron ties), for the hazard ratio at a
// cut-point; written from Cox (1972) and Efron (1977). With a binary covariate every risk-set sum
// is a function of four counts per distinct event time (at risk and events, z = 0 and z = 1), so
// after one O(n) pass over the time order each Newton step costs O(events) with one exp and no
// log; the log-likelihood is evaluated only at 0 and at the estimate. The survival module's
// general cox() is the model for several covariates; this keeps maxstat's HR and its bootstrap
// at O(n) per fit.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
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

/// Counts of one distinct event time (walking down from the largest time): cumulative at-risk
/// counts and the events of the block, split by the 0/1 covariate z.
struct cox1_block {
  double n0, n1, e0, e1;
};

/// The blocks of the Cox fit of z = (x > cut) from the ascending time order: sorted_time[k] =
/// time[index[k]] (any order within tied times), status 0/1 with n_events events. The blocks
/// with an event are written to the front of blocks (grown to n_events + 1 entries: every block
/// is written, and kept only if it has an event); returns how many there are. Branch-free per
/// observation (z and status are unpredictable data), integer counts.
inline std::size_t cox1_blocks(std::span<const double> sorted_time, std::span<const std::uint32_t> index,
                               std::span<const double> status, std::size_t n_events, std::span<const double> x,
                               double cut, std::vector<cox1_block>& blocks) {
  const std::size_t n = sorted_time.size();
  if (blocks.size() < n_events + 1) blocks.resize(n_events + 1);
  cox1_block* out = blocks.data();
  std::size_t nblocks = 0;
  std::size_t n0 = 0, n1 = 0;
  std::size_t i = n;
  while (i > 0) {
    const double t = sorted_time[i - 1];
    std::size_t e0 = 0, e1 = 0;
    do {
      const std::uint32_t k = index[i - 1];
      const std::size_t one = x[k] > cut ? 1U : 0U;
      const std::size_t ev = status[k] > 0.5 ? 1U : 0U;
      n1 += one;
      n0 += 1 - one;
      e1 += ev & one;
      e0 += ev & (1 - one);
      --i;
    } while (i > 0 && sorted_time[i - 1] == t);
    out[nblocks] = {static_cast<double>(n0), static_cast<double>(n1), static_cast<double>(e0),
                    static_cast<double>(e1)};
    nblocks += e0 + e1 > 0 ? 1 : 0;
  }
  return nblocks;
}

/// Cox fit of a 0/1 covariate from its blocks (cox1_blocks). want_loglik = false skips
/// loglik/loglik0/score_statistic (bootstrap use).
inline cox1_fit cox_binary(std::span<const cox1_block> blocks, bool want_loglik = true) {
  using block = cox1_block;
  // score and information at b (Efron: the l-th of d tied deaths removes l/d of their risk)
  auto score = [&](double b, double& u, double& info) {
    const double r = std::exp(b);
    u = 0;
    info = 0;
    for (const block& bl : blocks) {
      const double d = bl.e0 + bl.e1;
      const double s0 = bl.n0 + bl.n1 * r, s1 = bl.n1 * r;
      const double d0 = bl.e0 + bl.e1 * r, d1 = bl.e1 * r;
      u += bl.e1;
      // l = 0 (every block has d >= 1): f = 0 exactly, the term is s1 / s0 with no division
      // for f (bit-identical to the general form)
      const double m0 = s1 / s0;
      u -= m0;
      info += m0 - m0 * m0;
      for (double l = 1; l < d; l += 1) {
        const double f = l / d;
        const double m = (s1 - f * d1) / (s0 - f * d0);
        u -= m;
        info += m - m * m;  // z^2 = z
      }
    }
  };
  // sum of log risk-set totals as the log of a running product, renormalised by frexp when it
  // leaves [2^-200, 2^200] (one log per call instead of one per event)
  auto loglik = [&](double b) {
    const double r = std::exp(b);
    double linear = 0, prod = 1;
    long exponent = 0;
    for (const block& bl : blocks) {
      const double d = bl.e0 + bl.e1;
      const double s0 = bl.n0 + bl.n1 * r, d0 = bl.e0 + bl.e1 * r;
      linear += b * bl.e1;
      // l = 0 (d >= 1): the factor is s0 exactly
      for (double l = 0; l < d; l += 1) {
        prod *= l == 0 ? s0 : s0 - l / d * d0;
        if (!(prod < 0x1p200 && prod > 0x1p-200)) {
          int e = 0;
          prod = std::frexp(prod, &e);
          exponent += e;
        }
      }
    }
    return linear - (std::log(prod) + static_cast<double>(exponent) * std::numbers::ln2);
  };
  cox1_fit out;
  double u = 0, info = 0;
  score(0.0, u, info);
  if (want_loglik) {
    out.loglik0 = loglik(0.0);
    out.score_statistic = info > 0 ? u * u / info : 0.0;
  }
  double events0 = 0, events1 = 0;
  for (const block& bl : blocks) {
    events0 += bl.e0;
    events1 += bl.e1;
  }
  if (events0 == 0 || events1 == 0) {
    // monotone likelihood: one group has no events, the estimate is infinite
    out.beta = events1 == 0 ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    out.loglik = out.loglik0;
    return out;
  }
  // Newton-Raphson on the (decreasing) score; a step that does not reduce |score| is halved.
  // Converged once the Newton step itself is below 1e-12 (1 + |b|): at that point the score is
  // at rounding level and a further evaluation could not reduce it.
  double b = 0;
  for (int it = 0; it < 60 && info > 0; ++it) {
    double step = u / info;
    if (std::fabs(step) <= 1e-12 * (1 + std::fabs(b))) {
      out.converged = true;
      break;
    }
    double nb = b + step, nu = 0, ninfo = 0;
    score(nb, nu, ninfo);
    // (|score| within rounding of a sum over the events counts as not increased)
    const double noise = 1e-12 * (events0 + events1);
    for (int halve = 0; halve < 30 && !(std::fabs(nu) <= std::fabs(u) + noise); ++halve) {
      step /= 2;
      nb = b + step;
      score(nb, nu, ninfo);
    }
    b = nb;
    u = nu;
    info = ninfo;
  }
  out.beta = b;
  if (want_loglik) out.loglik = loglik(b);
  out.std_error = info > 0 ? 1 / std::sqrt(info) : std::numeric_limits<double>::quiet_NaN();
  return out;
}

}  // namespace vasostat::inline v0::threshold::detail
