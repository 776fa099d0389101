#pragma once
// vasostat core: what every module shares — errors, image views and owning images, aligned
// buffers, the seeded generator and version macros. SIMD shims are in core/simd.hpp (needs xsimd).

#include <vasostat/core/aligned_buffer.hpp>
#include <vasostat/core/config.hpp>
#include <vasostat/core/error.hpp>
#include <vasostat/core/image.hpp>
#include <vasostat/core/image_view.hpp>
#include <vasostat/core/random.hpp>
#include <vasostat/core/version.hpp>
