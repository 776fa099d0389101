#pragma once
// vessel::quality: automated sub-scores in the spirit of the Microcirculation Image Quality
// Score (Massey et al., J Crit Care 2013): each category scored 0 (optimal), 1 (acceptable) or
// 10 (unacceptable) from a measured number; a clip with total >= 10 is unacceptable.
// duration (s; MIQS: >= 5 s optimal, 3-5 s acceptable), stability (largest stabilisation
// offset as a fraction of the FOV; MIQS: 1/4, 1/2), illumination (mean grey level and clipped
// pixels), focus (relative gradient energy of the frames), content (TVD, when given) and
// pressure (perfused fraction of the large vessels, venules, when given: De Backer 2007 uses
// venular perfusion as the pressure check). Illumination and focus limits are not consensus
// values: they are documented defaults to calibrate per device. O(frames * pixels).

#include <vasostat/core/error.hpp>
#include <vasostat/vessel/clip.hpp>
#include <vasostat/vessel/stabilize.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace vasostat::inline v0::vessel {

/// Per-frame numbers, cheap enough for acquisition rate.
struct frame_quality {
  double brightness = 0;        ///< mean grey value / full scale (0..1)
  double contrast = 0;          ///< standard deviation / full scale
  double clipped_low = 0;       ///< fraction of pixels <= 2% of full scale
  double clipped_high = 0;      ///< fraction of pixels >= 98% of full scale
  double focus = 0;             ///< RMS gradient of the 2x2-box-smoothed frame / mean grey value
};

struct quality_options {
  double full_scale = 0;                ///< 0: 255 (uint8 and float frames), 65535 (uint16)
  double duration_optimal_s = 5.0;      ///< MIQS
  double duration_acceptable_s = 3.0;   ///< MIQS
  double stability_optimal = 0.25;      ///< MIQS: movement within 1/4 of the FOV
  double stability_acceptable = 0.5;    ///< MIQS: within 1/2
  double brightness_optimal_low = 0.2, brightness_optimal_high = 0.8;
  double brightness_acceptable_low = 0.1, brightness_acceptable_high = 0.9;
  double clipped_optimal = 0.01, clipped_acceptable = 0.05;  ///< fraction of clipped pixels
  double focus_optimal = 0.02, focus_acceptable = 0.01;      ///< relative RMS gradient
  double content_optimal_tvd = 10.0, content_acceptable_tvd = 5.0;  ///< mm/mm²
  double pressure_optimal = 1.0, pressure_acceptable = 0.5;  ///< perfused fraction of venules
};

/// What the caller knows from other steps (NaN / null = category not assessed).
struct quality_inputs {
  const stabilize_result* stability = nullptr;
  double tvd_mm_per_mm2 = std::numeric_limits<double>::quiet_NaN();
  double venular_perfused_fraction = std::numeric_limits<double>::quiet_NaN();
};

struct quality_item {
  int score = 0;  ///< 0 optimal, 1 acceptable, 10 unacceptable
  double measured = std::numeric_limits<double>::quiet_NaN();
  bool assessed = false;
};

struct quality_result {
  quality_item duration, illumination, focus, stability, content, pressure;
  int total = 0;             ///< sum of the assessed scores
  bool acceptable = true;    ///< total < 10
  bool black = false;        ///< mean brightness < 2% of full scale
  bool saturated = false;    ///< more than half the pixels clipped high
  bool constant = false;     ///< no frame has any contrast
  std::vector<frame_quality> frames;
};

namespace detail {
template <class T>
double default_full_scale() {
  return std::is_same_v<T, std::uint16_t> ? 65535.0 : 255.0;
}
}  // namespace detail

/// The per-frame numbers of one frame (full_scale 0 = the type's default).
template <grey_pixel T>
[[nodiscard]] frame_quality measure_frame(const image_view<const T>& f, double full_scale = 0) {
  const char* where = "vasostat::vessel::measure_frame";
  vasostat::detail::check_image_view(f, where, "frame");
  VASOSTAT_EXPECTS(!f.empty(), std::string(where) + ": frame is empty");
  VASOSTAT_EXPECTS(std::isfinite(full_scale) && full_scale >= 0,
                   std::string(where) + ": full_scale must be finite and >= 0");
  const double fs = full_scale > 0 ? full_scale : detail::default_full_scale<T>();
  const double lo = 0.02 * fs, hi = 0.98 * fs;
  double s = 0, s2 = 0, nlo = 0, nhi = 0, g2 = 0, ng = 0;
  if constexpr (std::is_integral_v<T>) {
    // Integer sums (exact, so equal to the double formulas below) in blocks of 4096 columns
    // whose accumulators cannot overflow; the loops vectorise. 16 gx = dx, 16 gy = dy: the
    // shared pixels of neighbouring 2x2 boxes cancel.
    using acc = std::conditional_t<sizeof(T) == 1, std::uint32_t, std::uint64_t>;
    using dif = std::conditional_t<sizeof(T) == 1, std::int32_t, std::int64_t>;
    const auto lo_i = static_cast<dif>(std::clamp(std::floor(lo), -1.0, 70000.0));  // v <= lo
    const auto hi_i = static_cast<dif>(std::clamp(std::ceil(hi), -1.0, 70000.0));   // v >= hi
    std::uint64_t S = 0, S2 = 0, NLO = 0, NHI = 0, G = 0;
    constexpr std::ptrdiff_t block = 4096;
    for (std::ptrdiff_t y = 0; y < f.height; ++y) {
      const T* r = f.row(y);
      const T* rn = f.row(std::min(y + 1, f.height - 1));
      const T* rnn = f.row(std::min(y + 2, f.height - 1));
      for (std::ptrdiff_t x0 = 0; x0 < f.width; x0 += block) {
        const std::ptrdiff_t x1 = std::min(f.width, x0 + block);
        acc bs = 0, bs2 = 0, bl = 0, bh = 0;
        for (std::ptrdiff_t x = x0; x < x1; ++x) {
          const auto v = static_cast<dif>(r[x]);
          bs += static_cast<acc>(v);
          bs2 += static_cast<acc>(v) * static_cast<acc>(v);
          bl += v <= lo_i ? 1U : 0U;
          bh += v >= hi_i ? 1U : 0U;
        }
        S += bs;
        S2 += bs2;
        NLO += bl;
        NHI += bh;
        if (y + 2 < f.height) {
          acc bg = 0;
          const std::ptrdiff_t xe = std::min(x1, f.width - 2);
          for (std::ptrdiff_t x = x0; x < xe; ++x) {
            const dif dx = static_cast<dif>(r[x + 2]) + static_cast<dif>(rn[x + 2]) -
                           static_cast<dif>(r[x]) - static_cast<dif>(rn[x]);
            const dif dy = static_cast<dif>(rnn[x]) + static_cast<dif>(rnn[x + 1]) -
                           static_cast<dif>(r[x]) - static_cast<dif>(r[x + 1]);
            bg += static_cast<acc>(dx * dx + dy * dy);
          }
          G += bg;
        }
      }
      if (y + 2 < f.height && f.width > 2) {
        ng += static_cast<double>(f.width - 2);
      }
    }
    s = static_cast<double>(S);
    s2 = static_cast<double>(S2);
    nlo = static_cast<double>(NLO);
    nhi = static_cast<double>(NHI);
    g2 = static_cast<double>(G) / 16.0;
  } else {
    for (std::ptrdiff_t y = 0; y < f.height; ++y) {
      const T* r = f.row(y);
      const T* rn = f.row(std::min(y + 1, f.height - 1));
      const T* rnn = f.row(std::min(y + 2, f.height - 1));
      for (std::ptrdiff_t x = 0; x < f.width; ++x) {
        const auto v = static_cast<double>(r[x]);
        s += v;
        s2 += v * v;
        nlo += v <= lo;
        nhi += v >= hi;
      }
      if (y + 2 < f.height) {
        // gradient of the 2x2 box average: difference of neighbouring boxes
        for (std::ptrdiff_t x = 0; x + 2 < f.width; ++x) {
          const double b00 = static_cast<double>(r[x]) + static_cast<double>(r[x + 1]) +
                             static_cast<double>(rn[x]) + static_cast<double>(rn[x + 1]);
          const double b10 = static_cast<double>(r[x + 1]) + static_cast<double>(r[x + 2]) +
                             static_cast<double>(rn[x + 1]) + static_cast<double>(rn[x + 2]);
          const double b01 = static_cast<double>(rn[x]) + static_cast<double>(rn[x + 1]) +
                             static_cast<double>(rnn[x]) + static_cast<double>(rnn[x + 1]);
          const double gx = 0.25 * (b10 - b00), gy = 0.25 * (b01 - b00);
          g2 += gx * gx + gy * gy;
          ng += 1;
        }
      }
    }
  }
  const double n = static_cast<double>(f.width * f.height);
  frame_quality q;
  const double mean = s / n;
  q.brightness = mean / fs;
  q.contrast = std::sqrt(std::max(0.0, s2 / n - mean * mean)) / fs;
  q.clipped_low = nlo / n;
  q.clipped_high = nhi / n;
  q.focus = ng > 0 && mean > 0 ? std::sqrt(g2 / ng) / mean : 0.0;
  return q;
}

/// Quality scores of a clip. Throws vasostat::invalid_argument for a bad clip or full_scale < 0.
template <grey_pixel T>
[[nodiscard]] quality_result quality(const clip<T>& c, const quality_inputs& in = {},
                                     const quality_options& o = {}) {
  const char* where = "vasostat::vessel::quality";
  detail::check_clip(c, where);
  VASOSTAT_EXPECTS(std::isfinite(o.full_scale) && o.full_scale >= 0,
                   std::string(where) + ": full_scale must be finite and >= 0");
  VASOSTAT_EXPECTS(in.stability == nullptr || in.stability->offsets.size() == c.frames.size(),
                   std::string(where) + ": stability has a different number of frames than the clip");
  quality_result r;
  auto grade = [](double v, double opt, double acc, bool higher_is_better) {
    if (higher_is_better) {
      return v >= opt ? 0 : (v >= acc ? 1 : 10);
    }
    return v <= opt ? 0 : (v <= acc ? 1 : 10);
  };
  double bright = 0, clipped = 0, clipped_hi = 0, max_contrast = 0;
  std::vector<double> focus;
  for (const auto& f : c.frames) {
    const auto q = measure_frame(f, o.full_scale);
    r.frames.push_back(q);
    bright += q.brightness;
    clipped += q.clipped_low + q.clipped_high;
    clipped_hi += q.clipped_high;
    max_contrast = std::max(max_contrast, q.contrast);
    focus.push_back(q.focus);
  }
  const double nf = static_cast<double>(c.frames.size());
  bright /= nf;
  clipped /= nf;
  clipped_hi /= nf;
  r.black = bright < 0.02;
  r.saturated = clipped_hi > 0.5;
  r.constant = max_contrast <= 0;

  r.duration = {grade(nf / c.calibration.fps, o.duration_optimal_s, o.duration_acceptable_s, true),
                nf / c.calibration.fps, true};
  int ill = 10;
  if (bright >= o.brightness_optimal_low && bright <= o.brightness_optimal_high &&
      clipped <= o.clipped_optimal) {
    ill = 0;
  } else if (bright >= o.brightness_acceptable_low && bright <= o.brightness_acceptable_high &&
             clipped <= o.clipped_acceptable) {
    ill = 1;
  }
  if (r.constant) {
    ill = 10;  // nothing to see: no vessel can be resolved
  }
  r.illumination = {ill, bright, true};
  std::sort(focus.begin(), focus.end());
  const double med_focus = focus[focus.size() / 2];
  r.focus = {r.constant ? 10 : grade(med_focus, o.focus_optimal, o.focus_acceptable, true), med_focus, true};
  if (in.stability != nullptr) {
    const double s = in.stability->max_fraction_of_fov;
    r.stability = {grade(s, o.stability_optimal, o.stability_acceptable, false), s, true};
  }
  if (std::isfinite(in.tvd_mm_per_mm2)) {
    r.content = {grade(in.tvd_mm_per_mm2, o.content_optimal_tvd, o.content_acceptable_tvd, true),
                 in.tvd_mm_per_mm2, true};
  }
  if (std::isfinite(in.venular_perfused_fraction)) {
    r.pressure = {grade(in.venular_perfused_fraction, o.pressure_optimal, o.pressure_acceptable, true),
                  in.venular_perfused_fraction, true};
  }
  for (const auto* q : {&r.duration, &r.illumination, &r.focus, &r.stability, &r.content, &r.pressure}) {
    r.total += q->assessed ? q->score : 0;
  }
  r.acceptable = r.total < 10;
  return r;
}

}  // namespace vasostat::inline v0::vessel
