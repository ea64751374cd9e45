// quantize_and_pack.hpp's run-time functions, compiled once.
#include "nuq/format/quantize_and_pack_impl.hpp"
