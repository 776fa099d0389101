# Reference values for vasostat::survival::cox. Outputs cox_fit.csv (one row per fit),
# cox_coef.csv (one row per coefficient), data_heart.csv, data_test.csv.
# Run: Rscript cox.R   (R 4.2.2, survival 3.5-3 from Debian)
suppressPackageStartupMessages(library(survival))
wr <- function(df, file) write.csv(df, file, row.names = FALSE, na = "NA")
g17 <- function(x) ifelse(is.na(x), NA, sprintf("%.17g", x))
lung2 <- read.csv("data_lung.csv"); vet2 <- read.csv("data_veteran.csv"); ova2 <- read.csv("data_ovarian.csv")
heart2 <- with(heart, data.frame(start = start, stop = stop, event = event, age = age, year = year,
  surgery = surgery, transplant = as.numeric(as.character(transplant)), id = id))
wr(heart2, "data_heart.csv")
# Therneau & Grambsch validation sets 1 (right censored) and 3 (weights)
test1 <- data.frame(time = c(1, 1, 6, 6, 8, 9), status = c(1, 0, 1, 1, 0, 1), x = c(1, 1, 1, 0, 0, 0))
test3 <- data.frame(time = c(1, 1, 2, 2, 2, 2, 3, 4, 5), status = c(1, 0, 1, 1, 1, 0, 0, 1, 0),
  x = c(2, 0, 1, 1, 0, 1, 0, 1, 0), wt = c(1, 2, 3, 4, 3, 2, 1, 2, 1))
# lung complete cases for the covariates used, with deterministic non-integer weights
lc <- lung2[complete.cases(lung2[, c("age", "sex", "ph_ecog", "ph_karno", "wt_loss", "inst")]), ]
lc$w <- 0.5 + (seq_len(nrow(lc)) %% 4) / 4
lc$off <- 0.01 * lc$ph_karno
lc$age2 <- 2 * lc$age
wr(lc, "data_lung_cc.csv"); wr(test1, "data_test1.csv"); wr(test3, "data_test3.csv")

fits <- list(
  test1_breslow = coxph(Surv(time, status) ~ x, test1, ties = "breslow"),
  test1_efron = coxph(Surv(time, status) ~ x, test1, ties = "efron"),
  test1_exact = suppressWarnings(coxph(Surv(time, status) ~ x, test1, ties = "exact")),
  test3_efron = coxph(Surv(time, status) ~ x, test3, weights = wt, ties = "efron"),
  test3_breslow = coxph(Surv(time, status) ~ x, test3, weights = wt, ties = "breslow"),
  lung_efron = coxph(Surv(time, status) ~ age + sex + ph_ecog, lc),
  lung_breslow = coxph(Surv(time, status) ~ age + sex + ph_ecog, lc, ties = "breslow"),
  lung_exact = coxph(Surv(time, status) ~ age + sex + ph_ecog, lc, ties = "exact"),
  lung_five = coxph(Surv(time, status) ~ age + sex + ph_ecog + ph_karno + wt_loss, lc),
  lung_strata = coxph(Surv(time, status) ~ age + ph_ecog + strata(sex), lc),
  veteran_strata = coxph(Surv(time, status) ~ karno + age + trt + diagtime + strata(celltype), vet2),
  heart_efron = coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, heart2),
  heart_breslow = coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, heart2, ties = "breslow"),
  heart_exact = coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, heart2, ties = "exact"),
  heart_cluster = coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, heart2, cluster = id),
  lung_weighted = coxph(Surv(time, status) ~ age + sex + ph_ecog, lc, weights = w),
  lung_weighted_breslow = coxph(Surv(time, status) ~ age + sex + ph_ecog, lc, weights = w, ties = "breslow"),
  lung_cluster = coxph(Surv(time, status) ~ age + sex + ph_ecog, lc, cluster = inst),
  ovarian_robust = coxph(Surv(time, status) ~ age + rx, ova2, robust = TRUE),
  lung_offset = coxph(Surv(time, status) ~ age + sex + offset(off), lc),
  lung_aliased = coxph(Surv(time, status) ~ age + sex + age2, lc))
fr <- list(); cr <- list()
for (nm in names(fits)) {
  f <- fits[[nm]]; s <- summary(f)
  cf <- coef(f); ok <- !is.na(cf)
  rob <- !is.null(f$naive.var)
  se <- sqrt(diag(if (rob) f$naive.var else f$var))
  rse <- if (rob) sqrt(diag(f$var)) else rep(NA, length(se))
  zz <- qnorm(0.975); use <- if (rob) rse else se
  cc <- f$concordance
  fr[[nm]] <- data.frame(fit = nm, n = f$n, nevent = f$nevent, loglik0 = g17(f$loglik[1]),
    loglik = g17(f$loglik[2]), iter = f$iter, score = g17(f$score),
    wald = g17(f$wald.test), lr = g17(2 * diff(f$loglik)), df = sum(ok),
    robust_score = g17(if (rob) f$rscore else NA),
    concordant = g17(cc["concordant"]), discordant = g17(cc["discordant"]), tied_x = g17(cc["tied.x"]),
    tied_y = g17(cc["tied.y"]), tied_xy = g17(cc["tied.xy"]), concordance = g17(cc["concordance"]),
    concordance_se = g17(cc["std"]), robust = rob, means = paste(g17(f$means), collapse = " "))
  cr[[nm]] <- data.frame(fit = nm, term = names(cf), coef = g17(cf), se = g17(ifelse(ok, se[match(names(cf), names(cf))], NA)),
    robust_se = g17(rse), z = g17(cf / use), p = g17(2 * pnorm(-abs(cf / use))),
    lower = g17(exp(cf - zz * use)), upper = g17(exp(cf + zz * use)))
}
wr(do.call(rbind, fr), "cox_fit.csv"); wr(do.call(rbind, cr), "cox_coef.csv")
