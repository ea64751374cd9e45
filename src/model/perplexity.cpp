// perplexity.hpp's bodies, compiled once.
#include "nuq/model/perplexity_impl.hpp"
