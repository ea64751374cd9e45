// infer_format.hpp's bodies, compiled once.
#include "nuq/quant/infer_format_impl.hpp"
