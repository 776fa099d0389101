#pragma once
// vessel::velocity: red-cell velocity from a space-time diagram by a Radon line-sum method.
// For each candidate streak slope v (px/frame) the diagram is integrated along the lines
// s = s0 + v (t - t_c) (linear interpolation, every integer s0); the score is the variance of
// those line sums beyond what uncorrelated samples give, normalised to the mean pairwise
// correlation of the samples on a line:
//     rho(v) = sum_lines (S^2 - Q) / sum_lines (n - 1) Q,   S = sum, Q = sum of squares,
// 0 for noise, 1 for perfect streaks. The velocity is the slope that maximises rho (log-spaced
// search then local refinement), the confidence is rho there. (Radon-variance after Drew et al.
// 2010 and Chhatbar & Kara 2013 — not the grey-scale Hough transform with a cumulative
// orientation profile claimed in US 8,526,704.) Slopes are searched up to v_max = L * fps / 3
// (a cell must stay >= 3 frames in the segment); a result near v_max is flagged saturated.
// Time windows (default 1 s) show stop-and-go flow. O(windows * candidates * length * frames).

#include <vasostat/core/error.hpp>
#include <vasostat/vessel/space_time.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

namespace vasostat::inline v0::vessel {

struct velocity_options {
  double window_s = 1.0;           ///< window length in seconds (0 = the whole clip)
  double min_confidence = 0.25;    ///< windows with rho below this show no coherent streaks
  double v_max_fraction = 1.0 / 3; ///< v_max = v_max_fraction * length * fps
  double saturation_ratio = 0.9;   ///< |v| >= ratio * v_max flags saturation
};

struct velocity_window {
  double start_s = 0;         ///< window start (seconds from the first frame)
  double end_s = 0;
  double velocity_um_s = 0;   ///< signed: > 0 from the centreline's first point to its last
  double confidence = 0;      ///< rho at the best slope (0 noise .. 1 perfect streaks)
  bool coherent = false;      ///< confidence >= min_confidence
  bool saturated = false;     ///< |v| near v_max: the true speed may be higher
};

struct velocity_result {
  double velocity_um_s = 0;      ///< median |v| over coherent windows (0 if none)
  int direction = 0;             ///< +1 along the centreline, -1 against, 0 none/undecided
  double confidence = 0;         ///< median confidence over windows
  double v_max_um_s = 0;         ///< measurable range of this segment: v_max_fraction L fps
  double v_min_um_s = 0;         ///< 1 px over a window
  bool saturated = false;        ///< most coherent windows saturated
  std::vector<velocity_window> windows;
};

namespace detail {

/// rho(v) over frames [t0, t1) of the diagram; see the header comment.
inline double streak_correlation(const image<float>& d, std::ptrdiff_t t0, std::ptrdiff_t t1,
                                 double v, std::vector<float>& sum, std::vector<float>& sq,
                                 std::vector<int>& cnt) {
  const std::ptrdiff_t L = d.width();
  const double tc = 0.5 * static_cast<double>(t0 + t1 - 1);
  const double reach = std::abs(v) * (tc - static_cast<double>(t0)) + 2;
  const auto lo = static_cast<std::ptrdiff_t>(std::floor(-reach));
  const auto hi = static_cast<std::ptrdiff_t>(std::ceil(static_cast<double>(L) + reach));
  const auto nl = static_cast<std::size_t>(hi - lo + 1);
  sum.assign(nl, 0.0f);
  sq.assign(nl, 0.0f);
  cnt.assign(nl + 1, 0);  // differences: line s0 gets one sample per frame whose range holds it
  for (std::ptrdiff_t t = t0; t < t1; ++t) {
    const double off = v * (static_cast<double>(t) - tc);
    const double fl = std::floor(off);
    const auto k = static_cast<std::ptrdiff_t>(fl);
    const auto f = static_cast<float>(off - fl);
    const float* row = d.row(t);
    // line s0 samples s = s0 + off: between row[s0 + k] and row[s0 + k + 1] (float sums: a
    // window holds at most a few hundred rows)
    const std::ptrdiff_t s_begin = std::max(lo, -k), s_end = std::min(hi, L - 2 - k);
    const float* ra = row + k;
    if (s_begin > s_end) {
      continue;
    }
    cnt[static_cast<std::size_t>(s_begin - lo)] += 1;
    cnt[static_cast<std::size_t>(s_end + 1 - lo)] -= 1;
    float* ps = sum.data() - lo;
    float* pq = sq.data() - lo;
    for (std::ptrdiff_t s0 = s_begin; s0 <= s_end; ++s0) {
      const float val = ra[s0] + f * (ra[s0 + 1] - ra[s0]);
      ps[s0] += val;
      pq[s0] += val * val;
    }
  }
  double num = 0, den = 0;
  for (std::size_t i = 0; i < nl; ++i) {
    cnt[i + 1] += cnt[i];
    if (cnt[i] >= 2) {
      const double si = sum[i], qi = sq[i];
      num += si * si - qi;
      den += (cnt[i] - 1) * qi;
    }
  }
  return den > 0 ? num / den : 0.0;
}

}  // namespace detail

/// Velocity of the red cells in one space-time diagram (see the header comment).
/// Throws vasostat::invalid_argument for a diagram with fewer than 2 frames or 4 positions,
/// NaN values, a bad calibration, or options out of range.
[[nodiscard]] inline velocity_result velocity(const space_time_diagram& d,
                                              const velocity_options& o = {}) {
  const char* where = "vasostat::vessel::velocity";
  detail::check_calibration(d.calibration, where);
  VASOSTAT_EXPECTS(d.values.height() >= 2,
                   std::string(where) + ": diagram has fewer than 2 frames (flow needs 2)");
  VASOSTAT_EXPECTS(d.values.width() >= 4, std::string(where) + ": diagram is shorter than 4 px");
  for (std::ptrdiff_t t = 0; t < d.values.height(); ++t) {
    for (std::ptrdiff_t k = 0; k < d.values.width(); ++k) {
      VASOSTAT_EXPECTS(std::isfinite(d.values(k, t)), std::string(where) + ": diagram has a NaN value");
    }
  }
  VASOSTAT_EXPECTS(std::isfinite(o.window_s) && o.window_s >= 0,
                   std::string(where) + ": window_s must be finite and >= 0");
  VASOSTAT_EXPECTS(o.min_confidence >= 0 && o.min_confidence <= 1,
                   std::string(where) + ": min_confidence must be in [0, 1]");
  VASOSTAT_EXPECTS(o.v_max_fraction > 0 && o.v_max_fraction <= 1,
                   std::string(where) + ": v_max_fraction must be in (0, 1]");
  VASOSTAT_EXPECTS(o.saturation_ratio > 0 && o.saturation_ratio <= 1,
                   std::string(where) + ": saturation_ratio must be in (0, 1]");
  const double fps = d.calibration.fps, um = d.calibration.um_per_px;
  const std::ptrdiff_t nf = d.values.height(), L = d.values.width();
  std::ptrdiff_t win = o.window_s > 0 ? static_cast<std::ptrdiff_t>(std::lround(o.window_s * fps)) : nf;
  win = std::clamp<std::ptrdiff_t>(win, 2, nf);
  const double v_max = o.v_max_fraction * static_cast<double>(L - 1);  // px / frame
  const double v_min = 0.5 / static_cast<double>(win);
  velocity_result r;
  r.v_max_um_s = v_max * um * fps;
  r.v_min_um_s = 2 * v_min * um * fps;
  std::vector<float> sum, sq;
  std::vector<int> cnt;
  std::vector<double> speeds, confs;
  int pos = 0, neg = 0, sat = 0;
  const std::ptrdiff_t nwin = std::max<std::ptrdiff_t>(1, nf / win);
  for (std::ptrdiff_t wi = 0; wi < nwin; ++wi) {
    const std::ptrdiff_t t0 = wi * win, t1 = wi + 1 == nwin ? nf : t0 + win;
    auto score = [&](double v) { return detail::streak_correlation(d.values, t0, t1, v, sum, sq, cnt); };
    double best_v = 0, best = score(0.0);
    for (double a = v_min; a <= v_max * 1.0001; a *= 1.08) {
      for (double v : {a, -a}) {
        const double s = score(v);
        if (s > best) {
          best = s;
          best_v = v;
        }
      }
    }
    // refine: golden-section search on the bracket around the coarse optimum
    if (best_v != 0) {
      double a = best_v / 1.08, b = std::min(std::abs(best_v) * 1.08, v_max) * (best_v > 0 ? 1 : -1);
      if (a > b) {
        std::swap(a, b);
      }
      const double g = 0.5 * (std::sqrt(5.0) - 1);
      double c1 = b - g * (b - a), c2 = a + g * (b - a), f1 = score(c1), f2 = score(c2);
      for (int it = 0; it < 25; ++it) {
        if (f1 > f2) {
          b = c2;
          c2 = c1;
          f2 = f1;
          c1 = b - g * (b - a);
          f1 = score(c1);
        } else {
          a = c1;
          c1 = c2;
          f1 = f2;
          c2 = a + g * (b - a);
          f2 = score(c2);
        }
      }
      const double vm = f1 > f2 ? c1 : c2, fm = std::max(f1, f2);
      if (fm > best) {
        best = fm;
        best_v = vm;
      }
    }
    velocity_window w;
    w.start_s = static_cast<double>(t0) / fps;
    w.end_s = static_cast<double>(t1) / fps;
    w.velocity_um_s = best_v * um * fps;
    w.confidence = best;
    w.coherent = best >= o.min_confidence;
    w.saturated = w.coherent && std::abs(best_v) >= o.saturation_ratio * v_max;
    r.windows.push_back(w);
    confs.push_back(best);
    if (w.coherent) {
      speeds.push_back(std::abs(w.velocity_um_s));
      pos += best_v > 0;
      neg += best_v < 0;
      sat += w.saturated;
    }
  }
  auto median = [](std::vector<double> v) {
    if (v.empty()) {
      return 0.0;
    }
    std::sort(v.begin(), v.end());
    const std::size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
  };
  r.velocity_um_s = median(speeds);
  r.confidence = median(confs);
  r.direction = pos > neg ? 1 : (neg > pos ? -1 : 0);
  r.saturated = !speeds.empty() && 2 * sat > static_cast<int>(speeds.size());
  return r;
}

}  // namespace vasostat::inline v0::vessel
