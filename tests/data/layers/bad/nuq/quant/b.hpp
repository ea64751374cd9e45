#pragma once
#include "nuq/error.hpp"
#include "nuq/quant/a.hpp"
