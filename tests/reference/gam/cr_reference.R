# Reference values for vasostat::gam's cubic regression spline basis, mgcv's s(x, bs = "cr").
# Run from this folder:  Rscript cr_reference.R
# Uses write_case of gam_reference.R (same outputs and tolerances), and adds per case:
#   xp_<j>      the knots mgcv places for cr smooth j (smoothCon(...)[[1]]$xp)
#   S_<j>       its penalty after absorb.cons = TRUE, scale.penalty = TRUE (column-major)
#   S_scale_<j> mgcv's S.scale
# (s_p_tight, summary.gam's smooth p-values with psum.chisq at tol = 1e-12, now comes from
# write_case for every case)
# and, for cases with a grid, derivatives of smooth 1 at the grid by central differences of
# mgcv's lpmatrix (h = 1e-5 for the slope; the second difference with h = 1e-3 for the
# curvature, exact for a cubic inside a knot interval) with their standard errors from Vp.
write_case_only <- TRUE
source("gam_reference.R")

cr_extras <- function(name, formula, data, family = gaussian(), grid = NULL, cr_smooths, deriv_var = NULL) {
  b <- write_case(name, formula, data, family = family, grid = grid)
  con <- file(paste0(name, ".ref.txt"), "a")
  for (j in seq_along(cr_smooths)) {
    sm <- smoothCon(cr_smooths[[j]], data, absorb.cons = TRUE, scale.penalty = TRUE)[[1]]
    put(con, paste0("xp_", j - 1), sm$xp)
    put(con, paste0("S_", j - 1), sm$S[[1]])
    put(con, paste0("S_scale_", j - 1), sm$S.scale)
  }
  if (!is.null(deriv_var)) {
    d <- grid
    fd <- function(h) {
      up <- d; up[[deriv_var]] <- up[[deriv_var]] + h
      dn <- d; dn[[deriv_var]] <- dn[[deriv_var]] - h
      list(up = predict(b, up, type = "lpmatrix"), dn = predict(b, dn, type = "lpmatrix"),
           mid = predict(b, d, type = "lpmatrix"))
    }
    # only the columns of the first smooth (the parametric part does not vary with x)
    cols <- b$smooth[[1]]$first.para:b$smooth[[1]]$last.para
    l1 <- fd(1e-5)
    x1 <- (l1$up - l1$dn)[, cols, drop = FALSE] / 2e-5
    l2 <- fd(1e-3)
    x2 <- (l2$up - 2 * l2$mid + l2$dn)[, cols, drop = FALSE] / 1e-6
    v <- b$Vp[cols, cols]
    put(con, "deriv1", x1 %*% coef(b)[cols])
    put(con, "deriv1_se", sqrt(rowSums((x1 %*% v) * x1)))
    put(con, "deriv2", x2 %*% coef(b)[cols])
    put(con, "deriv2_se", sqrt(rowSums((x2 %*% v) * x2)))
  }
  close(con)
}

# MASS::mcycle, k = 20; the grid runs beyond the data (2.4 .. 57.6) on both sides
mc <- data.frame(times = mcycle$times, accel = mcycle$accel)
gr <- data.frame(times = c(-3, 0.5, seq(2.45, 57.55, length.out = 31), 60, 65.3))
cr_extras("mcycle_cr", accel ~ s(times, bs = "cr", k = 20), mc, grid = gr,
          cr_smooths = list(s(times, bs = "cr", k = 20)), deriv_var = "times")

# gamSim(1): two cr smooths, a P-spline and a cr with k = 6, Gaussian
set.seed(11)
g1 <- gamSim(1, n = 400, dist = "normal", scale = 2, verbose = FALSE)
g1 <- g1[, c("y", "x0", "x1", "x2", "x3")]
g1g <- data.frame(x0 = c(-0.05, 0.2, 0.5, 0.8, 1.04), x1 = c(0.1, 0.3, 0.5, 0.7, 1.1),
                  x2 = c(0.05, 0.25, 0.5, 0.75, 0.95), x3 = c(-0.1, 0.2, 0.45, 0.9, 1.02))
cr_extras("gamsim_cr", y ~ s(x0, bs = "cr") + s(x1, bs = "cr") + s(x2, bs = "ps") + s(x3, bs = "cr", k = 6),
          g1, grid = g1g,
          cr_smooths = list(s(x0, bs = "cr"), s(x1, bs = "cr"), s(x3, bs = "cr", k = 6)))

# quakes, Poisson (log link): stations ~ depth + s(mag, bs = "cr")
qk <- data.frame(stations = quakes$stations, mag = quakes$mag, depth = quakes$depth)
qkg <- data.frame(mag = c(3.8, 4.1, 4.6, 5.2, 6.0, 6.6), depth = c(50, 200, 400, 600, 300, 100))
cr_extras("quakes_cr", stations ~ depth + s(mag, bs = "cr"), qk, family = poisson(), grid = qkg,
          cr_smooths = list(s(mag, bs = "cr")))
