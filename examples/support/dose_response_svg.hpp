#pragma once
// Dose-response panels as a standalone SVG for the examples (the library itself writes no
// files): per outcome the observed values, the fitted curve with its 95% band and the dose
// range where the slope's simultaneous band excludes zero.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

namespace vasostat_examples {

/// One panel: the data, the fitted curve on `grid` with its band, and the dose range
/// [significant_from, significant_to] where the slope is significant (NaN: none).
struct dose_response_panel {
  std::string title;
  std::string y_label;
  std::vector<double> x, y;                   // observed
  std::vector<double> grid, fit, lower, upper;  // fitted curve and band
  double significant_from = NAN;
  double significant_to = NAN;
};

namespace detail {

/// "Nice" axis ticks (steps of 1, 2 or 5 times a power of ten) covering [lo, hi].
inline std::vector<double> axis_ticks(double lo, double hi, int target = 5) {
  const double raw = (hi - lo) / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double residual = raw / magnitude;
  const double step = magnitude * (residual < 1.5 ? 1 : residual < 3.5 ? 2 : residual < 7.5 ? 5 : 10);
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step) * step; t <= hi + 1e-9 * step; t += step) {
    ticks.push_back(std::abs(t) < 1e-12 * step ? 0.0 : t);
  }
  return ticks;
}

/// Escapes '<' and '>' for SVG text (labels may carry character references such as &#181;).
inline std::string svg_text(const std::string& text) {
  std::string out;
  for (char ch : text) {
    out += ch == '<' ? "&lt;" : ch == '>' ? "&gt;" : std::string(1, ch);
  }
  return out;
}

inline std::string svg_polyline(const std::vector<double>& xs, const std::vector<double>& ys, auto px, auto py) {
  std::string d;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    char point[64];
    std::snprintf(point, sizeof point, "%s%.1f,%.1f", i == 0 ? "M" : " L", px(xs[i]), py(ys[i]));
    d += point;
  }
  return d;
}

}  // namespace detail

/// Writes the panels side by side in rows of two. Returns false when the file cannot be written.
inline bool write_dose_response_svg(const std::vector<dose_response_panel>& panels, const std::string& title,
                                    const std::string& x_label, const char* path) {
  std::FILE* out = std::fopen(path, "w");
  if (out == nullptr) {
    return false;
  }
  constexpr double panel_w = 420, panel_h = 300, margin_left = 70, margin_top = 40, plot_w = 320, plot_h = 200;
  const std::size_t rows = (panels.size() + 1) / 2;
  const double width = 2 * panel_w, height = 60 + panel_h * static_cast<double>(rows) + 40;
  std::fprintf(out,
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
               "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
               "<text x=\"20\" y=\"28\" font-size=\"16\" font-weight=\"bold\">%s</text>\n",
               width, height, width, height, detail::svg_text(title).c_str());
  for (std::size_t p = 0; p < panels.size(); ++p) {
    const auto& pn = panels[p];
    const double ox = panel_w * static_cast<double>(p % 2) + margin_left;
    const double oy = 60 + panel_h * static_cast<double>(p / 2) + margin_top;
    double x_lo = pn.grid.front(), x_hi = pn.grid.back();
    double y_lo = *std::min_element(pn.lower.begin(), pn.lower.end());
    double y_hi = *std::max_element(pn.upper.begin(), pn.upper.end());
    for (std::size_t i = 0; i < pn.x.size(); ++i) {
      x_lo = std::min(x_lo, pn.x[i]);
      x_hi = std::max(x_hi, pn.x[i]);
      y_lo = std::min(y_lo, pn.y[i]);
      y_hi = std::max(y_hi, pn.y[i]);
    }
    const double pad = 0.05 * (y_hi - y_lo);
    y_lo -= pad;
    y_hi += pad;
    auto px = [&](double v) { return ox + plot_w * (v - x_lo) / (x_hi - x_lo); };
    auto py = [&](double v) { return oy + plot_h * (1 - (v - y_lo) / (y_hi - y_lo)); };
    std::fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-weight=\"bold\" font-size=\"13\">%s</text>\n", ox, oy - 12,
                 detail::svg_text(pn.title).c_str());
    // the dose range with a significant slope, shaded behind everything
    if (!std::isnan(pn.significant_from)) {
      std::fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fdd0a2\" fill-opacity=\"0.5\"/>\n",
                   px(pn.significant_from), oy, std::max(1.0, px(pn.significant_to) - px(pn.significant_from)), plot_h);
    }
    for (double t : detail::axis_ticks(y_lo, y_hi)) {
      std::fprintf(out,
                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>\n"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                   ox, py(t), ox + plot_w, py(t), ox - 6, py(t) + 4, t);
    }
    for (double t : detail::axis_ticks(x_lo, x_hi)) {
      std::fprintf(out,
                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
                   px(t), oy + plot_h, px(t), oy + plot_h + 5, px(t), oy + plot_h + 18, t);
    }
    std::fprintf(out,
                 "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"black\"/>\n"
                 "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n"
                 "<text transform=\"translate(%.1f %.1f) rotate(-90)\" text-anchor=\"middle\">%s</text>\n",
                 ox, oy, plot_w, plot_h, ox + plot_w / 2, oy + plot_h + 36, detail::svg_text(x_label).c_str(), ox - 48,
                 oy + plot_h / 2, detail::svg_text(pn.y_label).c_str());
    // band: upper edge forward, lower edge back
    std::string band = detail::svg_polyline(pn.grid, pn.upper, px, py);
    for (std::size_t i = pn.grid.size(); i-- > 0;) {
      char point[64];
      std::snprintf(point, sizeof point, " L%.1f,%.1f", px(pn.grid[i]), py(pn.lower[i]));
      band += point;
    }
    std::fprintf(out, "<path d=\"%s Z\" fill=\"#1f77b4\" fill-opacity=\"0.2\" stroke=\"none\"/>\n", band.c_str());
    for (std::size_t i = 0; i < pn.x.size(); ++i) {
      std::fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#555\" fill-opacity=\"0.6\"/>\n", px(pn.x[i]),
                   py(pn.y[i]));
    }
    std::fprintf(out, "<path d=\"%s\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2.2\"/>\n",
                 detail::svg_polyline(pn.grid, pn.fit, px, py).c_str());
  }
  std::fprintf(out,
               "<text x=\"20\" y=\"%.0f\">Line: fitted mean, other covariates at their means; blue band: pointwise "
               "95%% CI;</text>\n<text x=\"20\" y=\"%.0f\">orange: doses where the slope's simultaneous 95%% band "
               "excludes 0; dots: observed values.</text>\n",
               height - 30, height - 12);
  std::fprintf(out, "</svg>\n");
  return std::fclose(out) == 0;
}

}  // namespace vasostat_examples
