#pragma once
// vasostat::vessel — image kernels and microcirculation metrics (xsimd only, no Eigen):
// include this one header for the whole image pipeline.

#include <vasostat/vessel/clip.hpp>
#include <vasostat/vessel/vesselness.hpp>
#include <vasostat/vessel/segment.hpp>
#include <vasostat/vessel/stabilize.hpp>
#include <vasostat/vessel/mean_image.hpp>
#include <vasostat/vessel/space_time.hpp>
#include <vasostat/vessel/lumen.hpp>
#include <vasostat/vessel/velocity.hpp>
#include <vasostat/vessel/flow.hpp>
#include <vasostat/vessel/perfusion.hpp>
#include <vasostat/vessel/quality.hpp>
#include <vasostat/vessel/clip_analysis.hpp>
#include <vasostat/vessel/graph.hpp>
#include <vasostat/vessel/skeletonize.hpp>
#include <vasostat/vessel/distance_transform.hpp>
#include <vasostat/vessel/trace.hpp>
#include <vasostat/vessel/density.hpp>
#include <vasostat/vessel/analyze.hpp>
#include <vasostat/vessel/vessel_path.hpp>
