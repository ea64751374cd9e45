// quant_scheme.hpp's bodies, compiled once.
#include "nuq/quant/quant_scheme_impl.hpp"
