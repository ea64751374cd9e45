// plan_rules.hpp's bodies, compiled once.
#include "nuq/check/plan_rules_impl.hpp"
