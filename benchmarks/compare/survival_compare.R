# Times R survival on the design of benchmarks/survival.bench.cpp (10 N(0,1) covariates,
# exponential event and censoring times rounded up to whole days: ~32% censored, tied times):
# coxph (Efron and Breslow), survfit + survdiff by a 2-group split. Run beside the C++ bench:
#   Rscript benchmarks/compare/survival_compare.R [max_n]
# R draws its own random numbers (its streams cannot be matched): same design, not same draws.
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
max_n <- if (length(args)) as.numeric(args[1]) else 1e6
sim <- function(n, p = 10) {
  x <- matrix(rnorm(n * p), n, p)
  beta <- ifelse(seq_len(p) %% 2 == 1, 0.2, -0.1)
  eta <- drop(x %*% beta)
  t <- rexp(n) / exp(eta) * 365
  c <- rexp(n, 0.45) * 365
  list(time = ceiling(pmin(t, c)), status = as.numeric(t <= c), x = x, group = as.numeric(x[, 1] > 0))
}
# best of `reps` runs of f(); CPU seconds (user + system) and wall seconds
tm <- function(f, reps) {
  best <- c(Inf, Inf)
  for (r in seq_len(reps)) {
    st <- system.time(f())
    best <- pmin(best, c(st[["user.self"]] + st[["sys.self"]], st[["elapsed"]]))
  }
  best
}
set.seed(42)
cat("seconds, best of repeats, as cpu/wall\n")
cat(sprintf("%-10s %18s %18s %18s %18s\n", "n", "coxph_efron", "coxph_breslow", "survfit+survdiff",
            "non-integer times"))
for (n in c(1e3, 1e4, 1e5, 1e6)) {
  if (n > max_n) break
  d <- sim(n)
  reps <- if (n <= 1e4) 5 else if (n <= 1e5) 3 else 1
  te <- tm(function() coxph(Surv(d$time, d$status) ~ d$x), reps)
  tb <- tm(function() coxph(Surv(d$time, d$status) ~ d$x, ties = "breslow"), reps)
  tk <- tm(function() {
    survfit(Surv(d$time, d$status) ~ d$group)
    survdiff(Surv(d$time, d$status) ~ d$group)
  }, reps)
  # the same with times not rounded to days (day - U(0, 1)), as BM_km_plus_logrank_continuous
  tc <- d$time - runif(n)
  tkc <- tm(function() {
    survfit(Surv(tc, d$status) ~ d$group)
    survdiff(Surv(tc, d$status) ~ d$group)
  }, reps)
  f2 <- function(v) sprintf("%8.4f/%8.4f", v[1], v[2])
  cat(sprintf("%-10.0f %18s %18s %18s %18s\n", n, f2(te), f2(tb), f2(tk), f2(tkc)))
}
