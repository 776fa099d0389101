# Reference values for penalised Cox fits in vasostat::survival::cox.
#  * ridge: coxph(Surv(..) ~ ridge(..., theta, scale) + ...) -> cox_ridge_fit.csv, cox_ridge_coef.csv
#  * Firth (Heinze & Schemper 2002; coxphf is not in Debian, so computed here independently):
#    l*(b) = l(b) + 1/2 log det I(b) with l and I = solve(vcov) from coxph(init = b, iter.max = 0),
#    maximised by optim (BFGS), polished by Newton on U*(b) = U(b) + 1/2 d log det I / db (U from the
#    score residuals, the log-det derivative by central differences); profile penalised-likelihood
#    CIs by uniroot on 2 (l*max - l*_profile(b)) = qchisq(0.95, 1); penalised LR p per coefficient.
#    Data: a separated set (no events in one arm: coxph diverges) written to data_separated.csv,
#    lung, and the heart (start, stop] data -> cox_firth_fit.csv, cox_firth_coef.csv
# Each fit row carries its own specification (covariates in coefficient order, ridge columns,
# theta, scale, ties, strata, cluster) so the C++ test is driven by this file.
# Run: Rscript cox_penalized.R   (R 4.2.2, survival 3.5-3 from Debian)
suppressPackageStartupMessages(library(survival))
wr <- function(df, file) write.csv(df, file, row.names = FALSE, na = "NA")
g17 <- function(x) ifelse(is.na(x), NA, sprintf("%.17g", x))
lc <- read.csv("data_lung_cc.csv"); vet2 <- read.csv("data_veteran.csv"); heart2 <- read.csv("data_heart.csv")

## ---------------------------------------------------------------- ridge
rspec <- list(
  list(fit = "lung_ridge3_noscale", file = "data_lung_cc.csv", data = lc, ridge = c("age", "ph_ecog", "ph_karno"),
       other = "sex", theta = 1, scale = FALSE, ties = "efron"),
  list(fit = "lung_ridge3_scale", file = "data_lung_cc.csv", data = lc, ridge = c("age", "ph_ecog", "ph_karno"),
       other = "sex", theta = 1, scale = TRUE, ties = "efron"),
  list(fit = "lung_ridge_all_breslow", file = "data_lung_cc.csv", data = lc, ridge = c("age", "sex", "ph_ecog"),
       other = character(0), theta = 10, scale = FALSE, ties = "breslow"),
  list(fit = "lung_ridge5_strong", file = "data_lung_cc.csv", data = lc,
       ridge = c("age", "sex", "ph_ecog", "ph_karno", "wt_loss"), other = character(0), theta = 100, scale = TRUE, ties = "efron"),
  list(fit = "veteran_ridge_strata", file = "data_veteran.csv", data = vet2, ridge = c("karno", "age", "diagtime"),
       other = "trt", theta = 0.5, scale = FALSE, ties = "efron", strata = "celltype"),
  list(fit = "heart_ridge", file = "data_heart.csv", data = heart2, ridge = c("age", "year", "surgery", "transplant"),
       other = character(0), theta = 3, scale = TRUE, ties = "efron", entry = "start", time = "stop", status = "event"),
  list(fit = "lung_ridge_cluster", file = "data_lung_cc.csv", data = lc, ridge = c("age", "ph_ecog", "ph_karno"),
       other = "sex", theta = 1, scale = FALSE, ties = "efron", cluster = "inst"))
fr <- list(); cr <- list()
for (sp in rspec) {
  tm <- if (is.null(sp$time)) "time" else sp$time
  st <- if (is.null(sp$status)) "status" else sp$status
  lhs <- if (is.null(sp$entry)) sprintf("Surv(%s, %s)", tm, st) else sprintf("Surv(%s, %s, %s)", sp$entry, tm, st)
  rhs <- sprintf("ridge(%s, theta = %.17g, scale = %s)", paste(sp$ridge, collapse = ", "), sp$theta, sp$scale)
  if (length(sp$other)) rhs <- paste(c(rhs, sp$other), collapse = " + ")
  if (!is.null(sp$strata)) rhs <- paste0(rhs, " + strata(", sp$strata, ")")
  fo <- as.formula(paste(lhs, "~", rhs))
  f <- if (is.null(sp$cluster)) coxph(fo, sp$data, ties = sp$ties) else
    eval(bquote(coxph(fo, sp$data, ties = sp$ties, cluster = .(as.name(sp$cluster)))))
  rob <- !is.null(f$naive.var)
  cf <- coef(f); nv <- if (rob) f$naive.var else f$var
  se <- sqrt(diag(nv)); rse <- if (rob) sqrt(diag(f$var)) else rep(NA, length(cf))
  use <- if (rob) rse else se; zz <- qnorm(0.975)
  # the unpenalised partial likelihood at the estimate, for the record
  cc <- f$concordance
  fr[[sp$fit]] <- data.frame(fit = sp$fit, file = sp$file, time = tm, status = st,
    entry = if (is.null(sp$entry)) "" else sp$entry, strata = if (is.null(sp$strata)) "" else sp$strata,
    cluster = if (is.null(sp$cluster)) "" else sp$cluster,
    covariates = paste(c(sp$ridge, sp$other), collapse = " "), ridge = paste(sp$ridge, collapse = " "),
    theta = g17(sp$theta), scale = sp$scale, ties = sp$ties, n = f$n, nevent = f$nevent,
    loglik0 = g17(f$loglik[1]), loglik = g17(f$loglik[2]), penalty = g17(f$penalty[2]),
    wald = g17(f$wald.test), lr = g17(2 * diff(f$loglik)), df_ridge = g17(f$df[1]), df_total = g17(sum(f$df)),
    lr_p = g17(pchisq(2 * diff(f$loglik), sum(f$df), lower.tail = FALSE)),
    concordance = g17(cc["concordance"]), robust = rob)
  cr[[sp$fit]] <- data.frame(fit = sp$fit, term = c(sp$ridge, sp$other), coef = g17(cf), se = g17(se),
    se2 = g17(sqrt(diag(f$var2))), robust_se = g17(rse), z = g17(cf / use), p = g17(2 * pnorm(-abs(cf / use))),
    lower = g17(exp(cf - zz * use)), upper = g17(exp(cf + zz * use)))
}
wr(do.call(rbind, fr), "cox_ridge_fit.csv"); wr(do.call(rbind, cr), "cox_ridge_coef.csv")

## ---------------------------------------------------------------- Firth
set.seed(20020315)
n <- 40
arm <- rep(0:1, each = 20)
score <- round(rnorm(n, 20, 5))
tt <- ceiling(rexp(n, 0.05 * exp(0.04 * (score - 20))))
cens <- ceiling(runif(n, 5, 40))
sep <- data.frame(time = pmin(tt, cens), status = as.numeric(tt <= cens & arm == 0), arm = arm, score = score)
wr(sep, "data_separated.csv")

firth_fit <- function(fo, data, ties) {
  vars <- all.vars(fo[[3]]); p <- length(vars)
  ev <- function(b) {
    # do.call embeds the data in the call, so residuals() can rebuild the model frame
    f <- do.call(coxph, list(formula = fo, data = data, ties = ties, init = b, control = coxph.control(iter.max = 0)))
    list(l = f$loglik[2], I = solve(vcov(f)), u = colSums(residuals(f, "score")))
  }
  logdet <- function(b) as.numeric(determinant(ev(b)$I, logarithm = TRUE)$modulus)
  pl <- function(b) { e <- ev(b); e$l + 0.5 * as.numeric(determinant(e$I, logarithm = TRUE)$modulus) }
  ustar <- function(b) {
    h <- 1e-5
    e <- ev(b)
    dl <- sapply(seq_len(p), function(k) { d <- rep(0, p); d[k] <- h; (logdet(b + d) - logdet(b - d)) / (2 * h) })
    list(u = e$u + 0.5 * dl, I = e$I)
  }
  # Newton on U* over the columns `free` (the others held at b's values), with I as the
  # Hessian, a step cap of 1 and step halving on l*
  polish <- function(b, free = rep(TRUE, p)) {
    cur <- pl(b)
    for (it in 1:100) {
      s <- ustar(b)
      step <- solve(s$I[free, free, drop = FALSE], s$u[free])
      if (max(abs(step)) < 1e-11) break
      if (max(abs(step)) > 1) step <- step / max(abs(step))
      for (h in 1:30) {
        nb <- b; nb[free] <- b[free] + step
        new <- tryCatch(pl(nb), error = function(e) -Inf)
        if (new >= cur - 1e-13) break
        step <- step / 2
      }
      b <- nb; cur <- new
    }
    b
  }
  safe_pl <- function(b) tryCatch(pl(b), error = function(e) -1e10)
  start <- optim(rep(0, p), safe_pl, method = "BFGS", control = list(fnscale = -1, reltol = 1e-12, maxit = 500))$par
  bhat <- polish(start)
  lmax <- pl(bhat); l0 <- pl(rep(0, p))
  se <- sqrt(diag(solve(ev(bhat)$I)))
  q <- qchisq(0.95, 1)
  prof <- function(k, v) { b <- bhat; b[k] <- v; fr <- rep(TRUE, p); fr[k] <- FALSE; pl(polish(b, fr)) }
  lo <- hi <- chisq <- numeric(p)
  for (k in seq_len(p)) {
    g <- function(v) 2 * (lmax - prof(k, v)) - q
    lo[k] <- uniroot(g, c(bhat[k] - 8 * se[k], bhat[k]), tol = 1e-13)$root
    hi[k] <- uniroot(g, c(bhat[k], bhat[k] + 8 * se[k]), tol = 1e-13)$root
    chisq[k] <- 2 * (lmax - prof(k, 0))
  }
  e <- ev(bhat)
  list(vars = vars, coef = bhat, se = se, lo = lo, hi = hi, chisq = chisq, lmax = lmax, l0 = l0,
       loglik = e$l, loglik0 = ev(rep(0, p))$l, ustar = ustar(bhat)$u)
}
fspec <- list(
  list(fit = "separated_breslow", file = "data_separated.csv", fo = Surv(time, status) ~ arm + score, data = sep, ties = "breslow"),
  list(fit = "separated_efron", file = "data_separated.csv", fo = Surv(time, status) ~ arm + score, data = sep, ties = "efron"),
  list(fit = "lung_breslow", file = "data_lung_cc.csv", fo = Surv(time, status) ~ age + sex + ph_ecog, data = lc, ties = "breslow"),
  list(fit = "heart_efron", file = "data_heart.csv", fo = Surv(start, stop, event) ~ age + surgery + transplant, data = heart2,
       ties = "efron", entry = "start", time = "stop", status = "event"))
ffr <- list(); fcr <- list()
for (sp in fspec) {
  r <- firth_fit(sp$fo, sp$data, sp$ties)
  plain <- withCallingHandlers(coxph(sp$fo, sp$data, ties = sp$ties), warning = function(w) {
    ffr$warned <<- TRUE; invokeRestart("muffleWarning") })
  warned <- isTRUE(ffr$warned); ffr$warned <- NULL
  ffr[[sp$fit]] <- data.frame(fit = sp$fit, file = sp$file, time = if (is.null(sp$time)) "time" else sp$time,
    status = if (is.null(sp$status)) "status" else sp$status, entry = if (is.null(sp$entry)) "" else sp$entry,
    covariates = paste(r$vars, collapse = " "), ties = sp$ties, loglik0 = g17(r$loglik0), loglik = g17(r$loglik),
    pl0 = g17(r$l0), pl = g17(r$lmax), lr = g17(2 * (r$lmax - r$l0)), max_abs_ustar = g17(max(abs(r$ustar))),
    coxph_warns = warned)
  fcr[[sp$fit]] <- data.frame(fit = sp$fit, term = r$vars, coef = g17(r$coef), se = g17(r$se),
    lower = g17(exp(r$lo)), upper = g17(exp(r$hi)), chisq = g17(r$chisq), p = g17(pchisq(r$chisq, 1, lower.tail = FALSE)),
    coxph_coef = g17(coef(plain)))
}
wr(do.call(rbind, ffr), "cox_firth_fit.csv"); wr(do.call(rbind, fcr), "cox_firth_coef.csv")
