# Reference values for vasostat::threshold::threshold_effect with binomial and Poisson outcomes.
# K: brute-force profile deviance (glm.fit at every data point within the 5-95% type-7 quantiles,
# >= 2 obs on each side), then optimize() (tol 1e-12) on the two neighbouring intervals.
# Model I / II by glm() at K (epsilon 1e-13); rows are Wald (summary.glm z, confint.default);
# LRT = deviance difference, chi-square(1); Davies by segmented 1.6-2's davies.test (lrt).
# Run from this folder: Rscript threshold_effect_glm_reference.R
suppressPackageStartupMessages(library(segmented))
f <- "threshold_effect_glm_ref.csv"
cat("case,name,value\n", file = f)
out <- function(case, name, value) cat(sprintf("%s,%s,%.17g\n", case, name, value), file = f, append = TRUE)
ctl <- glm.control(epsilon = 1e-13, maxit = 100)
row <- function(case, prefix, fit, coefname) {
  s <- summary(fit)$coefficients; ci <- confint.default(fit)
  out(case, paste0(prefix, "_est"), s[coefname, 1]); out(case, paste0(prefix, "_se"), s[coefname, 2])
  out(case, paste0(prefix, "_lower"), ci[coefname, 1]); out(case, paste0(prefix, "_upper"), ci[coefname, 2])
  out(case, paste0(prefix, "_p"), s[coefname, 4])
}
run <- function(case, d, yname, xname, covs, fam, wname = NULL, offname = NULL) {
  y <- d[[yname]]; x <- d[[xname]]
  w <- if (is.null(wname)) rep(1, length(y)) else d[[wname]]
  off <- if (is.null(offname)) rep(0, length(y)) else d[[offname]]
  Z <- if (length(covs)) as.matrix(d[, covs, drop = FALSE]) else NULL
  base <- cbind(1, x, Z)
  devf <- function(e) glm.fit(cbind(base, pmax(x - e, 0)), y, weights = w, offset = off, family = fam,
                              control = ctl)$deviance
  q <- quantile(x, c(0.05, 0.95), type = 7, names = FALSE)
  ux <- sort(unique(x))
  ok <- sapply(ux, function(e) sum(x <= e) >= 2 && sum(x > e) >= 2)
  cand <- ux[ux >= q[1] & ux <= q[2] & ok]
  dev <- sapply(cand, devf)
  b <- which.min(dev); K <- cand[b]; best <- dev[b]
  j <- match(K, ux)
  for (iv in list(c(ux[max(j - 1, 1)], K), c(K, ux[min(j + 1, length(ux))]))) {
    a <- max(iv[1], q[1]); bb <- min(iv[2], q[2])
    if (bb > a) { o <- optimize(devf, c(a, bb), tol = 1e-12); if (o$objective < best) { best <- o$objective; K <- o$minimum } }
  }
  out(case, "k_grid", cand[b]); out(case, "k", K)
  df <- data.frame(y = y, x = x, w = w, off = off)
  if (length(covs)) df <- cbind(df, d[, covs, drop = FALSE])
  m1 <- glm(as.formula(paste("y ~", paste(c("x", covs), collapse = " + "))), data = df, weights = w,
            offset = off, family = fam, control = ctl)
  row(case, "model1", m1, "x")
  df$lowK <- (x - K) * (x <= K); df$highK <- (x - K) * (x > K); df$hK <- pmax(x - K, 0)
  m2 <- glm(as.formula(paste("y ~", paste(c("lowK", "highK", covs), collapse = " + "))), data = df,
            weights = w, offset = off, family = fam, control = ctl)
  row(case, "below", m2, "lowK"); row(case, "above", m2, "highK")
  m2b <- glm(as.formula(paste("y ~", paste(c("x", "hK", covs), collapse = " + "))), data = df,
             weights = w, offset = off, family = fam, control = ctl)
  row(case, "difference", m2b, "hK")
  out(case, "loglik1", as.numeric(logLik(m1))); out(case, "loglik2", as.numeric(logLik(m2)))
  lr <- deviance(m1) - deviance(m2)
  out(case, "lr", lr); out(case, "p_lrt", pchisq(lr, 1, lower.tail = FALSE))
  out(case, "p_davies", davies.test(m1, seg.Z = ~x)$p.value)
}
dn <- read.csv("segmented_down_binomial_data.csv")
dn$logb <- log(dn$births)
run("down_binomial", dn, "rate", "age", c(), binomial(), wname = "births")
run("down_poisson", dn, "cases", "age", c(), poisson(), offname = "logb")
bw <- read.csv("from_smooth_birthwt_data.csv")
run("birthwt", bw, "low", "lwt", c("smoke"), binomial())
