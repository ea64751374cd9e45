#pragma once
#include "nuq/error.hpp"  // numeric may use core
// #include "nuq/pipeline/run.hpp"  (a comment, not an include)
