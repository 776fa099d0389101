#pragma once
// vasostat::survival — Kaplan–Meier, log-rank / G-rho tests and Cox proportional hazards,
// matching R's survival package.

#include <vasostat/survival/common.hpp>
#include <vasostat/survival/kaplan_meier.hpp>
#include <vasostat/survival/logrank.hpp>
#include <vasostat/survival/concordance.hpp>
#include <vasostat/survival/cox.hpp>
#include <vasostat/survival/cox_predict.hpp>
#include <vasostat/survival/proportional_hazards_test.hpp>
