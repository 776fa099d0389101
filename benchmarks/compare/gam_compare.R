# Times mgcv on the issue's model, y ~ s(x, bs = "ps", k = 20) + a + b + c, Gaussian, REML, the
# same model and sizes as benchmarks/gam.bench.cpp (BM_gam_gaussian_reml; R's own RNG, so the
# same distribution rather than the same draws), and the Poisson fits of BM_gam_poisson_reml
# and BM_gam_poisson_ubre (count ~ the same terms, log link, REML and UBRE = GCV.Cp). Usage: Rscript gam_compare.R [max_n]
suppressMessages(library(mgcv))
args <- commandArgs(trailingOnly = TRUE)
max_n <- if (length(args)) as.numeric(args[1]) else 1e6
make <- function(n) {
  set.seed(20260101)
  x <- runif(n); a <- rnorm(n); b <- rnorm(n); c <- runif(n)
  f <- sin(2 * pi * x) + 0.5 * a - 0.3 * b + 0.2 * c
  data.frame(y = f + 0.5 * rnorm(n), count = rpois(n, exp(0.5 * f)), x = x, a = a, b = b, c = c)
}
timeit <- function(expr_fun, reps) {
  t <- numeric(reps)
  for (i in seq_len(reps)) t[i] <- system.time(expr_fun())[["elapsed"]]
  median(t)
}
cat(sprintf("# mgcv %s, %s\n", packageVersion("mgcv"), R.version.string))
cat("fun,n,median_seconds\n")
for (n in c(66, 100, 1000, 10000, 1e5, 1e6)) {
  if (n > max_n) break
  d <- make(n)
  if (n <= 1e5) {
    reps <- if (n <= 1000) 20 else if (n < 1e5) 3 else 1
    s <- timeit(function() gam(y ~ s(x, bs = "ps", k = 20) + a + b + c, data = d, method = "REML"), reps)
    cat(sprintf("gam,%d,%.6f\n", as.integer(n), s))
  }
  if (n >= 1e4) {
    s <- timeit(function() bam(y ~ s(x, bs = "ps", k = 20) + a + b + c, data = d, method = "fREML"), 3)
    cat(sprintf("bam,%d,%.6f\n", as.integer(n), s))
  }
}
for (n in c(100, 10000, 1e5)) {
  if (n > max_n) break
  d <- make(n)
  if (n <= 1e4) {
    s <- timeit(function() gam(count ~ s(x, bs = "ps", k = 20) + a + b + c, data = d, family = poisson,
                               method = "REML"), if (n <= 1000) 20 else 3)
    cat(sprintf("gam_poisson,%d,%.6f\n", as.integer(n), s))
    s <- timeit(function() gam(count ~ s(x, bs = "ps", k = 20) + a + b + c, data = d, family = poisson,
                               method = "GCV.Cp"), if (n <= 1000) 20 else 3)
    cat(sprintf("gam_poisson_ubre,%d,%.6f\n", as.integer(n), s))
  }
  if (n >= 1e4) {
    s <- timeit(function() bam(count ~ s(x, bs = "ps", k = 20) + a + b + c, data = d, family = poisson,
                               method = "fREML"), 3)
    cat(sprintf("bam_poisson,%d,%.6f\n", as.integer(n), s))
  }
}
