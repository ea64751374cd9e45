// Probe (c): probe (b) with NUQ_HEADER_ONLY (compile_cost.sh adds it for *_header_only.cpp):
// every body oneshot needs is compiled in this translation unit. Reported, no limit.
#include "b_oneshot.cpp"
