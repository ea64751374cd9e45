#pragma once
// The umbrella may include every layer.
#include "nuq/pipeline/run.hpp"
#include "nuq/calib/gptq.hpp"
