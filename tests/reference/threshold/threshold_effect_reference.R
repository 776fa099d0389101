# Reference values for vasostat::threshold::threshold_effect (Gaussian two-piecewise table).
# K: brute-force profile RSS over the data points within the 5-95% type-7 quantiles (>= 2 obs
# on each side), then optimize() (tol 1e-12) on the two neighbouring intervals. Model I/II by
# lm(); LRT chi-square(1); Davies by segmented 1.6-2's davies.test. R 4.2.2.
# Run from this folder: Rscript threshold_effect_reference.R
suppressPackageStartupMessages(library(segmented))
cat("case,name,value\n", file = "threshold_effect_ref.csv")
out <- function(case, name, value)
  cat(sprintf("%s,%s,%.17g\n", case, name, value), file = "threshold_effect_ref.csv", append = TRUE)
row <- function(case, prefix, fit, coefname) {
  s <- summary(fit)$coefficients; ci <- confint(fit)
  out(case, paste0(prefix, "_est"), s[coefname, 1]); out(case, paste0(prefix, "_se"), s[coefname, 2])
  out(case, paste0(prefix, "_lower"), ci[coefname, 1]); out(case, paste0(prefix, "_upper"), ci[coefname, 2])
  out(case, paste0(prefix, "_p"), s[coefname, 4])
}
run <- function(case, file, yname, xname, covs) {
  d <- read.csv(file)
  y <- d[[yname]]; x <- d[[xname]]
  Z <- if (length(covs)) as.matrix(d[, covs, drop = FALSE]) else NULL
  base <- cbind(1, x, Z)
  rssf <- function(e) sum(lm.fit(cbind(base, pmax(x - e, 0)), y)$residuals^2)
  q <- quantile(x, c(0.05, 0.95), type = 7, names = FALSE)
  ux <- sort(unique(x))
  ok <- sapply(ux, function(e) sum(x <= e) >= 2 && sum(x > e) >= 2)
  cand <- ux[ux >= q[1] & ux <= q[2] & ok]
  rss <- sapply(cand, rssf)
  b <- which.min(rss); K <- cand[b]; best <- rss[b]
  j <- match(K, ux)
  for (iv in list(c(ux[j - 1], K), c(K, ux[j + 1]))) {
    a <- max(iv[1], q[1]); bb <- min(iv[2], q[2])
    if (bb > a) { o <- optimize(rssf, c(a, bb), tol = 1e-12); if (o$objective < best) { best <- o$objective; K <- o$minimum } }
  }
  out(case, "k_grid", cand[b]); out(case, "k", K)
  df <- data.frame(y = y, x = x)
  if (length(covs)) df <- cbind(df, d[, covs, drop = FALSE])
  rhs <- paste(c("x", covs), collapse = " + ")
  m1 <- lm(as.formula(paste("y ~", rhs)), data = df)
  row(case, "model1", m1, "x")
  df$lowK <- (x - K) * (x <= K); df$highK <- (x - K) * (x > K); df$hK <- pmax(x - K, 0)
  m2 <- lm(as.formula(paste("y ~", paste(c("lowK", "highK", covs), collapse = " + "))), data = df)
  row(case, "below", m2, "lowK"); row(case, "above", m2, "highK")
  m2b <- lm(as.formula(paste("y ~", paste(c("x", "hK", covs), collapse = " + "))), data = df)
  row(case, "difference", m2b, "hK")
  lr <- 2 * (as.numeric(logLik(m2)) - as.numeric(logLik(m1)))
  out(case, "loglik1", as.numeric(logLik(m1))); out(case, "loglik2", as.numeric(logLik(m2)))
  out(case, "lr", lr); out(case, "p_lrt", pchisq(lr, 1, lower.tail = FALSE))
  out(case, "p_davies", davies.test(m1, seg.Z = ~x)$p.value)
}
run("stagnant", "segmented_stagnant_data.csv", "y", "x", c())
run("plant", "segmented_plant_groups_data.csv", "y", "time", c("g2", "g3"))
run("airquality", "segmented_airquality_data.csv", "Ozone", "Temp", c("Wind"))
run("cars", "segmented_cars_data.csv", "dist", "speed", c())
