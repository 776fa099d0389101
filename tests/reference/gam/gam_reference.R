# Reference values for vasostat::gam, produced with R's mgcv (see the header of each output).
# Run from this folder:  Rscript gam_reference.R
# Writes <case>.data.csv (the data as fitted) and <case>.ref.txt (one "name v1 v2 ..." per line).
# mgcv is run with a tight Newton tolerance (newton$conv.tol = 1e-10; mgcv's default 1e-6
# stops before the REML optimum is reached to the digits compared here).
suppressMessages({library(mgcv); library(MASS)})
ctl <- gam.control(newton = list(conv.tol = 1e-10), epsilon = 1e-10)
put <- function(con, name, v) cat(name, format(as.vector(v), digits = 17), "\n", file = con)

write_case <- function(name, formula, data, family = gaussian(), method = "REML", grid = NULL,
                       smooth_vars, par_vars) {
  b <- gam(formula, data = data, family = family, method = method, control = ctl)
  s <- summary(b)
  y <- b$y
  write.csv(data, paste0(name, ".data.csv"), row.names = FALSE)
  con <- file(paste0(name, ".ref.txt"), "w")
  cat("# mgcv", as.character(packageVersion("mgcv")), "R", R.version.string, "\n", file = con)
  cat("# formula", deparse(formula, width.cutoff = 500), "family", family$family, family$link,
      "method", method, "\n", file = con)
  put(con, "n", length(y))
  put(con, "coefficients", coef(b))
  put(con, "sp", b$sp)
  put(con, "edf", sapply(b$smooth, function(sm) sum(b$edf[sm$first.para:sm$last.para])))
  put(con, "edf1", sapply(b$smooth, function(sm) sum(b$edf1[sm$first.para:sm$last.para])))
  put(con, "edf_total", sum(b$edf))
  put(con, "score", b$gcv.ubre)
  put(con, "scale", b$sig2)
  put(con, "deviance", deviance(b))
  put(con, "null_deviance", b$null.deviance)
  put(con, "dev_expl", s$dev.expl)
  put(con, "r_sq", s$r.sq)
  put(con, "residual_df", b$df.residual)
  put(con, "fitted", fitted(b))
  put(con, "linear_predictor", b$linear.predictors)
  put(con, "Vp", b$Vp)
  put(con, "Ve", b$Ve)
  put(con, "s_edf", s$s.table[, 1]); put(con, "s_refdf", s$s.table[, 2])
  put(con, "s_stat", s$s.table[, 3]); put(con, "s_p", s$s.table[, 4])
  put(con, "p_est", s$p.table[, 1]); put(con, "p_se", s$p.table[, 2])
  put(con, "p_stat", s$p.table[, 3]); put(con, "p_p", s$p.table[, 4])
  # the smooth p-values again with psum.chisq at tol = 1e-12: summary.gam's default tol = 2e-5
  # is an absolute accuracy (Davies' algorithm), so its printed p-values below ~1e-3 carry it
  orig <- mgcv::psum.chisq
  tight <- function(q, lb, df = rep(1, length(lb)), nc = rep(0, length(lb)), sigz = 0,
                    lower.tail = FALSE, tol = 2e-05, nlim = 1e+05, trace = FALSE)
    orig(q, lb, df, nc, sigz, lower.tail, tol = 1e-12, nlim = 1e7, trace)
  assignInNamespace("psum.chisq", tight, "mgcv")
  put(con, "s_p_tight", summary(b)$s.table[, 4])
  assignInNamespace("psum.chisq", orig, "mgcv")
  # refit with the smoothing parameters fixed at the REML values
  bf <- gam(formula, data = data, family = family, sp = b$sp, control = ctl)
  put(con, "fixed_coefficients", coef(bf))
  put(con, "fixed_fitted", fitted(bf))
  if (!is.null(grid)) {
    write.csv(grid, paste0(name, ".grid.csv"), row.names = FALSE)
    pl <- predict(b, grid, se.fit = TRUE, type = "link")
    put(con, "pred_link", pl$fit); put(con, "pred_link_se", pl$se.fit)
    pr <- predict(b, grid, se.fit = TRUE, type = "response")
    put(con, "pred_resp", pr$fit); put(con, "pred_resp_se", pr$se.fit)
    pt <- predict(b, grid, se.fit = TRUE, type = "terms")
    put(con, "pred_terms", pt$fit); put(con, "pred_terms_se", pt$se.fit)
    put(con, "lpmatrix", predict(b, grid, type = "lpmatrix"))
  }
  for (m in c("GCV.Cp", "ML")) {
    bm <- gam(formula, data = data, family = family, method = m, control = ctl)
    tag <- if (m == "GCV.Cp") "gcv" else "ml"
    put(con, paste0(tag, "_sp"), bm$sp)
    put(con, paste0(tag, "_edf"), sapply(bm$smooth, function(sm) sum(bm$edf[sm$first.para:sm$last.para])))
    put(con, paste0(tag, "_score"), bm$gcv.ubre)
    put(con, paste0(tag, "_scale"), bm$sig2)
    put(con, paste0(tag, "_fitted"), fitted(bm))
  }
  close(con)
  invisible(b)
}

# cr_reference.R sources this file for write_case only (write_case_only <- TRUE)
if (!exists("write_case_only")) {
  mc <- data.frame(times = mcycle$times, accel = mcycle$accel)
  gr <- data.frame(times = seq(2.4, 57.6, length.out = 23))
  write_case("mcycle_k20", accel ~ s(times, bs = "ps", k = 20), mc, grid = gr)
  write_case("mcycle_k10", accel ~ s(times, bs = "ps"), mc, grid = gr)

  aq <- na.omit(airquality[, c("Ozone", "Solar.R", "Wind", "Temp")])
  aq$logOzone <- log(aq$Ozone)
  aqg <- data.frame(Solar.R = c(50, 150, 250, 320), Wind = c(3, 8, 12, 19), Temp = c(60, 70, 80, 95))
  write_case("airquality", logOzone ~ Solar.R + s(Temp, bs = "ps") + s(Wind, bs = "ps"), aq, grid = aqg)

  tr <- trees
  trg <- data.frame(Girth = c(9, 12, 15, 20), Height = c(65, 70, 75, 85))
  write_case("trees_gaussian", Volume ~ Height + s(Girth, bs = "ps", k = 8), tr, grid = trg)
  write_case("trees_gamma", Volume ~ Height + s(Girth, bs = "ps", k = 8), tr, family = Gamma(link = "log"), grid = trg)

  bw <- data.frame(low = birthwt$low, lwt = birthwt$lwt, age = birthwt$age, smoke = birthwt$smoke)
  bwg <- data.frame(lwt = c(90, 120, 160, 220), age = c(18, 22, 27, 35), smoke = c(0, 1, 0, 1))
  write_case("birthwt_binomial", low ~ age + smoke + s(lwt, bs = "ps"), bw, family = binomial(), grid = bwg)

  qk <- data.frame(stations = quakes$stations, mag = quakes$mag, depth = quakes$depth)
  qkg <- data.frame(mag = c(4.1, 4.6, 5.2, 6.0), depth = c(50, 200, 400, 600))
  write_case("quakes_poisson", stations ~ depth + s(mag, bs = "ps"), qk, family = poisson(), grid = qkg)

  # gamma (log link) on mgcv's gamSim(1) covariates: log-mean from the additive truth, shape 3
  set.seed(5)
  gs <- gamSim(1, n = 300, dist = "normal", scale = 1, verbose = FALSE)
  gs$y <- rgamma(nrow(gs), shape = 3, scale = exp((gs$f - mean(gs$f)) / 25) / 3)
  gs <- gs[, c("y", "x0", "x1", "x2")]
  write_case("gamsim_gamma", y ~ x0 + s(x1, bs = "ps") + s(x2, bs = "ps"), gs, family = Gamma(link = "log"))
}
