#pragma once
#include "nuq/numeric/half.hpp"  // through quant
#include "nuq/quant/scheme.hpp"
