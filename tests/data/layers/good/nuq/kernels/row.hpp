#pragma once
#include "nuq/detail/simd.hpp"
#include "nuq/numeric/half.hpp"
