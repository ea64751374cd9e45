// decompress.hpp's bodies, compiled once.
#include "nuq/pipeline/decompress_impl.hpp"
