// inspect.hpp's bodies, compiled once.
#include "nuq/pipeline/inspect_impl.hpp"
