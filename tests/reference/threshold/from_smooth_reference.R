# Reference values for vasostat::threshold::from_smooth (deterministic part: point estimates).
# Run from this folder:  Rscript from_smooth_reference.R
# mgcv fits with a tight Newton tolerance; the curve at x is predict(..., type = "lpmatrix")
# %*% coef, its derivative a central difference of lpmatrix rows (exact up to O(h^2) for the
# cubic pieces), its SE sqrt(r Vp r'). Events are scanned on the same 500-point grid over the
# smooth's basis range (knots[degree + 1] .. knots[k + 1], mgcv's data range +- 0.1%) and
# located with uniroot(tol = 1e-14). Writes from_smooth_ref.csv (case,name,value) and the data.
suppressMessages({library(mgcv); library(MASS)})
ctl <- gam.control(newton = list(conv.tol = 1e-10), epsilon = 1e-10)
out <- data.frame(case = character(), name = character(), value = numeric())
put <- function(case, name, v) {  # vectors as name_1, name_2, ...; NA (no event) left out
  if (length(v) > 1) name <- paste0(name, "_", seq_along(v))
  keep <- !is.na(v)
  if (any(keep)) out <<- rbind(out, data.frame(case = case, name = name[keep], value = v[keep]))
}

event <- function(a, b, dir) {
  up <- a < 0 && b >= 0; down <- a > 0 && b <= 0
  switch(dir, any = up || down, increasing = up, decreasing = down)
}
first_root <- function(grid, g, dir) {
  v <- sapply(grid, g)
  for (i in seq_len(length(grid) - 1))
    if (event(v[i], v[i + 1], dir)) {
      if (v[i + 1] == 0) return(grid[i + 1])
      return(uniroot(g, c(grid[i], grid[i + 1]), tol = 1e-14, maxiter = 1000)$root)
    }
  NA
}

run_case <- function(case, formula, data, var, family = gaussian(), fixed = list(), term_scale = TRUE,
                     level = NA, level_dir = "any", dlevel = 0, ddir = "any") {
  b <- gam(formula, data = data, family = family, method = "REML", control = ctl)
  write.csv(data, paste0("from_smooth_", case, "_data.csv"), row.names = FALSE)
  sm <- b$smooth[[which(sapply(b$smooth, function(s) s$term) == var)]]
  cols <- sm$first.para:sm$last.para
  kn <- sm$knots; deg <- sm$m[1] + 1; k <- sm$bs.dim
  lo <- kn[deg + 1]; hi <- kn[k + 1]
  grid <- seq(lo, hi, length.out = 500)
  base <- data[1, , drop = FALSE]
  for (nm in names(fixed)) base[[nm]] <- fixed[[nm]]
  lp <- function(x) { nd <- base; nd[[var]] <- x; predict(b, nd, type = "lpmatrix")[1, ] }
  row0 <- function(x) { r <- lp(x); if (term_scale) r[-cols] <- 0; r }
  h <- 1e-5 * (hi - lo)
  row1 <- function(x) { r <- (lp(x + h) - lp(x - h)) / (2 * h); r[-cols] <- 0; r }
  beta <- coef(b); Vp <- b$Vp
  f <- function(x) sum(row0(x) * beta)
  d <- function(x) sum(row1(x) * beta)
  dse <- function(x) { r <- row1(x); sqrt(max(0, drop(r %*% Vp %*% r))) }
  put(case, "lower", lo); put(case, "upper", hi)
  if (!is.na(level)) put(case, "crossing", first_root(grid, function(x) f(x) - level, level_dir))
  put(case, "turning", first_root(grid, function(x) d(x) - dlevel, ddir))
  z <- qnorm(0.975)
  rising <- ddir != "decreasing"; falling <- ddir != "increasing"
  dv <- sapply(grid, d); sv <- sapply(grid, dse)
  on <- NA; sg <- 0
  for (i in seq_along(grid)) {
    if (rising && dv[i] - z * sv[i] > 0) { sg <- 1; g <- function(x) d(x) - z * dse(x); break }
    if (falling && dv[i] + z * sv[i] < 0) { sg <- -1; g <- function(x) d(x) + z * dse(x); break }
  }
  if (sg != 0) on <- if (i == 1) grid[1] else uniroot(g, c(grid[i - 1], grid[i]), tol = 1e-14)$root
  put(case, "onset_pointwise", on); put(case, "onset_sign", sg)
  idx <- c(1, 137, 250, 401, 500)
  put(case, "grid_fit", sapply(grid[idx], f)); put(case, "grid_derivative", dv[idx])
  put(case, "grid_derivative_se", sv[idx])
}

mc <- data.frame(times = mcycle$times, accel = mcycle$accel)
run_case("mcycle", accel ~ s(times, bs = "ps", k = 20), mc, "times", term_scale = FALSE,
         level = -50, level_dir = "decreasing", dlevel = 0, ddir = "increasing")
run_case("mcycle_fall", accel ~ s(times, bs = "ps", k = 20), mc, "times", term_scale = TRUE,
         level = 0, level_dir = "any", dlevel = -2, ddir = "decreasing")
aq <- na.omit(airquality[, c("Ozone", "Solar.R", "Wind", "Temp")])
aq$logOzone <- log(aq$Ozone)
run_case("airquality", logOzone ~ Solar.R + s(Temp, bs = "ps") + s(Wind, bs = "ps"), aq, "Temp",
         fixed = list(Solar.R = 200, Wind = 10), term_scale = FALSE, level = log(60),
         level_dir = "increasing", dlevel = 0.046, ddir = "increasing")
bw <- data.frame(low = birthwt$low, lwt = birthwt$lwt, age = birthwt$age, smoke = birthwt$smoke)
run_case("birthwt", low ~ age + smoke + s(lwt, bs = "ps"), bw, "lwt", family = binomial(),
         fixed = list(age = 23, smoke = 1), term_scale = FALSE, level = qlogis(0.3),
         level_dir = "decreasing", dlevel = -0.01, ddir = "decreasing")
write.csv(format(out, digits = 17), "from_smooth_ref.csv", row.names = FALSE)
