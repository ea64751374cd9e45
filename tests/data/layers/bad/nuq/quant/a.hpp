#pragma once
// a.hpp and b.hpp include each other: an include cycle.
#include "nuq/quant/b.hpp"
