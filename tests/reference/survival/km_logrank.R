# Reference values for vasostat::survival::kaplan_meier and ::logrank.
# Produces: data_lung.csv, data_veteran.csv, data_ovarian.csv, data_aml.csv (inputs),
#           km.csv (curves), km_quantiles.csv, logrank.csv, logrank_oe.csv.
# Run: Rscript km_logrank.R   (R 4.2.2, survival 3.5-3 from Debian)
suppressPackageStartupMessages(library(survival))
options(digits = 17)
wr <- function(df, file) write.csv(df, file, row.names = FALSE, na = "NA")
g17 <- function(x) ifelse(is.na(x), NA, sprintf("%.17g", x))

lung2 <- with(lung, data.frame(time = time, status = status - 1, sex = sex, age = age,
  ph_ecog = ph.ecog, ph_karno = ph.karno, pat_karno = pat.karno, meal_cal = meal.cal,
  wt_loss = wt.loss, inst = inst))
vet2 <- with(veteran, data.frame(time = time, status = status, trt = trt,
  celltype = as.integer(celltype) - 1, karno = karno, diagtime = diagtime, age = age, prior = prior))
ova2 <- with(ovarian, data.frame(time = futime, status = fustat, age = age, resid_ds = resid.ds,
  rx = rx, ecog_ps = ecog.ps))
aml2 <- with(aml, data.frame(time = time, status = status, x = as.integer(x) - 1))
# a small set whose curve sits exactly on 0.5 and 0.25 (median/quantile midpoint rule)
flat <- data.frame(time = c(1, 2, 3, 4, 5, 6, 7, 8), status = c(1, 1, 1, 1, 0, 1, 1, 0),
                   x = c(0, 0, 0, 0, 0, 0, 0, 0))
wr(lung2, "data_lung.csv"); wr(vet2, "data_veteran.csv"); wr(ova2, "data_ovarian.csv")
wr(aml2, "data_aml.csv"); wr(flat, "data_flat.csv")

# ---- Kaplan-Meier -------------------------------------------------------------------------
cases <- list(
  list(name = "lung_all", data = lung2, g = NULL, w = NULL),
  list(name = "lung_sex", data = lung2, g = "sex", w = NULL),
  list(name = "lung_ecog", data = lung2[!is.na(lung2$ph_ecog), ], g = "ph_ecog", w = NULL),
  list(name = "veteran_celltype", data = vet2, g = "celltype", w = NULL),
  list(name = "veteran_trt", data = vet2, g = "trt", w = NULL),
  list(name = "ovarian_rx", data = ova2, g = "rx", w = NULL),
  list(name = "aml_x", data = aml2, g = "x", w = NULL),
  list(name = "flat", data = flat, g = NULL, w = NULL),
  list(name = "lung_weighted", data = lung2, g = "sex", w = "inst"))
km <- list(); kq <- list()
for (cs in cases) for (ct in c("log", "log-log", "plain")) for (cl in if (cs$name == "lung_sex") c(0.95, 0.9) else 0.95) {
  d <- cs$data
  if (!is.null(cs$w)) d <- d[!is.na(d[[cs$w]]) & d[[cs$w]] > 0, ]
  d$grp <- if (is.null(cs$g)) 0 else d[[cs$g]]
  d$wt <- if (is.null(cs$w)) 1 else d[[cs$w]]
  f <- survfit(Surv(time, status) ~ grp, data = d, weights = wt, conf.type = ct, conf.int = cl)
  st <- if (is.null(f$strata)) rep(0, length(f$time)) else
    rep(as.numeric(sub("grp=", "", names(f$strata))), f$strata)
  km[[length(km) + 1]] <- data.frame(case = cs$name, conf_type = ct, conf_level = cl, group = st,
    time = f$time, n_risk = g17(f$n.risk), n_event = g17(f$n.event), n_censor = g17(f$n.censor),
    surv = g17(f$surv), std_err = g17(f$std.err), lower = g17(f$lower), upper = g17(f$upper),
    cumhaz = g17(f$cumhaz))
  q <- quantile(f, probs = c(0.1, 0.25, 0.5, 0.75, 0.9))
  grs <- if (is.null(f$strata)) 0 else as.numeric(sub("grp=", "", names(f$strata)))
  qm <- function(m) if (is.matrix(m)) m else matrix(m, nrow = 1)
  for (k in seq_along(grs)) for (j in 1:5)
    kq[[length(kq) + 1]] <- data.frame(case = cs$name, conf_type = ct, conf_level = cl,
      group = grs[k], prob = c(0.1, 0.25, 0.5, 0.75, 0.9)[j], quantile = g17(qm(q$quantile)[k, j]),
      lower = g17(qm(q$lower)[k, j]), upper = g17(qm(q$upper)[k, j]))
}
wr(do.call(rbind, km), "km.csv"); wr(do.call(rbind, kq), "km_quantiles.csv")

# ---- log-rank / G-rho ---------------------------------------------------------------------
lr <- list(); oe <- list()
lcases <- list(
  list(name = "lung_sex", data = lung2, g = "sex", s = NULL),
  list(name = "lung_ecog", data = lung2[!is.na(lung2$ph_ecog), ], g = "ph_ecog", s = NULL),
  list(name = "veteran_celltype", data = vet2, g = "celltype", s = NULL),
  list(name = "veteran_trt_strata", data = vet2, g = "trt", s = "celltype"),
  list(name = "veteran_celltype_strata", data = vet2, g = "celltype", s = "prior"),
  list(name = "ovarian_rx", data = ova2, g = "rx", s = NULL),
  list(name = "ovarian_rx_strata", data = ova2, g = "rx", s = "resid_ds"),
  list(name = "aml_x", data = aml2, g = "x", s = NULL))
for (cs in lcases) for (rho in c(0, 1, 0.5)) {
  d <- cs$data; d$grp <- d[[cs$g]]
  f <- if (is.null(cs$s)) survdiff(Surv(time, status) ~ grp, data = d, rho = rho) else {
    d$st <- d[[cs$s]]; survdiff(Surv(time, status) ~ grp + strata(st), data = d, rho = rho) }
  o <- if (is.matrix(f$obs)) rowSums(f$obs) else f$obs
  e <- if (is.matrix(f$exp)) rowSums(f$exp) else f$exp
  k <- length(o); sc <- seq_len(k)   # trend scores 1..k in group order
  u <- sum(sc * (o - e)); v <- drop(t(sc) %*% f$var %*% sc)
  lr[[length(lr) + 1]] <- data.frame(case = cs$name, rho = rho, chisq = g17(f$chisq),
    df = sum(e > 0) - 1, p = g17(pchisq(f$chisq, sum(e > 0) - 1, lower.tail = FALSE)),
    trend_chisq = g17(u^2 / v), trend_p = g17(pchisq(u^2 / v, 1, lower.tail = FALSE)))
  labs <- sort(unique(d$grp))
  for (i in seq_len(k)) oe[[length(oe) + 1]] <- data.frame(case = cs$name, rho = rho,
    group = labs[i], n = as.numeric(f$n[i]), observed = g17(o[i]), expected = g17(e[i]),
    var_row = paste(g17(f$var[i, ]), collapse = " "))
}
wr(do.call(rbind, lr), "logrank.csv"); wr(do.call(rbind, oe), "logrank_oe.csv")
