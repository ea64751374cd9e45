// Must NOT compile: NVFP4 needs the tensor_group strategy. The build test checks that the
// compiler says why, in the static_assert's sentence.
#include "nuq/quant/quantizer.hpp"
#include "nuq/quant/scheme_nvfp4.hpp"

int main() {
    nuq::quantizer<nuq::scheme::nvfp4, nuq::strategy::channel> q;
    (void)q;
}
