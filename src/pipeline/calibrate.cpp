// calibrate (calibrate.hpp), compiled once.
#include "nuq/pipeline/calibrate_impl.hpp"
