# Reference values for vasostat::threshold::maxstat_cutpoint.
# Debian R 4.2.2, maxstat 0.7-25, survival 3.5-3, mvtnorm as installed.
# Run from this folder: Rscript maxstat_reference.R
suppressPackageStartupMessages({library(maxstat); library(survival)})
stopifnot(packageVersion("maxstat") == "0.7.25")
cat("case,name,value\n", file = "maxstat_ref.csv")
out <- function(case, name, value)
  cat(sprintf("%s,%s,%.17g\n", case, name, value), file = "maxstat_ref.csv", append = TRUE)

run <- function(case, formula, data, smethod, minprop = 0.1, maxprop = 0.9) {
  surv <- smethod == "LogRank"
  m92 <- maxstat.test(formula, data = data, smethod = smethod, pmethod = "Lau92",
                      minprop = minprop, maxprop = maxprop)
  m94 <- maxstat.test(formula, data = data, smethod = smethod, pmethod = "Lau94",
                      minprop = minprop, maxprop = maxprop)
  set.seed(1)
  mex <- maxstat.test(formula, data = data, smethod = smethod, pmethod = "exactGauss",
                      minprop = minprop, maxprop = maxprop, abseps = 1e-7, maxpts = 5e6)
  out(case, "statistic", m92$statistic)
  out(case, "estimate", m92$estimate)
  out(case, "p_lau92", m92$p.value)
  out(case, "p_lau94", m94$p.value)
  out(case, "p_exact_gauss", mex$p.value)
  out(case, "n_cuts", length(m92$cuts))
  if (surv) {
    xname <- all.vars(formula)[3]
    high <- as.numeric(data[[xname]] > m92$estimate)
    fit <- coxph(update(formula, paste(". ~ high")), data = cbind(data, high = high), ties = "efron")
    out(case, "hr", exp(coef(fit))); out(case, "hr_se_log", sqrt(vcov(fit)[1, 1]))
    ci <- exp(confint(fit)); out(case, "hr_lower", ci[1]); out(case, "hr_upper", ci[2])
    out(case, "hr_p", summary(fit)$coefficients[1, 5])
    out(case, "lr", 2 * diff(fit$loglik))
  }
  for (i in seq_along(m92$cuts)) {
    out(case, sprintf("cut%d", i), m92$cuts[i]); out(case, sprintf("stat%d", i), m92$stats[i])
  }
}

vet <- veteran[, c("time", "status", "karno", "age")]
write.csv(vet, "maxstat_veteran_data.csv", row.names = FALSE)
run("veteran_karno", Surv(time, status) ~ karno, vet, "LogRank")
run("veteran_age", Surv(time, status) ~ age, vet, "LogRank", minprop = 0.2, maxprop = 0.8)
lg <- na.omit(lung[, c("time", "status", "age", "ph.karno")])
lg$status <- lg$status - 1
write.csv(lg, "maxstat_lung_data.csv", row.names = FALSE)
run("lung_age", Surv(time, status) ~ age, lg, "LogRank")
run("lung_karno", Surv(time, status) ~ ph.karno, lg, "LogRank")
data(DLBCL)
dl <- DLBCL[, c("time", "cens", "MGE", "IPI")]
dl <- dl[complete.cases(dl), ]
write.csv(dl, "maxstat_dlbcl_data.csv", row.names = FALSE)
run("dlbcl_mge", Surv(time, cens) ~ MGE, dl, "LogRank")
data(treepipit)
tp <- treepipit[, c("counts", "coverstorey")]
write.csv(tp, "maxstat_treepipit_data.csv", row.names = FALSE)
run("treepipit_data", counts ~ coverstorey, tp, "Data")
run("treepipit_wilcoxon", counts ~ coverstorey, tp, "Wilcoxon")
aq <- na.omit(airquality[, c("Ozone", "Temp")])
write.csv(aq, "maxstat_airquality_data.csv", row.names = FALSE)
run("airquality_data", Ozone ~ Temp, aq, "Data")
run("airquality_normal", Ozone ~ Temp, aq, "NormalQuantil")
run("airquality_median", Ozone ~ Temp, aq, "Median")
