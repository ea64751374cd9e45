// limit: 4x floor, 1000 MB
// Probe (b): run oneshot from C++ with the compiled library (the smallest custom program).
#include "nuq/pipeline/oneshot.hpp"

int main(int argc, char** argv) {
    if (argc < 4) return 2;
    nuq::pipeline::oneshot_options o;
    o.model = argv[1];
    o.recipe = argv[2];
    o.output = argv[3];
    auto const r = nuq::pipeline::oneshot(o);
    return r.quantized > 0 ? 0 : 1;
}
