# Reference values for (entry, time] Kaplan-Meier (left truncation / counting-process rows) and
# for R's timefix (survival::aeqSurv: times equal up to rounding are ties) in KM, log-rank and Cox.
# Produces: data_timefix.csv (inputs: aml and heart with times perturbed in their last bits, and
#           a left-truncated lung), km_entry_cases.csv, km_entry.csv, timefix_logrank.csv,
#           timefix_cox.csv.
# Run: Rscript km_entry_timefix.R   (R 4.2.2, survival 3.5-3 from Debian)
suppressPackageStartupMessages(library(survival))
wr <- function(df, file) write.csv(df, file, row.names = FALSE, na = "NA")
g17 <- function(x) ifelse(is.na(x), NA, sprintf("%.17g", x))
lung2 <- read.csv("data_lung.csv"); heart2 <- read.csv("data_heart.csv"); aml2 <- read.csv("data_aml.csv")

# left-truncated lung: entry = floor(time * f), f = 0, 0.1, ..., 0.4 by row; deterministic weights
lt <- lung2[, c("time", "status", "sex")]
lt$entry <- floor(lt$time * ((seq_len(nrow(lt)) %% 5) / 10))
lt$w <- 0.5 + (seq_len(nrow(lt)) %% 3) / 2
# timefix data: the same times, every other one computed as t * (1 + k 2^-52) or (t / 7) * 7 or
# t + 1e-9 t (all within sqrt(eps) relative), plus one time moved by 1e-6 relative (kept apart)
fuzz <- function(t, i) ifelse(i %% 4 == 1, t * (1 + 3 * 2^-52), ifelse(i %% 4 == 2, (t / 7) * 7 * (1 + 2^-50),
                       ifelse(i %% 4 == 3, t * (1 + 1e-9), t)))
af <- aml2; i <- seq_len(nrow(af)); af$time_fuzz <- fuzz(af$time, i)
af$time_fuzz[nrow(af)] <- af$time[nrow(af)] * (1 + 1e-6)
hf <- heart2; i <- seq_len(nrow(hf))
hf$stop_fuzz <- fuzz(hf$stop, i); hf$start_fuzz <- ifelse(hf$start > 0, fuzz(hf$start, i + 1), 0)
stopifnot(all(hf$start_fuzz < hf$stop_fuzz))
wr(data.frame(lapply(af, g17)), "data_timefix_aml.csv")
wr(data.frame(lapply(hf, g17)), "data_timefix_heart.csv")
wr(data.frame(lapply(lt, g17)), "data_lung_lt.csv")

# ---- Kaplan-Meier with entry, and with fuzzed times -----------------------------------------
cases <- list(
  list(case = "heart_transplant", file = "data_heart.csv", d = heart2, time = "stop", status = "event", entry = "start", group = "transplant", w = ""),
  list(case = "heart_surgery", file = "data_heart.csv", d = heart2, time = "stop", status = "event", entry = "start", group = "surgery", w = ""),
  list(case = "lung_lt_sex", file = "data_lung_lt.csv", d = lt, time = "time", status = "status", entry = "entry", group = "sex", w = ""),
  list(case = "lung_lt_weighted", file = "data_lung_lt.csv", d = lt, time = "time", status = "status", entry = "entry", group = "sex", w = "w"),
  list(case = "aml_fuzz", file = "data_timefix_aml.csv", d = af, time = "time_fuzz", status = "status", entry = "", group = "x", w = ""),
  list(case = "heart_fuzz", file = "data_timefix_heart.csv", d = hf, time = "stop_fuzz", status = "event", entry = "start_fuzz", group = "transplant", w = ""))
km <- list(); spec <- list()
for (cs in cases) for (ct in c("log", "log-log")) {
  d <- cs$d
  d$tt <- d[[cs$time]]; d$ss <- d[[cs$status]]; d$grp <- d[[cs$group]]
  d$wt <- if (cs$w == "") 1 else d[[cs$w]]
  f <- if (cs$entry == "") survfit(Surv(tt, ss) ~ grp, data = d, weights = wt, conf.type = ct) else {
    # robust = FALSE: Greenwood variance (survfit's default for (start, stop] rows with
    # non-integer weights is the infinitesimal-jackknife variance, which vasostat does not compute)
    d$ee <- d[[cs$entry]]; survfit(Surv(ee, tt, ss) ~ grp, data = d, weights = wt, conf.type = ct, robust = FALSE) }
  st <- rep(as.numeric(sub("grp=", "", names(f$strata))), f$strata)
  km[[length(km) + 1]] <- data.frame(case = cs$case, conf_type = ct, group = st, time = g17(f$time),
    n_risk = g17(f$n.risk), n_event = g17(f$n.event), n_censor = g17(f$n.censor), surv = g17(f$surv),
    std_err = g17(f$std.err), lower = g17(f$lower), upper = g17(f$upper), cumhaz = g17(f$cumhaz),
    median = g17(rep(summary(f)$table[, "median"], f$strata)))
  if (ct == "log") spec[[length(spec) + 1]] <- data.frame(case = cs$case, file = cs$file, time = cs$time,
    status = cs$status, entry = cs$entry, group = cs$group, weights = cs$w)
}
wr(do.call(rbind, spec), "km_entry_cases.csv"); wr(do.call(rbind, km), "km_entry.csv")

# ---- log-rank and Cox on fuzzed times: equal to the clean-time answers ----------------------
lr <- list()
for (tm in c("time", "time_fuzz")) {
  f <- eval(bquote(survdiff(Surv(.(as.name(tm)), status) ~ x, data = af)))
  lr[[tm]] <- data.frame(time = tm, chisq = g17(f$chisq), observed = paste(g17(f$obs), collapse = " "),
    expected = paste(g17(f$exp), collapse = " "))
}
wr(do.call(rbind, lr), "timefix_logrank.csv")
cx <- list()
add <- function(name, f, clean) cx[[name]] <<- data.frame(fit = name, loglik = g17(f$loglik[2]),
  coef = paste(g17(coef(f)), collapse = " "), se = paste(g17(sqrt(diag(f$var))), collapse = " "),
  concordance = g17(f$concordance["concordance"]), same_as_clean = isTRUE(all.equal(coef(f), coef(clean), tolerance = 1e-12)))
c0 <- coxph(Surv(time, status) ~ x, af)
add("aml_fuzz_efron", coxph(Surv(time_fuzz, status) ~ x, af), c0)
add("aml_fuzz_breslow", coxph(Surv(time_fuzz, status) ~ x, af, ties = "breslow"), coxph(Surv(time, status) ~ x, af, ties = "breslow"))
h0 <- coxph(Surv(start, stop, event) ~ age + surgery + transplant, hf)
add("heart_fuzz_efron", coxph(Surv(start_fuzz, stop_fuzz, event) ~ age + surgery + transplant, hf), h0)
wr(do.call(rbind, cx), "timefix_cox.csv")
