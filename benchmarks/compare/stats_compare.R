# Times R's cor.test and lm on the same sizes as benchmarks/stats.bench.cpp (data drawn the
# same way, not the same numbers: R's RNG differs). Prints microseconds per call.
# Run: Rscript benchmarks/compare/stats_compare.R
set.seed(1234)
time_per_call <- function(f, min_seconds = 0.3) {
  reps <- 1
  repeat {
    t <- system.time(for (i in seq_len(reps)) f())[["elapsed"]]
    if (t >= min_seconds) return(1e6 * t / reps)
    reps <- reps * 4
  }
}
for (n in c(64, 1024, 16384)) {
  x <- rnorm(n); y <- 0.5 * x + rnorm(n)
  X <- matrix(rnorm(n * 4), n, 4); yy <- rowSums(X) + rnorm(n)
  cat(sprintf("n=%6d  cor.test pearson %9.1f us  spearman %9.1f us  lm %9.1f us\n", n,
              time_per_call(function() cor.test(x, y)),
              time_per_call(function() suppressWarnings(cor.test(x, y, method = "spearman"))),
              time_per_call(function() summary(lm(yy ~ X)))))
  if (n <= 4096) {
    cat(sprintf("n=%6d  cor.test kendall %9.1f us\n", n,
                time_per_call(function() cor.test(x, y, method = "kendall"))))
  }
}
