#pragma once
// The Boost.Math policy vasostat uses everywhere: no exceptions and no errno — a domain error
// returns NaN, an overflow ±Inf. vasostat validates its own inputs before calling Boost, so
// one exception type and one message style remain, and -fno-exceptions builds work.

#include <boost/math/policies/policy.hpp>

namespace vasostat::inline v0::stats::detail {

using math_policy = boost::math::policies::policy<
    boost::math::policies::domain_error<boost::math::policies::ignore_error>,
    boost::math::policies::pole_error<boost::math::policies::ignore_error>,
    boost::math::policies::overflow_error<boost::math::policies::ignore_error>,
    boost::math::policies::underflow_error<boost::math::policies::ignore_error>,
    boost::math::policies::evaluation_error<boost::math::policies::ignore_error>,
    boost::math::policies::rounding_error<boost::math::policies::ignore_error>,
    boost::math::policies::promote_double<false>>;

}  // namespace vasostat::inline v0::stats::detail
