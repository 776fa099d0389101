# Times R on the same kind of data as benchmarks/threshold.bench.cpp (same generating model;
# R's RNG differs from vasostat's, so the draws are not identical): segmented (n.boot = 0 and
# the default restarts), the two-piecewise profile by refitting lm() per candidate, and
# maxstat.test with log-rank scores (pmethod "Lau94").
# Run: Rscript benchmarks/compare/threshold_compare.R   (needs segmented, maxstat, survival)
suppressPackageStartupMessages({library(segmented); library(maxstat); library(survival)})
make_data <- function(n) {
  set.seed(42)
  x <- runif(n, 0.05, 1.6)
  y <- 10 - x - 6 * pmax(x - 0.8, 0) + rnorm(n)
  time <- rexp(n, exp(0.9 * (x > 0.8)))
  status <- as.numeric(runif(n) < 0.7)
  data.frame(x = x, y = y, time = time, status = status)
}
timeit <- function(label, n, expr, reps) {
  f <- function() eval.parent(substitute(expr))
  t0 <- proc.time()[["elapsed"]]
  for (i in seq_len(reps)) force(f())
  el <- (proc.time()[["elapsed"]] - t0) / reps
  cat(sprintf("%-40s n = %6d  %10.3f ms\n", label, n, 1000 * el))
}
for (n in c(66, 100, 1000, 10000, 100000)) {
  d <- make_data(n)
  reps <- max(1, round(2000 / n))
  timeit("segmented (n.boot = 0)", n,
         segmented(lm(y ~ x, data = d), seg.Z = ~x, npsi = 1, control = seg.control(n.boot = 0)), reps)
  if (n <= 10000)
    timeit("segmented (default restarts)", n, segmented(lm(y ~ x, data = d), seg.Z = ~x, npsi = 1), reps)
  if (n <= 1000) {
    q <- quantile(d$x, c(0.05, 0.95)); cand <- sort(unique(d$x[d$x >= q[1] & d$x <= q[2]]))
    timeit("profile by lm.fit per candidate", n,
           min(sapply(cand, function(e) sum(lm.fit(cbind(1, d$x, pmax(d$x - e, 0)), d$y)$residuals^2))), reps)
  }
  timeit("maxstat.test LogRank Lau94", n,
         maxstat.test(Surv(time, status) ~ x, data = d, smethod = "LogRank", pmethod = "Lau94"), reps)
}
