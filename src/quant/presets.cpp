// presets.hpp's bodies, compiled once.
#include "nuq/quant/presets_impl.hpp"
