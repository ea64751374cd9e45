#pragma once
#include "nuq/numeric/half.hpp"  // core may use numeric
