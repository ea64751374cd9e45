#pragma once
#include "nuq/error.hpp"
#include "nuq/pipeline/run.hpp"  // numeric may not use pipeline
