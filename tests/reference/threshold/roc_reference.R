# Reference values for vasostat::threshold::roc_cutpoint, computed independently in R 4.2.2:
# AUC = W / (m n) from wilcox.test; DeLong (1988) variance by the O(m n) placement values;
# Youden J over midpoints between consecutive distinct predictor values (plus +-Inf),
# positive if predictor > threshold. Data: MASS::Pima.tr (diabetes vs glucose, bmi) and
# infert (case vs spontaneous; heavy ties). Run from this folder: Rscript roc_reference.R
suppressPackageStartupMessages(library(MASS))
cat("case,name,value\n", file = "roc_ref.csv")
out <- function(case, name, value)
  cat(sprintf("%s,%s,%.17g\n", case, name, value), file = "roc_ref.csv", append = TRUE)
run <- function(case, pos, x) {
  xp <- x[pos == 1]; xn <- x[pos == 0]; m <- length(xp); n <- length(xn)
  W <- suppressWarnings(wilcox.test(xp, xn, exact = FALSE)$statistic)
  auc <- as.numeric(W) / (m * n)
  psi <- outer(xp, xn, function(a, b) (a > b) + 0.5 * (a == b))
  v10 <- rowMeans(psi); v01 <- colMeans(psi)
  se <- sqrt(var(v10) / m + var(v01) / n)
  ux <- sort(unique(x))
  thr <- c(-Inf, (head(ux, -1) + tail(ux, -1)) / 2, Inf)
  se_c <- sapply(thr, function(t) mean(xp > t)); sp_c <- sapply(thr, function(t) mean(xn <= t))
  J <- se_c + sp_c - 1
  b <- which.max(J)
  out(case, "auc", auc); out(case, "auc_se", se)
  out(case, "auc_lower", auc - qnorm(0.975) * se); out(case, "auc_upper", auc + qnorm(0.975) * se)
  out(case, "youden_threshold", thr[b]); out(case, "youden_j", J[b])
  out(case, "sensitivity", se_c[b]); out(case, "specificity", sp_c[b])
  out(case, "n_thresholds", length(thr))
}
d <- Pima.tr
pima <- data.frame(diabetes = as.numeric(d$type == "Yes"), glu = d$glu, bmi = d$bmi)
write.csv(pima, "roc_pima_data.csv", row.names = FALSE)
run("pima_glu", pima$diabetes, pima$glu)
run("pima_bmi", pima$diabetes, pima$bmi)
inf <- data.frame(case = infert$case, spontaneous = infert$spontaneous, age = infert$age)
write.csv(inf, "roc_infert_data.csv", row.names = FALSE)
run("infert_spontaneous", inf$case, inf$spontaneous)
run("infert_age", inf$case, inf$age)
