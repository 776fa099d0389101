// The motivating study, simulated from pixels to hazard ratios: 66 septic ICU patients with
// norepinephrine (NE) doses of 0.05–1.5 µg/kg/min whose sublingual microcirculation
// deteriorates above a dose of about 0.75. Each patient's microcirculation is filmed at three
// sublingual sites (synthetic SDF-like clips of capillaries with red cells moving, stopping and
// starting); vasostat's image pipeline turns the vessel masks into TVD and the clips into PPV,
// PVD, MFI and the heterogeneity index; the statistics modules then give the study's tables,
// printed beside the published figures (shared research: seed-study.md). Fixed seed: the same
// output on every platform.
//
// Run: cmake --workflow --preset demo

#include <vasostat/vasostat.hpp>

#include "support/dose_response_svg.hpp"
#include "support/synthetic_site.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

namespace {

struct cohort {
  std::vector<double> dose, apache, heart_rate, il6, lactate, mottling;
  std::vector<double> health, density;             // latent: perfused fraction, capillary density
  std::vector<double> tvd, pvd, ppv, mfi, hi;       // measured by the image pipeline
  std::vector<double> ppv_rendered, tvd_rendered;  // the truth the clips were rendered with
  std::vector<double> time_days, died;             // 28-day follow-up
};

double clamp(double v, double lo, double hi) { return std::min(hi, std::max(lo, v)); }

/// A cohort of the study's shape. The microcirculation (the fraction of capillaries with
/// flow, and to a lesser degree their density) worsens mildly with dose and steeply above 0.75
/// µg/kg/min (a hinge); mortality rises with APACHE II and with a dose above 0.80.
cohort simulate(int n, std::uint64_t seed) {
  vasostat::random_generator rng(seed);
  cohort c;
  for (int i = 0; i < n; ++i) {
    const double dose = 0.05 + 1.45 * std::pow(rng.uniform(), 1.2);
    const double above = std::max(0.0, dose - 0.75);
    c.dose.push_back(dose);
    c.apache.push_back(std::round(clamp(rng.normal(19 + 5 * dose, 5), 5, 40)));
    c.heart_rate.push_back(std::round(rng.normal(98 + 12 * dose, 12)));
    c.il6.push_back(std::exp(rng.normal(std::log(120.0) + 0.7 * dose, 0.8)));
    c.lactate.push_back(std::exp(rng.normal(std::log(1.6 + 1.0 * dose + 3.0 * above), 0.45)));
    c.mottling.push_back(std::round(clamp(rng.normal(0.6 + 1.0 * dose + 1.5 * above, 1.6), 0, 5)));
    c.health.push_back(clamp(rng.normal(0.9 - 0.03 * dose - 0.8 * above, 0.1), 0.05, 0.98));
    c.density.push_back(clamp(rng.normal(1.0 - 0.05 * dose - 0.3 * above, 0.12), 0.4, 1.2));
    const double hazard = 0.008 * std::exp(0.05 * (c.apache.back() - 20) + 0.9 * (dose > 0.8 ? 1 : 0));
    const double t = -std::log(1 - rng.uniform()) / hazard;
    c.time_days.push_back(std::min(t, 28.0));
    c.died.push_back(t <= 28.0 ? 1 : 0);
  }
  return c;
}

/// Films three sublingual sites per patient and measures them with vasostat's image pipeline:
/// the rendered vessel mask -> skeleton, graph, lengths -> TVD (vessel::analyze_mask); the clip
/// -> stabilisation, vesselness, segmentation, space-time diagrams, velocities, flow classes ->
/// PPV, PVD, MFI (vessel::analyze_clip); the sites' MFIs -> HI (vessel::heterogeneity_index).
void film_and_measure(cohort& c, std::uint64_t seed) {
  namespace vs = vasostat::vessel;
  namespace ex = vasostat_examples;
  constexpr std::ptrdiff_t width = 256, height = 192;
  constexpr int sites = 3, frames = 50;  // 2 s per site at 25 fps
  const vs::calibration cal{.um_per_px = 1.2, .fps = 25};
  vasostat::random_generator rng(seed);
  const auto start = std::chrono::steady_clock::now();
  double abs_err_ppv = 0, abs_err_tvd = 0;
  for (std::size_t p = 0; p < c.dose.size(); ++p) {
    const double above = std::max(0.0, c.dose[p] - 0.75);
    double tvd = 0, pvd = 0, ppv = 0, truth_ppv = 0, truth_tvd = 0;
    double site_mfi[sites];
    for (int s = 0; s < sites; ++s) {
      // sites differ more as the microcirculation fails (heterogeneity)
      const double h = clamp(c.health[p] + rng.normal(0, 0.04 + 0.35 * above), 0.0, 1.0);
      const double p_flow[4] = {0.5 * (1 - h), 0.5 * (1 - h), h * (1 - h), h * h};
      const int n_vessels = std::max(2, static_cast<int>(std::lround(5 * c.density[p] + rng.normal(0, 0.5))));
      const ex::site site = ex::random_site(width, height, n_vessels, p_flow, rng);
      const auto mask = vs::analyze_mask(ex::render_mask(site), {.density = {.um_per_px = cal.um_per_px}});
      const auto clip_frames = ex::render_clip(site, cal, frames, 3, rng);
      const std::vector<vasostat::image_view<const std::uint8_t>> views(clip_frames.begin(), clip_frames.end());
      const auto a = vs::analyze_clip(vs::clip<std::uint8_t>{views, cal});
      tvd += mask.metrics.tvd_mm_per_mm2 / sites;
      pvd += a.perfusion.all.pvd_mm_per_mm2 / sites;
      ppv += a.perfusion.all.ppv_percent / sites;
      site_mfi[s] = a.perfusion.all.mfi_quadrant;
      const auto t = ex::truth(site);
      truth_ppv += 100 * t.perfused_fraction / sites;
      truth_tvd += t.length_px / (static_cast<double>(width * height) * cal.um_per_px) * 1e3 / sites;
    }
    const auto hi = vs::heterogeneity_index(site_mfi);
    c.tvd.push_back(tvd);
    c.pvd.push_back(pvd);
    c.ppv.push_back(ppv);
    c.mfi.push_back((site_mfi[0] + site_mfi[1] + site_mfi[2]) / sites);
    c.hi.push_back(hi.defined ? hi.value : 0.0);  // all sites without flow: no heterogeneity
    c.ppv_rendered.push_back(truth_ppv);
    c.tvd_rendered.push_back(truth_tvd);
    abs_err_ppv += std::abs(ppv - truth_ppv) / static_cast<double>(c.dose.size());
    abs_err_tvd += std::abs(tvd - truth_tvd) / static_cast<double>(c.dose.size());
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto r_ppv = vasostat::stats::pearson(c.ppv_rendered, c.ppv);
  const auto r_tvd = vasostat::stats::pearson(c.tvd_rendered, c.tvd);
  std::printf("Image pipeline: %zu patients x %d sites, each a %td x %td px mask and a %d-frame clip at %.0f fps,\n"
              "%.1f um/px, analysed in %.1f s (rendering included).\n",
              c.dose.size(), sites, width, height, frames, cal.fps, cal.um_per_px, seconds);
  std::printf("  measured vs rendered truth per patient: TVD mean |error| %.2f mm/mm2 (r = %.3f),\n"
              "  PPV mean |error| %.1f points (r = %.3f)\n",
              abs_err_tvd, r_tvd.estimate, abs_err_ppv, r_ppv.estimate);
  std::printf("  %-8s %6s %8s %8s %7s %5s %5s   %s\n", "patient", "NE", "TVD", "PVD", "PPV %", "MFI", "HI",
              "rendered PPV %");
  for (std::size_t p = 0; p < 4; ++p) {
    std::printf("  %-8zu %6.2f %8.2f %8.2f %7.1f %5.2f %5.2f   %.1f\n", p + 1, c.dose[p], c.tvd[p], c.pvd[p],
                c.ppv[p], c.mfi[p], c.hi[p], c.ppv_rendered[p]);
  }
  std::printf("\n");
}

std::string format_p(double p) {
  char buffer[32];
  if (p < 0.001) {
    return "<0.001";
  }
  std::snprintf(buffer, sizeof buffer, "%.3f", p);
  return buffer;
}

void correlation_table(const cohort& c) {
  struct row {
    const char* name;
    const std::vector<double>* values;
    const char* published;
  };
  const row rows[] = {{"Lactate (mmol/L)", &c.lactate, "r =  0.583, p < 0.001"},
                      {"Mottling score", &c.mottling, "r =  0.364, p = 0.003"},
                      {"HI", &c.hi, "r =  0.444, p < 0.001"},
                      {"MFI", &c.mfi, "r = -0.492, p < 0.001"},
                      {"PPV (%)", &c.ppv, "r = -0.420, p < 0.001"},
                      {"TVD (mm/mm2)", &c.tvd, "-"},
                      {"PVD (mm/mm2)", &c.pvd, "-"},
                      {"APACHE II", &c.apache, "-"},
                      {"Heart rate (/min)", &c.heart_rate, "-"},
                      {"IL-6 (pg/mL)", &c.il6, "-"}};
  std::printf("Table 1. Pearson correlation of NE dose with each parameter (n = %zu)\n",
              c.dose.size());
  std::printf("  %-18s %7s  %-17s %8s   %s\n", "parameter", "r", "95% CI", "p", "published");
  for (const row& r : rows) {
    const auto t = vasostat::stats::pearson(c.dose, *r.values);
    std::printf("  %-18s %7.3f  (%6.3f, %6.3f) %8s   %s\n", r.name, t.estimate, t.ci_lower,
                t.ci_upper, format_p(t.p_value).c_str(), r.published);
  }
  // Spearman as a robustness check: MFI and mottling are ordinal scores.
  const auto s_mfi = vasostat::stats::spearman(c.dose, c.mfi);
  const auto s_mot = vasostat::stats::spearman(c.dose, c.mottling);
  std::printf("  Spearman (ordinal scores): MFI rho = %.3f (p %s), mottling rho = %.3f (p %s)\n",
              s_mfi.estimate, format_p(s_mfi.p_value).c_str(), s_mot.estimate,
              format_p(s_mot.p_value).c_str());
  // Partial correlation, adjusted for severity: the dose effect is not APACHE II in disguise.
  Eigen::MatrixXd severity(static_cast<Eigen::Index>(c.dose.size()), 1);
  for (Eigen::Index i = 0; i < severity.rows(); ++i) {
    severity(i, 0) = c.apache[static_cast<std::size_t>(i)];
  }
  const auto partial = vasostat::stats::partial_correlation(c.dose, c.mfi, severity);
  std::printf("  NE dose vs MFI adjusted for APACHE II: partial r = %.3f (95%% CI %.3f, %.3f), p %s\n\n",
              partial.estimate, partial.ci_lower, partial.ci_upper, format_p(partial.p_value).c_str());
}

Eigen::MatrixXd adjustment_covariates(const cohort& c) {
  Eigen::MatrixXd z(static_cast<Eigen::Index>(c.dose.size()), 3);
  for (Eigen::Index i = 0; i < z.rows(); ++i) {
    const auto k = static_cast<std::size_t>(i);
    z(i, 0) = c.apache[k];
    z(i, 1) = c.heart_rate[k];
    z(i, 2) = std::log(c.il6[k]);
  }
  return z;
}

/// GAM of each outcome on a P-spline of dose (k = 10, REML) adjusted for APACHE II, heart rate
/// and log IL-6; the derivative's simultaneous band shows where the decline is significant. The
/// fitted dose-response curves (covariates at their means) with their bands go to `svg_path`.
void gam_table(const cohort& c, const char* svg_path) {
  namespace gam = vasostat::gam;
  const Eigen::MatrixXd z = adjustment_covariates(c);
  struct row {
    const char* name;
    const std::vector<double>* values;
  };
  const row rows[] = {{"MFI", &c.mfi}, {"PPV (%)", &c.ppv}, {"HI", &c.hi}, {"Lactate", &c.lactate}};
  const char* y_labels[] = {"MFI (0-3)", "PPV (%)", "heterogeneity index", "lactate (mmol/L)"};
  std::printf("Table 2. GAM: outcome ~ s(NE dose, bs = \"ps\", k = 10) + APACHE II + HR + log IL-6 (REML)\n");
  std::printf("  %-10s %6s %7s %8s %9s %9s   %s\n", "outcome", "edf", "Ref.df", "F", "p(smooth)",
              "dev.expl", "dose range where the slope is significant (simultaneous 95% band)");
  std::vector<double> grid;
  for (int i = 0; i <= 145; ++i) {
    grid.push_back(0.05 + 0.01 * i);
  }
  // the other covariates at their means along the dose grid
  const Eigen::MatrixXd z_at_means = z.colwise().mean().replicate(static_cast<Eigen::Index>(grid.size()), 1);
  const std::span<const double> grid_x[] = {grid};
  std::vector<vasostat_examples::dose_response_panel> panels;
  for (const row& r : rows) {
    const gam::smooth_term terms[] = {gam::smooth(c.dose, {.k = 10})};
    const gam::model m = gam::fit(*r.values, terms, z);
    const auto& t = m.smooth_tests[0];
    const auto d = gam::derivative(m, 0, grid, {.seed = 7});
    double first = NAN;
    double last = NAN;
    for (Eigen::Index i = 0; i < d.x.size(); ++i) {
      if (d.simultaneous_upper[i] < 0 || d.simultaneous_lower[i] > 0) {
        first = std::isnan(first) ? d.x[i] : first;
        last = d.x[i];
      }
    }
    char range[64] = "none";
    if (!std::isnan(first)) {
      std::snprintf(range, sizeof range, "%.2f to %.2f ug/kg/min", first, last);
    }
    std::printf("  %-10s %6.2f %7.2f %8.2f %9s %8.1f%%   %s\n", r.name, t.edf, t.ref_df, t.statistic,
                format_p(t.p_value).c_str(), 100 * m.deviance_explained, range);
    const gam::prediction curve = gam::predict(m, z_at_means, grid_x);
    vasostat_examples::dose_response_panel& panel = panels.emplace_back();
    char title[96];
    std::snprintf(title, sizeof title, "%s: edf %.2f, p %s", r.name, t.edf, format_p(t.p_value).c_str());
    panel.title = title;
    panel.y_label = y_labels[&r - rows];
    panel.x = c.dose;
    panel.y = *r.values;
    panel.grid = grid;
    for (Eigen::Index i = 0; i < curve.fit.size(); ++i) {
      constexpr double z95 = 1.959963984540054;
      panel.fit.push_back(curve.fit[i]);
      panel.lower.push_back(curve.fit[i] - z95 * curve.std_error[i]);
      panel.upper.push_back(curve.fit[i] + z95 * curve.std_error[i]);
    }
    panel.significant_from = first;
    panel.significant_to = last;
  }
  std::printf("  published: significant nonlinear relations for all parameters (all p < 0.05)\n");
  if (vasostat_examples::write_dose_response_svg(panels, "Outcome vs norepinephrine dose: GAM fits (REML)",
                                                 "NE dose (&#181;g/kg/min)", svg_path)) {
    std::printf("  dose-response curves written to %s\n\n", svg_path);
  } else {
    std::printf("  could not write %s\n\n", svg_path);
  }
}

/// The dose threshold: segmented regression (Muggeo) with its CI, Davies' test for a change in
/// slope (which accounts for searching the breakpoint), for MFI and PPV.
void threshold_table(const cohort& c) {
  namespace th = vasostat::threshold;
  const Eigen::MatrixXd z = adjustment_covariates(c);
  std::printf("Table 3. Dose threshold by segmented regression, adjusted as Table 2\n");
  std::printf("  %-8s %10s %18s %16s %16s %10s\n", "outcome", "threshold", "95% CI", "slope below",
              "slope above", "Davies p");
  for (const auto& [name, values] : {std::pair{"MFI", &c.mfi}, std::pair{"PPV (%)", &c.ppv}}) {
    const auto fit = th::segmented(*values, c.dose, z);
    const auto davies = th::davies_test(*values, c.dose, z);
    std::printf("  %-8s %10.3f    (%5.3f, %5.3f) %16.3f %16.3f %10s\n", name, fit.psi[0],
                fit.psi_lower[0], fit.psi_upper[0], fit.slope[0], fit.slope[1],
                format_p(davies.p_value).c_str());
  }
  // The clinical "threshold effect analysis" table (two-piecewise linear regression), with the
  // naive LRT that papers report beside p-values that account for searching K.
  const auto te = th::threshold_effect(c.mfi, c.dose, z, {.n_boot = 500, .seed = 11});
  std::printf("  MFI threshold-effect table: Model I slope %.3f (p %s); Model II K = %.3f, bootstrap 95%% CI\n"
              "  (%.3f, %.3f); slope <= K %.3f (p %s), > K %.3f (p %s); LRT p %s as papers report it,\n"
              "  search-aware sup-LR p %s\n",
              te.model1.estimate, format_p(te.model1.p_value).c_str(), te.inflection_point,
              te.k_lower, te.k_upper, te.below.estimate, format_p(te.below.p_value).c_str(),
              te.above.estimate, format_p(te.above.p_value).c_str(), format_p(te.p_lrt).c_str(),
              format_p(te.p_sup_lr).c_str());
  std::printf("  published: microcirculation deteriorates above 0.71-0.80 ug/kg/min (no CI given)\n\n");
}

/// Kaplan-Meier curves as a standalone SVG (the library has no I/O): step curves with their
/// pointwise 95% CI bands, censoring ticks, axes with labels, a legend with the log-rank test,
/// and the numbers at risk under the plot.
bool write_km_svg(const vasostat::survival::kaplan_meier_result& km, const vasostat::survival::logrank_result& lr,
                  const char* path) {
  std::FILE* out = std::fopen(path, "w");
  if (out == nullptr) {
    return false;
  }
  constexpr double width = 760, height = 560, left = 90, top = 60, plot_w = 600, plot_h = 320;
  constexpr double t_max = 28;
  const char* colour[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};
  auto px = [&](double t) { return left + plot_w * std::min(t, t_max) / t_max; };
  auto py = [&](double s) { return top + plot_h * (1 - s); };
  std::fprintf(out,
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
               "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"13\">\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
               "<text x=\"%.0f\" y=\"30\" font-size=\"16\" font-weight=\"bold\">28-day survival by norepinephrine dose "
               "(Kaplan&#8211;Meier, 95%% CI)</text>\n",
               width, height, width, height, left);
  // grid, axes, ticks and labels
  for (int i = 0; i <= 5; ++i) {
    const double s = 0.2 * i;
    std::fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>\n", left, py(s), left + plot_w, py(s));
    std::fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>\n", left - 8, py(s) + 4, s);
  }
  for (int d = 0; d <= 28; d += 7) {
    std::fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n", px(d), top + plot_h, px(d), top + plot_h + 5);
    std::fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>\n", px(d), top + plot_h + 20, d);
  }
  std::fprintf(out,
               "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n"
               "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n"
               "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">Days since start of norepinephrine</text>\n"
               "<text transform=\"translate(%.1f %.1f) rotate(-90)\" text-anchor=\"middle\">Survival probability</text>\n",
               left, top, left, top + plot_h, left, top + plot_h, left + plot_w, top + plot_h, left + plot_w / 2,
               top + plot_h + 42, left - 50, top + plot_h / 2);
  auto label = [](int group) { return group == 1 ? "NE &gt; 0.80 &#181;g/kg/min" : "NE &#8804; 0.80 &#181;g/kg/min"; };
  for (std::size_t g = 0; g < km.curves.size(); ++g) {
    const auto& c = km.curves[g];
    const char* col = colour[g % 4];
    // CI band: upper steps forward, lower steps backward (NaN -> the last finite bound)
    std::string band = "M" + std::to_string(px(0)) + "," + std::to_string(py(1));
    double up = 1, lo = 1;
    std::vector<double> lower_t{0.0}, lower_v{1.0};
    for (std::size_t i = 0; i < c.time.size(); ++i) {
      const double u = std::isfinite(c.upper[i]) ? c.upper[i] : up;
      const double l = std::isfinite(c.lower[i]) ? c.lower[i] : lo;
      band += " L" + std::to_string(px(c.time[i])) + "," + std::to_string(py(up)) + " L" + std::to_string(px(c.time[i])) +
              "," + std::to_string(py(u));
      lower_t.push_back(c.time[i]);
      lower_v.push_back(l);
      up = u;
      lo = l;
    }
    const double t_end = c.time.empty() ? 0 : c.time.back();
    band += " L" + std::to_string(px(t_end)) + "," + std::to_string(py(lo));
    for (std::size_t i = lower_t.size(); i-- > 1;) {
      band += " L" + std::to_string(px(lower_t[i])) + "," + std::to_string(py(lower_v[i])) + " L" +
              std::to_string(px(lower_t[i])) + "," + std::to_string(py(lower_v[i - 1]));
    }
    std::fprintf(out, "<path d=\"%s Z\" fill=\"%s\" fill-opacity=\"0.15\" stroke=\"none\"/>\n", band.c_str(), col);
    // the step curve
    std::string steps = "M" + std::to_string(px(0)) + "," + std::to_string(py(1));
    double prev = 1;
    for (std::size_t i = 0; i < c.time.size(); ++i) {
      steps += " H" + std::to_string(px(c.time[i]));
      if (c.surv[i] != prev) {
        steps += " V" + std::to_string(py(c.surv[i]));
      }
      prev = c.surv[i];
    }
    std::fprintf(out, "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2.2\"/>\n", steps.c_str(), col);
    // censoring ticks
    for (std::size_t i = 0; i < c.time.size(); ++i) {
      if (c.n_censor[i] > 0) {
        std::fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.6\"/>\n",
                     px(c.time[i]), py(c.surv[i]) - 6, px(c.time[i]), py(c.surv[i]) + 6, col);
      }
    }
    // legend
    const double ly = top + plot_h - 70 + 22 * static_cast<double>(g);
    std::fprintf(out,
                 "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"/>\n"
                 "<text x=\"%.1f\" y=\"%.1f\">%s (%.0f patients, %.0f deaths)</text>\n",
                 left + 20, ly, left + 50, ly, col, left + 58, ly + 4, label(c.group), c.n, c.events);
  }
  std::fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">| censored; log-rank &#967;&#178; = %.2f on %d df, p = %s</text>\n", left + 20,
               top + plot_h - 70 + 22 * static_cast<double>(km.curves.size()) + 4, lr.chisq, lr.df,
               format_p(lr.p_value).c_str());
  // numbers at risk under the plot
  const double ry = top + plot_h + 80;
  std::fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-weight=\"bold\">Number at risk</text>\n", 10.0, ry);
  for (std::size_t g = 0; g < km.curves.size(); ++g) {
    const auto& c = km.curves[g];
    const double y = ry + 22 * static_cast<double>(g + 1);
    std::fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\">%s</text>\n", 10.0, y, colour[g % 4],
                 c.group == 1 ? "NE &gt; 0.80" : "NE &#8804; 0.80");
    for (int d = 0; d <= 28; d += 7) {
      double at_risk = 0;  // rows with time >= d: the n at risk at the first time on or after d
      for (std::size_t i = 0; i < c.time.size(); ++i) {
        if (c.time[i] >= d) {
          at_risk = c.n_risk[i];
          break;
        }
      }
      std::fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>\n", px(d), y, at_risk);
    }
  }
  std::fprintf(out, "</svg>\n");
  return std::fclose(out) == 0;
}

/// 28-day mortality: Cox model with NE dose > 0.80 adjusted for APACHE II and log IL-6, the
/// Kaplan-Meier medians and log-rank test, and the cut-off chosen from the data with a
/// selection-aware p-value (maximally selected log-rank, Lausen 1994). The Kaplan-Meier curves
/// go to `svg_path` as an SVG.
void survival_table(const cohort& c, const char* svg_path) {
  namespace sv = vasostat::survival;
  const auto n = static_cast<Eigen::Index>(c.dose.size());
  Eigen::MatrixXd x(n, 3);
  std::vector<int> high(c.dose.size());
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    high[k] = c.dose[k] > 0.80 ? 1 : 0;
    x(i, 0) = high[k];
    x(i, 1) = c.apache[k];
    x(i, 2) = std::log(c.il6[k]);
  }
  const auto cox = sv::cox(c.time_days, c.died, x, {.names = {"NE > 0.80", "APACHE II", "log IL-6"}});
  std::printf("Table 4. Cox model of 28-day mortality (Efron ties; CI and p from the same Wald statistic)\n");
  std::printf("  %-10s %7s %18s %8s\n", "term", "HR", "95% CI", "p");
  for (Eigen::Index j = 0; j < cox.coef.size(); ++j) {
    std::printf("  %-10s %7.2f    (%5.2f, %5.2f) %8s\n", cox.names[static_cast<std::size_t>(j)].c_str(),
                cox.hazard_ratio[j], cox.hr_lower[j], cox.hr_upper[j], format_p(cox.p_value[j]).c_str());
  }
  std::printf("  likelihood-ratio test %.2f on %g df, p %s; concordance %.3f (SE %.3f)\n",
              cox.likelihood_ratio.statistic, cox.likelihood_ratio.df,
              format_p(cox.likelihood_ratio.p_value).c_str(), cox.concordance.concordance,
              cox.concordance.std_error);
  std::printf("  published: HR = 1.14, 95%% CI 0.48-2.68, p = 0.035 (a CI containing 1 cannot go with p < 0.05)\n");
  const auto km = sv::kaplan_meier(c.time_days, c.died, {.group = high});
  const auto lr = sv::logrank(c.time_days, c.died, high);
  for (const auto& curve : km.curves) {
    std::printf("  Kaplan-Meier, NE %s 0.80: %2.0f patients, %2.0f deaths, 28-day survival %.2f\n",
                curve.group == 1 ? "> " : "<=", curve.n, curve.events, curve.surv.back());
  }
  std::printf("  log-rank chi2 = %.2f on %d df, p %s\n", lr.chisq, lr.df, format_p(lr.p_value).c_str());
  if (write_km_svg(km, lr, svg_path)) {
    std::printf("  Kaplan-Meier curves written to %s\n", svg_path);
  } else {
    std::printf("  could not write %s\n", svg_path);
  }
  const auto cut = vasostat::threshold::maxstat_cutpoint(c.time_days, c.died, c.dose);
  std::printf("  data-chosen cut-off %.2f: HR %.2f, naive p %s, selection-aware p %s (Lausen 1994),\n"
              "  Altman-corrected p %s, shrunk HR %.2f\n\n",
              cut.cutpoint, cut.hazard_ratio, format_p(cut.hr_p_naive).c_str(),
              format_p(cut.p_lau94).c_str(), format_p(cut.p_altman).c_str(), cut.hr_shrunk);
}

/// The cohort as measured, one row per patient (tests/reference/gam/gam_reference.R fits mgcv to
/// this file, so that vasostat's GAMs are checked on the study's own data).
bool write_cohort_csv(const cohort& c, const char* path) {
  std::FILE* out = std::fopen(path, "w");
  if (out == nullptr) return false;
  std::fprintf(out, "dose,apache,heart_rate,log_il6,lactate,mfi,ppv,hi,tvd,pvd,time_days,died\n");
  for (std::size_t i = 0; i < c.dose.size(); ++i)
    std::fprintf(out, "%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g\n", c.dose[i],
                 c.apache[i], c.heart_rate[i], std::log(c.il6[i]), c.lactate[i], c.mfi[i], c.ppv[i], c.hi[i],
                 c.tvd[i], c.pvd[i], c.time_days[i], c.died[i]);
  return std::fclose(out) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  // argv[1], argv[2]: where the Kaplan-Meier and the GAM dose-response SVGs go (default: the
  // current directory); argv[3], optional: write the measured cohort there as CSV
  const char* svg_path = argc > 1 ? argv[1] : "septic_study_km.svg";
  const char* gam_svg_path = argc > 2 ? argv[2] : "septic_study_gam.svg";
  cohort c = simulate(66, 20250101);
  const auto died = std::count(c.died.begin(), c.died.end(), 1.0);
  std::printf("vasostat %s — simulated septic-shock cohort: 66 patients, NE 0.05–1.5 µg/kg/min,\n"
              "%ld deaths by day 28 (published study: 66 patients enrolled of 144 screened)\n\n",
              vasostat::version_string, static_cast<long>(died));
  film_and_measure(c, 20250102);
  if (argc > 3 && !write_cohort_csv(c, argv[3])) std::printf("could not write %s\n", argv[3]);
  correlation_table(c);
  gam_table(c, gam_svg_path);
  threshold_table(c);
  survival_table(c, svg_path);
  return 0;
}
