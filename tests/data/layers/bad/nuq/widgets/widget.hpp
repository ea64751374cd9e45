#pragma once
// widgets is not in the table of layers.
#include "nuq/error.hpp"
