#pragma once
// Validated (G)LM data for the threshold module: y, the threshold variable x, covariates,
// prior weights and offset as Eigen objects, with the checks every entry point shares.

#include <vasostat/core/error.hpp>
#include <vasostat/threshold/detail/glm.hpp>
#include <vasostat/threshold/detail/numeric.hpp>

#include <Eigen/Dense>

#include <cmath>
#include <span>
#include <string>

namespace vasostat::inline v0::threshold::detail {

struct model_data {
  Eigen::VectorXd y;
  Eigen::VectorXd x;
  Eigen::MatrixXd covariates;  // n x q (q may be 0)
  Eigen::VectorXd weights;     // prior weights (binomial: trials)
  Eigen::VectorXd offset;
  family fam = family::gaussian;

  [[nodiscard]] Eigen::Index n() const noexcept { return y.size(); }

  /// [1, x, covariates]: the null (no-threshold) design.
  [[nodiscard]] Eigen::MatrixXd null_design() const {
    Eigen::MatrixXd X(n(), 2 + covariates.cols());
    X.col(0).setOnes();
    X.col(1) = x;
    if (covariates.cols() > 0) {
      X.rightCols(covariates.cols()) = covariates;
    }
    return X;
  }
};

inline model_data make_model_data(std::span<const double> y, std::span<const double> x,
                                  const Eigen::Ref<const Eigen::MatrixXd>& covariates,
                                  std::span<const double> weights, std::span<const double> offset,
                                  family fam, const char* fn) {
  const std::string f(fn);
  expect_size(x.size(), y.size(), fn, "x", "y");
  VASOSTAT_EXPECTS(!y.empty(), f + ": y is empty");
  if (covariates.size() > 0) {
    VASOSTAT_EXPECTS(covariates.rows() == static_cast<Eigen::Index>(y.size()),
                     f + ": covariates has " + std::to_string(covariates.rows()) +
                         " rows but y has size " + std::to_string(y.size()));
  }
  expect_finite(y, fn, "y");
  expect_finite(x, fn, "x");
  VASOSTAT_EXPECTS(covariates.allFinite(), f + ": covariates contains NaN or Inf");
  expect_not_constant(x, fn, "x");
  model_data d;
  const auto n = static_cast<Eigen::Index>(y.size());
  d.y = Eigen::Map<const Eigen::VectorXd>(y.data(), n);
  d.x = Eigen::Map<const Eigen::VectorXd>(x.data(), n);
  d.covariates = covariates.size() > 0 ? Eigen::MatrixXd(covariates) : Eigen::MatrixXd(n, 0);
  d.fam = fam;
  if (weights.empty()) {
    d.weights = Eigen::VectorXd::Ones(n);
  } else {
    expect_size(weights.size(), y.size(), fn, "weights", "y");
    expect_finite(weights, fn, "weights");
    for (double w : weights) {
      VASOSTAT_EXPECTS(w > 0, f + ": weights must be positive");
    }
    d.weights = Eigen::Map<const Eigen::VectorXd>(weights.data(), n);
  }
  if (offset.empty()) {
    d.offset = Eigen::VectorXd::Zero(n);
  } else {
    expect_size(offset.size(), y.size(), fn, "offset", "y");
    expect_finite(offset, fn, "offset");
    d.offset = Eigen::Map<const Eigen::VectorXd>(offset.data(), n);
  }
  if (fam == family::binomial) {
    for (double v : y) {
      VASOSTAT_EXPECTS(v >= 0 && v <= 1,
                       f + ": y must be a proportion in [0, 1] for the binomial family");
    }
  } else if (fam == family::poisson) {
    for (double v : y) {
      VASOSTAT_EXPECTS(v >= 0, f + ": y must be non-negative for the Poisson family");
    }
  }
  return d;
}

}  // namespace vasostat::inline v0::threshold::detail
