// parse.hpp's bodies, compiled once.
#include "nuq/recipe/parse_impl.hpp"
