// checkpoint_rules.hpp's bodies, compiled once.
#include "nuq/check/checkpoint_rules_impl.hpp"
