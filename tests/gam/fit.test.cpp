// vasostat::gam::fit against R mgcv 1.8-41 (tests/reference/gam/gam_reference.R) on real data:
// MASS::mcycle, airquality, trees (Gaussian), MASS::birthwt (binomial), quakes (Poisson),
// trees and gamSim(1) (Gamma, log link); the cubic regression spline basis (bs = "cr",
// cr_reference.R) on mcycle, gamSim(1) (three cr smooths and a P-spline) and quakes (Poisson).

#include <vasostat/core/random.hpp>
#include <vasostat/gam.hpp>

#include <doctest/doctest.h>

#include <support/gam_reference.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

using gam_test::close;
namespace gam = vasostat::gam;

namespace {

// Compares one REML fit with mgcv. Tolerances are the issue's: fitted values 1e-6 (relative to
// max |fitted|), EDF 1e-4, score 1e-6, smooth p-values 1e-3 relative or 1e-6 absolute.
gam::model check_reml(const gam_test::reference_case& c) {
  INFO("case " << std::string(c.name));
  auto l = gam_test::load(c);
  const auto m = gam::fit(*l.y, l.smooths, l.covariates, {.family = c.family});
  CHECK(m.converged);
  CHECK(m.warnings.empty());
  const auto& r = l.ref;
  CHECK(gam_test::max_rel_diff(m.fitted, r.at("fitted")) < 1e-6);
  CHECK(gam_test::max_rel_diff(m.linear_predictor, r.at("linear_predictor")) < 1e-6);
  CHECK(close(m.score, r.at("score")[0], 1e-6));
  CHECK(close(m.scale, r.at("scale")[0], 1e-6));
  CHECK(close(m.edf_total, r.at("edf_total")[0], 0, 1e-4));
  CHECK(close(m.deviance, r.at("deviance")[0], 1e-6));
  CHECK(close(m.null_deviance, r.at("null_deviance")[0], 1e-10));
  CHECK(close(m.deviance_explained, r.at("dev_expl")[0], 1e-6));
  CHECK(close(m.r_squared_adjusted, r.at("r_sq")[0], 1e-6));
  CHECK(close(m.residual_df, r.at("residual_df")[0], 1e-6));
  for (std::size_t j = 0; j < m.smooth_tests.size(); ++j) {
    INFO("smooth " << j);
    CHECK(close(m.smooth_tests[j].edf, r.at("s_edf")[j], 0, 1e-4));
    CHECK(close(m.smooth_tests[j].ref_df, r.at("s_refdf")[j], 0, 1e-4));
    CHECK(close(m.smooth_tests[j].statistic, r.at("s_stat")[j], 1e-5));
    INFO("p " << m.smooth_tests[j].p_value << " vs " << r.at("s_p")[j]);
    CHECK(close(m.smooth_tests[j].p_value, r.at("s_p")[j], 1e-3, 1e-6));
    // where the reference has them: summary.gam's p-values with psum.chisq at tol = 1e-12
    // (the printed ones carry Davies' default absolute accuracy 2e-5)
    if (r.count("s_p_tight") != 0) CHECK(close(m.smooth_tests[j].p_value, r.at("s_p_tight")[j], 1e-3, 1e-12));
  }
  for (std::size_t j = 0; j < m.parametric.size(); ++j) {
    INFO("parametric " << j);
    CHECK(close(m.parametric[j].estimate, r.at("p_est")[j], 1e-5));
    CHECK(close(m.parametric[j].std_error, r.at("p_se")[j], 1e-5));
    CHECK(close(m.parametric[j].statistic, r.at("p_stat")[j], 1e-5));
    CHECK(close(m.parametric[j].p_value, r.at("p_p")[j], 1e-4, 1e-12));
  }
  // log smoothing parameters where finite and well determined (not running to infinity)
  for (Eigen::Index j = 0; j < m.smoothing_parameters.size(); ++j) {
    const double want = r.at("sp")[static_cast<std::size_t>(j)];
    if (want < 1e6) CHECK(close(std::log(m.smoothing_parameters[j]), std::log(want), 0, 1e-4));
  }
  return m;
}

}  // namespace

TEST_CASE("gaussian REML fits match mgcv on mcycle, airquality and trees") {
  for (const auto& c : gam_test::gaussian_cases()) check_reml(c);
}

TEST_CASE("binomial and poisson REML fits match mgcv on birthwt and quakes") {
  for (const auto& c : gam_test::glm_cases()) check_reml(c);
}

TEST_CASE("REML fits match mgcv on the simulated septic cohort (four outcomes, 28-day death)") {
  for (const auto& c : gam_test::septic_cases()) check_reml(c);
}

TEST_CASE("gamma (log link) REML fits match mgcv on trees and gamSim data (log phi profiled)") {
  for (const auto& c : gam_test::gamma_cases()) check_reml(c);
}

TEST_CASE("cr bases match mgcv: knots, scaled constrained penalty and REML fits") {
  for (const auto& c : gam_test::cr_cases()) {
    INFO("case " << std::string(c.name));
    auto l = gam_test::load(c);
    int cr_index = 0;
    for (std::size_t j = 0; j < l.smooths.size(); ++j) {
      if (c.basis[j] != gam::basis_type::cr) continue;
      INFO("smooth " << j);
      const std::string tag = std::to_string(cr_index++);
      const auto b = gam::make_smooth_basis(l.smooths[j].x, l.smooths[j].options, "test", "s");
      const auto& xp = l.ref.at("xp_" + tag);
      REQUIRE(b.knots.size() == xp.size());
      CHECK(gam_test::max_rel_diff(Eigen::Map<const Eigen::VectorXd>(b.knots.data(), b.k), xp) < 1e-14);
      CHECK(close(b.penalty_scale, l.ref.at("S_scale_" + tag)[0], 1e-12));
      // the same Householder Z as mgcv's absorb.cons, so the constrained penalties agree entrywise
      const Eigen::VectorXd s = Eigen::Map<const Eigen::VectorXd>(b.penalty.data(), b.penalty.size());
      CHECK(gam_test::max_rel_diff(s, l.ref.at("S_" + tag)) < 1e-12);
      CHECK(b.penalty_rank == b.k - 2);
    }
    const auto m = check_reml(c);
    // mgcv's p-values are accurate to psum.chisq's absolute tol = 2e-5 only (gamsim_cr's
    // s(x0): mgcv 6.60e-6, 6.219e-6 at tol = 1e-12): against the tight values, 1e-3 relative
    for (std::size_t j = 0; j < m.smooth_tests.size(); ++j)
      CHECK(close(m.smooth_tests[j].p_value, l.ref.at("s_p_tight")[j], 1e-3, 1e-12));
  }
}

TEST_CASE("with smoothing parameters fixed at mgcv's values, coefficients agree to 1e-8") {
  std::vector<gam_test::reference_case> all = gam_test::gaussian_cases();
  for (const auto& c : gam_test::glm_cases()) all.push_back(c);
  for (const auto& c : gam_test::gamma_cases()) all.push_back(c);
  for (const auto& c : gam_test::cr_cases()) all.push_back(c);
  for (const auto& c : gam_test::septic_cases()) all.push_back(c);
  for (const auto& c : all) {
    INFO("case " << std::string(c.name));
    auto l = gam_test::load(c);
    const auto& sp = l.ref.at("sp");
    for (std::size_t j = 0; j < l.smooths.size(); ++j) l.smooths[j].options.sp = sp[j];
    const auto m = gam::fit(*l.y, l.smooths, l.covariates,
                            {.method = gam::method::fixed, .family = c.family});
    CHECK(gam_test::max_rel_diff(m.coefficients, l.ref.at("fixed_coefficients")) < 1e-8);
    CHECK(gam_test::max_rel_diff(m.fitted, l.ref.at("fixed_fitted")) < 1e-8);
    // Vp and Ve at mgcv's smoothing parameters
    Eigen::VectorXd vp = Eigen::Map<const Eigen::VectorXd>(m.vp.data(), m.vp.size());
    Eigen::VectorXd ve = Eigen::Map<const Eigen::VectorXd>(m.ve.data(), m.ve.size());
    CHECK(gam_test::max_rel_diff(vp, l.ref.at("Vp")) < 1e-6);
    CHECK(gam_test::max_rel_diff(ve, l.ref.at("Ve")) < 1e-6);
  }
}

TEST_CASE("one-smooth Gaussian fits: the spectral (Demmler-Reinsch) selection agrees with the general path") {
  // REML and GCV with one smooth search lambda on eigenvalue sums; refitting at the chosen lambda
  // with method::fixed runs the general QR evaluation. Scores, coefficients and EDF must agree.
  std::vector<gam_test::reference_case> cases = {gam_test::gaussian_cases()[0], gam_test::cr_cases()[0]};
  for (const auto& c : cases) {
    for (const auto method : {gam::method::reml, gam::method::gcv}) {
      INFO("case " << std::string(c.name) << ", method " << static_cast<int>(method));
      auto l = gam_test::load(c);
      const auto selected = gam::fit(*l.y, l.smooths, l.covariates, {.method = method});
      REQUIRE(selected.converged);
      REQUIRE(selected.smoothing_parameters.size() == 1);
      l.smooths[0].options.sp = selected.smoothing_parameters[0];
      const auto refit = gam::fit(*l.y, l.smooths, l.covariates, {.method = gam::method::fixed});
      CHECK(gam_test::max_rel_diff(selected.coefficients, std::vector<double>(refit.coefficients.data(),
                                   refit.coefficients.data() + refit.coefficients.size())) < 1e-10);
      CHECK(close(selected.edf_total, refit.edf_total, 1e-10));
      // the fixed fit reports the REML score at its lambda; compare REML scores only
      if (method == gam::method::reml) CHECK(close(selected.score, refit.score, 1e-10));
    }
  }
}

TEST_CASE("one-smooth Gaussian fits: the tridiagonal Demmler-Reinsch evaluation equals the QR evaluation") {
  // spectral_eval (O(q) per lambda from the tridiagonal T = Q'GG'Q) against gaussian_eval_qr (QR
  // of [B; sqrt(lambda) E] and H^-1) for lambda from far below the optimum to the null-space
  // limit: REML and GCV scores, gradients and Hessians, the Fellner-Schall pieces
  std::vector<gam_test::reference_case> cases = {gam_test::gaussian_cases()[0], gam_test::gaussian_cases()[3],
                                                 gam_test::cr_cases()[0]};
  for (const auto& c : cases) {
    for (const auto method : {gam::method::reml, gam::method::gcv}) {
      INFO("case " << std::string(c.name) << ", method " << static_cast<int>(method));
      auto l = gam_test::load(c);
      const gam::fit_options opt{.method = method};
      std::vector<gam::smooth_basis> bases = {
          gam::make_smooth_basis(l.smooths[0].x, l.smooths[0].options, "test", "smooths[0]")};
      const Eigen::Ref<const Eigen::MatrixXd> cov(l.covariates);
      const auto n = static_cast<Eigen::Index>(l.y->size());
      vasostat::gam::detail::design des;
      des.n = n;
      des.n_parametric = 1 + cov.cols();
      des.p = des.n_parametric + bases[0].columns();
      des.covariates = &cov;
      des.xs = {l.smooths[0].x};
      des.bases = &bases;
      des.first = {des.n_parametric};
      des.prepare();
      vasostat::gam::detail::fitter ft;
      ft.x = &des;
      ft.y = *l.y;
      ft.meth = method;
      ft.opt = &opt;
      ft.bases = &bases;
      ft.first = des.first;
      ft.p = des.p;
      ft.m = 1;
      ft.n = static_cast<double>(n);
      ft.mp = static_cast<double>(des.p - bases[0].penalty_rank);
      ft.gaussian_accumulate();
      REQUIRE(ft.spectral);
      // lambda scale as fit() starts it: X'X diagonal against the penalty diagonal
      double num = 0, den = 0;
      for (Eigen::Index i = 0; i < bases[0].columns(); ++i) {
        num += ft.g_xtwx(des.n_parametric + i, des.n_parametric + i);
        den += bases[0].penalty(i, i);
      }
      const double rho0 = std::log(num / den);
      for (double d = -10; d <= 20; d += 2.5) {
        INFO("rho - rho0 = " << d);
        const Eigen::VectorXd rho = Eigen::VectorXd::Constant(1, rho0 + d);
        const auto a = ft.spectral_eval(rho, 2);
        const auto b = ft.gaussian_eval_qr(rho, 2);
        REQUIRE(b.ok);
        const double scale = 1 + std::abs(b.score);
        // from rho0 + 15 on (EDF within ~1e-6 of the null-space limit) the criterion is flat and
        // the QR form loses digits: tr(AS) ~ q/lambda comes from H^-1 with absolute errors
        // ~eps |H^-1| (the tridiagonal form gets it from q - tr K^-1 directly). Observed over
        // -O2 and -O0 builds: scores 6e-9 apart (GCV at rho0 + 20), 2e-12 up to rho0 + 12.5
        const bool flat = d > 14;
        CHECK(close(a.score, b.score, flat ? 1e-7 : 1e-10));
        CHECK(close(a.grad[0], b.grad[0], 0, (flat ? 1e-7 : 1e-9) * scale));
        CHECK(close(a.deviance, b.deviance, 1e-9));
        CHECK(close(a.penalty, b.penalty, flat ? 1e-6 : 1e-8, 1e-12 * b.deviance));
        // (the GCV Hessian at the flat end combines the QR form's lost digits of D and tr F:
        // observed 3e-5 apart at scale 17.7, trees at rho0 + 20)
        INFO("hess " << a.hess(0, 0) << " vs " << b.hess(0, 0) << " score " << b.score);
        const double hess_flat = method == gam::method::gcv ? 1e-5 : 1e-6;
        CHECK(close(a.hess(0, 0), b.hess(0, 0), 1e-7, (flat ? hess_flat : 1e-9) * scale));
        const Eigen::Index f = des.n_parametric, k = bases[0].columns();
        const double tr = (b.a.block(f, f, k, k) * bases[0].penalty).trace();
        CHECK(close(a.trace_as[0], tr, flat ? 1e-6 : 1e-8));
        CHECK(close(a.quad_s[0], ft.quad(b.beta, 0), flat ? 1e-6 : 1e-7, 1e-12 * b.deviance / std::exp(rho[0])));
      }
    }
  }
}

namespace fit_derivatives {

// A fitter over the bases of a fitted model, set up as gam::fit does (design, family, method,
// ML null space), so that its criterion can be evaluated at any log smoothing parameters.
struct criterion {
  gam_test::loaded_case l;
  gam::model model;
  gam::fit_options opt;
  Eigen::MatrixXd cov;
  std::unique_ptr<Eigen::Ref<const Eigen::MatrixXd>> covariates_ref;
  vasostat::gam::detail::design des;
  vasostat::gam::detail::fitter ft;
  Eigen::VectorXd start;

  criterion(const gam_test::reference_case& c, gam::method method) : l(gam_test::load(c)) {
    opt.method = method;
    opt.family = c.family;
    opt.pirls_tolerance = 1e-14;  // finite differences of scores need fully converged PIRLS
    opt.max_pirls_iterations = 400;
    model = gam::fit(*l.y, l.smooths, l.covariates, opt);
    cov = l.covariates;
    const auto n = static_cast<Eigen::Index>(l.y->size());
    des.n = n;
    des.n_parametric = model.n_parametric;
    des.p = model.coefficients.size();
    covariates_ref = std::make_unique<Eigen::Ref<const Eigen::MatrixXd>>(cov);
    des.covariates = covariates_ref.get();
    for (const auto& s : l.smooths) des.xs.push_back(s.x);
    des.bases = &model.smooths;
    des.first = model.smooth_first;
    des.prepare();
    ft.x = &des;
    ft.y = *l.y;
    ft.fam = c.family;
    ft.meth = method;
    ft.opt = &opt;
    ft.bases = &model.smooths;
    ft.first = model.smooth_first;
    ft.p = des.p;
    ft.m = static_cast<Eigen::Index>(model.smooths.size());
    ft.n = static_cast<double>(n);
    double mp = static_cast<double>(des.p);
    for (const auto& b : model.smooths) mp -= b.penalty_rank;
    ft.mp = mp;
    if (method == gam::method::ml)
      ft.u0 = vasostat::gam::detail::penalty_null_space(model.smooths, model.smooth_first, des.n_parametric, des.p);
    if (c.family == gam::family::gaussian) ft.gaussian_accumulate();
    start = model.coefficients;
  }

  [[nodiscard]] vasostat::gam::detail::rho_state eval(const Eigen::VectorXd& rho, int order) const {
    if (opt.family == gam::family::gaussian) return ft.gaussian_eval_qr(rho, order);
    return ft.glm_eval(rho, start, order);
  }

  criterion(const criterion&) = delete;  // the design and fitter point into this object
  criterion& operator=(const criterion&) = delete;
};

}  // namespace fit_derivatives

TEST_CASE("exact outer gradient and Hessian equal finite differences (PIRLS and Gaussian, REML, ML, GCV, UBRE)") {
  // Wood (2011 §4): the derivatives of beta, of log|H| and of tr(F) through the weights' dW/deta
  // and d2W/deta2. Checked against central differences of the score (gradient) and of the
  // exact gradient (Hessian) at the selected smoothing parameters and at points moved away from
  // them, for binomial, Poisson and gamma (log) fits with one and two smooths, ps and cr, and
  // Gaussian fits with two and four smooths (the QR form).
  struct run {
    gam_test::reference_case c;
    gam::method method;
  };
  const auto& gl = gam_test::glm_cases();
  const auto& ga = gam_test::gamma_cases();
  const auto& gs = gam_test::gaussian_cases();
  const auto& cr = gam_test::cr_cases();
  const std::vector<run> runs = {
      {gl[0], gam::method::reml}, {gl[0], gam::method::ml},   {gl[0], gam::method::gcv},
      {gl[1], gam::method::reml}, {gl[1], gam::method::gcv},  {cr[2], gam::method::reml},
      {cr[2], gam::method::gcv},  {ga[0], gam::method::reml}, {ga[0], gam::method::ml},
      {ga[0], gam::method::gcv},  {ga[1], gam::method::reml}, {ga[1], gam::method::ml},
      {ga[1], gam::method::gcv},  {gs[2], gam::method::gcv},  {gs[2], gam::method::ml},
      {cr[1], gam::method::gcv},
  };
  for (const auto& r : runs) {
    INFO("case " << std::string(r.c.name) << ", method " << static_cast<int>(r.method));
    const fit_derivatives::criterion crit(r.c, r.method);
    const Eigen::Index m = crit.ft.m;
    // the selected point (a smoothing parameter at its null-space limit is brought back to
    // where the criterion still moves), and two points around it
    Eigen::VectorXd base = crit.model.smoothing_parameters.array().log().matrix();
    for (Eigen::Index j = 0; j < m; ++j) base[j] = std::min(base[j], 12.0);
    for (const double shift : {0.0, 1.3, -2.1}) {
      INFO("shift " << shift);
      Eigen::VectorXd rho = base;
      for (Eigen::Index j = 0; j < m; ++j) rho[j] += (j % 2 == 0 ? shift : -0.5 * shift);
      const auto st = crit.eval(rho, 2);
      REQUIRE(st.ok);
      REQUIRE(st.grad.size() == m);
      REQUIRE(st.hess.rows() == m);
      double hmax = 0;
      for (Eigen::Index k = 0; k < m; ++k)
        for (Eigen::Index l = 0; l < m; ++l) hmax = std::max(hmax, std::abs(st.hess(k, l)));
      for (Eigen::Index k = 0; k < m; ++k) {
        // Richardson-extrapolated central differences, steps 2e-3 and 1e-3: truncation O(h^4),
        // rounding of the scores (~1e-13 relative) amplified only ~1e3 times
        const auto central = [&](double h) {
          Eigen::VectorXd rp = rho, rm = rho;
          rp[k] += h;
          rm[k] -= h;
          const auto sp = crit.eval(rp, 1), sm = crit.eval(rm, 1);
          Eigen::VectorXd d(m + 1);
          d[0] = (sp.score - sm.score) / (2 * h);
          d.tail(m) = (sp.grad - sm.grad) / (2 * h);
          return d;
        };
        const Eigen::VectorXd fd = (4 * central(1e-3) - central(2e-3)) / 3;
        INFO("k " << k << ": gradient " << st.grad[k] << " vs " << fd[0]);
        // tolerances: 1e-6 relative, plus the differences' rounding (~1e-13 (1 + |V|) / h)
        CHECK(std::abs(st.grad[k] - fd[0]) <= 1e-6 * (1e-3 + std::abs(st.grad[k])) + 1e-10 * (1 + std::abs(st.score)));
        for (Eigen::Index l = 0; l < m; ++l) {
          INFO("l " << l << ": Hessian " << st.hess(l, k) << " vs " << fd[1 + l]);
          CHECK(std::abs(st.hess(l, k) - fd[1 + l]) <= 1e-6 * hmax + 1e-9 * (1 + std::abs(st.score)));
        }
      }
    }
  }
}

TEST_CASE("GCV (Gaussian) and UBRE (known scale) selection match mgcv's GCV.Cp") {
  std::vector<gam_test::reference_case> all = gam_test::gaussian_cases();
  for (const auto& c : gam_test::glm_cases()) all.push_back(c);
  for (const auto& c : gam_test::gamma_cases()) all.push_back(c);
  for (const auto& c : gam_test::cr_cases()) all.push_back(c);
  for (const auto& c : gam_test::septic_cases()) all.push_back(c);
  for (const auto& c : all) {
    INFO("case " << std::string(c.name));
    auto l = gam_test::load(c);
    const auto m = gam::fit(*l.y, l.smooths, l.covariates,
                            {.method = gam::method::gcv, .family = c.family});
    CHECK(m.converged);
    const auto& r = l.ref;
    CHECK(close(m.score, r.at("gcv_score")[0], 1e-6));
    CHECK(close(m.scale, r.at("gcv_scale")[0], 1e-6));
    for (std::size_t j = 0; j < m.smooth_tests.size(); ++j)
      CHECK(close(m.smooth_tests[j].edf, r.at("gcv_edf")[j], 0, 1e-4));
    // (birthwt's smooth runs to a straight line, lambda -> infinity, where the UBRE criterion
    // is flat: the fit is taken to the null-space limit, see docs/gam.md)
    CHECK(gam_test::max_rel_diff(m.fitted, r.at("gcv_fitted")) < 1e-6);
  }
}

TEST_CASE("ML selection matches mgcv method = \"ML\" (score, scale, EDF, fitted values)") {
  std::vector<gam_test::reference_case> all = gam_test::gaussian_cases();
  for (const auto& c : gam_test::glm_cases()) all.push_back(c);
  for (const auto& c : gam_test::gamma_cases()) all.push_back(c);
  for (const auto& c : gam_test::cr_cases()) all.push_back(c);
  for (const auto& c : gam_test::septic_cases()) all.push_back(c);
  for (const auto& c : all) {
    INFO("case " << std::string(c.name));
    auto l = gam_test::load(c);
    const auto m = gam::fit(*l.y, l.smooths, l.covariates, {.method = gam::method::ml, .family = c.family});
    CHECK(m.converged);
    CHECK(m.warnings.empty());
    const auto& r = l.ref;
    CHECK(close(m.score, r.at("ml_score")[0], 1e-6));
    CHECK(close(m.scale, r.at("ml_scale")[0], 1e-6));
    CHECK(gam_test::max_rel_diff(m.fitted, r.at("ml_fitted")) < 1e-6);
    for (std::size_t j = 0; j < m.smooth_tests.size(); ++j) {
      INFO("smooth " << j);
      CHECK(close(m.smooth_tests[j].edf, r.at("ml_edf")[j], 0, 1e-4));
      const double want = r.at("ml_sp")[j];
      if (want < 1e6)
        CHECK(close(std::log(m.smoothing_parameters[static_cast<Eigen::Index>(j)]), std::log(want), 0, 1e-4));
    }
  }
}


TEST_CASE("cr internals: radix-sorted distinct values and the knot-interval table are exact") {
  // 40000 values (above the radix threshold) with ties, negatives, both zeros and a heavy tail
  vasostat::random_generator rng(17);
  std::vector<double> x;
  for (int i = 0; i < 40000; ++i) {
    const double v = std::exp(3 * rng.normal()) - 2;
    x.push_back(i % 7 == 0 ? std::round(v) : v);
  }
  x.push_back(0.0);
  x.push_back(-0.0);
  std::vector<double> want = x;
  std::sort(want.begin(), want.end());
  want.erase(std::unique(want.begin(), want.end()), want.end());
  const auto got = gam::detail::sorted_distinct(x);
  REQUIRE(got.size() == want.size());
  CHECK(std::equal(got.begin(), got.end(), want.begin()));
  // quantile knots of a skewed covariate are far from equally spaced; the cell table plus walk
  // must give the interval a binary search gives, at the knots themselves too
  const auto b = gam::make_smooth_basis(x, {.k = 25, .basis = gam::basis_type::cr}, "test", "x");
  std::vector<double> probe(b.knots.begin(), b.knots.end());
  for (int i = 0; i < 2000; ++i) probe.push_back(b.lower() + (b.upper() - b.lower()) * rng.uniform());
  for (int i = 0; i < 2000; ++i) probe.push_back(x[static_cast<std::size_t>(rng.below(x.size()))]);
  int bad = 0;
  for (double p : probe) {
    double v[4];
    const int first = gam::detail::cr_raw_row(b, p, 0, v);
    const int j = std::clamp(static_cast<int>(std::upper_bound(b.knots.begin(), b.knots.end(), p) - b.knots.begin()) - 1, 0, b.k - 2);
    bad += first == 2 * j ? 0 : 1;
  }
  CHECK(bad == 0);
}
