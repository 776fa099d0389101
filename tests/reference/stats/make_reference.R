# Reference values for vasostat's stats module, from R's own stats package on R's data sets.
# Run: Rscript make_reference.R   (writes stats_reference.txt and the data_*.csv inputs)
# Output: one "key value" line per number, value printed with 17 significant digits.
options(digits = 17)
out <- character()
put <- function(key, value) {
  out <<- c(out, sprintf("%s %s", key, format(value, digits = 17)))
}
write_xy <- function(name, x, y) {
  write.table(data.frame(x = x, y = y), sprintf("data_%s.csv", name), sep = ",",
              row.names = FALSE, col.names = TRUE, quote = FALSE)
}
cases <- list(
  women    = list(x = women$height, y = women$weight),                # n = 15, no ties
  mtcars   = list(x = mtcars$wt, y = mtcars$mpg),                     # n = 32, ties
  anscombe = list(x = anscombe$x1, y = anscombe$y1),                  # n = 11, no ties
  small    = list(x = anscombe$x1[1:8], y = anscombe$y3[1:8]),        # n = 8: exact enumeration
  smallneg = list(x = c(1, 2, 3, 4, 5, 6), y = c(6, 4, 5, 3, 1, 2)),  # n = 6, negative
  airq     = local({d <- na.omit(airquality); list(x = d$Ozone, y = d$Temp)}),  # n = 111, ties
  faithful = list(x = faithful$eruptions, y = faithful$waiting),      # n = 272, ties
  pressure = list(x = pressure$temperature, y = pressure$pressure),   # n = 19, monotone
  stackloss = list(x = stackloss$Air.Flow, y = stackloss$stack.loss)  # n = 21, ties
)
for (name in names(cases)) {
  x <- cases[[name]]$x; y <- cases[[name]]$y
  write_xy(name, x, y)
  for (method in c("pearson", "spearman", "kendall")) {
    for (alt in c("two.sided", "less", "greater")) {
      for (conf in c(0.95, 0.9)) {
        r <- suppressWarnings(cor.test(x, y, method = method, alternative = alt, conf.level = conf))
        key <- sprintf("%s.%s.%s.%g", name, method, alt, conf)
        put(paste0(key, ".estimate"), unname(r$estimate))
        put(paste0(key, ".statistic"), unname(r$statistic))
        put(paste0(key, ".p_value"), r$p.value)
        if (!is.null(r$conf.int)) {
          put(paste0(key, ".ci_lower"), r$conf.int[1])
          put(paste0(key, ".ci_upper"), r$conf.int[2])
        }
      }
    }
  }
}

# Linear models on mtcars: plain, weighted, and with an aliased column.
write.csv(mtcars, "data_mtcars_full.csv", row.names = FALSE, quote = FALSE)
lm_ref <- function(prefix, fit) {
  s <- summary(fit)
  co <- coef(fit)
  for (j in seq_along(co)) {
    put(sprintf("%s.coef.%d", prefix, j - 1), if (is.na(co[j])) NaN else co[j])
  }
  ct <- s$coefficients
  for (j in seq_len(nrow(ct))) {
    idx <- match(rownames(ct)[j], names(co)) - 1
    put(sprintf("%s.se.%d", prefix, idx), ct[j, 2])
    put(sprintf("%s.t.%d", prefix, idx), ct[j, 3])
    put(sprintf("%s.p.%d", prefix, idx), ct[j, 4])
  }
  ci <- confint(fit)
  for (j in seq_len(nrow(ci))) {
    if (!is.na(ci[j, 1])) {
      put(sprintf("%s.ci_lower.%d", prefix, j - 1), ci[j, 1])
      put(sprintf("%s.ci_upper.%d", prefix, j - 1), ci[j, 2])
    }
  }
  put(paste0(prefix, ".sigma"), s$sigma)
  put(paste0(prefix, ".df_residual"), fit$df.residual)
  put(paste0(prefix, ".r_squared"), s$r.squared)
  put(paste0(prefix, ".adj_r_squared"), s$adj.r.squared)
  put(paste0(prefix, ".f_statistic"), unname(s$fstatistic[1]))
  put(paste0(prefix, ".f_p_value"), unname(pf(s$fstatistic[1], s$fstatistic[2], s$fstatistic[3], lower.tail = FALSE)))
  put(paste0(prefix, ".log_likelihood"), as.numeric(logLik(fit)))
  put(paste0(prefix, ".aic"), AIC(fit))
  put(paste0(prefix, ".bic"), BIC(fit))
}
lm_ref("lm_plain", lm(mpg ~ wt + hp + qsec, data = mtcars))
lm_ref("lm_weighted", lm(mpg ~ wt + hp + qsec, data = mtcars, weights = cyl))
mt <- mtcars; mt$combo <- 2 * mt$wt + mt$hp
lm_ref("lm_aliased", lm(mpg ~ wt + hp + combo + qsec, data = mt))
lm_ref("lm_noint", lm(mpg ~ 0 + wt + hp, data = mtcars))

# Partial correlation of mpg and wt given hp and qsec (residual method, as ppcor::pcor.test).
rx <- residuals(lm(mpg ~ hp + qsec, data = mtcars)); ry <- residuals(lm(wt ~ hp + qsec, data = mtcars))
r <- cor(rx, ry); n <- nrow(mtcars); q <- 2
put("partial.pearson.estimate", r)
put("partial.pearson.statistic", r * sqrt((n - 2 - q) / (1 - r^2)))
put("partial.pearson.p_value", 2 * pt(-abs(r * sqrt((n - 2 - q) / (1 - r^2))), n - 2 - q))
rk <- function(v) rank(v)
rx <- residuals(lm(rk(mpg) ~ rk(hp) + rk(qsec), data = mtcars)); ry <- residuals(lm(rk(wt) ~ rk(hp) + rk(qsec), data = mtcars))
r <- cor(rx, ry)
put("partial.spearman.estimate", r)
put("partial.spearman.p_value", 2 * pt(-abs(r * sqrt((n - 2 - q) / (1 - r^2))), n - 2 - q))

# p.adjust
p <- c(0.01, 0.02, 0.03, 0.04, 0.05, 0.5, 0.001, 0.2, 0.04, 0.9)
for (m in c("bonferroni", "holm", "hochberg", "BH", "BY")) {
  a <- p.adjust(p, m)
  for (i in seq_along(a)) put(sprintf("p_adjust.%s.%d", m, i - 1), a[i])
}
writeLines(out, "stats_reference.txt")
writeLines(capture.output(sessionInfo())[1:3], "R_version.txt")
