# Reference values for vasostat::threshold::segmented, davies_test and pscore_test.
# Produced with Debian's R 4.2.2 and segmented 1.6-2 (n.boot = 0, all other options default).
# Run from this folder: Rscript segmented_reference.R
suppressPackageStartupMessages({library(segmented)})
stopifnot(packageVersion("segmented") == "1.6.2")
out <- function(case, name, value) {
  cat(sprintf("%s,%s,%.17g\n", case, name, value), file = "segmented_ref.csv", append = TRUE)
}
cat("case,name,value\n", file = "segmented_ref.csv")
write_data <- function(case, df) write.csv(df, sprintf("segmented_%s_data.csv", case), row.names = FALSE)

run_case <- function(case, null, seg.Z, npsi, df) {
  write_data(case, df)
  o <- segmented(null, seg.Z = seg.Z, npsi = npsi, control = seg.control(n.boot = 0))
  zname <- all.vars(seg.Z)
  for (i in seq_len(nrow(o$psi))) {
    out(case, sprintf("psi_initial%d", i), o$psi[i, 1])
    out(case, sprintf("psi%d", i), o$psi[i, 2])
    out(case, sprintf("psi_se%d", i), o$psi[i, 3])
  }
  ci <- confint(o, digits = 15); if (is.list(ci)) ci <- ci[[1]]; ci <- matrix(ci, ncol = 3)
  for (i in seq_len(nrow(ci))) {
    out(case, sprintf("psi_lower%d", i), ci[i, 2]); out(case, sprintf("psi_upper%d", i), ci[i, 3])
  }
  s <- slope(o, digits = 15)[[1]]
  for (i in seq_len(nrow(s))) {
    out(case, sprintf("slope%d", i), s[i, 1]); out(case, sprintf("slope_se%d", i), s[i, 2])
    out(case, sprintf("slope_lower%d", i), s[i, 4]); out(case, sprintf("slope_upper%d", i), s[i, 5])
  }
  cf <- coef(o)
  for (i in seq_along(cf)) out(case, sprintf("coef_%s", names(cf)[i]), cf[i])
  if (inherits(o, "glm")) {
    out(case, "deviance", deviance(o))
  } else {
    out(case, "rss", sum(residuals(o)^2))
  }
  out(case, "df_residual", o$df.residual)
  out(case, "iterations", o$it)
  fv <- fitted(o)
  for (i in seq_along(fv)) out(case, sprintf("fitted%d", i), fv[i])
  if (length(zname) == 1 && npsi == 1) {
    d <- davies.test(null, seg.Z = seg.Z)
    out(case, "davies_best", d$statistic); out(case, "davies_p", d$p.value)
    if (inherits(null, "glm")) {
      d2 <- davies.test(null, seg.Z = seg.Z, type = "wald")
      out(case, "davies_wald_best", d2$statistic); out(case, "davies_wald_p", d2$p.value)
    }
    p <- pscore.test(null, seg.Z = seg.Z)
    out(case, "pscore_statistic", p$statistic); out(case, "pscore_p", p$p.value)
  }
}

data(stagnant); data(plant); data(down)
run_case("stagnant", lm(y ~ x, data = stagnant), ~x, 1, stagnant)
rkw <- subset(plant, group == "RKW")[, c("y", "time")]
run_case("plant_rkw", lm(y ~ time, data = rkw), ~time, 1, rkw)
run_case("plant_rkw2", lm(y ~ time, data = rkw), ~time, 2, rkw)
pl <- data.frame(y = plant$y, time = plant$time, g2 = as.numeric(plant$group == "RKW"),
                 g3 = as.numeric(plant$group == "RWC"))
run_case("plant_groups", lm(y ~ time + g2 + g3, data = pl), ~time, 1, pl)
run_case("cars", lm(dist ~ speed, data = cars), ~speed, 1, cars)
aq <- na.omit(airquality[, c("Ozone", "Temp", "Wind")])
run_case("airquality", lm(Ozone ~ Temp + Wind, data = aq), ~Temp, 1, aq)
dn <- data.frame(cases = down$cases, births = down$births, age = down$age, rate = down$cases / down$births)
run_case("down_binomial", glm(rate ~ age, weights = births, family = binomial, data = dn), ~age, 1, dn)
run_case("down_poisson", glm(cases ~ age + offset(log(births)), family = poisson, data = dn), ~age, 1, dn)
