#pragma once
#include "nuq/calib/gptq.hpp"
#include "nuq/kernels/row.hpp"  // through calib, quant
