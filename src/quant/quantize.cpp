// quantize.hpp's run-time functions, compiled once.
#include "nuq/quant/quantize_impl.hpp"
