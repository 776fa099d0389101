# Reference values for vasostat::threshold::threshold_grid (hinge, segmented, step, upper hinge):
# the profile RSS by refitting lm() at every candidate threshold (brute force), the minimiser,
# and lm()'s coefficients and standard errors there. R 4.2.2 (stats only).
# Candidates: distinct x within the 5%..95% type-7 quantiles, >= 2 observations on each side
# (x <= e vs x > e; for the upper hinge x < e vs x >= e).
# Run from this folder: Rscript hinge_reference.R
cat("case,name,value\n", file = "hinge_ref.csv")
out <- function(case, name, value)
  cat(sprintf("%s,%s,%.17g\n", case, name, value), file = "hinge_ref.csv", append = TRUE)
term <- function(type, x, e) switch(type,
  hinge = pmax(x - e, 0), segmented = pmax(x - e, 0), step = as.numeric(x > e),
  upper_hinge = pmax(e - x, 0))
run <- function(case, file, yname, xname, covs, type) {
  d <- read.csv(file)
  y <- d[[yname]]; x <- d[[xname]]
  q <- quantile(x, c(0.05, 0.95), type = 7, names = FALSE)
  ux <- sort(unique(x))
  ok <- sapply(ux, function(e) {
    if (type == "upper_hinge") sum(x < e) >= 2 && sum(x >= e) >= 2 else sum(x <= e) >= 2 && sum(x > e) >= 2
  })
  cand <- ux[ux >= q[1] & ux <= q[2] & ok]
  base <- if (type == "segmented") cbind(1, x) else matrix(1, length(x), 1)
  if (length(covs)) base <- cbind(base, as.matrix(d[, covs, drop = FALSE]))
  rss <- sapply(cand, function(e) sum(lm.fit(cbind(base, term(type, x, e)), y)$residuals^2))
  best <- which.min(rss)
  out(case, "n_cand", length(cand))
  for (i in seq_along(cand)) { out(case, sprintf("cand%d", i), cand[i]); out(case, sprintf("rss%d", i), rss[i]) }
  out(case, "threshold", cand[best])
  fit <- lm(y ~ 0 + X, data = list(y = y, X = cbind(base, term(type, x, cand[best]))))
  s <- summary(fit)$coefficients
  for (k in seq_len(nrow(s))) { out(case, sprintf("coef%d", k), s[k, 1]); out(case, sprintf("se%d", k), s[k, 2]); out(case, sprintf("p%d", k), s[k, 4]) }
  out(case, "loglik", as.numeric(logLik(fit)))
}
for (type in c("hinge", "segmented", "step", "upper_hinge")) {
  run(paste0("stagnant_", type), "segmented_stagnant_data.csv", "y", "x", c(), type)
  run(paste0("plant_", type), "segmented_plant_groups_data.csv", "y", "time", c("g2", "g3"), type)
  run(paste0("airquality_", type), "segmented_airquality_data.csv", "Ozone", "Temp", c("Wind"), type)
  run(paste0("cars_", type), "segmented_cars_data.csv", "dist", "speed", c(), type)
}
