#pragma once
#include <nuq/quant/a.hpp>
