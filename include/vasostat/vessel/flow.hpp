#pragma once
// vessel::classify_flow: the consensus per-vessel flow class (De Backer 2007; Pozo 2012) from a
// time-windowed velocity: 0 no flow (stopped in every window), 1 intermittent (stopped in
// >= 50% of the windows), 2 sluggish, 3 continuous, plus a hyperdynamic flag. A window is
// "stopped" when it shows no coherent streak or its speed is below stop_below_um_s. No
// consensus speed thresholds exist (research §3.9): the defaults below are documented choices,
// to be set per study. Manual scores replace these simply by passing your own classes to
// vessel::perfusion.

#include <vasostat/core/error.hpp>
#include <vasostat/vessel/velocity.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace vasostat::inline v0::vessel {

enum class flow_class : std::uint8_t {
  no_flow = 0,
  intermittent = 1,
  sluggish = 2,
  continuous = 3,
};

struct flow_options {
  double stop_below_um_s = 30.0;         ///< a coherent window slower than this is stopped
  double intermittent_fraction = 0.5;    ///< stopped in >= this fraction of windows: class 1
  double sluggish_below_um_s = 300.0;    ///< moving but slower than this: class 2
  double hyperdynamic_above_um_s = 3000.0; ///< faster than this: hyperdynamic flag
};

struct flow_record {
  flow_class cls = flow_class::no_flow;
  bool hyperdynamic = false;
  bool saturated = false;        ///< the speed may exceed the segment's measurable range
  double stopped_fraction = 1;   ///< fraction of windows stopped
  double velocity_um_s = 0;      ///< median speed of the moving windows (0 if none)
};

[[nodiscard]] inline flow_record classify_flow(const velocity_result& v,
                                               const flow_options& o = {}) {
  const char* where = "vasostat::vessel::classify_flow";
  VASOSTAT_EXPECTS(!v.windows.empty(), std::string(where) + ": velocity has no windows");
  VASOSTAT_EXPECTS(std::isfinite(o.stop_below_um_s) && o.stop_below_um_s >= 0,
                   std::string(where) + ": stop_below_um_s must be finite and >= 0");
  VASOSTAT_EXPECTS(o.intermittent_fraction > 0 && o.intermittent_fraction <= 1,
                   std::string(where) + ": intermittent_fraction must be in (0, 1]");
  VASOSTAT_EXPECTS(std::isfinite(o.sluggish_below_um_s) && o.sluggish_below_um_s >= o.stop_below_um_s,
                   std::string(where) + ": sluggish_below_um_s must be finite and >= stop_below_um_s");
  VASOSTAT_EXPECTS(o.hyperdynamic_above_um_s > o.sluggish_below_um_s,
                   std::string(where) + ": hyperdynamic_above_um_s must be > sluggish_below_um_s");
  std::vector<double> moving;
  int saturated = 0;
  for (const auto& w : v.windows) {
    if (w.coherent && std::abs(w.velocity_um_s) >= o.stop_below_um_s) {
      moving.push_back(std::abs(w.velocity_um_s));
      saturated += w.saturated;
    }
  }
  flow_record r;
  const auto n = static_cast<double>(v.windows.size());
  r.stopped_fraction = 1.0 - static_cast<double>(moving.size()) / n;
  if (!moving.empty()) {
    std::sort(moving.begin(), moving.end());
    const std::size_t m = moving.size() / 2;
    r.velocity_um_s = moving.size() % 2 ? moving[m] : 0.5 * (moving[m - 1] + moving[m]);
  }
  r.saturated = 2 * saturated > static_cast<int>(moving.size()) && !moving.empty();
  if (moving.empty()) {
    r.cls = flow_class::no_flow;
  } else if (r.stopped_fraction >= o.intermittent_fraction) {
    r.cls = flow_class::intermittent;
  } else if (r.velocity_um_s < o.sluggish_below_um_s && !r.saturated) {
    r.cls = flow_class::sluggish;
  } else {
    r.cls = flow_class::continuous;
  }
  r.hyperdynamic = r.velocity_um_s > o.hyperdynamic_above_um_s;
  return r;
}

}  // namespace vasostat::inline v0::vessel
