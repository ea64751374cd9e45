// floor: the cost every nuq user pays anyway (no limit; the other probes' limits are ratios to it)
// Only the two heavyweight third-party headers nuq's public headers pull in, and an empty main:
// benchmarks/compile_cost.sh divides each probe's compile time by this one's, so the ratios
// do not depend much on the machine or its load.
#include <nlohmann/json.hpp>
#include <xsimd/xsimd.hpp>

int main() { return 0; }
