// oneshot (oneshot.hpp), compiled once.
#include "nuq/pipeline/oneshot_impl.hpp"
