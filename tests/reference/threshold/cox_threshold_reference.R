# Reference values for vasostat::threshold::threshold_grid_cox: brute-force coxph (Efron) at
# every candidate cut (data points within the 5-95% type-7 quantiles, >= 2 obs on each side),
# the cut with the largest partial log-likelihood, and coxph at that cut. R survival.
# Run from this folder: Rscript cox_threshold_reference.R
suppressPackageStartupMessages(library(survival))
f <- "cox_threshold_ref.csv"
cat("case,name,value\n", file = f)
out <- function(case, name, value) cat(sprintf("%s,%s,%.17g\n", case, name, value), file = f, append = TRUE)
term <- function(type, x, e) switch(type, hinge = pmax(x - e, 0), step = as.numeric(x > e),
                                    upper_hinge = pmax(e - x, 0), segmented = pmax(x - e, 0))
run <- function(case, d, xname, covs, type) {
  x <- d[[xname]]
  q <- quantile(x, c(0.05, 0.95), type = 7, names = FALSE)
  ux <- sort(unique(x))
  ok <- sapply(ux, function(e) sum(x <= e) >= 2 && sum(x > e) >= 2)
  cand <- ux[ux >= q[1] & ux <= q[2] & ok]
  Z <- as.matrix(d[, covs, drop = FALSE])
  fitat <- function(e) {
    X <- cbind(if (type == "segmented") x, Z, term(type, x, e))
    coxph(Surv(d$time, d$status) ~ X, ties = "efron", control = coxph.control(eps = 1e-12, toler.chol = 1e-13, iter.max = 50))
  }
  ll <- sapply(cand, function(e) fitat(e)$loglik[2])
  b <- which.max(ll)
  m <- fitat(cand[b])
  out(case, "n_candidates", length(cand)); out(case, "cut", cand[b])
  for (i in seq_along(coef(m))) {
    out(case, paste0("coef_", i), coef(m)[i]); out(case, paste0("se_", i), sqrt(diag(vcov(m)))[i])
  }
  out(case, "loglik", m$loglik[2])
  for (i in c(1, length(cand) %/% 2, length(cand))) out(case, paste0("profile_", i), ll[i])
}
vet <- read.csv("maxstat_veteran_data.csv")
run("veteran_hinge", vet, "karno", c("age"), "hinge")
run("veteran_step", vet, "karno", c("age"), "step")
run("veteran_segmented", vet, "karno", c(), "segmented")
lung <- read.csv("maxstat_lung_data.csv")
run("lung_upper_hinge", lung, "age", c("ph.karno"), "upper_hinge")
