# Reference values for the post-fit functions of vasostat::survival::cox: residuals,
# survfit.coxph curves with standard errors, and cox.zph. Outputs cox_resid.csv,
# cox_survfit.csv, cox_zph.csv. Run: Rscript cox_postfit.R (R 4.2.2, survival 3.5-3)
suppressPackageStartupMessages(library(survival))
wr <- function(df, file) write.csv(df, file, row.names = FALSE, na = "NA")
g17 <- function(x) ifelse(is.na(x), NA, sprintf("%.17g", x))
lc <- read.csv("data_lung_cc.csv"); heart2 <- read.csv("data_heart.csv")
fits <- list(
  lung_efron = coxph(Surv(time, status) ~ age + sex + ph_ecog, lc),
  lung_breslow = coxph(Surv(time, status) ~ age + sex + ph_ecog, lc, ties = "breslow"),
  lung_strata = coxph(Surv(time, status) ~ age + ph_ecog + strata(sex), lc),
  lung_weighted = coxph(Surv(time, status) ~ age + sex + ph_ecog, lc, weights = w),
  heart_efron = coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, heart2))
res <- list(); sf <- list(); zp <- list()
newx <- list(lung_efron = data.frame(age = 60, sex = 1, ph_ecog = 1),
             lung_breslow = data.frame(age = 70, sex = 2, ph_ecog = 2),
             lung_strata = data.frame(age = 60, ph_ecog = 1, sex = 1),
             lung_weighted = data.frame(age = 55, sex = 2, ph_ecog = 0),
             heart_efron = data.frame(age = -5, year = 2, surgery = 1, transplant = 0))
for (nm in names(fits)) {
  f <- fits[[nm]]
  mart <- residuals(f, "martingale"); dev <- residuals(f, "deviance")
  sc <- residuals(f, "score"); dfb <- residuals(f, "dfbeta")
  res[[nm]] <- data.frame(fit = nm, row = seq_along(mart), martingale = g17(mart), deviance = g17(dev),
    score = apply(sc, 1, function(r) paste(g17(r), collapse = " ")),
    dfbeta = apply(dfb, 1, function(r) paste(g17(r), collapse = " ")))
  sch <- residuals(f, "schoenfeld"); ssch <- residuals(f, "scaledsch")
  sch <- as.matrix(sch); ssch <- as.matrix(ssch)
  res[[paste0(nm, "_sch")]] <- data.frame(fit = paste0(nm, "_schoenfeld"), row = seq_len(nrow(sch)),
    martingale = g17(as.numeric(rownames(sch))), deviance = NA,
    score = apply(sch, 1, function(r) paste(g17(r), collapse = " ")),
    dfbeta = apply(ssch, 1, function(r) paste(g17(r), collapse = " ")))
  for (which in c("mean", "new")) {
    s <- if (which == "mean") survfit(f) else survfit(f, newdata = newx[[nm]])
    st <- if (is.null(s$strata)) rep(0, length(s$time)) else rep(seq_along(s$strata) - 1, s$strata)
    sf[[paste(nm, which)]] <- data.frame(fit = nm, curve = which, stratum = st, time = s$time,
      n_risk = g17(s$n.risk), n_event = g17(s$n.event), surv = g17(as.vector(s$surv)),
      std_err = g17(as.vector(s$std.err)), cumhaz = g17(as.vector(s$cumhaz)),
      lower = g17(as.vector(s$lower)), upper = g17(as.vector(s$upper)))
  }
  for (tr in c("km", "rank", "identity")) {
    z <- cox.zph(f, transform = tr)
    zp[[paste(nm, tr)]] <- data.frame(fit = nm, transform = tr, term = rownames(z$table),
      chisq = g17(z$table[, 1]), df = z$table[, 2], p = g17(z$table[, 3]))
  }
}
wr(do.call(rbind, res), "cox_resid.csv"); wr(do.call(rbind, sf), "cox_survfit.csv"); wr(do.call(rbind, zp), "cox_zph.csv")
