// quant_args.hpp's bodies, compiled once.
#include "nuq/quant/quant_args_impl.hpp"
