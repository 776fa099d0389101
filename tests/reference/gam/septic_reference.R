# mgcv references on the simulated septic-shock cohort of the demo (examples/septic_study.cpp):
# septic_cohort.csv is that cohort as the demo's image pipeline measured it, written by
#   septic_study km.svg gam.svg septic_cohort.csv
# The study's model per outcome: outcome ~ s(NE dose, bs = "ps", k = 10) + APACHE II + heart
# rate + log IL-6 (Gaussian), and 28-day death ~ s(dose) + APACHE II (binomial).
# Run from this folder:  Rscript septic_reference.R   (uses write_case of gam_reference.R)
write_case_only <- TRUE
source("gam_reference.R")
co <- read.csv("septic_cohort.csv")
grid <- data.frame(dose = c(0.1, 0.4, 0.7, 0.9, 1.2, 1.45), apache = c(15, 18, 20, 22, 25, 30),
                   heart_rate = c(90, 100, 105, 110, 115, 125), log_il6 = c(4.2, 4.6, 5.0, 5.3, 5.6, 6.0))
for (outcome in c("mfi", "ppv", "hi", "lactate")) {
  d <- co[, c(outcome, "dose", "apache", "heart_rate", "log_il6")]
  f <- as.formula(paste(outcome, "~ apache + heart_rate + log_il6 + s(dose, bs = \"ps\", k = 10)"))
  write_case(paste0("septic_", outcome), f, d, grid = grid)
}
write_case("septic_died", died ~ apache + s(dose, bs = "ps", k = 10), co[, c("died", "dose", "apache")],
           family = binomial(), grid = grid[, c("dose", "apache")])
